//! Owns GitHub's comparison of two commits (`GET /repos/{owner}/{repo}/compare/{base}...{head}`):
//! how `head` relates to `base` (`ahead`, `behind`, `identical`, `diverged`) and, when asked,
//! every file changed between them over all pages; and the commit of an environment's last
//! successful GitHub Deployment (the served commit when Railway's deployment carries none).
//! A commit GitHub does not know (404) is `Ok(None)`: the caller decides what that means.

use serde::Deserialize;

use super::GitHub;
use super::request::{GitHubError, Method, get_json, send};
use crate::timing::Timing;

/// Pages of a comparison read at most (GitHub lists at most 300 files per page and 3000 in
/// all); past them the file list is incomplete, and the caller must assume anything changed.
const MAX_PAGES: u32 = 10;
/// Deployments of the environment whose statuses are read at most, looking for a success.
const MAX_STATUS_LOOKUPS: usize = 10;

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
    /// GitHub had more pages than this action reads.
    pub files: Option<Vec<String>>,
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

/// Compares `base` with `head`: one request, or one per page of files when `with_files`.
pub async fn compare(
    gh: &GitHub,
    base: &str,
    head: &str,
    with_files: bool,
    timing: &Timing,
) -> Result<Option<Comparison>, GitHubError> {
    let per_page = if with_files { 100 } else { 1 };
    let mut route = format!(
        "{}/compare/{base}...{head}?per_page={per_page}",
        gh.repo_route()
    );
    let mut status = None;
    let mut files = Vec::new();
    for _ in 0..MAX_PAGES {
        let reply = send(
            gh,
            Method::GET,
            &route,
            None,
            &crate::github::request::reporting_policy(),
            timing,
            |s| s == 404,
        )
        .await?;
        if reply.status == 404 {
            return Ok(None);
        }
        let page: Page = reply.json(&route)?;
        status.get_or_insert(CompareStatus::parse(&page.status));
        for f in page.files {
            files.extend(f.previous_filename);
            files.push(f.filename);
        }
        match reply.next_page() {
            Some(next) if with_files && next != route => route = next,
            _ => {
                return Ok(status.map(|status| Comparison {
                    status,
                    files: with_files.then_some(files),
                }));
            }
        }
    }
    Ok(status.map(|status| Comparison {
        status,
        files: None,
    }))
}

#[derive(Deserialize)]
struct Deployment {
    id: u64,
    sha: String,
}

#[derive(Deserialize)]
struct Status {
    state: String,
    #[serde(default)]
    log_url: Option<String>,
}

/// An environment's last successful GitHub Deployment: its commit, and the workflow run that
/// made it when its status links one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastDeployment {
    pub sha: String,
    pub run_url: Option<String>,
}

/// `environment`'s newest GitHub Deployment with a `success` status.
pub async fn last_successful_commit(
    gh: &GitHub,
    environment: &str,
    timing: &Timing,
) -> Result<Option<LastDeployment>, GitHubError> {
    let env: String = url::form_urlencoded::byte_serialize(environment.as_bytes()).collect();
    let route = format!(
        "{}/deployments?environment={env}&per_page={MAX_STATUS_LOOKUPS}",
        gh.repo_route()
    );
    let deployments: Vec<Deployment> = get_json(
        gh,
        &route,
        &crate::github::request::reporting_policy(),
        timing,
    )
    .await?;
    for d in deployments {
        let route = format!(
            "{}/deployments/{}/statuses?per_page=100",
            gh.repo_route(),
            d.id
        );
        let statuses: Vec<Status> = get_json(
            gh,
            &route,
            &crate::github::request::reporting_policy(),
            timing,
        )
        .await?;
        if let Some(ok) = statuses.into_iter().find(|s| s.state == "success") {
            let run_url = ok.log_url.filter(|u| !u.is_empty());
            return Ok(Some(LastDeployment {
                sha: d.sha,
                run_url,
            }));
        }
    }
    Ok(None)
}
