//! Owns the reads the watch after going live makes of Railway: a deployment's instances (each
//! replica's `DeploymentInstanceStatus`, parsed here, at the boundary) and a service's HTTP
//! requests counted per status code (`httpMetricsGroupedByStatus`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::json;

use super::client::{RailwayClient, RailwayError};
use super::ops;
use super::status::DeploymentStatus;

/// Railway's `DeploymentInstanceStatus`. No catch-all: a value Railway adds later is `Unknown`
/// (not a breach: the watch judges only the statuses it knows to be bad).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum InstanceStatus {
    Created,
    Initializing,
    Running,
    Restarting,
    Crashed,
    Exited,
    Stopped,
    Removing,
    Removed,
    Skipped,
    Unknown(String),
}

impl From<String> for InstanceStatus {
    fn from(s: String) -> Self {
        use InstanceStatus::*;
        match s.as_str() {
            "CREATED" => Created,
            "INITIALIZING" => Initializing,
            "RUNNING" => Running,
            "RESTARTING" => Restarting,
            "CRASHED" => Crashed,
            "EXITED" => Exited,
            "STOPPED" => Stopped,
            "REMOVING" => Removing,
            "REMOVED" => Removed,
            "SKIPPED" => Skipped,
            _ => Unknown(s),
        }
    }
}

impl InstanceStatus {
    pub fn as_str(&self) -> &str {
        use InstanceStatus::*;
        match self {
            Created => "CREATED",
            Initializing => "INITIALIZING",
            Running => "RUNNING",
            Restarting => "RESTARTING",
            Crashed => "CRASHED",
            Exited => "EXITED",
            Stopped => "STOPPED",
            Removing => "REMOVING",
            Removed => "REMOVED",
            Skipped => "SKIPPED",
            Unknown(s) => s,
        }
    }

    /// Crashed, restarting or exited: the release is not staying up.
    pub fn is_breach(&self) -> bool {
        matches!(
            self,
            InstanceStatus::Crashed | InstanceStatus::Restarting | InstanceStatus::Exited
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct DeploymentInstance {
    pub id: String,
    pub status: InstanceStatus,
}

/// A deployment's status with its instances.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct DeploymentInstances {
    pub id: String,
    pub status: DeploymentStatus,
    pub instances: Vec<DeploymentInstance>,
}

pub async fn deployment_instances(
    c: &RailwayClient,
    id: &str,
) -> Result<DeploymentInstances, RailwayError> {
    #[derive(Deserialize)]
    struct Data {
        deployment: DeploymentInstances,
    }
    let d: Data = c
        .execute(&ops::DEPLOYMENT_INSTANCES, &json!({ "id": id }))
        .await?;
    Ok(d.deployment)
}

/// One sample: `value` requests in the step starting at `ts` (Unix seconds).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct HttpSample {
    pub ts: i64,
    pub value: f64,
}

/// The samples of one HTTP status code.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusSeries {
    pub status_code: u16,
    pub samples: Vec<HttpSample>,
}

/// What [`http_by_status`] asks for: a service in an environment, between two dates, one sample
/// per `step_seconds`.
#[derive(Clone, Debug)]
pub struct HttpQuery<'a> {
    pub environment_id: &'a str,
    pub service_id: &'a str,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub step_seconds: u32,
}

pub async fn http_by_status(
    c: &RailwayClient,
    q: &HttpQuery<'_>,
) -> Result<Vec<StatusSeries>, RailwayError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        http_metrics_grouped_by_status: Vec<StatusSeries>,
    }
    let vars = json!({
        "environmentId": q.environment_id,
        "serviceId": q.service_id,
        "startDate": q.start.to_rfc3339_opts(SecondsFormat::Secs, true),
        "endDate": q.end.to_rfc3339_opts(SecondsFormat::Secs, true),
        "stepSeconds": q.step_seconds,
    });
    let d: Data = c.execute(&ops::HTTP_METRICS_BY_STATUS, &vars).await?;
    Ok(d.http_metrics_grouped_by_status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_statuses_parse_and_only_three_are_breaches() {
        let all = [
            "CREATED",
            "INITIALIZING",
            "RUNNING",
            "RESTARTING",
            "CRASHED",
            "EXITED",
            "STOPPED",
            "REMOVING",
            "REMOVED",
            "SKIPPED",
        ];
        let breaches: Vec<&str> = all
            .iter()
            .copied()
            .filter(|s| InstanceStatus::from(s.to_string()).is_breach())
            .collect();
        assert_eq!(breaches, ["RESTARTING", "CRASHED", "EXITED"]);
        for s in all {
            assert_eq!(InstanceStatus::from(s.to_string()).as_str(), s);
        }
        let later = InstanceStatus::from("HIBERNATING".to_string());
        assert_eq!(later, InstanceStatus::Unknown("HIBERNATING".into()));
        assert!(!later.is_breach());
    }
}
