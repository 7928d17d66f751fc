//! The GitHub reads of a setup, each only when an input needs it: the commit's check runs and
//! statuses (the gate's own reads, `crate::gate::fetch`), the jobs of this workflow run (how the
//! gate tells its own jobs apart), the environment's deployments (`github-deployment`), and the
//! pull requests of the commit (`comment`). A refusal is said as the permission to add. Writing
//! (a Deployment, a comment) cannot be tried without writing: the workflow's `permissions:`
//! check (`super::permissions`) covers it.

use crate::gate::fetch::observe;
use crate::gate::same_run::SameRun;
use crate::github::GitHub;
use crate::github::comments::target_pulls;
use crate::github::request::GitHubError;
use crate::record::CheckResult;
use crate::text::short_sha;

use super::CheckContext;
use super::plan::GitHubReadsRequest;

/// Whether GitHub refused the token (403, or 404 for what a token may not see).
fn refused(e: &GitHubError) -> bool {
    matches!(e.status(), Some(401 | 403 | 404))
}

pub async fn check(cx: &CheckContext<'_>, req: &GitHubReadsRequest) -> Vec<CheckResult> {
    let Some(gh) = cx.github else {
        return vec![CheckResult::failed(
            "github",
            "`wait-for-checks`, `github-deployment` or `comment` is on, but there is no `github-token` or GITHUB_REPOSITORY: in Actions leave `github-token` at its default; elsewhere set `wait-for-checks: false`, `github-deployment: false` and `comment: false`",
        )];
    };
    let mut out = Vec::new();
    let Some(sha) = req.sha.as_deref() else {
        return vec![CheckResult::failed(
            "github",
            "no commit is known (GITHUB_SHA): run the check in GitHub Actions",
        )];
    };
    if req.gate {
        out.push(gate(gh, sha, req.run_id).await);
        if let Some(run_id) = req.run_id {
            out.push(match gh.run_job_ids(run_id).await {
                Ok(jobs) => CheckResult::ok(
                    "github actions",
                    format!("the jobs of this workflow run can be read ({})", jobs.len()),
                ),
                Err(e) if refused(&e) => CheckResult::warning(
                    "github actions",
                    "the token may not read this run's jobs (`actions: read`): when GitHub does not say which check run is this job, the gate waits on it like any other check (until `checks-timeout`); add `actions: read` to the job's `permissions:`",
                ),
                Err(e) => CheckResult::warning(
                    "github actions",
                    format!("this run's jobs could not be read: {e}"),
                ),
            });
        }
    }
    if req.deployments {
        let env = &cx.environment;
        out.push(match gh.last_successful_commit(env).await {
            Ok(last) => CheckResult::ok(
                "github deployments",
                match last {
                    Some(d) => format!(
                        "the deployments of `{env}` can be read (last successful: {})",
                        short_sha(&d.sha)
                    ),
                    None => format!("the deployments of `{env}` can be read (none successful yet)"),
                },
            ),
            Err(e) if refused(&e) => CheckResult::failed(
                "github deployments",
                "the token may not read deployments: `github-deployment: true` records none; add `deployments: write` to the job's `permissions:`, or set `github-deployment: false`",
            ),
            Err(e) => CheckResult::warning(
                "github deployments",
                format!("the deployments could not be read: {e}"),
            ),
        });
    }
    if req.comment {
        out.push(match target_pulls(gh, None, sha).await {
            Ok(pulls) => CheckResult::ok(
                "github pull requests",
                format!(
                    "the pull requests of commit {} can be read ({} now)",
                    short_sha(sha),
                    pulls.len()
                ),
            ),
            Err(e) if refused(&e) => CheckResult::failed(
                "github pull requests",
                "the token may not list the pull requests of the commit: `comment: true` comments on none; add `pull-requests: write` (and `contents: read`) to the job's `permissions:`, or set `comment: false`",
            ),
            Err(e) => CheckResult::warning(
                "github pull requests",
                format!("the pull requests of the commit could not be read: {e}"),
            ),
        });
    }
    out
}

/// The gate's own look at the commit: its check runs, then its statuses.
async fn gate(gh: &GitHub, sha: &str, run_id: Option<u64>) -> CheckResult {
    const NAME: &str = "github checks";
    let mut same = SameRun::new(run_id);
    match observe(gh, sha, &mut same).await {
        Ok(seen) => CheckResult::ok(
            NAME,
            format!(
                "the check runs and statuses of commit {} can be read ({} now)",
                short_sha(sha),
                seen.len()
            ),
        ),
        Err(e) if refused(&e) => {
            let (what, permission) = match &e {
                GitHubError::Http { route, .. } if route.contains("/status") => {
                    ("statuses", "statuses: read")
                }
                _ => ("check runs", "checks: read"),
            };
            CheckResult::failed(
                NAME,
                format!(
                    "the token may not read the commit's {what}: the gate (`wait-for-checks`) would stop every deploy; add `{permission}` to the job's `permissions:`, or set `wait-for-checks: false`"
                ),
            )
        }
        Err(e) if e.status() == Some(422) => CheckResult::failed(
            NAME,
            format!(
                "GitHub does not know commit {}, so the gate could never see its checks: push the commit before deploying it (the check reads the checks of the commit a deploy would deploy)",
                short_sha(sha)
            ),
        ),
        Err(e) => CheckResult::failed(NAME, format!("the commit's checks could not be read: {e}")),
    }
}
