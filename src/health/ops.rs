//! Typed Railway calls of the health slice: `deploymentRollback` (its `.graphql` file lives with
//! the others under `src/railway/ops/` and is validated in CI against Railway's schema).

use serde::Deserialize;
use serde_json::json;

use crate::railway::ops::{OpKind, Operation};
use crate::railway::{RailwayClient, RailwayError};

pub const DEPLOYMENT_ROLLBACK: Operation = Operation {
    name: "DeploymentRollback",
    text: include_str!("../railway/ops/deployment_rollback.graphql"),
    kind: OpKind::Mutation,
};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operation_is_named_as_in_its_file() {
        assert!(
            DEPLOYMENT_ROLLBACK
                .text
                .contains("mutation DeploymentRollback(")
        );
    }
}
