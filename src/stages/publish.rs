//! Owns the report step: publishes the run on GitHub (the Deployment `in_progress` and the
//! "deploying" comment) and arms the cancel guard with it, so that however the run ends, `main`
//! settles what was published.

use std::time::Duration;

use super::context::Context;
use crate::record::{RunReport, Stop};
use crate::report::publish::{PublishOptions, Publisher};
use crate::workflow;

/// How long publishing the start (the GitHub Deployment, the "deploying" comment) may take in
/// all. With the gate's 2 s past `checks-timeout` and `crate::cancel::SETTLE_BUDGET` for the final
/// writes, a GitHub that stalls everywhere adds under a minute to the run's own deadlines.
pub const START_BUDGET: Duration = Duration::from_secs(25);

/// Runs the report step (`None`: nothing to publish). Never stops the run.
pub async fn run(
    cx: &Context<'_>,
    opts: &Option<PublishOptions>,
    report: &mut RunReport,
) -> Result<(), Stop> {
    publish(cx, opts.as_ref(), report).await;
    Ok(())
}

/// Starts the GitHub Deployment and the "deploying" comment, when there is a client and options,
/// arming the cancel guard with each part as soon as it may exist: the Deployment before its
/// create is sent (a signal between GitHub taking a write and the run hearing back must still end
/// it; `github::unanswered` finds it by its key). Within [`START_BUDGET`] in all: a GitHub
/// that stalls must not hold the deploy back (each request is bounded too); the run then goes
/// on with what was published so far, with a warning, and ends that part as usual.
async fn publish(cx: &Context<'_>, opts: Option<&PublishOptions>, report: &RunReport) {
    let (Some(gh), Some(opts)) = (cx.github.as_ref(), opts) else {
        return;
    };
    let start = Publisher::start_reporting(gh, opts, report, |so_far| cx.guard.arm(so_far.clone()));
    match tokio::time::timeout(START_BUDGET, start).await {
        Ok(publisher) => cx.guard.arm(publisher),
        Err(_) => workflow::warning(format!(
            "GitHub did not answer within {}s: the run goes on without a complete GitHub \
             Deployment or PR comment",
            START_BUDGET.as_secs()
        )),
    }
}
