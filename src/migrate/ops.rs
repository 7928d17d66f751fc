//! Typed Railway calls of the migrate slice: a deployment's events and log lines (the
//! `PRE_DEPLOY_COMMAND` step), and a service's variables (for `database-url-variable`). Their
//! `.graphql` files live with the others under `src/railway/ops/`.

use serde::Deserialize;
use serde_json::json;

use crate::railway::ops::{OpKind, Operation};
use crate::railway::{RailwayClient, RailwayError};

pub const DEPLOYMENT_EVENTS: Operation = Operation {
    name: "DeploymentEvents",
    text: include_str!("../railway/ops/deployment_events.graphql"),
    kind: OpKind::Query,
};
pub const DEPLOYMENT_LOGS: Operation = Operation {
    name: "DeploymentLogs",
    text: include_str!("../railway/ops/deployment_logs.graphql"),
    kind: OpKind::Query,
};
pub const VARIABLES: Operation = Operation {
    name: "Variables",
    text: include_str!("../railway/ops/variables.graphql"),
    kind: OpKind::Query,
};

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventPayload {
    pub duration_ms: Option<i64>,
    pub error: Option<String>,
    pub reason: Option<String>,
    pub skipped: Option<bool>,
    pub attempt: Option<i64>,
    pub max_attempts: Option<i64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentEvent {
    pub id: String,
    pub step: String,
    pub created_at: Option<String>,
    pub completed_at: Option<String>,
    pub payload: Option<EventPayload>,
}

#[derive(Deserialize)]
struct Edges<T> {
    edges: Vec<Edge<T>>,
}
#[derive(Deserialize)]
struct Edge<T> {
    node: T,
}

pub async fn deployment_events(
    c: &RailwayClient,
    id: &str,
) -> Result<Vec<DeploymentEvent>, RailwayError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        deployment_events: Edges<DeploymentEvent>,
    }
    let d: Data = c
        .execute(&DEPLOYMENT_EVENTS, &json!({ "id": id, "first": 100 }))
        .await?;
    Ok(d.deployment_events
        .edges
        .into_iter()
        .map(|e| e.node)
        .collect())
}

/// The last `limit` log lines of a deployment, oldest first.
pub async fn deployment_logs(
    c: &RailwayClient,
    id: &str,
    limit: u32,
) -> Result<Vec<String>, RailwayError> {
    #[derive(Deserialize)]
    struct Log {
        message: String,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        deployment_logs: Vec<Log>,
    }
    let d: Data = c
        .execute(
            &DEPLOYMENT_LOGS,
            &json!({ "deploymentId": id, "limit": limit }),
        )
        .await?;
    Ok(d.deployment_logs.into_iter().map(|l| l.message).collect())
}

/// A service's rendered variables in an environment (name → value).
pub async fn variables(
    c: &RailwayClient,
    project_id: &str,
    environment_id: &str,
    service_id: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, RailwayError> {
    #[derive(Deserialize)]
    struct Data {
        variables: serde_json::Map<String, serde_json::Value>,
    }
    let vars = json!({ "projectId": project_id, "environmentId": environment_id, "serviceId": service_id });
    let d: Data = c.execute(&VARIABLES, &vars).await?;
    Ok(d.variables)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_named_as_in_their_files() {
        assert!(DEPLOYMENT_EVENTS.text.contains("query DeploymentEvents("));
        assert!(DEPLOYMENT_LOGS.text.contains("query DeploymentLogs("));
        assert!(VARIABLES.text.contains("query Variables("));
    }
}
