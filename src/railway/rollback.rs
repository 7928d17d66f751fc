//! `deploymentRollback`: puts a service back on an earlier deployment.

use serde::Deserialize;
use serde_json::json;

use super::ops::DEPLOYMENT_ROLLBACK;
use super::{RailwayClient, RailwayError};

/// Asks Railway to roll the service back to deployment `id`. A mutation: never retried when its
/// fate is unknown (the client's rule).
pub async fn deployment_rollback(c: &RailwayClient, id: &str) -> Result<(), RailwayError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        deployment_rollback: bool,
    }
    let d: Data = c
        .execute(&DEPLOYMENT_ROLLBACK, &json!({ "id": id }))
        .await?;
    if d.deployment_rollback {
        Ok(())
    } else {
        Err(RailwayError::GraphQl {
            operation: DEPLOYMENT_ROLLBACK.name.into(),
            messages: vec!["deploymentRollback returned false".into()],
        })
    }
}
