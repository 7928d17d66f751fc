//! Owns following one deployment's status over Railway's `deployment(id)` subscription, on the
//! run's shared socket (`railway::socket::Hub`, one HTTP request for the whole run) instead of a
//! poll every few seconds (the logs' two subscriptions ride beside it, `deploy::logs`). It never
//! decides the verdict itself: each status string goes to the caller, and `is_final` (the
//! pipeline's `DeploymentStatus` mapping) says when to stop. When the socket cannot open, fails,
//! or closes before a final status, it hands back the last status seen so the caller continues
//! with polling: [`follow_deployment`] is the pipeline's entry point (subscription, then
//! `follow::poll`), [`follow`] the same wiring over any poller.

use std::future::Future;

use serde_json::json;
use tokio::time::Instant;

use std::time::Duration;

use super::follow::{self, FollowOptions, Followed, Polled, Poller};
use crate::railway::RailwayClient;
use crate::railway::api::Deployment;
use crate::railway::socket::Hub;
use crate::railway::status::{DeploymentStatus, Phase, in_subscription_event};
use crate::railway::subscription::{Event, messages};
use crate::workflow;

pub use crate::railway::ops::DEPLOYMENT_STATUS_SUBSCRIPTION;

/// How watching ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WatchEnd {
    /// The subscription delivered a status `is_final` accepted.
    Final { status: DeploymentStatus },
    /// The socket failed or closed before a final status: poll from here.
    Fallback {
        last_status: Option<DeploymentStatus>,
        reason: String,
    },
    /// `deadline` passed first.
    Deadline {
        last_status: Option<DeploymentStatus>,
    },
}

pub struct WatchRequest<'a> {
    /// The run's shared socket (the status subscription rides beside the logs').
    pub hub: &'a Hub,
    pub deployment_id: &'a str,
    /// `deploy-timeout` from the start of the deploy (never scaled).
    pub deadline: Instant,
}

/// Follows the deployment over the subscription. `on_status` sees every new status (for progress
/// lines and the NEEDS_APPROVAL notice); `is_final` decides when the watch ends.
pub async fn watch_status(
    req: WatchRequest<'_>,
    is_final: impl Fn(&DeploymentStatus) -> bool,
    on_status: impl FnMut(&DeploymentStatus),
) -> WatchEnd {
    watch(req, is_final, on_status).await.0
}

/// The deployment as the final event carried it, when the event held every field a
/// `deployment(id)` read selects (`createdAt` is never null in Railway's schema, so its presence
/// says the fragment was served): then no read is needed.
fn deployment_in(payload: &serde_json::Value) -> Option<Deployment> {
    let d = payload.pointer("/data/deployment")?;
    d.get("createdAt")?.as_str()?;
    serde_json::from_value(d.clone()).ok()
}

/// [`watch_status`], also answering the final event's deployment (see [`deployment_in`]).
/// Dropping the feed (on every return) ends the subscription; the socket stays for the others.
async fn watch(
    req: WatchRequest<'_>,
    is_final: impl Fn(&DeploymentStatus) -> bool,
    mut on_status: impl FnMut(&DeploymentStatus),
) -> (WatchEnd, Option<Deployment>) {
    let fallback = |last: Option<DeploymentStatus>, reason: String| {
        let end = WatchEnd::Fallback {
            last_status: last,
            reason,
        };
        (end, None)
    };
    let deadline = |last| (WatchEnd::Deadline { last_status: last }, None);
    let mut last: Option<DeploymentStatus> = None;
    let vars = json!({"id": req.deployment_id});
    let subscribe = req.hub.subscribe(DEPLOYMENT_STATUS_SUBSCRIPTION, vars);
    let mut feed = match tokio::time::timeout_at(req.deadline, subscribe).await {
        Err(_) => return deadline(None),
        Ok(Err(e)) => return fallback(None, e.to_string()),
        Ok(Ok(feed)) => feed,
    };
    loop {
        let event = tokio::select! {
            e = feed.next() => e,
            _ = tokio::time::sleep_until(req.deadline) => return deadline(last),
        };
        let payload = match event {
            Ok(Some(Event::Next { payload, .. })) => payload,
            Ok(Some(Event::Error { errors, .. })) => {
                return fallback(last, format!("subscription refused: {}", messages(&errors)));
            }
            Ok(Some(Event::Complete { .. })) => {
                return fallback(last, "the subscription ended before a final status".into());
            }
            Ok(None) => return fallback(last, "the socket closed before a final status".into()),
            Err(e) => return fallback(last, e.to_string()),
        };
        if let Some(errors) = payload.get("errors").filter(|e| !e.is_null()) {
            return fallback(last, format!("subscription error: {}", messages(errors)));
        }
        let Some(status) = in_subscription_event(&payload) else {
            continue;
        };
        if last.as_ref() != Some(&status) {
            on_status(&status);
            last = Some(status.clone());
        }
        if is_final(&status) {
            return (WatchEnd::Final { status }, deployment_in(&payload));
        }
    }
}

/// Subscription first, polling after: `poll(last_status)` runs only when the socket failed or
/// closed early, and its answer is the verdict. The status always comes from Railway's
/// deployment status, never from a log stream ending.
pub async fn follow<E, Fut>(
    req: WatchRequest<'_>,
    is_final: impl Fn(&DeploymentStatus) -> bool,
    on_status: impl FnMut(&DeploymentStatus),
    on_fallback: impl FnOnce(&str),
    poll: impl FnOnce(Option<DeploymentStatus>) -> Fut,
) -> Result<WatchEnd, E>
where
    Fut: Future<Output = Result<WatchEnd, E>>,
{
    match watch_status(req, is_final, on_status).await {
        WatchEnd::Fallback {
            last_status,
            reason,
        } => {
            on_fallback(&reason);
            poll(last_status).await
        }
        other => Ok(other),
    }
}

/// Tries of the status socket after the first one failed (each one HTTP request).
const SOCKET_RETRIES: u32 = 2;
/// Polling time before the first retry of the socket (scaled); it doubles for the next.
const SOCKET_RETRY_AFTER: Duration = Duration::from_secs(20);

/// The pipeline's follow step: the subscription first (status changes printed as they happen,
/// the NEEDS_APPROVAL notice once); its final event carries the deployment's details, so no read
/// follows it (unless the event lacked them). When the socket fails or closes early, a
/// [`follow::Poller`] takes over on the phase's schedule, and the socket is tried again
/// ([`SOCKET_RETRIES`] times, with backoff) between polls. At the deadline the status is read
/// once more, so a timeout names the real state. Final means what `DeploymentStatus::phase` says.
pub async fn follow_deployment(
    c: &RailwayClient,
    deployment_id: &str,
    opts: &FollowOptions<'_>,
) -> Followed {
    let started = std::time::Instant::now();
    let approval_noticed = std::cell::Cell::new(false);
    let mut poller: Option<Poller> = None;
    let mut retry_after = SOCKET_RETRY_AFTER;
    for attempt in 0..=SOCKET_RETRIES {
        let (end, deployment) = subscribe(c, deployment_id, opts, started, &approval_noticed).await;
        let polled = match (end, deployment) {
            (WatchEnd::Final { status }, Some(d)) => Polled::Done(Followed::Final {
                status,
                deployment: Box::new(d),
                elapsed: started.elapsed(),
            }),
            (
                WatchEnd::Fallback {
                    reason,
                    last_status,
                },
                _,
            ) => {
                if attempt == 0 {
                    super::printer::progress(format!(
                        "{}: live status unavailable ({reason}); polling instead",
                        opts.label
                    ));
                }
                let p = poller.get_or_insert_with(|| Poller::new(last_status));
                let until = (attempt < SOCKET_RETRIES)
                    .then(|| Instant::now() + c.timing().scaled(retry_after));
                retry_after *= 2;
                p.run(c, deployment_id, opts, until).await
            }
            // A final event without the details, or the deadline: one read says the real state.
            _ => {
                poller
                    .get_or_insert_with(|| Poller::new(None))
                    .run(c, deployment_id, opts, None)
                    .await
            }
        };
        if let Polled::Done(f) = polled {
            return with_elapsed(f, started);
        }
    }
    // The last try ran without `until`: the poller ended it. Unreachable in practice; one more
    // poll (to the deadline) keeps the answer honest rather than guessed.
    with_elapsed(follow::poll(c, deployment_id, opts).await, started)
}

/// One subscription to the deployment's status, printing changes and the approval notice.
async fn subscribe(
    c: &RailwayClient,
    deployment_id: &str,
    opts: &FollowOptions<'_>,
    started: std::time::Instant,
    approval_noticed: &std::cell::Cell<bool>,
) -> (WatchEnd, Option<Deployment>) {
    let req = WatchRequest {
        hub: c.hub(),
        deployment_id,
        deadline: Instant::from_std(opts.deadline),
    };
    watch(
        req,
        |s| matches!(s.phase(), Phase::Live | Phase::Failed(_)),
        |status| {
            opts.note(status);
            if status.phase() == Phase::AwaitingApproval && !approval_noticed.replace(true) {
                workflow::notice(format!(
                    "{}: deployment {deployment_id} needs approval in Railway before it can proceed; someone with access must approve it in the dashboard",
                    opts.label
                ));
            }
            super::printer::progress(format!(
                "{}: {} ({}s elapsed)",
                opts.label,
                status.as_str(),
                started.elapsed().as_secs()
            ));
        },
    )
    .await
}

/// `followed` with the time since the follow step started.
fn with_elapsed(followed: Followed, started: std::time::Instant) -> Followed {
    match followed {
        Followed::Final {
            status, deployment, ..
        } => Followed::Final {
            status,
            deployment,
            elapsed: started.elapsed(),
        },
        Followed::TimedOut { last, .. } => Followed::TimedOut {
            last,
            elapsed: started.elapsed(),
        },
        other => other,
    }
}
