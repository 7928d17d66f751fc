//! Owns what happens when the job is cancelled: the runner sends SIGINT, then SIGTERM about 7.5 s
//! later, then SIGKILL 2.5 s after that. [`until_signal`] races the pipeline against SIGTERM and
//! SIGINT; on a signal, [`CancelGuard::on_cancel`] first cancels on Railway the deployments the
//! run started that are not live yet (all at once, within [`RAILWAY_CANCEL_BUDGET`]; the
//! registry is `crate::deploy::started`, filled by the deploy stage), then writes the
//! Deployment's final `error` status and the "cancelled" comment within [`FINAL_WRITES_BUDGET`],
//! so a cancelled run never leaves a build running, a Deployment `in_progress` or a comment
//! saying "deploying".
//!
//! Wiring: the pipeline calls `guard.arm(publisher)` right after `GitHubRun::start` and
//! `guard.update(&report)` after each stage; main runs the pipeline through [`run_to_end`], so
//! every ending, including an early `return`, an internal error, a signal or a panic of the
//! action itself, writes exactly one final status and comment.
//!
//! Decision (a crash of the action): the release profile unwinds (`panic = "unwind"` in
//! Cargo.toml; `abort` would skip every final write). [`run_to_end`] catches the pipeline's
//! panic, turns it into `Ending::Broken`, and settles the Deployment (`error`) and the comment
//! ("failed") like any other broken run. A panic outside the pipeline future (none is expected)
//! still prints through main's panic hook and exits non-zero.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;

use crate::deploy::started::StartedDeployments;
use crate::record::Ending;
use crate::record::RunReport;
use crate::report::publish::Publisher;
use crate::workflow;

/// How long the final writes may take after a signal: inside the runner's 7.5 s grace period.
pub const FINAL_WRITES_BUDGET: Duration = Duration::from_secs(5);
/// How long each `deploymentCancel` may take (they run concurrently, before the GitHub writes):
/// with [`FINAL_WRITES_BUDGET`], inside the 10 s between SIGINT and SIGKILL.
pub const RAILWAY_CANCEL_BUDGET: Duration = Duration::from_millis(2500);

/// The signal that ended the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Terminate,
    Interrupt,
}

impl Signal {
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Terminate => "SIGTERM",
            Signal::Interrupt => "SIGINT",
        }
    }
}

/// How long the final writes of a finished (or crashed) run may take in all: a stalled GitHub
/// must not keep a finished run alive (each request is bounded too, see `github::request`).
pub const SETTLE_BUDGET: Duration = Duration::from_secs(45);

/// Runs the pipeline future `fut` to its [`Ending`], whatever happens, and settles what it
/// published: its own ending; `Broken` when it panicked; the cancelled status and comment on
/// SIGTERM/SIGINT.
pub async fn run_to_end<F>(guard: &CancelGuard, fut: F) -> Ending
where
    F: Future<Output = Ending>,
{
    let ending = match until_signal(AssertUnwindSafe(fut).catch_unwind()).await {
        Ok(Ok(ending)) => ending,
        Ok(Err(payload)) => Ending::Broken(format!(
            "internal error (a bug in railway-deploy, please report it): {}",
            panic_message(payload.as_ref())
        )),
        Err(sig) => {
            guard.on_cancel(sig).await;
            return Ending::Broken(format!("cancelled by {}", sig.as_str()));
        }
    };
    if tokio::time::timeout(SETTLE_BUDGET, guard.settle(&ending))
        .await
        .is_err()
    {
        workflow::warning(
            "GitHub did not take the final status and comment in time; the Deployment may still              show in progress",
        );
    }
    ending
}

/// The text a panic was raised with.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// Runs `fut` to completion unless SIGTERM or SIGINT arrives first (then `fut` is dropped).
/// When the handlers cannot be installed, `fut` simply runs.
pub async fn until_signal<F: Future>(fut: F) -> Result<F::Output, Signal> {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        workflow::warning(
            "could not listen for cancellation signals; a cancelled job may leave the GitHub \
             Deployment in progress",
        );
        return Ok(fut.await);
    };
    tokio::select! {
        out = fut => Ok(out),
        _ = term.recv() => Err(Signal::Terminate),
        _ = int.recv() => Err(Signal::Interrupt),
    }
}

#[derive(Default, Debug)]
struct Armed {
    publisher: Option<Publisher>,
    report: Option<RunReport>,
}

/// Shared between main and the pipeline: what to finish if a signal ends the run.
#[derive(Clone, Default, Debug)]
pub struct CancelGuard {
    inner: Arc<Mutex<Armed>>,
    started: StartedDeployments,
}

impl CancelGuard {
    fn with<T>(&self, f: impl FnOnce(&mut Armed) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The deployments the run started: the deploy stage records them here.
    pub fn started(&self) -> &StartedDeployments {
        &self.started
    }

    /// The run has published its start: from now on a signal must finish it.
    pub fn arm(&self, publisher: Publisher) {
        self.with(|a| a.publisher = Some(publisher));
    }

    /// The latest state of the run, rendered in the cancelled comment.
    pub fn update(&self, report: &RunReport) {
        self.with(|a| a.report = Some(report.clone()));
    }

    /// The run has written its final status: nothing is left to do on a signal.
    pub fn disarm(&self) {
        self.with(|a| a.publisher = None);
    }

    pub fn is_armed(&self) -> bool {
        self.with(|a| a.publisher.is_some())
    }

    /// Finishes what the run published, from how it ended: the report's outcome when it finished,
    /// `error` when the action broke. Does nothing when nothing was published (or already settled).
    pub async fn settle(&self, ending: &Ending) {
        let (publisher, last) = self.with(|a| (a.publisher.take(), a.report.clone()));
        let Some(publisher) = publisher else { return };
        match ending {
            Ending::Finished(report) => publisher.finish(report).await,
            Ending::InvalidInput(msg) | Ending::Broken(msg) => {
                let report = last.unwrap_or_else(|| {
                    RunReport::new("deploy", "unknown", false, chrono::Utc::now())
                });
                publisher.finish_error(&report, msg).await
            }
        }
    }

    /// Cancels the run's deployments that are not live yet on Railway, then writes the final
    /// `error` status and the cancelled comment, within [`FINAL_WRITES_BUDGET`] (GitHub writes
    /// only when armed).
    pub async fn on_cancel(&self, signal: Signal) {
        let (publisher, report) = self.with(|a| (a.publisher.take(), a.report.clone()));
        workflow::error(format!(
            "cancelled by {}: recording the outcome on GitHub before exiting",
            signal.as_str()
        ));
        self.started.cancel_not_live(RAILWAY_CANCEL_BUDGET).await;
        let Some(publisher) = publisher else { return };
        let report = report
            .unwrap_or_else(|| RunReport::new("deploy", "unknown", false, chrono::Utc::now()));
        let writes = publisher.cancelled(&report, signal.as_str());
        if tokio::time::timeout(FINAL_WRITES_BUDGET, writes)
            .await
            .is_err()
        {
            workflow::warning(
                "GitHub did not answer in time after the cancellation; the Deployment may still \
                 show in progress",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_release_profile_unwinds_so_a_panic_still_settles() {
        let manifest = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"));
        let release = manifest
            .split("[profile.release]")
            .nth(1)
            .and_then(|rest| rest.split("\n[").next())
            .unwrap_or_default();
        assert!(release.contains("panic = \"unwind\""), "{release}");
    }

    #[test]
    fn panic_messages_are_read_from_both_payload_kinds() {
        let a: Box<dyn std::any::Any + Send> = Box::new("static");
        let b: Box<dyn std::any::Any + Send> = Box::new(String::from("owned"));
        let c: Box<dyn std::any::Any + Send> = Box::new(7_u8);
        assert_eq!(panic_message(a.as_ref()), "static");
        assert_eq!(panic_message(b.as_ref()), "owned");
        assert_eq!(panic_message(c.as_ref()), "a panic without a message");
    }
}
