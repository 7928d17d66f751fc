//! Owns reading a commit's checks from GitHub: every page of its check runs (the latest per name)
//! and its combined status (the latest per context), turned into [`Observed`] values.
//!
//! octocrab's typed checks API lacks the check run `status` filter and pagination of the combined
//! status by sha, so these are raw requests through `crate::github::request` (rate limits and
//! retries handled there) with this module's own serde types. One poll is one request per page of
//! check runs (100 per page) plus one for the combined status; the jobs API is asked only when an
//! unfinished Actions check run carries no run id in its URLs (see `same_run`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::github::GitHub;
use crate::github::request::{GitHubError, Method, Reply, send};
use crate::retry::RetryPolicy;
use crate::timing::Timing;

use super::evaluate::{Kind, Observed, check_run_state, status_state};
use super::same_run::{Membership, SameRun};

/// A bound on pages followed, so a broken `Link` header cannot loop forever (10,000 check runs).
const MAX_PAGES: usize = 100;

#[derive(Deserialize)]
struct CheckRunsPage {
    check_runs: Vec<RawCheckRun>,
}

#[derive(Clone, Deserialize)]
struct RawCheckRun {
    id: u64,
    name: String,
    status: String,
    conclusion: Option<String>,
    html_url: Option<String>,
    details_url: Option<String>,
    started_at: Option<DateTime<Utc>>,
    app: Option<RawApp>,
}

#[derive(Clone, Deserialize)]
struct RawApp {
    slug: Option<String>,
}

#[derive(Deserialize)]
struct CombinedStatus {
    statuses: Vec<RawStatus>,
}

#[derive(Clone, Deserialize)]
struct RawStatus {
    id: u64,
    context: String,
    state: String,
    target_url: Option<String>,
    updated_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct JobsPage {
    jobs: Vec<RawJob>,
}

#[derive(Deserialize)]
struct RawJob {
    id: u64,
}

/// GETs `first` and every page after it (`Link: rel="next"`), decoding each page with `decode`.
async fn get_all_pages<T>(
    gh: &GitHub,
    first: String,
    policy: &RetryPolicy,
    timing: &Timing,
    decode: impl Fn(&Reply, &str) -> Result<Vec<T>, GitHubError>,
) -> Result<Vec<T>, GitHubError> {
    let mut items = Vec::new();
    let mut route = first;
    for _ in 0..MAX_PAGES {
        let reply = send(gh, Method::GET, &route, None, policy, timing, |_| false).await?;
        items.extend(decode(&reply, &route)?);
        match reply.next_page() {
            Some(next) if next != route => route = next,
            _ => return Ok(items),
        }
    }
    Err(GitHubError::Decode {
        route,
        detail: format!("more than {MAX_PAGES} pages; the gate cannot read them all"),
    })
}

async fn check_runs(
    gh: &GitHub,
    sha: &str,
    policy: &RetryPolicy,
    timing: &Timing,
) -> Result<Vec<RawCheckRun>, GitHubError> {
    let first = format!(
        "{}/commits/{sha}/check-runs?per_page=100&filter=latest",
        gh.repo_route()
    );
    get_all_pages(gh, first, policy, timing, |reply, route| {
        Ok(reply.json::<CheckRunsPage>(route)?.check_runs)
    })
    .await
}

async fn statuses(
    gh: &GitHub,
    sha: &str,
    policy: &RetryPolicy,
    timing: &Timing,
) -> Result<Vec<RawStatus>, GitHubError> {
    // The combined status already holds the latest status per context. Its `state` is ignored:
    // GitHub says `pending` for a commit with no statuses at all, which is not something to wait on.
    let first = format!("{}/commits/{sha}/status?per_page=100", gh.repo_route());
    get_all_pages(gh, first, policy, timing, |reply, route| {
        Ok(reply.json::<CombinedStatus>(route)?.statuses)
    })
    .await
}

/// Every job id of workflow run `run_id`, all attempts.
pub(crate) async fn run_job_ids(
    gh: &GitHub,
    run_id: u64,
    policy: &RetryPolicy,
    timing: &Timing,
) -> Result<Vec<u64>, GitHubError> {
    let first = format!(
        "{}/actions/runs/{run_id}/jobs?filter=all&per_page=100",
        gh.repo_route()
    );
    get_all_pages(gh, first, policy, timing, |reply, route| {
        Ok(reply
            .json::<JobsPage>(route)?
            .jobs
            .into_iter()
            .map(|j| j.id)
            .collect())
    })
    .await
}

fn membership(same: &SameRun, c: &RawCheckRun) -> Membership {
    same.membership(
        c.id,
        c.app.as_ref().and_then(|a| a.slug.as_deref()),
        &[c.html_url.as_deref(), c.details_url.as_deref()],
    )
}

/// Keeps the latest check run per name, separately for this run's jobs and everything else (so a
/// job of ours never hides another workflow's check of the same name). Latest = started last,
/// then the higher id (a re-run gets a new, higher id).
fn latest_check_runs(runs: Vec<(RawCheckRun, bool)>) -> Vec<(RawCheckRun, bool)> {
    let mut latest: HashMap<(bool, String), (RawCheckRun, bool)> = HashMap::new();
    for (run, same) in runs {
        let key = (same, run.name.clone());
        let newer = match latest.get(&key) {
            Some((old, _)) => (run.started_at, run.id) > (old.started_at, old.id),
            None => true,
        };
        if newer {
            latest.insert(key, (run, same));
        }
    }
    let mut out: Vec<_> = latest.into_values().collect();
    out.sort_by(|a, b| a.0.name.cmp(&b.0.name).then(a.1.cmp(&b.1)));
    out
}

fn latest_statuses(statuses: Vec<RawStatus>) -> Vec<RawStatus> {
    let mut latest: HashMap<String, RawStatus> = HashMap::new();
    for s in statuses {
        let newer = match latest.get(&s.context) {
            Some(old) => (s.updated_at, s.id) > (old.updated_at, old.id),
            None => true,
        };
        if newer {
            latest.insert(s.context.clone(), s);
        }
    }
    let mut out: Vec<_> = latest.into_values().collect();
    out.sort_by(|a, b| a.context.cmp(&b.context));
    out
}

/// One look at the commit: its check runs then its statuses. `same` learns this run's job ids
/// when the jobs API has to be asked (at most once per call).
pub async fn observe(
    gh: &GitHub,
    sha: &str,
    same: &mut SameRun,
    policy: &RetryPolicy,
    timing: &Timing,
) -> Result<Vec<Observed>, GitHubError> {
    let runs = check_runs(gh, sha, policy, timing).await?;
    // Ask the jobs API only about unfinished Actions check runs not asked about before.
    let unresolved: Vec<u64> = runs
        .iter()
        .filter(|c| c.status != "completed" && !same.looked_up.contains(&c.id))
        .filter(|c| membership(same, c) == Membership::Unknown)
        .map(|c| c.id)
        .collect();
    if let (false, Some(run_id)) = (unresolved.is_empty(), same.run_id) {
        same.looked_up.extend(unresolved);
        match run_job_ids(gh, run_id, policy, timing).await {
            Ok(ids) => same.job_ids.extend(ids),
            // Without `actions: read` the lookup fails; those check runs are then waited on
            // like any other, which is safe (never deploys early), only possibly slow.
            Err(e) => crate::workflow::warning(format!(
                "could not list the jobs of this workflow run to recognise its own check runs ({e}); they will be waited on like other checks"
            )),
        }
    }
    let classified: Vec<(RawCheckRun, bool)> = runs
        .into_iter()
        .map(|c| {
            let same_run = membership(same, &c) == Membership::SameRun;
            (c, same_run)
        })
        .collect();
    let mut observed: Vec<Observed> = latest_check_runs(classified)
        .into_iter()
        .map(|(c, same_run)| {
            let (state, value) = check_run_state(&c.status, c.conclusion.as_deref());
            Observed {
                name: c.name,
                kind: Kind::CheckRun,
                value,
                state,
                url: c.html_url.or(c.details_url),
                same_run,
            }
        })
        .collect();
    let statuses = statuses(gh, sha, policy, timing).await?;
    observed.extend(latest_statuses(statuses).into_iter().map(|s| Observed {
        state: status_state(&s.state),
        name: s.context,
        kind: Kind::Status,
        value: s.state,
        url: s.target_url.filter(|u| !u.is_empty()),
        same_run: false,
    }));
    Ok(observed)
}

/// Whether nothing the gate could wait on was seen (no check run outside this run, no status).
pub fn nothing_else(observed: &[Observed]) -> bool {
    observed.iter().all(|o| o.same_run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(id: u64, name: &str, started: i64) -> RawCheckRun {
        RawCheckRun {
            id,
            name: name.to_string(),
            status: "completed".into(),
            conclusion: Some("success".into()),
            html_url: None,
            details_url: None,
            started_at: DateTime::from_timestamp(started, 0),
            app: None,
        }
    }

    #[test]
    fn latest_check_run_per_name_and_side() {
        let runs = vec![
            (raw(1, "test", 100), false),
            (raw(2, "test", 200), false),
            (raw(3, "test", 50), true),
            (raw(5, "lint", 100), false),
            (raw(4, "lint", 100), false),
        ];
        let got: Vec<(u64, bool)> = latest_check_runs(runs)
            .iter()
            .map(|(c, s)| (c.id, *s))
            .collect();
        assert_eq!(got, vec![(5, false), (2, false), (3, true)]);
    }

    #[test]
    fn latest_status_per_context() {
        let s = |id, ctx: &str, state: &str, t| RawStatus {
            id,
            context: ctx.into(),
            state: state.into(),
            target_url: None,
            updated_at: DateTime::from_timestamp(t, 0),
        };
        let got: Vec<(String, String)> = latest_statuses(vec![
            s(1, "ci", "pending", 10),
            s(2, "ci", "success", 20),
            s(3, "docs", "error", 5),
        ])
        .into_iter()
        .map(|s| (s.context, s.state))
        .collect();
        assert_eq!(
            got,
            vec![
                ("ci".into(), "success".into()),
                ("docs".into(), "error".into())
            ]
        );
    }
}
