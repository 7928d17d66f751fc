//! Owns a deployment's build and deploy logs in the workflow log, and the failure explanation.
//!
//! - [`LogFollower`] streams the build and the deploy logs the way Railway's released CLI
//!   (5.43.1) reads them: a `buildLogs(deploymentId)` and a `deploymentLogs(deploymentId)`
//!   subscription on the run's shared socket (`railway::socket::Hub`), from the moment the
//!   deployment exists (its id is all they need: no scope is waited for, so a status event without
//!   `snapshotId` loses no line), until the caller says the deployment is final, each resubscribing
//!   a few times when the socket drops. Railway replays history on each new subscription (the
//!   CLI de-duplicates replays too, `controllers/deployment.rs`), so lines are de-duplicated by
//!   (stream, timestamp, message). A log stream that fails is noted and
//!   dropped: it never changes the verdict.
//! - With the status subscription that makes three subscriptions per deployment (the `fidelity:`
//!   issue: one more than before is fine; the old single `environmentLogs` stream relied on a
//!   filter no public client uses).
//! - With no line from either stream for [`SILENCE`], a warning says the stream is silent and
//!   where to read the logs (contract v3).
//! - Lines are printed through [`super::printer::LogPrinter`] (one group per service), re-exported
//!   here for the stages.
//! - [`fetch_failure_reason`] reads `deploymentEvents` (the failing step and its error),
//!   [`failure_sentence`] turns it into the service's failure (which the pipeline annotates as
//!   `::error::` once, with the rest of the run's failures) and `printer::report_failure` prints the
//!   last lines outside any group.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::railway::RailwayClient;
use crate::railway::events::{DeploymentEvent, EventPayload};
use crate::railway::socket::{Feed, Hub};

use crate::railway::status::DeploymentStatus;
use crate::railway::subscription::Event;
use crate::timing::Backoff;

pub use super::printer::{LogPrinter, defuse, progress, report_failure, with_progress};

pub use crate::railway::ops::{BUILD_LOGS_SUBSCRIPTION, DEPLOYMENT_LOGS_SUBSCRIPTION};

/// Lines kept for the failure tail.
pub const TAIL_LINES: usize = 50;
/// History replayed by each (re)subscription.
const REPLAY_LIMIT: u64 = 500;
/// New subscriptions after the first one fails (per stream).
const MAX_RECONNECTS: u32 = 3;
/// After the final status, how long late lines may still arrive at most (scaled).
const DRAIN: Duration = Duration::from_secs(2);
/// ... and how long a quiet stream is waited on within it (scaled): whether Railway ends a log
/// subscription by itself is not public, so waiting the whole [`DRAIN`] would add 2 s to every
/// deploy. Each late line extends the wait, up to `DRAIN`.
const QUIET: Duration = Duration::from_millis(400);

/// With no line for this long (scaled) while the deployment is followed, a warning says the log
/// stream is silent and where to read the logs (contract v3, Promises): a silent stream is said,
/// never taken as a quiet build.
pub const SILENCE: Duration = Duration::from_secs(60);

/// The shortest silence ever said, whatever the time scale: a scaled run (the tests, the sandbox)
/// would otherwise call the normal gap between two build steps a silent stream.
const MIN_SILENCE: Duration = Duration::from_secs(2);

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

/// One of a deployment's two log streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Build,
    Deploy,
}

impl Kind {
    fn document(self) -> &'static str {
        match self {
            Kind::Build => BUILD_LOGS_SUBSCRIPTION,
            Kind::Deploy => DEPLOYMENT_LOGS_SUBSCRIPTION,
        }
    }

    /// The field each event's lines arrive in.
    fn field(self) -> &'static str {
        match self {
            Kind::Build => "/data/buildLogs",
            Kind::Deploy => "/data/deploymentLogs",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Build => "build",
            Kind::Deploy => "deploy",
        }
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
    /// Log subscriptions made, both streams together (on the shared socket; after a drop, on a
    /// new one).
    pub subscriptions: u32,
    /// Why a log stream stopped early, if one did (never affects the verdict).
    pub problem: Option<String>,
    /// Whether the silent-stream warning was given.
    pub silence_warned: bool,
}

/// What both streams share: the lines seen, the tail, when the last line came.
struct Shared {
    seen: HashSet<u64>,
    tail: VecDeque<String>,
    last_line: Instant,
    outcome: LogOutcome,
}

impl Shared {
    /// Takes one event's new lines, printing each.
    fn take(&mut self, kind: Kind, payload: &Value, mut print: impl FnMut(&str)) {
        let Some(lines) = payload.pointer(kind.field()).and_then(Value::as_array) else {
            return;
        };
        for l in lines {
            let msg = l.get("message").and_then(Value::as_str).unwrap_or_default();
            let ts = l
                .get("timestamp")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let mut h = DefaultHasher::new();
            (kind, ts, msg).hash(&mut h);
            if !self.seen.insert(h.finish()) {
                continue;
            }
            print(msg);
            self.last_line = Instant::now();
            if self.tail.len() == TAIL_LINES {
                self.tail.pop_front();
            }
            self.tail.push_back(msg.to_string());
        }
    }
}

impl LogFollower {
    /// Follows `deployment_id`'s build and deploy logs on `hub` at once.
    pub fn start(hub: Hub, deployment_id: String, service: String, printer: LogPrinter) -> Self {
        let (stop, stop_rx) = watch::channel(Stop::Running);
        let follow = Follow {
            hub,
            deployment_id,
            service,
            printer,
        };
        let task = tokio::spawn(follow.run(stop_rx));
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

/// How a stream waits for the socket: the first one tells whether it opened, the other waits.
enum Gate {
    Opens(watch::Sender<Option<bool>>),
    After(watch::Receiver<Option<bool>>),
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
    async fn run(self, stop: watch::Receiver<Stop>) -> LogOutcome {
        let shared = Mutex::new(Shared {
            seen: HashSet::new(),
            tail: VecDeque::new(),
            last_line: Instant::now(),
            outcome: LogOutcome::default(),
        });
        self.follow(&shared, stop).await;
        self.printer.finish(&self.service);
        let s = shared.into_inner().unwrap_or_else(|e| e.into_inner());
        LogOutcome {
            tail: s.tail.into_iter().collect(),
            ..s.outcome
        }
    }

    /// Runs both streams until they are over, warning once when neither says anything for
    /// [`SILENCE`] before the caller stops.
    async fn follow(&self, shared: &Mutex<Shared>, stop: watch::Receiver<Stop>) {
        // The deploy stream subscribes once the build stream's first try is answered: on a
        // socket that never opens, one try is enough for both (one line, one upgrade request).
        let (opened, opened_rx) = watch::channel(None);
        let streams = async {
            tokio::join!(
                self.subscribe(Kind::Build, shared, stop.clone(), Gate::Opens(opened)),
                self.subscribe(Kind::Deploy, shared, stop.clone(), Gate::After(opened_rx)),
            )
        };
        tokio::pin!(streams);
        let silence = self.hub.timing().scaled(SILENCE).max(MIN_SILENCE);
        let mut stop_rx = stop.clone();
        let mut stopped = false;
        loop {
            let warn_at = {
                let s = lock(shared);
                (!stopped && !s.outcome.silence_warned).then(|| s.last_line + silence)
            };
            tokio::select! {
                _ = &mut streams => break,
                _ = stop_rx.wait_for(Stop::stopped), if !stopped => stopped = true,
                _ = tokio::time::sleep_until(warn_at.unwrap_or_else(Instant::now)), if warn_at.is_some() => {
                    let mut s = lock(shared);
                    if s.last_line + silence <= Instant::now() {
                        s.outcome.silence_warned = true;
                        drop(s);
                        self.warn_silent();
                    }
                }
            }
        }
    }

    /// Subscribes to one stream (again after drops) until it is over, printing why it gave up.
    async fn subscribe(
        &self,
        kind: Kind,
        shared: &Mutex<Shared>,
        mut stop: watch::Receiver<Stop>,
        gate: Gate,
    ) {
        let opens = match gate {
            Gate::Opens(tx) => Some(tx),
            Gate::After(mut rx) => {
                tokio::select! {
                    r = rx.wait_for(Option::is_some) => {
                        if r.map_or(true, |o| *o == Some(false)) {
                            return;
                        }
                    }
                    _ = stop.wait_for(Stop::stopped) => return,
                }
                None
            }
        };
        let timing = *self.hub.timing();
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(8));
        let vars = json!({
            "deploymentId": self.deployment_id,
            "limit": REPLAY_LIMIT,
        });
        let mut attempts = 0;
        let mut failures = 0;
        loop {
            if stop.borrow().stopped() {
                return;
            }
            attempts += 1;
            lock(shared).outcome.subscriptions += 1;
            let sub = self.hub.subscribe(kind.document(), vars.clone()).await;
            if let Some(tx) = &opens {
                tx.send_if_modified(|o| {
                    let first = o.is_none();
                    if first {
                        *o = Some(!matches!(&sub, Err(e) if e.never_opened()));
                    }
                    first
                });
            }
            match sub {
                Ok(feed) => {
                    if self.read(kind, feed, shared, &mut stop).await == Read::Over {
                        return;
                    }
                }
                // A socket that never opened (websockets blocked by a proxy, refused upgrade)
                // will not open on a retry either: give up at once and keep the request budget
                // for status polling. Resubscribing is for sockets that worked and then dropped.
                Err(e) if e.never_opened() && attempts == 1 => {
                    return self.unavailable(kind, &e.to_string());
                }
                Err(e) => lock(shared).outcome.problem = Some(e.to_string()),
            }
            failures += 1;
            if failures > MAX_RECONNECTS {
                let p = lock(shared).outcome.problem.clone().unwrap_or_default();
                return self.unavailable(kind, &p);
            }
            tokio::select! {
                _ = timing.sleep(backoff.next_delay()) => {}
                _ = stop.wait_for(Stop::stopped) => return,
            }
        }
    }

    /// Says once that no log line came for [`SILENCE`], and where to read the logs.
    fn warn_silent(&self) {
        crate::workflow::warning(format!(
            "no build or deploy log line from Railway for `{}` (deployment {}) for {}: the log stream is silent, not necessarily the build; read the logs in Railway's dashboard (the deployment's Build Logs and Deploy Logs) or with `railway logs --build {}`; the deployment is still followed",
            self.service,
            self.deployment_id,
            crate::text::duration(SILENCE),
            self.deployment_id
        ));
    }

    fn unavailable(&self, kind: Kind, problem: &str) {
        self.printer.line(
            &self.service,
            &format!(
                "(log stream unavailable: {} logs: {problem}; the deployment is still followed)",
                kind.name()
            ),
        );
    }

    /// Prints the subscription's lines until it ends, the caller stops (then a short drain for
    /// late lines), or the socket drops.
    async fn read(
        &self,
        kind: Kind,
        mut feed: Feed,
        shared: &Mutex<Shared>,
        stop: &mut watch::Receiver<Stop>,
    ) -> Read {
        let timing = self.hub.timing();
        // While draining: (the cap, when a quiet stream is given up).
        let mut draining: Option<(Instant, Instant)> = None;
        let quiet_from = |cap: Instant| (Instant::now() + timing.scaled(QUIET)).min(cap);
        loop {
            let until = draining.map_or_else(
                || Instant::now() + Duration::from_secs(24 * 3600),
                |(_, quiet)| quiet,
            );
            let ev = tokio::select! {
                ev = feed.next() => ev,
                _ = stop.changed(), if draining.is_none() => {
                    if *stop.borrow() == Stop::Now {
                        return Read::Over;
                    }
                    let cap = Instant::now() + timing.scaled(DRAIN);
                    draining = Some((cap, quiet_from(cap)));
                    continue;
                }
                _ = tokio::time::sleep_until(until) => return Read::Over,
            };
            match ev {
                Ok(Some(Event::Next { payload, .. })) => {
                    lock(shared).take(kind, &payload, |m| self.printer.line(&self.service, m));
                    if let Some((cap, _)) = draining {
                        draining = Some((cap, quiet_from(cap)));
                    }
                }
                Ok(Some(Event::Error { errors, .. })) => {
                    lock(shared).outcome.problem = Some(format!(
                        "{} log subscription refused: {}",
                        kind.name(),
                        crate::railway::subscription::messages(&errors)
                    ));
                    break;
                }
                Ok(Some(Event::Complete { .. })) => break,
                Ok(None) => {
                    lock(shared).outcome.problem = Some("the log socket closed".into());
                    return dropped(draining);
                }
                Err(e) => {
                    lock(shared).outcome.problem = Some(e.to_string());
                    return dropped(draining);
                }
            }
        }
        // The stream ended on the server's side: nothing more will come.
        drop(feed);
        let _ = stop.wait_for(Stop::stopped).await;
        Read::Over
    }
}

fn dropped(draining: Option<(Instant, Instant)>) -> Read {
    if draining.is_some() {
        Read::Over
    } else {
        Read::Dropped
    }
}

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
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
