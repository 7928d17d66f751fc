//! Owns `command: rollback`: which deployment each service goes back to (`to`, checked at
//! resolution to exist and to be the service's, or the latest successful deployment before the
//! serving one, found at resolution too), then the same rollback, follow and health check as an
//! automatic rollback.

use std::time::{Duration, Instant};

use futures_util::future::join_all;

use super::context::Context;
use super::{ServiceTarget, dashboard, record_of};
use crate::health::check::Probe;
use crate::health::rollback::{RollbackResult, RollbackScope, roll_back};
use crate::railway::RailwayClient;
use crate::railway::RailwayError;
use crate::railway::api::{self, Deployment, DeploymentFilter};
use crate::railway::resolve::{ResolveError, Scope};
use crate::railway::status::DeploymentStatus;
use crate::record::{RunReport, ServiceReport, ServiceState, Stop};

/// `command: rollback` for one service.
#[derive(Clone, Debug)]
pub struct RollbackRequest {
    pub target: ServiceTarget,
    /// `to`: the deployment to go back to; else `previous`.
    pub to: Option<String>,
    /// Without `to`: the latest good deployment before the serving one, found at resolution
    /// ([`find_previous`]).
    pub previous: Option<String>,
    /// The check after the rollback (no body expectation: the release we go back to is not this
    /// run's commit).
    pub probe: Probe,
    /// `deploy-timeout`.
    pub timeout: Duration,
}

impl RollbackRequest {
    /// The change, as a sentence (`environment`: where).
    pub fn describe(&self, environment: &str) -> String {
        let name = &self.target.service.name;
        let to = match (&self.to, &self.previous) {
            (Some(id), _) => format!("deployment {id}"),
            (None, Some(id)) => format!("its previous successful deployment ({id})"),
            (None, None) => "its previous successful deployment".to_string(),
        };
        format!("roll `{name}` in `{environment}` back to {to}")
    }
}

/// The deployment to go back to when `to` is empty (pure): the newest deployment older than the
/// serving one that went live and can still be restored. Railway marks a replaced deployment
/// REMOVED (its docs, deployments reference: older deploys are "eventually removed"), so REMOVED
/// counts along with SUCCESS and SLEEPING; `canRollback` filters out the ones whose image Railway
/// no longer keeps. `deployments` is taken as newest first, the order they are read in (not
/// documented by Railway; its CLI sorts by `createdAt` itself).
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
        .find(|d| {
            matches!(
                d.status,
                DeploymentStatus::Success | DeploymentStatus::Sleeping | DeploymentStatus::Removed
            ) && d.can_rollback
        })
        .ok_or_else(|| {
            "no earlier deployment that Railway can still roll back to (Railway keeps old images for a limited time); give `to` a deployment id, or redeploy a known-good commit".to_string()
        })
}

/// Checks `to` before anything changes: a deployment Railway knows, of this service, in this
/// environment. Err is invalid input whose message lists the service's recent deployment ids.
pub async fn check_to(
    c: &RailwayClient,
    scope: &Scope,
    target: &ServiceTarget,
    to: &str,
) -> Result<(), ResolveError> {
    let name = &target.service.name;
    let problem = match api::deployment(c, to).await {
        // The project was read with this token just before, so an error on this one read means
        // Railway has no such deployment that this token can see.
        Err(e) if e.is_not_found() => format!("there is no deployment `{to}`"),
        Err(RailwayError::Unauthorized { .. }) => {
            format!("there is no deployment `{to}` in this project (Railway refused to show it)")
        }
        Err(RailwayError::GraphQl { messages, .. }) => format!(
            "there is no deployment `{to}` (Railway answered: {})",
            messages.join("; ")
        ),
        Err(e) => return Err(e.into()),
        Ok(d)
            if d.service_id
                .as_deref()
                .is_some_and(|s| s != target.service.id) =>
        {
            let owner = d.service_id.as_deref().unwrap_or_default();
            let owner = scope
                .project
                .services
                .iter()
                .find(|s| s.id == owner)
                .map_or_else(
                    || format!("another service ({owner})"),
                    |s| format!("service `{}`", s.name),
                );
            format!("deployment `{to}` belongs to {owner}, not `{name}`")
        }
        Ok(d)
            if d.environment_id
                .as_deref()
                .is_some_and(|e| e != scope.environment.id) =>
        {
            format!(
                "deployment `{to}` is in another environment, not `{}`",
                scope.environment.name
            )
        }
        Ok(_) => return Ok(()),
    };
    let recent = recent_ids(c, scope, target).await;
    Err(ResolveError::Input(format!(
        "input `to`: {problem}; give one of `{name}`'s deployment ids in `{}` ({recent}), or leave `to` empty to go back to the previous successful deployment",
        scope.environment.name
    )))
}

/// `name`'s newest deployment ids with their status, for a message (or where to find them).
async fn recent_ids(c: &RailwayClient, scope: &Scope, target: &ServiceTarget) -> String {
    let filter = DeploymentFilter {
        project_id: Some(scope.project.id.clone()),
        environment_id: Some(scope.environment.id.clone()),
        service_id: Some(target.service.id.clone()),
        status: None,
    };
    match api::deployments(c, &filter, 5).await {
        Ok(list) if !list.is_empty() => {
            let ids: Vec<String> = list
                .iter()
                .map(|d| format!("{} {}", d.id, d.status.as_str()))
                .collect();
            format!("newest first: {}", ids.join(", "))
        }
        Ok(_) => "it has none yet".to_string(),
        Err(_) => "see the service's Deployments tab in the Railway dashboard".to_string(),
    }
}

/// `command: rollback` without `to`: the deployment `target` goes back to, read before anything
/// changes. A service with no earlier deployment Railway can restore is invalid input (nothing
/// to go back to), whose message names the service, lists its newest deployments and says what
/// to do.
pub async fn find_previous(
    c: &RailwayClient,
    scope: &Scope,
    target: &ServiceTarget,
) -> Result<String, ResolveError> {
    let filter = DeploymentFilter {
        project_id: Some(scope.project.id.clone()),
        environment_id: Some(scope.environment.id.clone()),
        service_id: Some(target.service.id.clone()),
        status: None,
    };
    let list = api::deployments(c, &filter, 50).await?;
    let serving = target.serving.as_ref().map(|d| d.id.as_str());
    previous_good(&list, serving)
        .map(|d| d.id.clone())
        .map_err(|why| {
            let name = &target.service.name;
            let recent: Vec<String> = list
                .iter()
                .take(5)
                .map(|d| format!("{} {}", d.id, d.status.as_str()))
                .collect();
            let recent = if recent.is_empty() {
                "it has none yet".to_string()
            } else {
                format!("newest first: {}", recent.join(", "))
            };
            ResolveError::Input(format!(
                "`command: rollback`: service `{name}` in `{}` has nothing to go back to ({recent}): {why}",
                scope.environment.name
            ))
        })
}

/// The deployment `req` goes back to: `to`, else the one resolution found. Err is the service's
/// failure.
fn target_deployment(req: &RollbackRequest) -> Result<String, String> {
    req.to.clone().or_else(|| req.previous.clone()).ok_or_else(|| {
        format!(
            "no deployment of `{}` to go back to was found before the rollback; give `to` a deployment id",
            req.target.service.name
        )
    })
}

/// Runs `command: rollback`'s step: every service put back at once, each over its record (by
/// service id).
pub async fn run(
    cx: &Context<'_>,
    reqs: &[RollbackRequest],
    report: &mut RunReport,
) -> Result<(), Stop> {
    let scope = cx.scope()?;
    let mut work = Vec::new();
    for req in reqs {
        let record = record_of(report, scope, &cx.released_image, &req.target).clone();
        work.push(rollback_service(cx, scope, req, record));
    }
    for done in join_all(work).await {
        let at = report
            .services
            .iter_mut()
            .find(|s| s.service_id == done.service_id);
        if let Some(record) = at {
            *record = done;
        }
    }
    Ok(())
}

/// Rolls one service back for `command: rollback`. The report reads like a deploy's: the new
/// serving deployment, the one it replaced, health, and a failure that says what to do.
async fn rollback_service(
    cx: &Context<'_>,
    scope: &Scope,
    req: &RollbackRequest,
    mut report: ServiceReport,
) -> ServiceReport {
    let (c, http, timing) = (&cx.client, &cx.http, &cx.timing);
    let sp = &req.target;
    let target = match target_deployment(req) {
        Ok(t) => t,
        Err(why) => {
            report.state = ServiceState::FailedBeforeLive;
            report.failure = Some(why);
            return report;
        }
    };
    let rollback_scope = RollbackScope {
        project_id: &scope.project.id,
        environment_id: &scope.environment.id,
        service_id: &sp.service.id,
        label: &sp.service.name,
    };
    let deadline = Instant::now() + req.timeout;
    let result = roll_back(
        c,
        http,
        rollback_scope,
        &target,
        req.probe.as_result(),
        deadline,
        timing,
    )
    .await;
    report.previous_deployment_id = sp.serving.as_ref().map(|d| d.id.clone());
    match result {
        RollbackResult::Done {
            deployment_id,
            health,
        } => {
            report.state = ServiceState::Deployed;
            report.final_status = Some(DeploymentStatus::Success.to_string());
            report.dashboard_url = Some(dashboard(scope, &sp.service.id, &deployment_id));
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
