//! Owns GitHub's comparison of two commits (`GET /repos/{owner}/{repo}/compare/{base}...{head}`):
//! how `head` relates to `base` (`ahead`, `behind`, `identical`, `diverged`) and, when asked, the
//! files changed between them; and the commit of an environment's last successful GitHub
//! Deployment (the served commit when Railway's deployment carries none). A commit GitHub does
//! not know (404) is `Ok(None)`: the caller decides what that means.
//!
//! The record (https://docs.github.com/rest/commits/commits#compare-two-commits): "The list of
//! changed files is only shown on the first page of results, and it includes up to 300 changed
//! files for the entire comparison"; later pages page the commits. So one request is made, and
//! a list of 300 files or more is taken as possibly cut short (`Comparison::cut_short`): the
//! caller must then assume anything changed, or list the files another way (the migration files
//! come from both commits' trees then: `super::git_data`).

use serde::Deserialize;

use super::GitHub;
use super::deployment_list::DeploymentQuery;
use super::request::{GitHubError, Method, send};

/// The most files GitHub lists for one comparison: a list this long may be cut short.
pub const MAX_COMPARE_FILES: usize = 300;
/// Deployments of the environment whose statuses are read at most, looking for a success.
const MAX_STATUS_LOOKUPS: u32 = 10;

/// How `head` relates to `base`, as GitHub says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompareStatus {
    /// `head` is newer.
    Ahead,
    /// `head` is older: deploying it moves back in history.
    Behind,
    Identical,
    /// Neither contains the other (a force-push, a revert branch).
    Diverged,
    /// A value GitHub may add later.
    Other(String),
}

impl CompareStatus {
    pub fn parse(s: &str) -> Self {
        match s {
            "ahead" => CompareStatus::Ahead,
            "behind" => CompareStatus::Behind,
            "identical" => CompareStatus::Identical,
            "diverged" => CompareStatus::Diverged,
            other => CompareStatus::Other(other.to_string()),
        }
    }
}

/// One comparison of two commits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    pub status: CompareStatus,
    /// Paths changed (a rename counts under both names); `None` when not asked for or when
    /// the list may be cut short.
    pub files: Option<Vec<String>>,
    /// GitHub listed [`MAX_COMPARE_FILES`] files or more: the list may be cut short, so
    /// `files` is `None` and the caller must assume anything changed.
    pub cut_short: bool,
}

#[derive(Deserialize)]
struct Page {
    status: String,
    #[serde(default)]
    files: Vec<File>,
}

#[derive(Deserialize)]
struct File {
    filename: String,
    #[serde(default)]
    previous_filename: Option<String>,
}

impl GitHub {
    /// Compares `base` with `head` in one request; with `with_files`, the files changed too.
    pub async fn compare(
        &self,
        base: &str,
        head: &str,
        with_files: bool,
    ) -> Result<Option<Comparison>, GitHubError> {
        // `per_page` pages the commits only; the files come on the first page whatever it is.
        let per_page = if with_files { 100 } else { 1 };
        let route = self.route(&format!("/compare/{base}...{head}?per_page={per_page}"));
        let reply = send(self, Method::Get, &route, None, |s| s == 404).await?;
        if reply.status == 404 {
            return Ok(None);
        }
        let page: Page = reply.json(&route)?;
        let status = CompareStatus::parse(&page.status);
        let cut_short = with_files && page.files.len() >= MAX_COMPARE_FILES;
        let files = (with_files && !cut_short).then(|| {
            let mut files = Vec::new();
            for f in page.files {
                files.extend(f.previous_filename);
                files.push(f.filename);
            }
            files
        });
        Ok(Some(Comparison {
            status,
            files,
            cut_short,
        }))
    }

    /// `environment`'s newest GitHub Deployment with a `success` status (among its newest
    /// [`MAX_STATUS_LOOKUPS`]).
    pub async fn last_successful_commit(
        &self,
        environment: &str,
    ) -> Result<Option<LastDeployment>, GitHubError> {
        let query = DeploymentQuery::environment(environment);
        let mut pages = self.deployments(&query, MAX_STATUS_LOOKUPS, 1);
        while let Some(deployments) = pages.next().await? {
            for d in deployments {
                let statuses = self.deployment_statuses(d.id, 100).await?;
                if let Some(ok) = statuses.into_iter().find(|s| s.state == "success") {
                    let run_url = ok.log_url.filter(|u| !u.is_empty());
                    return Ok(Some(LastDeployment {
                        sha: d.sha,
                        run_url,
                    }));
                }
            }
        }
        Ok(None)
    }
}

/// An environment's last successful GitHub Deployment: its commit, and the workflow run that
/// made it when its status links one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastDeployment {
    pub sha: String,
    pub run_url: Option<String>,
}
