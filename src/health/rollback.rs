//! Owns rolling a service back to an earlier deployment: `deploymentRollback` (only when Railway
//! says `canRollback`), following the deployment that results to SUCCESS, and health-checking it.
//!
//! Decision (Railway's docs say a rollback "restores the Docker image and custom variables" but
//! not whether it creates a new deployment): after the mutation we wait for a deployment newer
//! than the one that was newest before it and follow that; if none appears, we follow the target
//! itself (an in-place reactivation). Either way the verdict is the followed deployment's status.
//! When the mutation's answer was lost, the same read-back decides; with no new deployment the
//! rollback failed (the mutation is never sent twice).

use std::time::{Duration, Instant};

use crate::deploy::follow::{self, FollowOptions, Followed};
use crate::health::check::verify_live;
use crate::health::probe::ProbeSpec;
use crate::railway::RailwayClient;
use crate::railway::api::{self, DeploymentFilter};
use crate::railway::rollback as ops;
use crate::railway::status::Phase;
use crate::record::HealthReport;
use crate::timing::{Backoff, Timing};
use crate::wait::{self, Step, Waited, Waiter};
use crate::workflow;

/// Where a rollback happens.
#[derive(Clone, Copy, Debug)]
pub struct RollbackScope<'a> {
    pub project_id: &'a str,
    pub environment_id: &'a str,
    pub service_id: &'a str,
    /// The service's name, for progress lines.
    pub label: &'a str,
}

#[derive(Clone, Debug)]
pub enum RollbackResult {
    /// Live again on the earlier release (and healthy, when a check ran).
    Done {
        /// The deployment now serving (the rollback's own deployment, or the target).
        deployment_id: String,
        health: HealthReport,
    },
    /// Railway will not roll back to it; nothing was changed. Says why and what to do.
    NotPossible(String),
    /// The rollback was started but did not end live and healthy.
    Failed {
        reason: String,
        deployment_id: Option<String>,
        health: Option<HealthReport>,
    },
}

/// Rolls back to `target_id`, follows it until `deadline` and health-checks it with `spec`.
pub async fn roll_back(
    c: &RailwayClient,
    http: &reqwest::Client,
    scope: RollbackScope<'_>,
    target_id: &str,
    spec: Result<&ProbeSpec, &str>,
    deadline: Instant,
    timing: &Timing,
) -> RollbackResult {
    let label = scope.label;
    if let Err(not_possible) = check_target(c, scope, target_id).await {
        return not_possible;
    }
    let followed_id = match start(c, scope, target_id, timing).await {
        Ok(id) => id,
        Err(failed) => return failed,
    };
    let opts = FollowOptions {
        label,
        deadline,
        progress_every: Duration::from_secs(15),
        deploying_since: None,
    };
    match follow::poll(c, &followed_id, &opts).await {
        Followed::Final { status, .. } => match status.phase() {
            Phase::Live => {}
            Phase::Failed(why) => {
                return RollbackResult::Failed {
                    reason: format!(
                        "the rollback deployment {followed_id} ended {}: {why}",
                        status.as_str()
                    ),
                    deployment_id: Some(followed_id),
                    health: None,
                };
            }
            Phase::InProgress | Phase::AwaitingApproval => {
                return RollbackResult::Failed {
                    reason: format!(
                        "the rollback deployment {followed_id} ended in a non-final state"
                    ),
                    deployment_id: Some(followed_id),
                    health: None,
                };
            }
        },
        Followed::TimedOut { last, .. } => {
            return RollbackResult::Failed {
                reason: format!(
                    "the rollback deployment {followed_id} was still {} at `deploy-timeout`; check it in the dashboard",
                    last.as_str()
                ),
                deployment_id: Some(followed_id),
                health: None,
            };
        }
        Followed::Error(e) => {
            return RollbackResult::Failed {
                reason: format!("lost track of the rollback deployment {followed_id}: {e}"),
                deployment_id: Some(followed_id),
                health: None,
            };
        }
    }
    let (health, problem) = verify_live(c, http, spec, &followed_id, label, timing).await;
    match problem {
        Some(why) => RollbackResult::Failed {
            reason: format!("the rolled-back release failed too: {why}"),
            deployment_id: Some(followed_id),
            health: Some(health),
        },
        None => RollbackResult::Done {
            deployment_id: followed_id,
            health,
        },
    }
}

/// Refuses a target Railway cannot roll back to, or one of another service (nothing changed).
async fn check_target(
    c: &RailwayClient,
    scope: RollbackScope<'_>,
    target_id: &str,
) -> Result<(), RollbackResult> {
    let label = scope.label;
    let target = match api::deployment(c, target_id).await {
        Ok(d) => d,
        Err(e) => {
            return Err(RollbackResult::NotPossible(format!(
                "could not read deployment {target_id} to roll back to: {e}"
            )));
        }
    };
    if target
        .service_id
        .as_deref()
        .is_some_and(|s| s != scope.service_id)
    {
        return Err(RollbackResult::NotPossible(format!(
            "deployment {target_id} belongs to another service, not `{label}`; give one of `{label}`'s deployment ids"
        )));
    }
    if !target.can_rollback {
        return Err(RollbackResult::NotPossible(format!(
            "Railway does not allow rolling back to deployment {target_id} (canRollback is false; Railway keeps old deployments' images only for a limited time, depending on the plan). Redeploy a known-good commit or image instead"
        )));
    }
    Ok(())
}

/// Sends `deploymentRollback` once and returns the deployment to follow: the one it created, else
/// the target itself. A lost answer is read back the same way; with nothing new it is a failure.
async fn start(
    c: &RailwayClient,
    scope: RollbackScope<'_>,
    target_id: &str,
    timing: &Timing,
) -> Result<String, RollbackResult> {
    let before = newest(c, scope).await;
    workflow::info(format!(
        "{}: rolling back to deployment {target_id}",
        scope.label
    ));
    let failed = |reason: String| RollbackResult::Failed {
        reason,
        deployment_id: None,
        health: None,
    };
    // A lost answer may still have rolled back: read back what happened, never send it twice.
    let lost = match ops::deployment_rollback(c, target_id).await {
        Ok(()) => None,
        Err(e) if e.answer_lost() => Some(e),
        Err(e) => {
            return Err(failed(format!(
                "Railway refused the rollback to {target_id}: {e}"
            )));
        }
    };
    let created = rollback_deployment(c, scope, before.as_deref(), timing).await;
    match (created, lost) {
        (Some(id), _) => Ok(id),
        (None, None) => Ok(target_id.to_string()),
        (None, Some(e)) => Err(failed(format!(
            "the answer to the rollback to {target_id} was lost ({e}) and no rollback deployment appeared in Railway; nothing was sent twice: check the service's Deployments tab"
        ))),
    }
}

/// The newest deployment of the service (any status), if it can be read.
async fn newest(c: &RailwayClient, scope: RollbackScope<'_>) -> Option<String> {
    let filter = DeploymentFilter {
        project_id: Some(scope.project_id.to_string()),
        environment_id: Some(scope.environment_id.to_string()),
        service_id: Some(scope.service_id.to_string()),
        status: None,
    };
    api::deployments(c, &filter, 1)
        .await
        .ok()?
        .into_iter()
        .next()
        .map(|d| d.id)
}

/// Waits (about 30 s, scaled) for the deployment the rollback created, if one appears.
async fn rollback_deployment(
    c: &RailwayClient,
    scope: RollbackScope<'_>,
    before: Option<&str>,
    timing: &Timing,
) -> Option<String> {
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(5));
    let mut waiter = Waiter::rounds(10, *timing);
    let found = wait::poll(
        &mut waiter,
        |_| backoff.next_delay(),
        |_, _| {},
        move || async move {
            match newest(c, scope).await {
                Some(id) if Some(id.as_str()) != before => Step::Done(id),
                _ => Step::Pending(()),
            }
        },
    )
    .await;
    match found {
        Waited::Done(id) => Some(id),
        Waited::StillRunning(()) => None,
    }
}
