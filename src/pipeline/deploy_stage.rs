//! The deploy stage for one service: start the deployment, stream its build/deploy logs into the
//! service's log group while following it to a final state, and turn the result into the
//! service's report (with the stage timings, the failing step and the last log lines).

use std::time::{Duration, Instant};

use chrono::Utc;

use super::plan::{Plan, ServicePlan};
use crate::config::Config;
use crate::deploy::follow::{FollowOptions, Followed};
use crate::deploy::logs::{self, LogFollower, LogPrinter};
use crate::deploy::status::Phase;
use crate::deploy::{self, StartError, StartRequest};
use crate::railway::RailwayClient;
use crate::railway::api::Deployment;
use crate::report::{ServiceReport, ServiceState, Stage, StageOutcome, StageTiming};

pub struct ServiceOutcome {
    pub report: ServiceReport,
    pub stages: Vec<StageTiming>,
    /// The new deployment as last seen (when it was started).
    pub deployment: Option<Deployment>,
}

/// A copyable `docker run` of the released image that puts `service` back on `deployment_id`.
pub fn rollback_command(plan: &Plan, service: &str, deployment_id: &str) -> String {
    crate::health::rollback_advice::RollbackAdvice {
        image: &plan.released_image,
        project_id: &plan.scope.project.id,
        environment: &plan.scope.environment.name,
        service,
        to: deployment_id,
    }
    .command()
}

/// The service's report before its deploy starts: what serves now, and how to get back to it.
pub fn initial_report(plan: &Plan, sp: &ServicePlan) -> ServiceReport {
    let mut r = ServiceReport::planned(&sp.service.id, &sp.service.name);
    r.url = sp.public_url();
    if let Some(prev) = &sp.serving {
        r.previous_deployment_id = Some(prev.id.clone());
        r.previous_dashboard_url = Some(plan.dashboard(&sp.service.id, &prev.id));
        r.rollback_command = Some(rollback_command(plan, &sp.service.name, &prev.id));
    }
    r
}

pub async fn run(
    c: &RailwayClient,
    cfg: &Config,
    plan: &Plan,
    sp: &ServicePlan,
    label: &str,
    archives: &crate::upload::source::ArchiveCache,
    printer: &LogPrinter,
) -> ServiceOutcome {
    let mut report = initial_report(plan, sp);
    let mut stages = Vec::new();
    let started_at = Utc::now();
    let started = Instant::now();
    let request = StartRequest {
        project_id: &plan.scope.project.id,
        service_id: &sp.service.id,
        environment_id: &plan.scope.environment.id,
        commit_sha: cfg.sha.as_deref(),
        current_image: sp.instance.source.as_ref().and_then(|s| s.image.as_deref()),
        archives,
        label,
    };
    // Everything this service prints goes into its own log group (see `logs::with_progress`).
    let started_deploy = logs::with_progress(
        printer.clone(),
        label.to_string(),
        deploy::start(c, &cfg.source, &request),
    )
    .await;
    let id = match started_deploy {
        Ok(id) => id,
        Err(e) => {
            report.state = ServiceState::FailedBeforeLive;
            report.failure = Some(match e {
                StartError::Upload(e) => format!("the upload failed: {e}"),
                StartError::Railway(e) => format!(
                    "could not start the deployment: {e}. If the request reached Railway a deployment may exist anyway: check the service's Deployments tab before re-running"
                ),
            });
            stages.push(timing(
                Stage::Build,
                label,
                started_at,
                started.elapsed(),
                StageOutcome::Failed,
            ));
            printer.finish(label);
            return ServiceOutcome {
                report,
                stages,
                deployment: None,
            };
        }
    };
    report.deployment_id = Some(id.clone());
    report.dashboard_url = Some(plan.dashboard(&sp.service.id, &id));
    logs::with_progress(printer.clone(), label.to_string(), async {
        logs::progress(format!(
            "{label}: deployment {id} started: {}",
            plan.dashboard(&sp.service.id, &id)
        ));
    })
    .await;

    let deploying_since = std::sync::OnceLock::new();
    let opts = FollowOptions {
        label,
        deadline: started + cfg.deploy_timeout,
        progress_every: Duration::from_secs(15),
        deploying_since: Some(&deploying_since),
    };
    // Logs stream on their own socket while the status is followed; however they end, the
    // verdict below comes only from the deployment's status.
    let follower = LogFollower::start(
        c.api_url().clone(),
        c.token().clone(),
        id.clone(),
        label.to_string(),
        printer.clone(),
        *c.timing(),
    );
    let followed = logs::with_progress(
        printer.clone(),
        label.to_string(),
        crate::deploy::watch::follow_deployment(c, &id, &opts),
    )
    .await;
    let log = follower.finish().await;
    // The follower closes the group when its stream ends; progress lines after an early end
    // (websockets blocked) reopened it, so close it again (a no-op when nothing is open).
    printer.finish(label);
    let mut deployment = None;
    match followed {
        Followed::Final {
            status,
            deployment: d,
            ..
        } => {
            report.final_status = Some(status.as_str().to_string());
            if let Some(url) = d.static_url.as_deref().filter(|_| report.url.is_none()) {
                report.url = Some(format!("https://{url}"));
            }
            match status.phase() {
                Phase::Live => {
                    report.state = ServiceState::Deployed;
                }
                Phase::Failed(why) => {
                    report.state = ServiceState::FailedBeforeLive;
                    let serving = match &report.previous_deployment_id {
                        Some(prev) => format!("; the previous deployment {prev} is still serving"),
                        None => String::new(),
                    };
                    // One more request, only on failure: which step failed, and why.
                    let reason = logs::fetch_failure_reason(c, &id).await;
                    logs::report_failure(printer, label, &log.tail);
                    report.log_tail = log.tail.clone();
                    report.failure = Some(format!(
                        "{}{serving}",
                        logs::failure_sentence(&id, status.as_str(), reason.as_ref(), why)
                    ));
                }
                Phase::InProgress | Phase::AwaitingApproval => unreachable_phase(&mut report, &id),
            }
            deployment = Some(*d);
        }
        Followed::TimedOut { last, elapsed } => {
            logs::report_failure(printer, label, &log.tail);
            report.log_tail = log.tail.clone();
            report.state = ServiceState::FailedBeforeLive;
            report.final_status = Some(last.as_str().to_string());
            report.failure = Some(format!(
                "deployment {id} was still {} after `deploy-timeout` ({}s); it was left running in Railway. Raise `deploy-timeout`, or check the deployment in the dashboard",
                last.as_str(),
                elapsed.as_secs()
            ));
        }
        Followed::Error(e) => {
            report.state = ServiceState::FailedBeforeLive;
            report.failure = Some(format!(
                "lost track of deployment {id}: {e}. Check it in the dashboard"
            ));
        }
    }
    let outcome = if report.state == ServiceState::Deployed {
        StageOutcome::Passed
    } else {
        StageOutcome::Failed
    };
    stages.extend(build_and_deploy(
        label,
        started_at,
        started,
        deploying_since.get().copied(),
        outcome,
    ));
    ServiceOutcome {
        report,
        stages,
        deployment,
    }
}

/// The build stage (from the start until the deployment was first seen deploying) and the deploy
/// stage (from then to the verdict); a deployment that never got past its build is all build.
fn build_and_deploy(
    label: &str,
    started_at: chrono::DateTime<Utc>,
    started: Instant,
    deploying_since: Option<Instant>,
    outcome: StageOutcome,
) -> Vec<StageTiming> {
    match deploying_since {
        None => vec![timing(
            Stage::Build,
            label,
            started_at,
            started.elapsed(),
            outcome,
        )],
        Some(at) => {
            let build = at.saturating_duration_since(started);
            let deploy_started_at =
                started_at + chrono::Duration::from_std(build).unwrap_or_default();
            vec![
                timing(Stage::Build, label, started_at, build, StageOutcome::Passed),
                timing(
                    Stage::Deploy,
                    label,
                    deploy_started_at,
                    at.elapsed(),
                    outcome,
                ),
            ]
        }
    }
}

/// `follow::poll` only returns final phases; should that ever change, fail closed.
fn unreachable_phase(report: &mut ServiceReport, id: &str) {
    report.state = ServiceState::FailedBeforeLive;
    report.failure = Some(format!(
        "deployment {id} ended in a state that is not final; treating it as a failure"
    ));
}

pub fn timing(
    stage: Stage,
    service: &str,
    started_at: chrono::DateTime<Utc>,
    duration: Duration,
    outcome: StageOutcome,
) -> StageTiming {
    StageTiming {
        stage,
        service: Some(service.to_string()),
        started_at,
        duration,
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_and_deploy_are_timed_apart() {
        let now = Utc::now();
        let started = Instant::now() - Duration::from_secs(10);
        let at = started + Duration::from_secs(6);
        let stages = build_and_deploy("web", now, started, Some(at), StageOutcome::Failed);
        assert_eq!(
            stages
                .iter()
                .map(|s| (s.stage, s.outcome))
                .collect::<Vec<_>>(),
            vec![
                (Stage::Build, StageOutcome::Passed),
                (Stage::Deploy, StageOutcome::Failed)
            ]
        );
        assert_eq!(stages[0].duration, Duration::from_secs(6));
        assert_eq!(stages[1].started_at, now + chrono::Duration::seconds(6));
        let only_build = build_and_deploy("web", now, started, None, StageOutcome::Failed);
        assert_eq!(
            only_build
                .iter()
                .map(|s| (s.stage, s.outcome))
                .collect::<Vec<_>>(),
            vec![(Stage::Build, StageOutcome::Failed)]
        );
    }
}
