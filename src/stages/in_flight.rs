//! Owns waiting for deployments in flight: before a service is deployed, a deployment of it in
//! the same environment that is not final (and that this run did not start) is followed until it
//! ends, within `deploy-timeout`; then the serving deployment is read again, so the deploy, its
//! report and its rollback start from what really serves. One waiting for approval in Railway is
//! not waited for (a notice says so): only a person can move it on.

use std::time::Duration;

use tokio::time::Instant;

use futures_util::future::join_all;

use super::ServiceTarget;
use super::context::Context;
use super::{record_of, record_serving};
use crate::railway::RailwayClient;
use crate::railway::api::{self, Deployment, DeploymentFilter, StatusFilter};
use crate::railway::resolve::Scope;
use crate::railway::status::{DeploymentStatus, Phase};
use crate::record::{RunReport, ServiceState, Stop};
use crate::timing::{Backoff, Timing};
use crate::wait::{self, Waited, Waiter};
use crate::workflow;

/// How many of a service's newest live or unfinished deployments resolution reads (one request):
/// the serving one and those in flight. Railway keeps one live deployment per service and
/// environment (its docs, deployments reference: when a new one is triggered, older ones are
/// eventually removed), so this leaves room for several in flight.
pub const CURRENT_DEPLOYMENTS: u32 = 10;

/// A service's deployments that matter before a deploy, as resolution read them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Current {
    /// The newest deployment that went live.
    pub serving: Option<Deployment>,
    /// Deployments not final yet (newest first), including those awaiting approval.
    pub in_flight: Vec<Deployment>,
}

/// Statuses of a deployment still on its way, or waiting for approval.
fn unfinished() -> Vec<DeploymentStatus> {
    use DeploymentStatus::*;
    vec![
        Queued,
        Initializing,
        Waiting,
        Building,
        Deploying,
        NeedsApproval,
    ]
}

/// Sorts a newest-first list of a service's deployments into the serving one and those in
/// flight (pure). A deployment in flight older than the serving one still counts: it may yet go
/// live over the serving one.
pub fn sort_current(deployments: Vec<Deployment>) -> Current {
    let mut current = Current::default();
    for d in deployments {
        match d.status.phase() {
            Phase::Live if current.serving.is_none() => current.serving = Some(d),
            Phase::InProgress | Phase::AwaitingApproval => current.in_flight.push(d),
            Phase::Live | Phase::Failed(_) => {}
        }
    }
    current
}

/// Reads, in one request, the deployment serving `service_id` and the ones in flight.
pub async fn read_current(
    c: &RailwayClient,
    scope: &Scope,
    service_id: &str,
) -> Result<Current, crate::railway::RailwayError> {
    let mut any_of = vec![DeploymentStatus::Success, DeploymentStatus::Sleeping];
    any_of.extend(unfinished());
    let filter = DeploymentFilter {
        project_id: Some(scope.project.id.clone()),
        environment_id: Some(scope.environment.id.clone()),
        service_id: Some(service_id.to_string()),
        status: Some(StatusFilter { any_of }),
    };
    Ok(sort_current(
        api::deployments(c, &filter, CURRENT_DEPLOYMENTS).await?,
    ))
}

/// Wait for one service's deployments in flight before deploying it.
#[derive(Clone, Debug)]
pub struct InFlightRequest {
    pub target: ServiceTarget,
    /// `deploy-timeout`: how long all of this service's deployments in flight may take.
    pub timeout: Duration,
}

/// How the wait ended for one service.
#[derive(Clone, Debug, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "one per service per run, moved once: boxing would buy nothing"
)]
pub enum Settled {
    /// Nothing is in flight any more (or only deployments awaiting approval): deploy over
    /// `serving`, read again.
    Ready { serving: Option<Deployment> },
    /// A deployment in flight did not end in time, or could not be read: the service is not
    /// deployed, and the reason says why.
    Blocked(String),
}

/// Who or what started a deployment, when Railway says (its `meta`): for the progress line.
pub fn started_by(d: &Deployment) -> String {
    let mut parts = Vec::new();
    if let Some(reason) = d.meta_str("reason") {
        parts.push(reason.to_string());
    }
    if let Some(sha) = d.meta_str("commitHash") {
        parts.push(format!("commit {}", sha.get(..7).unwrap_or(sha)));
    }
    if let Some(author) = d.meta_str("commitAuthor") {
        parts.push(format!("by {author}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// The sentence that names a deployment in flight.
fn named(d: &Deployment, label: &str, environment: &str) -> String {
    format!(
        "deployment {}{} of `{label}` in `{environment}`",
        d.id,
        started_by(d)
    )
}

/// Waits for every deployment of the service in flight, then reads what serves again.
pub async fn settle(
    c: &RailwayClient,
    scope: &Scope,
    req: &InFlightRequest,
    timing: &Timing,
) -> Settled {
    let label = req.target.service.name.as_str();
    let environment = scope.environment.name.as_str();
    let deadline = Instant::now() + req.timeout;
    let mut waited = false;
    for d in &req.target.in_flight {
        let name = named(d, label, environment);
        if d.status == DeploymentStatus::NeedsApproval {
            workflow::notice(format!(
                "{name} is waiting for approval in Railway; not waiting for it"
            ));
            continue;
        }
        waited = true;
        workflow::info(format!(
            "{label}: waiting for {name} ({}), already in flight, to finish before deploying",
            d.status
        ));
        if let Err(why) = await_end(c, d, &name, deadline, timing).await {
            return Settled::Blocked(why);
        }
    }
    if !waited {
        return Settled::Ready {
            serving: req.target.serving.clone(),
        };
    }
    match read_current(c, scope, &req.target.service.id).await {
        Ok(current) => Settled::Ready {
            serving: current.serving,
        },
        Err(e) => Settled::Blocked(format!(
            "could not read the serving deployment again after waiting: {e}; nothing was deployed"
        )),
    }
}

/// Runs the step that waits for the deployments in flight of every service at once, and
/// records what each wait found in the service's record (by id): what serves it now, read
/// again, or, when the wait did not end, the service failed before going live (the deploy
/// step then leaves it alone).
pub async fn run(
    cx: &Context<'_>,
    reqs: &[InFlightRequest],
    report: &mut RunReport,
) -> Result<(), Stop> {
    let scope = cx.scope()?;
    let work = reqs.iter().map(|req| async move {
        let settled = settle(&cx.client, scope, req, &cx.timing).await;
        (req, settled)
    });
    for (req, settled) in join_all(work).await {
        let record = record_of(report, scope, &cx.released_image, &req.target);
        match settled {
            Settled::Ready { serving } => {
                record_serving(scope, &cx.released_image, serving.as_ref(), record)
            }
            Settled::Blocked(why) => {
                record.state = ServiceState::FailedBeforeLive;
                record.failure = Some(why);
            }
        }
    }
    Ok(())
}

/// Polls one deployment until it is no longer on its way (final, or awaiting approval).
async fn await_end(
    c: &RailwayClient,
    d: &Deployment,
    name: &str,
    deadline: Instant,
    timing: &Timing,
) -> Result<(), String> {
    let mut waiter = Waiter::until(deadline, *timing);
    let mut backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(10));
    let ended = wait::poll(
        &mut waiter,
        |_| backoff.next_delay(),
        |status: &DeploymentStatus, _| {
            workflow::info(format!("still waiting for {name}: {status}"))
        },
        || async {
            match api::deployment(c, &d.id).await {
                Ok(now) if now.status.phase() == Phase::InProgress => {
                    wait::Step::Pending(now.status)
                }
                Ok(now) => wait::Step::Done(Ok(now.status)),
                Err(e) => wait::Step::Done(Err(e.to_string())),
            }
        },
    )
    .await;
    match ended {
        Waited::Done(Ok(status)) => {
            workflow::info(format!("{name} ended: {status}"));
            Ok(())
        }
        Waited::Done(Err(e)) => Err(format!(
            "could not follow {name}, which was in flight: {e}; nothing was deployed"
        )),
        Waited::StillRunning(status) => Err(format!(
            "{name} was still {status} after `deploy-timeout`; nothing was deployed so as not to race it. Wait for it to finish (or cancel it in Railway) and re-run"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dep(id: &str, status: &str) -> Deployment {
        serde_json::from_value(json!({"id": id, "status": status})).unwrap()
    }

    #[test]
    fn the_newest_live_deployment_serves_and_unfinished_ones_are_in_flight() {
        let current = sort_current(vec![
            dep("d5", "BUILDING"),
            dep("d4", "NEEDS_APPROVAL"),
            dep("d3", "SUCCESS"),
            dep("d2", "QUEUED"),
            dep("d1", "SLEEPING"),
        ]);
        assert_eq!(current.serving.map(|d| d.id), Some("d3".to_string()));
        let ids: Vec<_> = current.in_flight.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, vec!["d5", "d4", "d2"]);
        let none = sort_current(vec![dep("d1", "FAILED")]);
        assert_eq!(none, Current::default());
    }

    #[test]
    fn the_progress_line_says_who_started_it_when_railway_says() {
        let mut d = dep("d1", "BUILDING");
        assert_eq!(started_by(&d), "");
        d.meta =
            Some(json!({"reason": "deploy", "commitHash": "0123456789", "commitAuthor": "ada"}));
        assert_eq!(started_by(&d), " (deploy, commit 0123456, by ada)");
        assert_eq!(
            named(&d, "web", "staging"),
            "deployment d1 (deploy, commit 0123456, by ada) of `web` in `staging`"
        );
    }
}
