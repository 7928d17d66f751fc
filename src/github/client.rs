//! Owns the GitHub client, shaped like `crate::railway::client`: base URL (GitHub Enterprise works
//! through `GITHUB_API_URL`), token, the repository the run belongs to, the run's timing and the
//! retry policy of every request. Callers ask for a method (`check_runs`, `compare`,
//! `create_deployment` ...), never a route; the one exception to the reporting policy is the
//! gate's, chosen here too ([`GitHub::until`]). Retries are not octocrab's: they live in
//! `crate::retry`. Timeouts are two layers deep: octocrab's connect/read/write timeouts here (a
//! backstop), and each attempt's overall deadline in `github::request` (which also bounds a
//! server that trickles).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use octocrab::Octocrab;

use crate::github::request::REQUEST_TIMEOUT;
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use crate::timing::Timing;

/// Longest a TCP (and TLS) connection to GitHub may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest rate-limit wait the gate accepts (GitHub's primary limit resets hourly).
const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(3700);

/// The retry policy of every GitHub call outside the gate: a few tries and short server waits,
/// because reporting must not hold a finished deploy hostage.
fn reporting_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        max_server_wait: Duration::from_secs(30),
        ..RetryPolicy::default()
    }
}

#[derive(Clone, Debug)]
pub struct GitHub {
    pub(super) octo: Octocrab,
    pub owner: String,
    pub repo: String,
    /// The run's timing (tests shrink every wait through it).
    pub(super) timing: Timing,
    /// How every request of this client is retried (see [`GitHub::until`]).
    pub(super) policy: RetryPolicy,
    /// A request timed out and GitHub has answered nothing since (shared by clones): later
    /// attempts get a shorter timeout (see `github::request::attempt_timeout`).
    stalled: Arc<AtomicBool>,
}

impl GitHub {
    /// `repository` is `owner/name` (`GITHUB_REPOSITORY`). Requests follow the reporting policy
    /// (3 tries, server waits up to 30 s) until [`GitHub::until`] says otherwise.
    pub fn new(api_url: &str, token: &Secret, repository: &str, timing: Timing) -> Result<Self> {
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
            timing,
            policy: reporting_policy(),
            stalled: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The same client with the gate's patience: rate limits are waited out while `deadline`
    /// allows (at most an hour, GitHub's longest reset), and no attempt starts past it. Past it,
    /// a [`crate::github::request::GitHubError::RateLimited`] says so.
    pub fn until(&self, deadline: Instant) -> GitHub {
        let left = deadline.saturating_duration_since(Instant::now());
        GitHub {
            policy: RetryPolicy {
                max_server_wait: left.min(MAX_RATE_LIMIT_WAIT),
                deadline: Some(deadline),
                ..RetryPolicy::default()
            },
            ..self.clone()
        }
    }

    /// True while GitHub seems stalled (its last attempt timed out without an answer).
    pub fn seems_stalled(&self) -> bool {
        self.stalled.load(Ordering::Relaxed)
    }

    /// Records whether the latest attempt timed out (`true`) or got an answer (`false`).
    pub(super) fn note_stalled(&self, stalled: bool) {
        self.stalled.store(stalled, Ordering::Relaxed);
    }

    /// The route of `tail` in this repository: `/repos/{owner}/{repo}{tail}`.
    pub(super) fn route(&self, tail: &str) -> String {
        format!("/repos/{}/{}{tail}", self.owner, self.repo)
    }
}

/// `s` as a query-string value.
pub(super) fn query_value(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
