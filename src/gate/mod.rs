//! Owns the gate: waits until the commit's other checks and statuses pass before anything changes.
//!
//! [`wait_for_checks`] polls GitHub (check runs and the combined status, see `fetch`) through
//! `crate::wait` with backoff from 5 s to 30 s until the rule in `evaluate` says pass or fail, or `checks-timeout` runs out.
//! It prints one progress line per poll and never mutates anything; the pipeline stops the run
//! (exit 1, `status: failed`) when the returned report has `passed: false`.

mod evaluate;
pub(crate) mod fetch;
mod message;
pub(crate) mod same_run;

use std::time::{Duration, Instant};

use crate::github::GitHub;
use crate::github::request::{Failure, GitHubError};
use crate::record::{CheckReport, GateReport};
use crate::timing::{Backoff, Timing};
use crate::wait::{Next, Waiter};
use crate::workflow;

use crate::config::ChecksMode;
pub use evaluate::{IGNORED, MISSING, NOT_WAITED_ON};
pub use same_run::run_id_from_url;

use evaluate::{Outcome, evaluate};
use same_run::SameRun;

/// The first wait between polls, and the longest.
const FIRST_POLL_DELAY: Duration = Duration::from_secs(5);
const MAX_POLL_DELAY: Duration = Duration::from_secs(30);

#[derive(Clone, Debug)]
pub struct GateRequest {
    /// The commit whose checks must pass.
    pub sha: String,
    /// `GITHUB_RUN_ID`: check runs of this workflow run are "same-run".
    pub run_id: Option<u64>,
    pub mode: ChecksMode,
    /// `ignore-checks`.
    pub ignore: Vec<String>,
    /// `checks-timeout` (real time, never scaled).
    pub timeout: Duration,
}

fn fail(checks: Vec<CheckReport>, reason: String) -> GateReport {
    GateReport {
        passed: false,
        checks,
        reason: Some(reason),
    }
}

/// What to do when GitHub could not be read.
fn read_error(sha: &str, repo: &str, e: &GitHubError) -> String {
    let advice = match e.failure() {
        Failure::BadToken => "Check `github-token`: it was refused.".to_string(),
        Failure::Refused | Failure::NotFound => "The token needs `checks: read` and `statuses: read` (in the workflow: `permissions:` with `checks: read` and `statuses: read`); or set `wait-for-checks: false` to deploy without the gate.".to_string(),
        Failure::Rejected => format!("Is commit {sha} pushed to {repo}?"),
        _ => "Run it again; or set `wait-for-checks: false` to deploy without the gate.".to_string(),
    };
    format!(
        "Could not read the checks of {} in {repo}: {e}. Nothing was deployed. {advice}",
        message::short_sha(sha)
    )
}

/// Waits until the commit's checks pass (see `evaluate` for the rule). `ChecksMode::Off` returns a
/// passed report without any request. Never panics; every failure is in the report's `reason`.
pub async fn wait_for_checks(
    gh: Option<&GitHub>,
    req: &GateRequest,
    timing: &Timing,
) -> GateReport {
    if req.mode == ChecksMode::Off {
        workflow::info("wait-for-checks is false: not waiting for checks");
        return GateReport {
            passed: true,
            checks: Vec::new(),
            reason: None,
        };
    }
    let Some(gh) = gh else {
        return fail(
            Vec::new(),
            "Waiting for checks needs the GitHub API: set `github-token` (and `GITHUB_REPOSITORY`), or set `wait-for-checks: false`.".to_string(),
        );
    };
    if req.sha.trim().is_empty() {
        return fail(
            Vec::new(),
            "Waiting for checks needs the commit sha (`GITHUB_SHA`), or set `wait-for-checks: false`.".to_string(),
        );
    }
    poll_checks(gh, req, timing).await
}

/// A passed gate, said in the log.
fn passed(req: &GateRequest, checks: Vec<CheckReport>, same_run_skipped: usize) -> GateReport {
    workflow::info(message::passed(&req.sha, checks.len(), same_run_skipped));
    GateReport {
        passed: true,
        checks,
        reason: None,
    }
}

/// Looks at the commit's checks until the rule decides or `checks-timeout` runs out.
async fn poll_checks(gh: &GitHub, req: &GateRequest, timing: &Timing) -> GateReport {
    let repo = format!("{}/{}", gh.owner, gh.repo);
    let now = Instant::now();
    // A timeout too large for the clock still means "a very long time", never a panic.
    let deadline = now
        .checked_add(req.timeout)
        .unwrap_or_else(|| now + Duration::from_secs(10 * 365 * 24 * 3600));
    // Rate limits are waited out while the gate's own deadline allows; past it, a clear error.
    let gh = &gh.until(deadline);
    let mut backoff = Backoff::new(FIRST_POLL_DELAY, MAX_POLL_DELAY);
    let mut waiter = Waiter::until_std(deadline, *timing);
    let mut same = SameRun::new(req.run_id);
    let mut checks = Vec::new();
    let mut first_look = true;
    loop {
        let observed = match fetch::observe(gh, &req.sha, &mut same).await {
            Ok(o) => o,
            Err(e) => return fail(checks, read_error(&req.sha, &repo, &e)),
        };
        let eval = evaluate(&observed, &req.mode, &req.ignore);
        checks = eval.checks;
        match eval.outcome {
            Outcome::Failed(problems) => {
                return fail(checks, message::failed(&req.sha, &problems));
            }
            // Other workflows started by the same event may not have created their check runs
            // yet when this job starts: with nothing else on the commit, look once more.
            Outcome::Passed
                if first_look && fetch::nothing_else(&observed) && req.mode == ChecksMode::All =>
            {
                first_look = false;
                let next = waiter
                    .pause(backoff.next_delay(), |wait| {
                        workflow::info(format!(
                            "Checks on {}: nothing else to wait on yet; looking once more in {} in case other workflows have not registered their checks",
                            message::short_sha(&req.sha),
                            message::human(wait)
                        ))
                    })
                    .await;
                if next == Next::StillRunning {
                    return passed(req, checks, eval.same_run_skipped);
                }
            }
            Outcome::Passed => return passed(req, checks, eval.same_run_skipped),
            // The poll interval goes through `Timing` (scaled in tests); it never overshoots the
            // deadline, so the last look happens right at `checks-timeout`.
            Outcome::Waiting { pending, missing } => {
                first_look = false;
                let next = waiter
                    .pause(backoff.next_delay(), |wait| {
                        workflow::info(message::progress(&req.sha, &pending, &missing, wait))
                    })
                    .await;
                if next == Next::StillRunning {
                    let seen: Vec<String> = observed.iter().map(|o| o.name.clone()).collect();
                    let reason =
                        message::timed_out(&req.sha, req.timeout, &pending, &missing, &seen);
                    return fail(checks, reason);
                }
            }
        }
    }
}
