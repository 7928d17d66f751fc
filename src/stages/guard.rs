//! Owns what a run must finish however it ends: the GitHub Deployment and comment it published
//! (armed by the pipeline's report step) and the Railway deployments it started (recorded by the
//! deploy stage), and the notification (`crate::notify`, set by `main`) sent beside the final
//! GitHub writes. `main`, through `crate::cancel`, settles it when the run ends or cancels it on
//! a signal.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::deploy::started::StartedDeployments;
use crate::notify::Notifier;
use crate::record::{Ending, RunReport, Signal};
use crate::report::publish::Publisher;
use crate::workflow;

/// How long the final writes may take after a signal: inside the runner's 7.5 s grace period.
pub const FINAL_WRITES_BUDGET: Duration = Duration::from_secs(5);
/// How long each `deploymentCancel` may take (they run concurrently, before the GitHub writes):
/// with [`FINAL_WRITES_BUDGET`], inside the 10 s between SIGINT and SIGKILL.
pub const RAILWAY_CANCEL_BUDGET: Duration = Duration::from_millis(2500);

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

    /// The latest state of the run it holds (what a cancelled comment would show).
    pub fn last_report(&self) -> Option<RunReport> {
        self.with(|a| a.report.clone())
    }

    /// The run has written its final status: nothing is left to do on a signal.
    pub fn disarm(&self) {
        self.with(|a| a.publisher = None);
    }

    pub fn is_armed(&self) -> bool {
        self.with(|a| a.publisher.is_some())
    }

    /// The notification to send however the run ends (`notify-webhook`).
    pub fn notify_with(&self, notifier: Notifier) {
        self.with(|a| a.notifier = Some(notifier));
    }

    /// Sends the notification once (the first ending that asks), beside `writes`.
    async fn with_notification(
        &self,
        ending: &Ending,
        cancelled: bool,
        writes: impl std::future::Future<Output = ()>,
    ) {
        let (notifier, last) = self.with(|a| (a.notifier.take(), a.report.clone()));
        let notify = async {
            if let Some(n) = notifier {
                n.send(ending, last, cancelled).await;
            }
        };
        futures_util::join!(writes, notify);
    }

    /// Finishes what the run published, from how it ended: the report's outcome when it finished,
    /// `error` when the action broke. Does nothing when nothing was published (or already settled).
    pub async fn settle(&self, ending: &Ending) {
        let (publisher, last) = self.with(|a| (a.publisher.take(), a.report.clone()));
        let writes = async {
            let Some(publisher) = publisher else { return };
            match ending {
                Ending::Finished(report) => publisher.finish(report).await,
                Ending::InvalidInput(msg)
                | Ending::InvalidAfterReading { message: msg, .. }
                | Ending::Broken(msg) => {
                    let report = last.unwrap_or_else(|| {
                        RunReport::new("deploy", "unknown", false, chrono::Utc::now())
                    });
                    publisher.finish_error(&report, msg).await
                }
            }
        };
        self.with_notification(ending, false, writes).await;
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
        let ending = Ending::Broken(format!("cancelled by {}", signal.as_str()));
        let writes = async {
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
        };
        self.with_notification(&ending, true, writes).await;
    }
}

#[derive(Default, Debug)]
struct Armed {
    publisher: Option<Publisher>,
    report: Option<RunReport>,
    notifier: Option<Notifier>,
}
