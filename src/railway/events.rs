//! A deployment's events (its steps: build, pre-deploy command, healthcheck ...) and its log
//! lines, read after the fact (failure reasons, the pre-deploy command's outcome).

use serde::Deserialize;
use serde_json::json;

use super::api::Edges;
use super::ops::{DEPLOYMENT_EVENTS, DEPLOYMENT_LOGS};
use super::{RailwayClient, RailwayError};

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
    Ok(d.deployment_events.nodes())
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
