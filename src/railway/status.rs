//! Owns Railway's `DeploymentStatus`: parsed here, at the boundary (GraphQL answers, subscription
//! events, filters), and every value mapped explicitly to what it means for a deploy. No status
//! string travels past `railway/`. No catch-all: a value Railway adds later parses as `Unknown`
//! and fails closed.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(from = "String", into = "String")]
pub enum DeploymentStatus {
    Queued,
    Initializing,
    Waiting,
    Building,
    Deploying,
    NeedsApproval,
    Success,
    Sleeping,
    Failed,
    Crashed,
    Removed,
    Removing,
    Skipped,
    Unknown(String),
}

impl From<String> for DeploymentStatus {
    fn from(s: String) -> Self {
        DeploymentStatus::parse(&s)
    }
}

impl From<&str> for DeploymentStatus {
    fn from(s: &str) -> Self {
        DeploymentStatus::parse(s)
    }
}

impl From<DeploymentStatus> for String {
    fn from(s: DeploymentStatus) -> Self {
        s.as_str().to_string()
    }
}

impl std::fmt::Display for DeploymentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The status carried by a `deployment` subscription event (`data.deployment.status`), if any.
pub fn in_subscription_event(payload: &serde_json::Value) -> Option<DeploymentStatus> {
    payload
        .pointer("/data/deployment/status")
        .and_then(serde_json::Value::as_str)
        .map(DeploymentStatus::parse)
}

/// What a status means for the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Still on its way: keep following.
    InProgress,
    /// Waiting for someone to approve it in Railway: keep following, with a notice.
    AwaitingApproval,
    /// Live and serving.
    Live,
    /// Ended badly; the explanation says why and what to do.
    Failed(&'static str),
}

impl DeploymentStatus {
    pub fn parse(s: &str) -> DeploymentStatus {
        use DeploymentStatus::*;
        match s {
            "QUEUED" => Queued,
            "INITIALIZING" => Initializing,
            "WAITING" => Waiting,
            "BUILDING" => Building,
            "DEPLOYING" => Deploying,
            "NEEDS_APPROVAL" => NeedsApproval,
            "SUCCESS" => Success,
            "SLEEPING" => Sleeping,
            "FAILED" => Failed,
            "CRASHED" => Crashed,
            "REMOVED" => Removed,
            "REMOVING" => Removing,
            "SKIPPED" => Skipped,
            other => Unknown(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        use DeploymentStatus::*;
        match self {
            Queued => "QUEUED",
            Initializing => "INITIALIZING",
            Waiting => "WAITING",
            Building => "BUILDING",
            Deploying => "DEPLOYING",
            NeedsApproval => "NEEDS_APPROVAL",
            Success => "SUCCESS",
            Sleeping => "SLEEPING",
            Failed => "FAILED",
            Crashed => "CRASHED",
            Removed => "REMOVED",
            Removing => "REMOVING",
            Skipped => "SKIPPED",
            Unknown(s) => s,
        }
    }

    pub fn phase(&self) -> Phase {
        use DeploymentStatus::*;
        match self {
            Queued | Initializing | Waiting | Building | Deploying => Phase::InProgress,
            NeedsApproval => Phase::AwaitingApproval,
            Success => Phase::Live,
            // App Sleeping: the deployment went live and idles until traffic wakes it.
            Sleeping => Phase::Live,
            Failed => Phase::Failed(
                "the deployment failed (build, pre-deploy command or Railway's healthcheck); see the build and deploy logs",
            ),
            Crashed => Phase::Failed(
                "the deployment crashed after starting; see the deploy logs and the service's start command",
            ),
            Removed => Phase::Failed(
                "the deployment was removed before it finished (a newer deployment replaced it, or someone removed it)",
            ),
            Removing => Phase::Failed(
                "the deployment is being removed (a newer deployment replaced it, or someone removed it)",
            ),
            Skipped => Phase::Failed(
                "Railway skipped the deployment; usually Railway's \"Wait for CI\" saw a failing GitHub check on this commit: fix the check, or turn the setting off",
            ),
            Unknown(_) => Phase::Failed(
                "Railway reported a status this version of railway-deploy does not know; treating it as a failure: update railway-deploy",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_maps_explicitly() {
        let table = [
            ("QUEUED", Phase::InProgress),
            ("INITIALIZING", Phase::InProgress),
            ("WAITING", Phase::InProgress),
            ("BUILDING", Phase::InProgress),
            ("DEPLOYING", Phase::InProgress),
            ("NEEDS_APPROVAL", Phase::AwaitingApproval),
            ("SUCCESS", Phase::Live),
            ("SLEEPING", Phase::Live),
        ];
        for (s, want) in table {
            let st = DeploymentStatus::parse(s);
            assert_eq!(st.phase(), want, "{s}");
            assert_eq!(st.as_str(), s);
        }
        for s in [
            "FAILED", "CRASHED", "REMOVED", "REMOVING", "SKIPPED", "EXPLODED", "",
        ] {
            assert!(
                matches!(DeploymentStatus::parse(s).phase(), Phase::Failed(_)),
                "{s}"
            );
        }
        assert!(
            matches!(DeploymentStatus::parse("SKIPPED").phase(), Phase::Failed(m) if m.contains("Wait for CI"))
        );
    }

    #[test]
    fn the_schema_has_no_status_we_do_not_map() {
        // The statuses of Railway's schema (shared/railway/schema.json, DeploymentStatus).
        for s in [
            "BUILDING",
            "CRASHED",
            "DEPLOYING",
            "FAILED",
            "INITIALIZING",
            "NEEDS_APPROVAL",
            "QUEUED",
            "REMOVED",
            "REMOVING",
            "SKIPPED",
            "SLEEPING",
            "SUCCESS",
            "WAITING",
        ] {
            assert!(
                !matches!(DeploymentStatus::parse(s), DeploymentStatus::Unknown(_)),
                "{s}"
            );
        }
    }

    #[test]
    fn statuses_are_parsed_where_they_arrive_and_sent_back_as_railway_spells_them() {
        let d: crate::railway::api::Deployment =
            serde_json::from_value(serde_json::json!({"id": "d1", "status": "CRASHED"})).unwrap();
        assert_eq!(d.status, DeploymentStatus::Crashed);
        let d: crate::railway::api::Deployment =
            serde_json::from_value(serde_json::json!({"id": "d1", "status": "EXPLODED"})).unwrap();
        assert_eq!(d.status, DeploymentStatus::Unknown("EXPLODED".into()));
        assert!(matches!(d.status.phase(), Phase::Failed(_)));
        let filter = crate::railway::api::StatusFilter {
            any_of: vec![DeploymentStatus::Success, DeploymentStatus::Sleeping],
        };
        assert_eq!(
            serde_json::to_value(filter).unwrap(),
            serde_json::json!({"in": ["SUCCESS", "SLEEPING"]})
        );
        let event = serde_json::json!({"data": {"deployment": {"status": "DEPLOYING"}}});
        assert_eq!(
            in_subscription_event(&event),
            Some(DeploymentStatus::Deploying)
        );
        assert_eq!(
            in_subscription_event(&serde_json::json!({"data": null})),
            None
        );
    }
}
