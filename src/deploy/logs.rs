//! Owns a deployment's build and deploy logs in the workflow log, and the failure explanation.
//!
//! - [`LogFollower`] streams the build and the deploy logs in ONE subscription on the run's shared
//!   socket (`railway::socket::Hub`) until the caller says the deployment is final, resubscribing
//!   a few times when the socket drops. Railway replays history on each new subscription, so lines
//!   are de-duplicated by (timestamp, message). A log stream that fails is noted and dropped: it
//!   never changes the verdict.
//! - Why one subscription, not `buildLogs` + `deploymentLogs`: the goal of issue 14 is at most two
//!   subscriptions per deployment (as Railway's CLI), and the status one must stay (the final
//!   status is seen at once from it, never guessed from logs). Railway's `environmentLogs` carries
//!   both kinds when its filter names the build snapshot and the deployment
//!   (`@snapshot:<id> OR @deployment:<id>`: the dashboard's and the CLI's way), so the follower
//!   waits for the [`LogScope`] (environment and snapshot) the status subscription's first event,
//!   or the first poll, carries. History replay makes that short wait lose no line.
//! - Lines are printed through [`super::printer::LogPrinter`] (one group per service), re-exported
//!   here for the stages.
//! - [`fetch_failure_reason`] reads `deploymentEvents` (the failing step and its error),
//!   [`failure_sentence`] turns it into the service's failure (which the pipeline annotates as
//!   `::error::` once, with the rest of the run's failures) and `printer::report_failure` prints the
//!   last lines outside any group.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::railway::RailwayClient;
use crate::railway::events::{DeploymentEvent, EventPayload};
use crate::railway::socket::{Feed, Hub};

pub use super::log_scope::{LogScope, ScopeSender, offer_scope};
use crate::railway::status::DeploymentStatus;
use crate::railway::subscription::Event;
use crate::timing::Backoff;

pub use super::printer::{LogPrinter, defuse, progress, report_failure, with_progress};

pub use crate::railway::ops::ENVIRONMENT_LOGS_SUBSCRIPTION;

/// Lines kept for the failure tail.
pub const TAIL_LINES: usize = 50;
/// History replayed by each (re)subscription.
const REPLAY_LIMIT: u64 = 500;
/// New subscriptions after the first one fails.
const MAX_RECONNECTS: u32 = 3;
/// After the final status, how long late lines may still arrive at most (scaled).
const DRAIN: Duration = Duration::from_secs(2);
/// ... and how long a quiet stream is waited on within it (scaled): the one `environmentLogs`
/// stream never ends by itself (the old build- and deploy-log subscriptions did), so waiting the
/// whole [`DRAIN`] would add 2 s to every deploy. Each late line extends the wait, up to `DRAIN`.
const QUIET: Duration = Duration::from_millis(400);

/// With no line for this long (scaled) while the deployment is followed, a warning says the log
/// stream is silent and where to read the logs (contract v3, Promises). Which filter Railway's
/// `environmentLogs` honours for build lines is not public, so a silent stream is said, never
/// taken as a quiet build.
pub const SILENCE: Duration = Duration::from_secs(60);

/// What the follower is told when the deployment is final.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    Running,
    /// Read late lines (quiet for [`QUIET`], at most [`DRAIN`]), then stop.
    Drain,
    /// Stop at once.
    Now,
}

impl Stop {
    fn stopped(&self) -> bool {
        *self != Stop::Running
    }
}

/// Streams one deployment's logs in the background.
pub struct LogFollower {
    stop: watch::Sender<Stop>,
    task: JoinHandle<LogOutcome>,
}

/// What the follower saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogOutcome {
    /// The last [`TAIL_LINES`] lines (build and deploy, in arrival order).
    pub tail: Vec<String>,
    /// Log subscriptions made (on the shared socket; after a drop, on a new one).
    pub subscriptions: u32,
    /// Why the log stream stopped early, if it did (never affects the verdict).
    pub problem: Option<String>,
    /// Whether the silent-stream warning was given.
    pub silence_warned: bool,
}

struct Stream {
    seen: HashSet<u64>,
    tail: VecDeque<String>,
}

impl Stream {
    fn take(&mut self, payload: &Value, mut print: impl FnMut(&str)) {
        let Some(lines) = payload
            .pointer("/data/environmentLogs")
            .and_then(Value::as_array)
        else {
            return;
        };
        for l in lines {
            let msg = l.get("message").and_then(Value::as_str).unwrap_or_default();
            let ts = l
                .get("timestamp")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let mut h = DefaultHasher::new();
            (ts, msg).hash(&mut h);
            if !self.seen.insert(h.finish()) {
                continue;
            }
            print(msg);
            if self.tail.len() == TAIL_LINES {
                self.tail.pop_front();
            }
            self.tail.push_back(msg.to_string());
        }
    }
}

impl LogFollower {
    /// Follows `deployment_id`'s logs on `hub` once `scope` says where they are.
    pub fn start(
        hub: Hub,
        deployment_id: String,
        service: String,
        printer: LogPrinter,
        scope: watch::Receiver<Option<LogScope>>,
    ) -> Self {
        let (stop, stop_rx) = watch::channel(Stop::Running);
        let follow = Follow {
            hub,
            deployment_id,
            service,
            printer,
        };
        let task = tokio::spawn(follow.run(scope, stop_rx));
        LogFollower { stop, task }
    }

    /// The deployment is final: close and return the tail. `late_lines`: read what is still in
    /// flight first (briefly), for a failed deployment whose last lines explain it; a live one's
    /// later lines are its app's own and are not waited for.
    pub async fn finish(self, late_lines: bool) -> LogOutcome {
        let _ = self
            .stop
            .send(if late_lines { Stop::Drain } else { Stop::Now });
        self.task.await.unwrap_or_else(|e| LogOutcome {
            problem: Some(format!("log follower stopped: {e}")),
            ..Default::default()
        })
    }
}

/// How reading one subscription ended.
#[derive(PartialEq, Eq)]
enum Read {
    /// Nothing more will come (the stream ended or was refused, or the caller stopped and the
    /// drain is over).
    Over,
    /// The socket dropped: a new subscription may be tried.
    Dropped,
}

struct Follow {
    hub: Hub,
    deployment_id: String,
    service: String,
    printer: LogPrinter,
}

impl Follow {
    async fn run(
        self,
        mut scope: watch::Receiver<Option<LogScope>>,
        mut stop: watch::Receiver<Stop>,
    ) -> LogOutcome {
        let mut stream = Stream {
            seen: HashSet::new(),
            tail: VecDeque::new(),
        };
        let mut outcome = LogOutcome::default();
        let silent_at = tokio::time::Instant::now() + self.hub.timing().scaled(SILENCE);
        // No scope before the end (the deployment was never seen): no logs to follow.
        let found = loop {
            tokio::select! {
                s = scope.wait_for(Option::is_some) => break s.ok().and_then(|s| s.clone()),
                _ = stop.wait_for(Stop::stopped) => break None,
                _ = tokio::time::sleep_until(silent_at), if !outcome.silence_warned => {
                    self.warn_silent(&mut outcome);
                }
            }
        };
        if let Some(found) = found {
            self.subscribe(&found, &mut stream, &mut stop, &mut outcome)
                .await;
        }
        self.printer.finish(&self.service);
        outcome.tail = stream.tail.into_iter().collect();
        outcome
    }

    /// Subscribes (again after drops) until the stream is over, printing why it gave up.
    async fn subscribe(
        &self,
        scope: &LogScope,
        stream: &mut Stream,
        stop: &mut watch::Receiver<Stop>,
        outcome: &mut LogOutcome,
    ) {
        let timing = *self.hub.timing();
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(8));
        let vars = json!({
            "environmentId": scope.environment_id,
            "filter": scope.filter(&self.deployment_id),
            "beforeLimit": REPLAY_LIMIT,
        });
        let mut failures = 0;
        loop {
            if stop.borrow().stopped() {
                return;
            }
            outcome.subscriptions += 1;
            match self
                .hub
                .subscribe(ENVIRONMENT_LOGS_SUBSCRIPTION, vars.clone())
                .await
            {
                Ok(feed) => {
                    if self.read(feed, stream, stop, outcome).await == Read::Over {
                        return;
                    }
                }
                // A socket that never opened (websockets blocked by a proxy, refused upgrade)
                // will not open on a retry either: give up at once and keep the request budget
                // for status polling. Resubscribing is for sockets that worked and then dropped.
                Err(e) if e.never_opened() && outcome.subscriptions == 1 => {
                    return self.unavailable(&e.to_string());
                }
                Err(e) => outcome.problem = Some(e.to_string()),
            }
            failures += 1;
            if failures > MAX_RECONNECTS {
                let p = outcome.problem.clone().unwrap_or_default();
                return self.unavailable(&p);
            }
            tokio::select! {
                _ = timing.sleep(backoff.next_delay()) => {}
                _ = stop.wait_for(Stop::stopped) => return,
            }
        }
    }

    /// Says once that no log line came for [`SILENCE`], and where to read the logs.
    fn warn_silent(&self, outcome: &mut LogOutcome) {
        outcome.silence_warned = true;
        crate::workflow::warning(format!(
            "no build or deploy log line from Railway for `{}` (deployment {}) for {}: the log stream is silent, not necessarily the build; read the logs in Railway's dashboard (the deployment's Build Logs and Deploy Logs) or with `railway logs --build {}`; the deployment is still followed",
            self.service,
            self.deployment_id,
            crate::text::duration(SILENCE),
            self.deployment_id
        ));
    }

    fn unavailable(&self, problem: &str) {
        self.printer.line(
            &self.service,
            &format!("(log stream unavailable: {problem}; the deployment is still followed)"),
        );
    }

    /// Prints the subscription's lines until it ends, the caller stops (then a short drain for
    /// late lines), or the socket drops.
    async fn read(
        &self,
        mut feed: Feed,
        stream: &mut Stream,
        stop: &mut watch::Receiver<Stop>,
        outcome: &mut LogOutcome,
    ) -> Read {
        let timing = self.hub.timing();
        // While draining: (the cap, when a quiet stream is given up).
        let mut draining: Option<(tokio::time::Instant, tokio::time::Instant)> = None;
        let quiet_from = |cap: tokio::time::Instant| {
            (tokio::time::Instant::now() + timing.scaled(QUIET)).min(cap)
        };
        let silence = timing.scaled(SILENCE);
        let mut silent_at = tokio::time::Instant::now() + silence;
        loop {
            let until = draining.map_or_else(
                || tokio::time::Instant::now() + Duration::from_secs(24 * 3600),
                |(_, quiet)| quiet,
            );
            let ev = tokio::select! {
                ev = feed.next() => ev,
                _ = stop.changed(), if draining.is_none() => {
                    if *stop.borrow() == Stop::Now {
                        return Read::Over;
                    }
                    let cap = tokio::time::Instant::now() + timing.scaled(DRAIN);
                    draining = Some((cap, quiet_from(cap)));
                    continue;
                }
                _ = tokio::time::sleep_until(until) => return Read::Over,
                _ = tokio::time::sleep_until(silent_at), if draining.is_none() && !outcome.silence_warned => {
                    self.warn_silent(outcome);
                    continue;
                }
            };
            match ev {
                Ok(Some(Event::Next { payload, .. })) => {
                    let mut printed = false;
                    stream.take(&payload, |m| {
                        printed = true;
                        self.printer.line(&self.service, m);
                    });
                    if printed {
                        silent_at = tokio::time::Instant::now() + silence;
                    }
                    if let Some((cap, _)) = draining {
                        draining = Some((cap, quiet_from(cap)));
                    }
                }
                Ok(Some(Event::Error { errors, .. })) => {
                    outcome.problem = Some(format!(
                        "log subscription refused: {}",
                        crate::railway::subscription::messages(&errors)
                    ));
                    break;
                }
                Ok(Some(Event::Complete { .. })) => break,
                Ok(None) => {
                    outcome.problem = Some("the log socket closed".into());
                    return self.dropped(draining);
                }
                Err(e) => {
                    outcome.problem = Some(e.to_string());
                    return self.dropped(draining);
                }
            }
        }
        // The stream ended on the server's side: nothing more will come.
        drop(feed);
        let _ = stop.wait_for(Stop::stopped).await;
        Read::Over
    }

    fn dropped(&self, draining: Option<(tokio::time::Instant, tokio::time::Instant)>) -> Read {
        if draining.is_some() {
            Read::Over
        } else {
            Read::Dropped
        }
    }
}

/// Reads `deploymentEvents` (one request, only when a deployment failed) and picks the failing
/// step. `None` when Railway could not be asked: the failure is still reported, with less detail.
pub async fn fetch_failure_reason(c: &RailwayClient, deployment_id: &str) -> Option<FailureReason> {
    let events = crate::railway::events::deployment_events(c, deployment_id)
        .await
        .ok()?;
    failure_reason(&events)
}

/// The failing step and what Railway said about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureReason {
    pub step: String,
    pub message: String,
}

/// `PRE_DEPLOY_COMMAND` → `pre-deploy command`.
pub fn step_label(step: &str) -> String {
    match step {
        "PRE_DEPLOY_COMMAND" => "pre-deploy command".into(),
        "HEALTHCHECK" => "healthcheck".into(),
        other => other.to_ascii_lowercase().replace('_', " "),
    }
}

/// The last event carrying an error; else the last one that never completed.
pub fn failure_reason(events: &[DeploymentEvent]) -> Option<FailureReason> {
    let text = |p: &EventPayload| {
        [&p.error, &p.reason]
            .into_iter()
            .flatten()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(": ")
    };
    if let Some(e) = events.iter().rev().find(|e| {
        e.payload
            .as_ref()
            .is_some_and(|p| p.error.as_deref().is_some_and(|x| !x.trim().is_empty()))
    }) {
        return Some(FailureReason {
            step: e.step.clone(),
            message: e.payload.as_ref().map(text).unwrap_or_default(),
        });
    }
    events
        .iter()
        .rev()
        .find(|e| e.completed_at.is_none())
        .map(|e| FailureReason {
            step: e.step.clone(),
            message: e
                .payload
                .as_ref()
                .map(text)
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "did not complete".into()),
        })
}

/// The failure of one service's deployment, e.g. "deployment d-1 ended FAILED: the pre-deploy
/// command step failed: exit code 1". `otherwise` explains the status when Railway named no
/// failing step. The pipeline prefixes the service name and annotates it as `::error::`.
pub fn failure_sentence(
    deployment_id: &str,
    status: &DeploymentStatus,
    reason: Option<&FailureReason>,
    otherwise: &str,
) -> String {
    match reason {
        Some(r) => format!(
            "deployment {deployment_id} ended {status}: the {} step failed: {}",
            step_label(&r.step),
            r.message
        ),
        None => format!("deployment {deployment_id} ended {status}: {otherwise}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_failing_step_comes_from_deployment_events() {
        let data: Vec<DeploymentEvent> = serde_json::from_value(json!([
            {"id": "1", "step": "BUILD_IMAGE", "createdAt": "t", "completedAt": "t", "payload": null},
            {"id": "2", "step": "PRE_DEPLOY_COMMAND", "createdAt": "t", "completedAt": "t",
             "payload": {"error": "Pre-deploy command exited with code 1", "reason": null}},
            {"id": "3", "step": "HEALTHCHECK", "createdAt": "t", "completedAt": null, "payload": null}
        ]))
        .unwrap();
        let r = failure_reason(&data).unwrap();
        assert_eq!(
            failure_sentence("d-1", &DeploymentStatus::Failed, Some(&r), "unused"),
            "deployment d-1 ended FAILED: the pre-deploy command step failed: Pre-deploy command exited with code 1"
        );
        assert_eq!(
            failure_sentence("d-1", &DeploymentStatus::Crashed, None, "it crashed"),
            "deployment d-1 ended CRASHED: it crashed"
        );
        let data: Vec<DeploymentEvent> = serde_json::from_value(json!([
            {"id": "3", "step": "HEALTHCHECK", "createdAt": "t", "completedAt": null,
             "payload": {"reason": "service unavailable"}}
        ]))
        .unwrap();
        assert_eq!(
            failure_reason(&data),
            Some(FailureReason {
                step: "HEALTHCHECK".into(),
                message: "service unavailable".into()
            })
        );
    }
}
