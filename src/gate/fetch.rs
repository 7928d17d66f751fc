//! Owns turning a commit's checks, as the GitHub client reads them (`GitHub::check_runs`,
//! `GitHub::statuses`, `GitHub::run_job_ids`), into [`Observed`] values: the latest check run per
//! name and the latest status per context. One poll is one request per page of check runs (100
//! per page) plus one for the combined status; the jobs API is asked only when an unfinished
//! Actions check run carries no run id in its URLs (see `same_run`).

use std::collections::HashMap;

use crate::github::GitHub;
use crate::github::checks::{CheckRun, CommitStatus};
use crate::github::request::GitHubError;

use super::evaluate::{Kind, Observed, check_run_state, status_state};
use super::same_run::{Membership, SameRun};

fn membership(same: &SameRun, c: &CheckRun) -> Membership {
    same.membership(
        c.id,
        c.app.as_ref().and_then(|a| a.slug.as_deref()),
        &[c.html_url.as_deref(), c.details_url.as_deref()],
    )
}

/// Keeps the latest check run per name, separately for this run's jobs and everything else (so a
/// job of ours never hides another workflow's check of the same name). Latest = started last,
/// then the higher id (a re-run gets a new, higher id).
fn latest_check_runs(runs: Vec<(CheckRun, bool)>) -> Vec<(CheckRun, bool)> {
    let mut latest: HashMap<(bool, String), (CheckRun, bool)> = HashMap::new();
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

fn latest_statuses(statuses: Vec<CommitStatus>) -> Vec<CommitStatus> {
    let mut latest: HashMap<String, CommitStatus> = HashMap::new();
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
) -> Result<Vec<Observed>, GitHubError> {
    let runs = gh.check_runs(sha).await?;
    // Ask the jobs API only about unfinished Actions check runs not asked about before.
    let unresolved: Vec<u64> = runs
        .iter()
        .filter(|c| c.status != "completed" && !same.looked_up.contains(&c.id))
        .filter(|c| membership(same, c) == Membership::Unknown)
        .map(|c| c.id)
        .collect();
    if let (false, Some(run_id)) = (unresolved.is_empty(), same.run_id) {
        same.looked_up.extend(unresolved);
        match gh.run_job_ids(run_id).await {
            Ok(ids) => same.job_ids.extend(ids),
            // Without `actions: read` the lookup fails; those check runs are then waited on
            // like any other, which is safe (never deploys early), only possibly slow.
            Err(e) => crate::workflow::warning(format!(
                "could not list the jobs of this workflow run to recognise its own check runs ({e}); they will be waited on like other checks"
            )),
        }
    }
    let classified: Vec<(CheckRun, bool)> = runs
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
    let statuses = gh.statuses(sha).await?;
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
    use chrono::DateTime;

    fn raw(id: u64, name: &str, started: i64) -> CheckRun {
        CheckRun {
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
        let s = |id, ctx: &str, state: &str, t| CommitStatus {
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
