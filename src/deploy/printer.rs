//! Owns where deploy output lines go in the workflow log: [`LogPrinter`] gives each service one
//! collapsed `::group::`. Groups cannot interleave, so with several services the first to log
//! streams live and the others are buffered (bounded) until the open group closes; lines are then
//! prefixed with the service name. Status progress lines ([`progress`]) and failure tails
//! ([`report_failure`]) go through the same printer. A leaf below `follow`, `watch` and `logs`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::workflow;

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

/// Prints the last log lines of a failed deployment outside any group (through `printer`, so
/// they never land inside another service's open group). The `::error::` annotation is not
/// printed here: the pipeline prints one per failed service from its report, which carries
/// `logs::failure_sentence`, so the run page shows each failure once.
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
}
