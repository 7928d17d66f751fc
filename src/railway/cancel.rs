//! `deploymentCancel`: stops a deployment that is not live yet (sent when the job is cancelled).

use serde::Deserialize;
use serde_json::json;

use super::ops::DEPLOYMENT_CANCEL;
use super::{RailwayClient, RailwayError};

/// Asks Railway to cancel deployment `id`. A mutation: never retried when its fate is unknown
/// (the client's rule); the caller bounds how long it may take.
pub async fn deployment_cancel(c: &RailwayClient, id: &str) -> Result<(), RailwayError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        deployment_cancel: bool,
    }
    let d: Data = c.execute(&DEPLOYMENT_CANCEL, &json!({ "id": id })).await?;
    if d.deployment_cancel {
        Ok(())
    } else {
        Err(RailwayError::GraphQl {
            operation: DEPLOYMENT_CANCEL.name.into(),
            messages: vec!["deploymentCancel returned false".into()],
        })
    }
}
