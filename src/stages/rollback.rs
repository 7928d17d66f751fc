//! Owns `command: rollback`: which deployment each service goes back to (`to`, or the latest
//! successful deployment before the serving one), then the same rollback, follow and health
//! check as an automatic rollback.

use std::time::Instant;

use crate::config::Config;
use crate::health::check::probe_spec;
use crate::health::rollback::{RollbackResult, RollbackScope, roll_back};
use crate::pipeline::plan::{Plan, ServicePlan};
use crate::railway::RailwayClient;
use crate::railway::api::{self, Deployment, DeploymentFilter};
use crate::record::{ServiceReport, ServiceState};

/// The deployment to go back to when `to` is empty (pure): the newest deployment older than the
/// serving one that went live and can still be restored. Railway marks a replaced deployment
/// REMOVED, so REMOVED counts along with SUCCESS and SLEEPING; `canRollback` filters out the ones
/// whose image Railway no longer keeps. `deployments` is newest first (Railway's order).
pub fn previous_good<'a>(
    deployments: &'a [Deployment],
    serving_id: Option<&str>,
) -> Result<&'a Deployment, String> {
    let older: &[Deployment] =
        match serving_id.and_then(|s| deployments.iter().position(|d| d.id == s)) {
            Some(i) => &deployments[i + 1..],
            None => deployments,
        };
    older
        .iter()
        .find(|d| matches!(d.status.as_str(), "SUCCESS" | "SLEEPING" | "REMOVED") && d.can_rollback)
        .ok_or_else(|| {
            "no earlier deployment that Railway can still roll back to (Railway keeps old images for a limited time); give `to` a deployment id, or redeploy a known-good commit".to_string()
        })
}

/// Rolls one service back for `command: rollback`. The report reads like a deploy's: the new
/// serving deployment, the one it replaced, health, and a failure that says what to do.
pub async fn rollback_service(
    c: &RailwayClient,
    http: &reqwest::Client,
    cfg: &Config,
    plan: &Plan,
    sp: &ServicePlan,
    mut report: ServiceReport,
) -> ServiceReport {
    let name = sp.service.name.clone();
    let scope = RollbackScope {
        project_id: &plan.scope.project.id,
        environment_id: &plan.scope.environment.id,
        service_id: &sp.service.id,
        label: &name,
    };
    let serving = sp.serving.as_ref().map(|d| d.id.clone());
    let target = match &cfg.to {
        Some(to) => to.clone(),
        None => {
            let filter = DeploymentFilter {
                project_id: Some(plan.scope.project.id.clone()),
                environment_id: Some(plan.scope.environment.id.clone()),
                service_id: Some(sp.service.id.clone()),
                status: None,
            };
            let list = match api::deployments(c, &filter, 50).await {
                Ok(l) => l,
                Err(e) => {
                    report.state = ServiceState::FailedBeforeLive;
                    report.failure = Some(format!("could not list `{name}`'s deployments: {e}"));
                    return report;
                }
            };
            match previous_good(&list, serving.as_deref()) {
                Ok(d) => d.id.clone(),
                Err(why) => {
                    report.state = ServiceState::FailedBeforeLive;
                    report.failure = Some(why);
                    return report;
                }
            }
        }
    };
    let spec = match probe_spec(&cfg.health, &sp.instance, None, None) {
        Ok(s) => s,
        Err(e) => Err(e),
    };
    // The release we go back to is not this run's commit: body expectations are not applied.
    let spec = spec.map(|mut p| {
        p.expect_body = None;
        p
    });
    let deadline = Instant::now() + cfg.deploy_timeout;
    let result = roll_back(
        c,
        http,
        scope,
        &target,
        spec.as_ref().map_err(String::as_str),
        deadline,
        &cfg.timing,
    )
    .await;
    report.previous_deployment_id = serving;
    match result {
        RollbackResult::Done {
            deployment_id,
            health,
        } => {
            report.state = ServiceState::Deployed;
            report.final_status = Some("SUCCESS".into());
            report.dashboard_url = Some(plan.dashboard(&sp.service.id, &deployment_id));
            report.deployment_id = Some(deployment_id);
            report.health = Some(health);
        }
        RollbackResult::NotPossible(why) => {
            report.state = ServiceState::FailedBeforeLive;
            report.failure = Some(why);
        }
        RollbackResult::Failed {
            reason,
            deployment_id,
            health,
        } => {
            report.state = ServiceState::FailedLive;
            report.failure = Some(reason);
            report.deployment_id = deployment_id;
            report.health = health;
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(id: &str, status: &str, can: bool) -> Deployment {
        serde_json::from_value(
            serde_json::json!({ "id": id, "status": status, "canRollback": can }),
        )
        .unwrap()
    }

    #[test]
    fn picks_the_newest_restorable_success_before_the_serving_one() {
        let list = vec![
            d("failed-new", "FAILED", false),
            d("serving", "SUCCESS", true),
            d("crashed", "CRASHED", true),
            d("old-good", "REMOVED", true),
            d("older", "REMOVED", true),
        ];
        assert_eq!(
            previous_good(&list, Some("serving")).unwrap().id,
            "old-good"
        );
        let list = vec![
            d("serving", "SUCCESS", true),
            d("expired", "REMOVED", false),
        ];
        let e = previous_good(&list, Some("serving")).unwrap_err();
        assert!(e.contains("`to`"), "{e}");
    }
}
