//! Owns `migrate-command`: setting it as the service instance's Railway pre-deploy command (only
//! when it differs), and reporting Railway's `PRE_DEPLOY_COMMAND` step of the new deployment
//! (outcome, duration, error, last log lines) from `deploymentEvents`.

use crate::railway::api::{self, ServiceInstance};
use crate::railway::events::{self as ops, DeploymentEvent};
use crate::railway::{RailwayClient, RailwayError};
use crate::record::MigrationReport;

/// True when the instance's pre-deploy command is not already `command`.
pub fn needs_update(instance: &ServiceInstance, command: &str) -> bool {
    api::pre_deploy_command_text(instance).as_deref() != Some(command.trim())
}

/// Sets the pre-deploy command when it differs. Returns whether a change was made.
///
/// Decision: the command is sent as a one-element list (`preDeployCommand: [String!]`); Railway
/// runs it through a shell, so `npx prisma migrate deploy && node seed.js` works as written.
pub async fn ensure_pre_deploy_command(
    c: &RailwayClient,
    instance: &ServiceInstance,
    environment_id: &str,
    command: &str,
) -> Result<bool, RailwayError> {
    if !needs_update(instance, command) {
        return Ok(false);
    }
    let input = serde_json::json!({ "preDeployCommand": [command.trim()] });
    api::update_service_instance(c, &instance.service_id, environment_id, input).await?;
    Ok(true)
}

/// What Railway did with the pre-deploy command of one deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PreDeployStep {
    /// No `PRE_DEPLOY_COMMAND` event (the build failed first, or Railway did not report it).
    NotRun,
    Skipped,
    Passed {
        duration_ms: Option<i64>,
    },
    Failed {
        duration_ms: Option<i64>,
        error: String,
    },
    /// Started and not completed yet.
    Running,
}

/// Reads the `PRE_DEPLOY_COMMAND` step from a deployment's events (pure). The latest event of
/// that step wins (Railway may retry it).
pub fn pre_deploy_step(events: &[DeploymentEvent]) -> PreDeployStep {
    let Some(e) = events.iter().rev().find(|e| e.step == "PRE_DEPLOY_COMMAND") else {
        return PreDeployStep::NotRun;
    };
    let p = e.payload.clone().unwrap_or_default();
    if p.skipped == Some(true) {
        return PreDeployStep::Skipped;
    }
    if let Some(error) = p.error.filter(|s| !s.trim().is_empty()) {
        return PreDeployStep::Failed {
            duration_ms: p.duration_ms,
            error,
        };
    }
    if e.completed_at.is_none() {
        return PreDeployStep::Running;
    }
    PreDeployStep::Passed {
        duration_ms: p.duration_ms,
    }
}

/// The migration report of a deployment's pre-deploy step, with the last log lines on failure.
/// `failure` is the sentence for the service's report when the step failed.
pub async fn report_pre_deploy(
    c: &RailwayClient,
    deployment_id: &str,
    command: &str,
) -> (MigrationReport, Option<String>, Vec<String>) {
    let mut report = MigrationReport {
        kind: "pre-deploy".into(),
        ..MigrationReport::default()
    };
    let events = match ops::deployment_events(c, deployment_id).await {
        Ok(e) => e,
        Err(e) => {
            report.error = Some(format!("could not read the deployment's events: {e}"));
            return (report, None, Vec::new());
        }
    };
    match pre_deploy_step(&events) {
        PreDeployStep::Passed { duration_ms } => {
            let took = duration_ms
                .map(|ms| format!(" in {:.1}s", ms as f64 / 1000.0))
                .unwrap_or_default();
            report.applied.push(format!("`{command}` succeeded{took}"));
            (report, None, Vec::new())
        }
        PreDeployStep::Skipped => {
            report
                .pending
                .push(format!("`{command}` was skipped by Railway"));
            (report, None, Vec::new())
        }
        PreDeployStep::NotRun | PreDeployStep::Running => {
            report.pending.push(format!("`{command}` did not run"));
            (report, None, Vec::new())
        }
        PreDeployStep::Failed { error, .. } => {
            let tail = ops::deployment_logs(c, deployment_id, 20)
                .await
                .unwrap_or_default();
            let failure = format!(
                "migration failed; the previous deployment is still serving. `{command}` failed: {error}"
            );
            report.error = Some(failure.clone());
            (report, Some(failure), tail)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::railway::events::EventPayload;

    fn ev(step: &str, completed: bool, payload: EventPayload) -> DeploymentEvent {
        DeploymentEvent {
            id: "e".into(),
            step: step.into(),
            created_at: None,
            completed_at: completed.then(|| "2025-01-01T00:00:00Z".into()),
            payload: Some(payload),
        }
    }

    #[test]
    fn reads_the_pre_deploy_step() {
        assert_eq!(pre_deploy_step(&[]), PreDeployStep::NotRun);
        let build = ev("BUILD_IMAGE", true, EventPayload::default());
        let ok = ev(
            "PRE_DEPLOY_COMMAND",
            true,
            EventPayload {
                duration_ms: Some(1500),
                ..Default::default()
            },
        );
        assert_eq!(
            pre_deploy_step(&[build.clone(), ok]),
            PreDeployStep::Passed {
                duration_ms: Some(1500)
            }
        );
        let bad = ev(
            "PRE_DEPLOY_COMMAND",
            true,
            EventPayload {
                error: Some("exit code 1".into()),
                duration_ms: Some(900),
                ..Default::default()
            },
        );
        assert_eq!(
            pre_deploy_step(&[build.clone(), bad]),
            PreDeployStep::Failed {
                duration_ms: Some(900),
                error: "exit code 1".into()
            }
        );
        let skipped = ev(
            "PRE_DEPLOY_COMMAND",
            true,
            EventPayload {
                skipped: Some(true),
                ..Default::default()
            },
        );
        assert_eq!(pre_deploy_step(&[skipped]), PreDeployStep::Skipped);
        let running = ev("PRE_DEPLOY_COMMAND", false, EventPayload::default());
        assert_eq!(pre_deploy_step(&[build, running]), PreDeployStep::Running);
    }

    fn instance(cmd: Option<serde_json::Value>) -> ServiceInstance {
        serde_json::from_value(serde_json::json!({
            "id": "si", "serviceId": "s", "serviceName": "web", "healthcheckPath": null,
            "preDeployCommand": cmd, "source": null
        }))
        .unwrap()
    }

    #[test]
    fn updates_only_when_the_command_differs() {
        assert!(needs_update(&instance(None), "npm run migrate"));
        assert!(!needs_update(
            &instance(Some("npm run migrate".into())),
            "npm run migrate"
        ));
        assert!(!needs_update(
            &instance(Some(serde_json::json!(["npm run migrate"]))),
            " npm run migrate "
        ));
        assert!(needs_update(
            &instance(Some(serde_json::json!(["npm run old"]))),
            "npm run migrate"
        ));
    }
}
