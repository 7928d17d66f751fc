//! Owns a deployment's build and deploy logs in the workflow log, and the failure explanation.
//!
//! - [`LogFollower`] streams `buildLogs` and `deploymentLogs` over one socket until the caller says
//!   the deployment is final, reconnecting a few times; Railway replays history on each new
//!   subscription, so lines are de-duplicated by (timestamp, message). A log stream that fails is
//!   noted and dropped: it never changes the verdict.
//! - Lines are printed through [`super::printer::LogPrinter`] (one group per service), re-exported
//!   here for the stages.
//! - [`fetch_failure_reason`] reads `deploymentEvents` (the failing step and its error),
//!   [`failure_sentence`] turns it into the service's failure (which the pipeline annotates as
//!   `::error::` once, with the rest of the run's failures) and `printer::report_failure` prints the
//!   last lines outside any group.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use url::Url;

use crate::railway::RailwayClient;
use crate::railway::auth::RailwayToken;
use crate::railway::events::{DeploymentEvent, EventPayload};
use crate::railway::status::DeploymentStatus;
use crate::railway::subscription::{Event, Subscriptions};
use crate::timing::{Backoff, Timing};

pub use super::printer::{LogPrinter, defuse, progress, report_failure, with_progress};

pub use crate::railway::ops::{BUILD_LOGS_SUBSCRIPTION, DEPLOYMENT_LOGS_SUBSCRIPTION};

/// Lines kept for the failure tail.
pub const TAIL_LINES: usize = 50;
/// History replayed by each (re)subscription.
const REPLAY_LIMIT: u64 = 500;
/// New sockets after the first one fails.
const MAX_RECONNECTS: u32 = 3;
/// After the final status, how long late lines may still arrive (scaled).
const DRAIN: Duration = Duration::from_secs(2);

/// Streams one deployment's logs in the background.
pub struct LogFollower {
    stop: watch::Sender<bool>,
    task: JoinHandle<LogOutcome>,
}

/// What the follower saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogOutcome {
    /// The last [`TAIL_LINES`] lines (build and deploy, in arrival order).
    pub tail: Vec<String>,
    /// Sockets opened (each one HTTP request).
    pub connections: u32,
    /// Why the log stream stopped early, if it did (never affects the verdict).
    pub problem: Option<String>,
}

struct Stream {
    seen: HashSet<u64>,
    tail: VecDeque<String>,
}

impl Stream {
    fn take(&mut self, field: &str, payload: &Value, mut print: impl FnMut(&str)) {
        let Some(lines) = payload
            .pointer(&format!("/data/{field}"))
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
            (field, ts, msg).hash(&mut h);
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
    pub fn start(
        api_url: Url,
        token: RailwayToken,
        deployment_id: String,
        service: String,
        printer: LogPrinter,
        timing: Timing,
    ) -> Self {
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(run(
            api_url,
            token,
            deployment_id,
            service,
            printer,
            timing,
            stop_rx,
        ));
        LogFollower { stop, task }
    }

    /// The deployment is final: read what is still in flight (briefly), close, and return the tail.
    pub async fn finish(self) -> LogOutcome {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or_else(|e| LogOutcome {
            problem: Some(format!("log follower stopped: {e}")),
            ..Default::default()
        })
    }
}

/// How reading one socket ended.
#[derive(PartialEq, Eq)]
enum Read {
    /// Nothing more will come (both streams ended, or the caller stopped and the drain is over).
    Over,
    /// The socket dropped: a new one may be tried.
    Dropped,
}

/// One open socket with both subscriptions made.
struct Session<'a> {
    ids: &'a HashMap<String, &'static str>,
    printer: &'a LogPrinter,
    service: &'a str,
    timing: &'a Timing,
}

impl Session<'_> {
    /// Prints the socket's log lines until both streams end, the caller stops (then a short
    /// drain for late lines), or the socket drops.
    async fn read(
        &self,
        mut subs: Subscriptions,
        stream: &mut Stream,
        stop: &mut watch::Receiver<bool>,
        outcome: &mut LogOutcome,
    ) -> Read {
        let (ids, printer, service, timing) = (self.ids, self.printer, self.service, self.timing);
        let mut live = ids.len();
        let mut draining: Option<tokio::time::Instant> = None;
        loop {
            let until = draining
                .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(24 * 3600));
            let ev = tokio::select! {
                ev = subs.next() => ev,
                _ = stop.changed(), if draining.is_none() => {
                    draining = Some(tokio::time::Instant::now() + timing.scaled(DRAIN));
                    continue;
                }
                _ = tokio::time::sleep_until(until) => {
                    subs.close().await;
                    return Read::Over;
                }
            };
            match ev {
                Ok(Some(Event::Next { id, payload })) => {
                    if let Some(field) = ids.get(&id) {
                        stream.take(field, &payload, |m| printer.line(service, m));
                    }
                }
                Ok(Some(Event::Error { id, errors })) if ids.contains_key(&id) => {
                    outcome.problem = Some(format!(
                        "log subscription refused: {}",
                        crate::railway::subscription::messages(&errors)
                    ));
                    live = live.saturating_sub(1);
                }
                Ok(Some(Event::Complete { id })) if ids.contains_key(&id) => {
                    live = live.saturating_sub(1);
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    outcome.problem = Some(e.to_string());
                    break;
                }
            }
            if live == 0 {
                subs.close().await;
                // Both streams ended on the server's side: nothing more will come.
                let _ = stop.wait_for(|s| *s).await;
                return Read::Over;
            }
        }
        if draining.is_some() {
            Read::Over
        } else {
            Read::Dropped
        }
    }
}

async fn run(
    api_url: Url,
    token: RailwayToken,
    deployment_id: String,
    service: String,
    printer: LogPrinter,
    timing: Timing,
    mut stop: watch::Receiver<bool>,
) -> LogOutcome {
    let mut stream = Stream {
        seen: HashSet::new(),
        tail: VecDeque::new(),
    };
    let mut outcome = LogOutcome::default();
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(8));
    let vars = json!({"deploymentId": deployment_id, "limit": REPLAY_LIMIT});
    let mut failures = 0;
    'sockets: loop {
        if *stop.borrow() {
            break;
        }
        outcome.connections += 1;
        let mut opened = false;
        let problem = match Subscriptions::connect(&api_url, &token, &timing).await {
            Err(e) => e.to_string(),
            Ok(mut subs) => {
                opened = true;
                let ids = match (
                    subs.subscribe(BUILD_LOGS_SUBSCRIPTION, vars.clone()).await,
                    subs.subscribe(DEPLOYMENT_LOGS_SUBSCRIPTION, vars.clone())
                        .await,
                ) {
                    (Ok(b), Ok(d)) => HashMap::from([(b, "buildLogs"), (d, "deploymentLogs")]),
                    (Err(e), _) | (_, Err(e)) => {
                        failures += 1;
                        outcome.problem = Some(e.to_string());
                        if failures > MAX_RECONNECTS {
                            break 'sockets;
                        }
                        continue 'sockets;
                    }
                };
                let session = Session {
                    ids: &ids,
                    printer: &printer,
                    service: &service,
                    timing: &timing,
                };
                if session
                    .read(subs, &mut stream, &mut stop, &mut outcome)
                    .await
                    == Read::Over
                {
                    break 'sockets;
                }
                "the log socket closed".to_string()
            }
        };
        failures += 1;
        outcome.problem = Some(problem);
        // A socket that never opened (websockets blocked by a proxy, refused upgrade) will not open
        // on a retry either: give up at once and keep the request budget for status polling.
        // Reconnects are for sockets that worked and then dropped.
        if failures > MAX_RECONNECTS || (outcome.connections == 1 && !opened) {
            failures = MAX_RECONNECTS + 1;
            break;
        }
        tokio::select! {
            _ = timing.sleep(backoff.next_delay()) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    if let Some(p) = &outcome.problem
        && failures > MAX_RECONNECTS
    {
        printer.line(
            &service,
            &format!("(log stream unavailable: {p}; the deployment is still followed)"),
        );
    }
    printer.finish(&service);
    outcome.tail = stream.tail.into_iter().collect();
    outcome
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
