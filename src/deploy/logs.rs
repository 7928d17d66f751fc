//! Owns a deployment's build and deploy logs in the workflow log, and the failure explanation.
//!
//! - [`LogFollower`] streams `buildLogs` and `deploymentLogs` over one socket until the caller says
//!   the deployment is final, reconnecting a few times; Railway replays history on each new
//!   subscription, so lines are de-duplicated by (timestamp, message). A log stream that fails is
//!   noted and dropped: it never changes the verdict.
//! - [`LogPrinter`] gives each service one collapsed `::group::`. Groups cannot interleave, so with
//!   several services the first to log streams live and the others are buffered (bounded) until the
//!   open group closes; lines are then prefixed with the service name.
//! - [`fetch_failure_reason`] reads `deploymentEvents` (the failing step and its error),
//!   [`failure_sentence`] turns it into the service's failure (which the pipeline annotates as
//!   `::error::` once, with the rest of the run's failures) and [`report_failure`] prints the last
//!   lines outside any group.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use url::Url;

use crate::railway::RailwayClient;
use crate::railway::auth::RailwayToken;
use crate::railway::events::{DeploymentEvent, EventPayload};
use crate::railway::subscription::{Event, Subscriptions};
use crate::timing::{Backoff, Timing};
use crate::workflow;

pub use crate::railway::ops::{BUILD_LOGS_SUBSCRIPTION, DEPLOYMENT_LOGS_SUBSCRIPTION};

/// Lines kept for the failure tail.
pub const TAIL_LINES: usize = 50;
/// History replayed by each (re)subscription.
const REPLAY_LIMIT: u64 = 500;
/// New sockets after the first one fails.
const MAX_RECONNECTS: u32 = 3;
/// After the final status, how long late lines may still arrive (scaled).
const DRAIN: Duration = Duration::from_secs(2);
/// Lines buffered per waiting service before the oldest are dropped.
const BUFFER_LINES: usize = 5_000;

tokio::task_local! {
    /// The printer of the service whose deploy this task follows (set by the deploy stage).
    static PROGRESS: (LogPrinter, String);
}

/// Runs `fut` with its status progress lines going into `service`'s log group through `printer`,
/// so concurrent services' progress never lands inside another service's group.
pub async fn with_progress<F: std::future::Future>(
    printer: LogPrinter,
    service: String,
    fut: F,
) -> F::Output {
    PROGRESS.scope((printer, service), fut).await
}

/// A status progress line ("web: BUILDING (12s elapsed)"): into the service's group when the
/// deploy stage set one up (see [`with_progress`]), else straight to the log.
pub fn progress(line: String) {
    let routed = PROGRESS.try_with(|(printer, service)| printer.own_line(service, &line));
    if routed.is_err() {
        workflow::info(line);
    }
}

/// Neutralises workflow commands in a log line: build output must not be able to run
/// `::add-mask::`, `::error::` or `::stop-commands::` on our behalf.
pub fn defuse(line: &str) -> String {
    line.replace("::", ":\u{200b}:")
}

struct Waiting {
    lines: VecDeque<String>,
    dropped: usize,
    finished: bool,
    /// Lines printed outside any group (a failure tail), not a service's log.
    grouped: bool,
}

impl Default for Waiting {
    fn default() -> Self {
        Waiting {
            lines: VecDeque::new(),
            dropped: 0,
            finished: false,
            grouped: true,
        }
    }
}

#[derive(Default)]
struct PrinterState {
    open: Option<String>,
    waiting: Vec<(String, Waiting)>,
}

/// Prints log lines of one or more services, one group per service. Clone to share.
#[derive(Clone)]
pub struct LogPrinter {
    several: bool,
    state: Arc<Mutex<PrinterState>>,
    sink: Arc<dyn Fn(&str) + Send + Sync>,
}

impl LogPrinter {
    /// `several`: more than one service deploys in this run (lines get a `[service]` prefix).
    pub fn new(several: bool) -> Self {
        Self::with_sink(several, Arc::new(|l: &str| workflow::info(l)))
    }

    /// Prints through `sink` instead of stdout (tests).
    pub fn with_sink(several: bool, sink: Arc<dyn Fn(&str) + Send + Sync>) -> Self {
        LogPrinter {
            several,
            state: Arc::default(),
            sink,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PrinterState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn format(&self, service: &str, line: &str) -> String {
        if self.several {
            format!("[{service}] {}", defuse(line))
        } else {
            defuse(line)
        }
    }

    fn open_group(&self, service: &str) {
        let title = format!("Railway logs: {service}");
        if workflow::in_actions() {
            (self.sink)(&format!("::group::{}", workflow::escape_data(&title)));
        } else {
            (self.sink)(&format!("── {title} ──"));
        }
    }

    fn close_group(&self) {
        if workflow::in_actions() {
            (self.sink)("::endgroup::");
        }
    }

    pub fn line(&self, service: &str, line: &str) {
        self.push(service, self.format(service, line));
    }

    /// A line of ours about `service` (already naming it): in its group, never prefixed.
    pub fn own_line(&self, service: &str, line: &str) {
        self.push(service, line.to_string());
    }

    fn push(&self, service: &str, text: String) {
        let mut st = self.lock();
        match st.open.as_deref() {
            None => {
                st.open = Some(service.to_string());
                self.open_group(service);
                (self.sink)(&text);
            }
            Some(s) if s == service => (self.sink)(&text),
            Some(_) => {
                let w = match st
                    .waiting
                    .iter()
                    .position(|(s, w)| w.grouped && s == service)
                {
                    Some(i) => &mut st.waiting[i].1,
                    None => {
                        st.waiting.push((service.to_string(), Waiting::default()));
                        let last = st.waiting.len() - 1;
                        &mut st.waiting[last].1
                    }
                };
                if w.lines.len() >= BUFFER_LINES {
                    w.lines.pop_front();
                    w.dropped += 1;
                }
                w.lines.push_back(text);
            }
        }
    }

    /// Prints `lines` outside any group: now when no group is open, else as soon as the open
    /// group closes (in order with the groups waiting before it).
    pub fn ungrouped(&self, lines: Vec<String>) {
        let mut st = self.lock();
        if st.open.is_none() {
            for l in &lines {
                (self.sink)(l);
            }
            return;
        }
        st.waiting.push((
            String::new(),
            Waiting {
                lines: lines.into(),
                finished: true,
                grouped: false,
                ..Waiting::default()
            },
        ));
    }

    /// The service's logs are over: close its group and hand the terminal to the next one.
    pub fn finish(&self, service: &str) {
        let mut st = self.lock();
        if st.open.as_deref() != Some(service) {
            if let Some((_, w)) = st
                .waiting
                .iter_mut()
                .find(|(s, w)| w.grouped && s == service)
            {
                w.finished = true;
            }
            return;
        }
        self.close_group();
        st.open = None;
        while !st.waiting.is_empty() {
            let (next, w) = st.waiting.remove(0);
            if !w.grouped {
                for l in &w.lines {
                    (self.sink)(l);
                }
                continue;
            }
            self.open_group(&next);
            if w.dropped > 0 {
                (self.sink)(&format!(
                    "[{next}] … {} earlier lines omitted (full log in Railway)",
                    w.dropped
                ));
            }
            for l in &w.lines {
                (self.sink)(l);
            }
            if w.finished {
                self.close_group();
            } else {
                st.open = Some(next);
                break;
            }
        }
    }
}

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
                let mut live = ids.len();
                let mut draining: Option<tokio::time::Instant> = None;
                loop {
                    let until = draining.unwrap_or_else(|| {
                        tokio::time::Instant::now() + Duration::from_secs(24 * 3600)
                    });
                    let ev = tokio::select! {
                        ev = subs.next() => ev,
                        _ = stop.changed(), if draining.is_none() => {
                            draining = Some(tokio::time::Instant::now() + timing.scaled(DRAIN));
                            continue;
                        }
                        _ = tokio::time::sleep_until(until) => {
                            subs.close().await;
                            break 'sockets;
                        }
                    };
                    match ev {
                        Ok(Some(Event::Next { id, payload })) => {
                            if let Some(field) = ids.get(&id) {
                                stream.take(field, &payload, |m| printer.line(&service, m));
                            }
                        }
                        Ok(Some(Event::Error { id, errors })) if ids.contains_key(&id) => {
                            outcome.problem = Some(format!(
                                "log subscription refused: {}",
                                super::watch::messages(&errors)
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
                        break 'sockets;
                    }
                }
                if draining.is_some() {
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
    status: &str,
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

/// Prints the last log lines of a failed deployment outside any group (through `printer`, so
/// they never land inside another service's open group). The `::error::` annotation is not
/// printed here: the pipeline prints one per failed service from its report, which carries
/// [`failure_sentence`], so the run page shows each failure once.
pub fn report_failure(printer: &LogPrinter, service: &str, tail: &[String]) {
    if tail.is_empty() {
        return;
    }
    let mut lines = Vec::with_capacity(tail.len() + 1);
    lines.push(format!("Last {} log lines of {service}:", tail.len()));
    lines.extend(tail.iter().map(|l| format!("  {}", defuse(l))));
    printer.ungrouped(lines);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(several: bool) -> (LogPrinter, Arc<Mutex<Vec<String>>>) {
        let out = Arc::new(Mutex::new(Vec::new()));
        let o = out.clone();
        let p = LogPrinter::with_sink(
            several,
            Arc::new(move |l: &str| o.lock().unwrap().push(l.to_string())),
        );
        (p, out)
    }

    #[test]
    fn several_services_get_one_group_each_without_interleaving() {
        let (p, out) = capture(true);
        p.line("api", "a1");
        p.line("web", "w1");
        p.line("api", "a2");
        p.line("web", "w2");
        p.finish("web");
        p.line("worker", "k1");
        p.finish("api");
        p.line("worker", "k2");
        p.finish("worker");
        let got = out.lock().unwrap().clone();
        assert_eq!(
            got,
            vec![
                "── Railway logs: api ──",
                "[api] a1",
                "[api] a2",
                "── Railway logs: web ──",
                "[web] w1",
                "[web] w2",
                "── Railway logs: worker ──",
                "[worker] k1",
                "[worker] k2",
            ]
        );
    }

    #[test]
    fn a_failure_tail_never_lands_inside_another_services_group() {
        let (p, out) = capture(true);
        p.line("api", "a1");
        p.line("web", "w1");
        p.finish("web");
        report_failure(&p, "web", &["boom".to_string()]);
        p.line("worker", "k1");
        p.finish("api");
        let got = out.lock().unwrap().clone();
        assert_eq!(
            got,
            vec![
                "── Railway logs: api ──",
                "[api] a1",
                "── Railway logs: web ──",
                "[web] w1",
                "Last 1 log lines of web:",
                "  boom",
                "── Railway logs: worker ──",
                "[worker] k1",
            ]
        );
        let (p, out) = capture(false);
        report_failure(&p, "web", &["x".to_string()]);
        assert_eq!(out.lock().unwrap().len(), 2);
    }

    #[test]
    fn workflow_commands_in_logs_are_defused() {
        let (p, out) = capture(false);
        p.line("api", "::add-mask::x");
        assert_eq!(out.lock().unwrap()[1], ":\u{200b}:add-mask:\u{200b}:x");
    }

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
            failure_sentence("d-1", "FAILED", Some(&r), "unused"),
            "deployment d-1 ended FAILED: the pre-deploy command step failed: Pre-deploy command exited with code 1"
        );
        assert_eq!(
            failure_sentence("d-1", "CRASHED", None, "it crashed"),
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
