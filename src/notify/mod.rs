//! Owns the notification when a run ends (`notify-webhook`, `notify-on`): which endings send it
//! (`failure`: failed or rolled back, including a run that broke or was cancelled; `always`:
//! every ending but invalid input, which changes and writes nothing anywhere), the body for the
//! URL's kind (`format`), and one bounded POST (`send`). A system layer beside `github`: the URL
//! is a secret, never printed; a notification that fails is a warning and never changes the exit
//! status.

pub mod format;
pub mod send;

use std::time::Duration;

use crate::config::{Config, NotifyConfig, NotifyOn};
use crate::context::Selection;
use crate::record::{Ending, RunReport, RunStatus};
use crate::timing::Timing;
use crate::workflow;
use format::{Format, Notice};

/// How long the notification may take in all after a run that ended by itself (a few attempts,
/// each bounded by `send::ATTEMPT_TIMEOUT`). It is sent while the final GitHub writes are made,
/// within their budget (`crate::cancel::SETTLE_BUDGET`), so it adds no time to a run.
pub const BUDGET: Duration = Duration::from_secs(20);
/// After a cancellation the runner kills the job within seconds: one short attempt, beside the
/// final GitHub writes.
pub const CANCELLED_BUDGET: Duration = Duration::from_secs(2);

/// What the notification needs from the configuration, taken once (the guard holds it, so the
/// notification goes out however the run ends).
#[derive(Clone, Debug)]
pub struct Notifier {
    settings: NotifyConfig,
    timing: Timing,
    /// A record for an ending that has none (the command, source, commit, version, environment).
    fallback: RunReport,
    repository: Option<String>,
    run_url: Option<String>,
}

impl Notifier {
    /// `None` without `notify-webhook`, and in a dry run (which sends nothing: a notice says
    /// what would be sent).
    pub fn from_config(cfg: &Config) -> Option<Notifier> {
        let settings = cfg.notify.clone()?;
        // `command: check` changes nothing anywhere, and sends nothing either.
        if cfg.command == crate::config::CommandKind::Check {
            return None;
        }
        if cfg.dry_run {
            workflow::notice(dry_run_sentence(&settings));
            return None;
        }
        let mut fallback = RunReport::new(
            cfg.command.as_str(),
            cfg.source.as_str(),
            cfg.dry_run,
            chrono::Utc::now(),
        );
        fallback.sha = cfg.sha.clone();
        fallback.version = cfg.version();
        if let Selection::Deploy { environment, .. } = &cfg.selection {
            fallback.environment = Some(environment.clone());
        }
        let run_url = cfg.github.run_url();
        Some(Notifier {
            settings,
            timing: cfg.timing,
            fallback,
            repository: cfg.github.repository.clone(),
            run_url,
        })
    }

    /// Sends the notification for `ending`, when `notify-on` asks for it. `last`: the run's
    /// latest record (for an ending without one); `cancelled`: the job was cancelled.
    pub async fn send(&self, ending: &Ending, last: Option<RunReport>, cancelled: bool) {
        let Some(notice) = self.notice_for(ending, last) else {
            return;
        };
        let wanted = match self.settings.on {
            NotifyOn::Always => true,
            NotifyOn::Failure => matches!(
                notice.report.status,
                RunStatus::Failed | RunStatus::RolledBack
            ),
        };
        if !wanted {
            return;
        }
        let url = &self.settings.url;
        let format = Format::of(url.expose());
        let body = format::body(format, &notice);
        let (budget, attempts) = if cancelled {
            (CANCELLED_BUDGET, 1)
        } else {
            (BUDGET, send::ATTEMPTS)
        };
        match send::post(url, &body, &self.timing, budget, attempts).await {
            Ok(()) => workflow::info(format!(
                "Notification sent ({format:?} format, `{}`)",
                notice.report.status.as_str()
            )),
            Err(why) => workflow::warning(format!(
                "the notification to `notify-webhook` could not be sent: {why}; the run's outcome is unchanged"
            )),
        }
    }

    /// What the notification says about `ending` (`None`: invalid input, which sends nothing).
    pub fn notice_for(&self, ending: &Ending, last: Option<RunReport>) -> Option<Notice> {
        let mut report = match ending {
            Ending::Finished(r) => (**r).clone(),
            Ending::InvalidInput(_) | Ending::InvalidAfterReading { .. } => return None,
            Ending::Broken(why) => {
                let mut r = last.unwrap_or_else(|| self.fallback.clone());
                r.status = RunStatus::Failed;
                r.failure = Some(why.clone());
                r
            }
        };
        let f = &self.fallback;
        report.environment = report.environment.or_else(|| f.environment.clone());
        report.sha = report.sha.or_else(|| f.sha.clone());
        report.version = report.version.or_else(|| f.version.clone());
        Some(Notice {
            report,
            repository: self.repository.clone(),
            run_url: self.run_url.clone(),
        })
    }
}

/// What a dry run says instead of notifying.
fn dry_run_sentence(settings: &NotifyConfig) -> String {
    let format = match Format::of(settings.url.expose()) {
        Format::Slack => "a Slack message",
        Format::Discord => "a Discord message",
        Format::Json => "the JSON object",
    };
    let when = match settings.on {
        NotifyOn::Always => "after every run (`notify-on: always`)",
        NotifyOn::Failure => "when the run fails or is rolled back (`notify-on: failure`)",
    };
    format!("Dry run: no notification is sent; `notify-webhook` would get {format} {when}")
}
