//! Owns the octocrab client: base URL (GitHub Enterprise works through `GITHUB_API_URL`), token
//! and the repository the run belongs to. Retries are not octocrab's: they live in `crate::retry`.
//! Timeouts are two layers deep: octocrab's connect/read/write timeouts here (a backstop), and each
//! attempt's overall deadline in `github::request` (which also bounds a server that trickles).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use octocrab::Octocrab;

use crate::github::request::REQUEST_TIMEOUT;
use crate::secret::Secret;

/// Longest a TCP (and TLS) connection to GitHub may take to open.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Clone, Debug)]
pub struct GitHub {
    pub octo: Octocrab,
    pub owner: String,
    pub repo: String,
    /// A request timed out and GitHub has answered nothing since (shared by clones): later
    /// attempts get a shorter timeout (see `github::request::attempt_timeout`).
    stalled: Arc<AtomicBool>,
}

impl GitHub {
    /// `repository` is `owner/name` (`GITHUB_REPOSITORY`).
    pub fn new(api_url: &str, token: &Secret, repository: &str) -> Result<Self> {
        let (owner, repo) = repository
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .with_context(|| format!("GITHUB_REPOSITORY `{repository}` is not `owner/name`"))?;
        let octo = Octocrab::builder()
            .base_uri(api_url)
            .with_context(|| format!("GITHUB_API_URL `{api_url}` is not a valid URL"))?
            .personal_token(token.expose().to_string())
            .set_connect_timeout(Some(CONNECT_TIMEOUT))
            .set_read_timeout(Some(REQUEST_TIMEOUT))
            .set_write_timeout(Some(REQUEST_TIMEOUT))
            .build()
            .context("could not build the GitHub client")?;
        Ok(GitHub {
            octo,
            owner: owner.to_string(),
            repo: repo.to_string(),
            stalled: Arc::new(AtomicBool::new(false)),
        })
    }

    /// True while GitHub seems stalled (its last attempt timed out without an answer).
    pub fn seems_stalled(&self) -> bool {
        self.stalled.load(Ordering::Relaxed)
    }

    /// Records whether the latest attempt timed out (`true`) or got an answer (`false`).
    pub fn note_stalled(&self, stalled: bool) {
        self.stalled.store(stalled, Ordering::Relaxed);
    }

    /// `repos/{owner}/{repo}` route prefix for raw requests.
    pub fn repo_route(&self) -> String {
        format!("/repos/{}/{}", self.owner, self.repo)
    }
}
