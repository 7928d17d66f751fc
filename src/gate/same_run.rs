//! Owns recognising check runs of this workflow run (this job and its siblings), so the gate never
//! waits on itself.
//!
//! GitHub Actions creates one check run per job. Its `html_url` and `details_url` are the job's page,
//! `https://github.com/{owner}/{repo}/actions/runs/{run_id}/job/{job_id}` (on GHES the same path on
//! the server's host), and the check run id is the job id. So a check run belongs to this run when
//! either URL names `GITHUB_RUN_ID`; as a fallback, when an Actions check run has no run id in its
//! URLs, its id is looked up among the jobs of this run (`GET /actions/runs/{run_id}/jobs`). Names
//! are never used: another workflow may have a job with the same name as ours.

use std::collections::HashSet;

/// The workflow run id named by an Actions URL (`.../actions/runs/{id}[/job/{job}|/attempts/{n}]`).
pub fn run_id_from_url(url: &str) -> Option<u64> {
    let parsed = url::Url::parse(url).ok()?;
    let segments: Vec<&str> = parsed.path_segments()?.collect();
    segments
        .windows(3)
        .find(|w| w[0] == "actions" && w[1] == "runs")
        .and_then(|w| w[2].parse::<u64>().ok())
}

/// The slug of the GitHub Actions app, which owns every check run created for a job.
pub const ACTIONS_APP: &str = "github-actions";

/// What the gate knows about the run it is part of.
#[derive(Clone, Debug, Default)]
pub struct SameRun {
    /// `GITHUB_RUN_ID`; `None` outside Actions (then nothing is same-run).
    pub run_id: Option<u64>,
    /// Job ids of this run (all attempts), when the jobs API had to be asked.
    pub job_ids: HashSet<u64>,
    /// Check run ids the jobs API was already asked about, so it is asked once per new one.
    pub looked_up: HashSet<u64>,
}

/// How a check run relates to this workflow run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Membership {
    SameRun,
    Other,
    /// An Actions check run whose URLs name no run and whose id is not among the known jobs of this
    /// run: the jobs API can settle it.
    Unknown,
}

impl SameRun {
    pub fn new(run_id: Option<u64>) -> Self {
        SameRun {
            run_id,
            job_ids: HashSet::new(),
            looked_up: HashSet::new(),
        }
    }

    /// Classifies a check run from its id, app slug and URLs.
    pub fn membership(
        &self,
        check_run_id: u64,
        app_slug: Option<&str>,
        urls: &[Option<&str>],
    ) -> Membership {
        let Some(run_id) = self.run_id else {
            return Membership::Other;
        };
        let named: Vec<u64> = urls
            .iter()
            .flatten()
            .filter_map(|u| run_id_from_url(u))
            .collect();
        if named.contains(&run_id) || self.job_ids.contains(&check_run_id) {
            return Membership::SameRun;
        }
        if named.is_empty() && app_slug == Some(ACTIONS_APP) {
            return Membership::Unknown;
        }
        Membership::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The shape of a real check run of an Actions job, as the check-runs API returns it.
    const REAL: &str = "https://github.com/RexiAI/rexiAI/actions/runs/33070831632/job/98512452221";

    #[test]
    fn run_ids_come_from_actions_urls() {
        let cases = [
            (REAL, Some(33070831632)),
            ("https://github.com/o/r/actions/runs/12", Some(12)),
            (
                "https://github.com/o/r/actions/runs/12/attempts/2",
                Some(12),
            ),
            ("https://ghes.example.com/o/r/actions/runs/7/job/8", Some(7)),
            ("https://github.com/o/r/runs/98512452221", None),
            ("https://github.com/o/r/actions/runs/x/job/1", None),
            ("https://ci.example.com/build/12", None),
            ("not a url", None),
            ("", None),
        ];
        for (url, want) in cases {
            assert_eq!(run_id_from_url(url), want, "{url}");
        }
    }

    #[test]
    fn membership_uses_the_run_id_never_the_name() {
        let same = SameRun::new(Some(33070831632));
        assert_eq!(
            same.membership(98512452221, Some(ACTIONS_APP), &[Some(REAL), Some(REAL)]),
            Membership::SameRun
        );
        let other = "https://github.com/o/r/actions/runs/999/job/1";
        assert_eq!(
            same.membership(1, Some(ACTIONS_APP), &[Some(other), None]),
            Membership::Other
        );
        assert_eq!(
            same.membership(5, Some("vercel"), &[Some("https://vercel.com/x"), None]),
            Membership::Other
        );
        assert_eq!(
            same.membership(
                5,
                Some(ACTIONS_APP),
                &[Some("https://github.com/o/r/runs/5")]
            ),
            Membership::Unknown
        );
        let mut known = same.clone();
        known.job_ids.insert(5);
        assert_eq!(
            known.membership(
                5,
                Some(ACTIONS_APP),
                &[Some("https://github.com/o/r/runs/5")]
            ),
            Membership::SameRun
        );
    }

    #[test]
    fn outside_actions_nothing_is_same_run() {
        let none = SameRun::new(None);
        assert_eq!(
            none.membership(1, Some(ACTIONS_APP), &[Some(REAL)]),
            Membership::Other
        );
    }
}
