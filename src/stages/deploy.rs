//! The deploy stage for one service: start the deployment, stream its build/deploy logs into the
//! service's log group while following it to a final state, and turn the result into the
//! service's report (with the stage timings, the failing step and the last log lines).

use std::time::{Duration, Instant};

use chrono::Utc;

use super::{ServiceTarget, dashboard, record_serving};
use crate::config::Source;
use crate::deploy::follow::{FollowOptions, Followed};
use crate::deploy::logs::{self, LogFollower, LogPrinter};
use crate::deploy::started::StartedDeployments;
use crate::deploy::{self, StartError, StartRequest};
use crate::railway::RailwayClient;
use crate::railway::api::Deployment;
use crate::railway::resolve::Scope;
use crate::railway::status::Phase;
use crate::record::{ServiceReport, ServiceState, Stage, StageOutcome, StageTiming};

/// What the deploy stage does for one service: set the image when it differs (`source: image`),
/// start a deployment of `source`, and follow it to a final state within `timeout`.
#[derive(Clone, Debug)]
pub struct DeployRequest {
    pub target: ServiceTarget,
    /// What to deploy (for `command: promote`, what passed in `from-environment`).
    pub source: Source,
    /// The commit to deploy (`source: commit`), also recorded on the deployment.
    pub commit_sha: Option<String>,
    /// `deploy-timeout`: how long the deployment may take to reach a final state.
    pub timeout: Duration,
    /// The image the service's `rollback-command` names.
    pub released_image: String,
}

impl DeployRequest {
    /// The image this deploy sets first, when `source: image` names another one than the
    /// service runs now (`deploy::start` sets it and deploys in the same call).
    pub fn image_change(&self) -> Option<&str> {
        match &self.source {
            Source::Image { reference } if self.target.current_image() != Some(reference) => {
                Some(reference)
            }
            _ => None,
        }
    }
}

pub struct ServiceOutcome {
    pub report: ServiceReport,
    pub stages: Vec<StageTiming>,
    /// The new deployment as last seen (when it was started).
    pub deployment: Option<Deployment>,
}

/// A copyable `docker run` of the released image `image` that puts `service` back on
/// `deployment_id`.
pub fn rollback_command(scope: &Scope, image: &str, service: &str, deployment_id: &str) -> String {
    crate::health::rollback_advice::RollbackAdvice {
        image,
        project_id: &scope.project.id,
        environment: &scope.environment.name,
        service,
        to: deployment_id,
    }
    .command()
}

/// The service's report before its deploy starts: what serves now, and how to get back to it.
pub fn initial_report(scope: &Scope, image: &str, sp: &ServiceTarget) -> ServiceReport {
    let mut r = ServiceReport::planned(&sp.service.id, &sp.service.name);
    r.url = sp.public_url();
    record_serving(scope, image, sp.serving.as_ref(), &mut r);
    r
}

/// Runs the deploy stage for one service (see [`DeployRequest`]) over its record `report`
/// (what serves it now: `previous_deployment_id`); never fails, the outcome says. The
/// deployment it starts is recorded in `started` as soon as its id is known.
pub async fn run(
    c: &RailwayClient,
    scope: &Scope,
    req: &DeployRequest,
    report: ServiceReport,
    archives: &crate::upload::source::ArchiveCache,
    printer: &LogPrinter,
    started_deployments: &StartedDeployments,
) -> ServiceOutcome {
    let sp = &req.target;
    let serving_id = report.previous_deployment_id.clone();
    let request = StartRequest {
        project_id: &scope.project.id,
        service_id: &sp.service.id,
        environment_id: &scope.environment.id,
        commit_sha: req.commit_sha.as_deref(),
        current_image: sp.current_image(),
        archives,
        label: &sp.service.name,
        serving_id: serving_id.as_deref(),
        timeout: req.timeout,
    };
    let start = deploy::start(c, &req.source, &request);
    run_with(c, scope, req, report, printer, started_deployments, start).await
}

/// [`run`] with the deployment started by `start` (which yields its id): the stage's timing,
/// log group, recording and following are the same whatever started it.
pub async fn run_with(
    c: &RailwayClient,
    scope: &Scope,
    req: &DeployRequest,
    mut report: ServiceReport,
    printer: &LogPrinter,
    started_deployments: &StartedDeployments,
    start: impl std::future::Future<Output = Result<String, StartError>>,
) -> ServiceOutcome {
    let sp = &req.target;
    let label = sp.service.name.as_str();
    let mut stages = Vec::new();
    let started_at = Utc::now();
    let started = Instant::now();
    // Everything this service prints goes into its own log group (see `logs::with_progress`).
    let started_deploy = logs::with_progress(printer.clone(), label.to_string(), start).await;
    let id = match started_deploy {
        Ok(id) => id,
        Err(e) => return not_started(e, report, label, started_at, started, printer),
    };
    // A cancelled run cancels what it started; a deployment Railway's own autodeploy made
    // (`source: railway`) is Railway's, and is left alone.
    if req.source != Source::Railway {
        started_deployments.record(c, &id, label);
    }
    report.deployment_id = Some(id.clone());
    report.dashboard_url = Some(dashboard(scope, &sp.service.id, &id));
    logs::with_progress(printer.clone(), label.to_string(), async {
        logs::progress(format!(
            "{label}: deployment {id} started: {}",
            dashboard(scope, &sp.service.id, &id)
        ));
    })
    .await;

    let deploying_since = std::sync::OnceLock::new();
    let opts = FollowOptions {
        label,
        deadline: started + req.timeout,
        progress_every: Duration::from_secs(15),
        deploying_since: Some(&deploying_since),
    };
    let (followed, log) = follow_with_logs(c, printer, &id, &opts, started_deployments).await;
    let deployment = judge(c, printer, label, &id, followed, &log.tail, &mut report).await;
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

/// Follows the deployment to a final state while its logs stream beside it (both subscriptions
/// on the run's one socket); however the logs end,
/// the verdict comes only from the deployment's status (recorded in `started` at once, so a
/// signal never cancels a deployment already live).
async fn follow_with_logs(
    c: &RailwayClient,
    printer: &LogPrinter,
    id: &str,
    opts: &FollowOptions<'_>,
    started: &StartedDeployments,
) -> (Followed, logs::LogOutcome) {
    let label = opts.label;
    let follower = LogFollower::start(
        c.hub().clone(),
        id.to_string(),
        label.to_string(),
        printer.clone(),
    );
    let followed = logs::with_progress(
        printer.clone(),
        label.to_string(),
        crate::deploy::watch::follow_deployment(c, id, opts),
    )
    .await;
    if let Followed::Final { status, .. } = &followed {
        started.seen(id, &status.phase());
    }
    // A live deployment's later lines are its app's; a failed one's last lines may explain it.
    let live = matches!(&followed, Followed::Final { status, .. } if status.phase() == Phase::Live);
    let log = follower.finish(!live).await;
    // The follower closes the group when its stream ends; progress lines after an early end
    // (websockets blocked) reopened it, so close it again (a no-op when nothing is open).
    printer.finish(label);
    (followed, log)
}

/// The outcome of a deploy that could not start.
fn not_started(
    e: StartError,
    mut report: ServiceReport,
    label: &str,
    started_at: chrono::DateTime<Utc>,
    started: Instant,
    printer: &LogPrinter,
) -> ServiceOutcome {
    report.state = ServiceState::FailedBeforeLive;
    report.failure = Some(match e {
        StartError::Upload(e) => format!("the upload failed: {e}"),
        StartError::Adopt(e) => e.to_string(),
        StartError::Railway(e) => format!(
            "could not start the deployment: {e}. If the request reached Railway a deployment may exist anyway: check the service's Deployments tab before re-running"
        ),
        e @ (StartError::Lost { .. } | StartError::Unseen { .. }) => format!(
            "{e}. Nothing was sent twice: check the service's Deployments tab in Railway before re-running"
        ),
    });
    let stages = vec![timing(
        Stage::Build,
        label,
        started_at,
        started.elapsed(),
        StageOutcome::Failed,
    )];
    printer.finish(label);
    ServiceOutcome {
        report,
        stages,
        deployment: None,
    }
}

/// Turns how the follow ended into the service's state and failure; the deployment as last seen
/// when it reached a final state.
async fn judge(
    c: &RailwayClient,
    printer: &LogPrinter,
    label: &str,
    id: &str,
    followed: Followed,
    tail: &[String],
    report: &mut ServiceReport,
) -> Option<Deployment> {
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
                    let reason = logs::fetch_failure_reason(c, id).await;
                    logs::report_failure(printer, label, tail);
                    report.log_tail = tail.to_vec();
                    report.failure = Some(format!(
                        "{}{serving}",
                        logs::failure_sentence(id, &status, reason.as_ref(), why)
                    ));
                }
                Phase::InProgress | Phase::AwaitingApproval => unreachable_phase(report, id),
            }
            Some(*d)
        }
        Followed::TimedOut { last, elapsed } => {
            logs::report_failure(printer, label, tail);
            report.log_tail = tail.to_vec();
            report.state = ServiceState::FailedBeforeLive;
            report.final_status = Some(last.as_str().to_string());
            report.failure = Some(format!(
                "deployment {id} was still {} after `deploy-timeout` ({}s); it was left running in Railway. Raise `deploy-timeout`, or check the deployment in the dashboard",
                last.as_str(),
                elapsed.as_secs()
            ));
            None
        }
        Followed::Error(e) => {
            report.state = ServiceState::FailedBeforeLive;
            report.failure = Some(format!(
                "lost track of deployment {id}: {e}. Check it in the dashboard"
            ));
            None
        }
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
