//! Owns reading a commit's checks from GitHub for the gate: its check runs
//! (`GET /repos/{o}/{r}/commits/{ref}/check-runs?filter=latest`), its combined status
//! (`GET /repos/{o}/{r}/commits/{ref}/status`, the latest status per context) and the job ids of
//! a workflow run (`GET /repos/{o}/{r}/actions/runs/{id}/jobs?filter=all`), each read in full by
//! page number (100 a page, GitHub's maximum for all three) up to [`MAX_PAGES`]. A list longer
//! than that is an error: the gate must not judge a commit by part of its checks.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::GitHub;
use super::pages::{MAX_PER_PAGE, Pages};
use super::request::{GitHubError, Reply};

/// Pages read at most from each list (10,000 check runs, statuses or jobs).
const MAX_PAGES: u32 = 100;

#[derive(Clone, Debug, Deserialize)]
pub struct CheckRun {
    pub id: u64,
    pub name: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub html_url: Option<String>,
    pub details_url: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub app: Option<CheckApp>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct CheckApp {
    pub slug: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct CommitStatus {
    pub id: u64,
    pub context: String,
    pub state: String,
    pub target_url: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct CheckRunsPage {
    check_runs: Vec<CheckRun>,
}

#[derive(Deserialize)]
struct CombinedStatus {
    statuses: Vec<CommitStatus>,
}

#[derive(Deserialize)]
struct JobsPage {
    jobs: Vec<Job>,
}

#[derive(Deserialize)]
struct Job {
    id: u64,
}

/// Every item of a list, or an error naming the cap when GitHub has more pages.
async fn whole<T: serde::de::DeserializeOwned>(pages: Pages<'_, T>) -> Result<Vec<T>, GitHubError> {
    let listing = pages.all().await?;
    if !listing.complete {
        return Err(GitHubError::Decode {
            route: listing.route,
            detail: format!("more than {MAX_PAGES} pages; the gate cannot read them all"),
        });
    }
    Ok(listing.items)
}

impl GitHub {
    /// The latest check runs of commit `sha`, every page.
    pub async fn check_runs(&self, sha: &str) -> Result<Vec<CheckRun>, GitHubError> {
        let route = self.route(&format!("/commits/{sha}/check-runs?filter=latest"));
        let decode = |r: &Reply, route: &str| Ok(r.json::<CheckRunsPage>(route)?.check_runs);
        whole(Pages::new(self, route, MAX_PER_PAGE, MAX_PAGES, decode)).await
    }

    /// The statuses of commit `sha`'s combined status (the latest per context), every page. Its
    /// own `state` is not returned: GitHub says `pending` for a commit with no statuses at all.
    pub async fn statuses(&self, sha: &str) -> Result<Vec<CommitStatus>, GitHubError> {
        let route = self.route(&format!("/commits/{sha}/status"));
        let decode = |r: &Reply, route: &str| Ok(r.json::<CombinedStatus>(route)?.statuses);
        whole(Pages::new(self, route, MAX_PER_PAGE, MAX_PAGES, decode)).await
    }

    /// Every job id of workflow run `run_id`, all attempts.
    pub async fn run_job_ids(&self, run_id: u64) -> Result<Vec<u64>, GitHubError> {
        let route = self.route(&format!("/actions/runs/{run_id}/jobs?filter=all"));
        let decode = |r: &Reply, route: &str| {
            Ok(r.json::<JobsPage>(route)?
                .jobs
                .into_iter()
                .map(|j| j.id)
                .collect())
        };
        whole(Pages::new(self, route, MAX_PER_PAGE, MAX_PAGES, decode)).await
    }
}
