//! Owns the transport of every GitHub REST request (raw requests through octocrab, whose typed
//! API lacks check-run `status`, statuses by sha and deployment 202/409 replies): status and
//! headers kept, errors classified for `crate::retry` under the client's own policy and timing
//! (`github::client`), and GitHub's rate limits (read by `github::rate_limit`) honoured. Every
//! attempt has a deadline ([`attempt_timeout`]): a server that accepts and never answers cannot
//! hang a run. Every body sent is redacted against `crate::secret`'s registry. Only `github`'s
//! own modules send requests; everything else calls the client's methods.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use octocrab::Octocrab;
use serde::de::DeserializeOwned;

use crate::github::GitHub;
use crate::github::rate_limit::{rate_limit_wait, secondary_rate_limit_without_headers};
use crate::github::traced::traced;
use crate::retry::{Idempotency, Verdict, retry};
use crate::timing::Timing;

use http::HeaderMap;

/// The HTTP methods this action uses against GitHub.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Method {
    Get,
    Post,
    Patch,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
        })
    }
}

/// Longest one GitHub request may take (connect, send, headers and body), in real time.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The shortest per-request timeout, whatever `RAILWAY_DEPLOY_TIME_SCALE` or a near deadline says:
/// even a loopback fake on a loaded machine answers within it.
pub const MIN_REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// The per-request timeout once GitHub has let a request time out and answered nothing since:
/// a GitHub that stalls must not cost [`REQUEST_TIMEOUT`] for every attempt of every later
/// reporting call (the run's end would then come minutes past its deadlines).
pub const STALLED_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one attempt may take: [`REQUEST_TIMEOUT`] ([`STALLED_REQUEST_TIMEOUT`] while GitHub
/// `stalled`) scaled by `timing` (tests shrink it), never below [`MIN_REQUEST_TIMEOUT`], and
/// never much past `deadline` (the step's own deadline, e.g. `checks-timeout`): at most
/// [`MIN_REQUEST_TIMEOUT`] after it.
pub fn attempt_timeout(
    timing: &Timing,
    deadline: Option<Instant>,
    now: Instant,
    stalled: bool,
) -> Duration {
    let full = if stalled {
        STALLED_REQUEST_TIMEOUT
    } else {
        REQUEST_TIMEOUT
    };
    let base = timing.scaled(full).max(MIN_REQUEST_TIMEOUT);
    match deadline {
        Some(d) => base.min(d.saturating_duration_since(now).max(MIN_REQUEST_TIMEOUT)),
        None => base,
    }
}

/// A reply with any status: callers decide what a 404 or a 202 means.
#[derive(Debug)]
pub(super) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub(super) fn json<T: DeserializeOwned>(&self, route: &str) -> Result<T, GitHubError> {
        serde_json::from_slice(&self.body).map_err(|e| GitHubError::Decode {
            route: route.to_string(),
            detail: e.to_string(),
        })
    }

    pub(super) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// GitHub's `message` field, or the (truncated) body.
    pub(super) fn message(&self) -> String {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| crate::text::truncate(&String::from_utf8_lossy(&self.body), 300))
    }

    /// Whether the `Link` header names a `rel="next"` page. Only the fact is used, never the
    /// URL: pages are asked for by number (see `github::pages`). GitHub documents that the header
    /// "will be omitted" when "all results fit on a single page"
    /// (https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api).
    pub(super) fn has_next_page(&self) -> bool {
        let Some(link) = self.headers.get("link").and_then(|l| l.to_str().ok()) else {
            return false;
        };
        link.split(',').any(|part| {
            part.split(';')
                .skip(1)
                .any(|p| p.trim().eq_ignore_ascii_case("rel=\"next\""))
        })
    }
}

/// What a failed request means for a caller that has to decide what to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// 401: the token itself was refused.
    BadToken,
    /// 403 (not a rate limit): the token lacks a permission, or the repository forbids it.
    Refused,
    /// 404: no such thing, or not visible to the token (GitHub answers 404 for both).
    NotFound,
    /// 422: GitHub understood and rejected the request (an unknown commit, a bad value).
    Rejected,
    /// The rate limit stayed exhausted past the waits allowed.
    RateLimited,
    /// No answer, a dropped connection, or a 5xx after the retries.
    Unreachable,
    /// Any other status, or a reply that does not parse.
    Unexpected,
}

#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    #[error("GitHub answered {status} to {method} {route}: {message}")]
    Http {
        method: String,
        route: String,
        status: u16,
        message: String,
    },
    #[error("GitHub's rate limit is exhausted for {route}; it resets in {}s, past this step's deadline. Retry later, or use a token with a higher limit", wait.as_secs())]
    RateLimited { route: String, wait: Duration },
    #[error("could not reach GitHub for {route}: {detail}")]
    Transport { route: String, detail: String },
    #[error("unexpected reply from GitHub for {route}: {detail}")]
    Decode { route: String, detail: String },
}

impl GitHubError {
    pub fn status(&self) -> Option<u16> {
        match self {
            GitHubError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// What the failure means (see [`Failure`]).
    pub fn failure(&self) -> Failure {
        match self {
            GitHubError::Http { status: 401, .. } => Failure::BadToken,
            GitHubError::Http { status: 403, .. } => Failure::Refused,
            GitHubError::Http { status: 404, .. } => Failure::NotFound,
            GitHubError::Http { status: 422, .. } => Failure::Rejected,
            GitHubError::Http { status, .. } if *status >= 500 => Failure::Unreachable,
            GitHubError::Http { .. } | GitHubError::Decode { .. } => Failure::Unexpected,
            GitHubError::RateLimited { .. } => Failure::RateLimited,
            GitHubError::Transport { .. } => Failure::Unreachable,
        }
    }
}

/// Why one attempt got no reply.
enum NoReply {
    Failed(octocrab::Error),
    TimedOut(Duration),
}

impl NoReply {
    fn detail(&self) -> String {
        match self {
            NoReply::Failed(e) => e.to_string(),
            NoReply::TimedOut(t) => format!("no answer within {}s", t.as_secs_f64()),
        }
    }
}

/// One attempt, headers and body, within `timeout`.
async fn send_within(
    octo: &Octocrab,
    method: &Method,
    route: &str,
    body: Option<&serde_json::Value>,
    timeout: Duration,
) -> Result<Reply, NoReply> {
    match traced(
        method,
        route,
        body,
        tokio::time::timeout(timeout, send_once(octo, method, route, body)),
    )
    .await
    {
        Ok(reply) => reply.map_err(NoReply::Failed),
        Err(_) => Err(NoReply::TimedOut(timeout)),
    }
}

async fn send_once(
    octo: &Octocrab,
    method: &Method,
    route: &str,
    body: Option<&serde_json::Value>,
) -> Result<Reply, octocrab::Error> {
    let response = match method {
        Method::Get => octo._get(route).await?,
        Method::Post => octo._post(route, body).await?,
        Method::Patch => octo._patch(route, body).await?,
    };
    let (parts, body) = response.into_parts();
    let body = body.collect().await?.to_bytes();
    Ok(Reply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    })
}

/// Sends one request with bounded retries under the client's policy: rate limits are waited out
/// when it allows (a wait past its deadline or `max_server_wait` fails with
/// [`GitHubError::RateLimited`]), 5xx and transport errors are retried for safe requests only.
/// Non-2xx replies other than those are returned as `Ok(reply)` when `accept` says so, else as
/// [`GitHubError::Http`]. GETs are repeated after a failure that may have reached GitHub; other
/// methods are not (see [`send_repeatable`] for writes that are safe to repeat).
pub(super) async fn send(
    gh: &GitHub,
    method: Method,
    route: &str,
    body: Option<&serde_json::Value>,
    accept: impl Fn(u16) -> bool,
) -> Result<Reply, GitHubError> {
    let idempotency = if method == Method::Get {
        Idempotency::Safe
    } else {
        Idempotency::Unsafe
    };
    send_as(gh, method, idempotency, route, body, accept).await
}

/// [`send`] for a write the caller knows is safe to repeat even if an earlier attempt took
/// effect (a PATCH that sets a value, a status whose duplicate is harmless): a 5xx, a timeout
/// or a dropped connection is retried like a read.
pub(super) async fn send_repeatable(
    gh: &GitHub,
    method: Method,
    route: &str,
    body: Option<&serde_json::Value>,
    accept: impl Fn(u16) -> bool,
) -> Result<Reply, GitHubError> {
    send_as(gh, method, Idempotency::Safe, route, body, accept).await
}

async fn send_as(
    gh: &GitHub,
    method: Method,
    idempotency: Idempotency,
    route: &str,
    body: Option<&serde_json::Value>,
    accept: impl Fn(u16) -> bool,
) -> Result<Reply, GitHubError> {
    let (policy, timing) = (&gh.policy, &gh.timing);
    // What we write on GitHub (comments, statuses) may quote texts from outside: redacted once here.
    let body = body.map(crate::secret::redact_json);
    let body = body.as_ref();
    retry(
        policy,
        idempotency,
        timing,
        |_, wait, err: &GitHubError| {
            if matches!(err, GitHubError::RateLimited { .. }) {
                crate::workflow::info(format!(
                    "GitHub rate limit reached; waiting {}s before retrying {route}",
                    wait.as_secs()
                ));
            }
        },
        |_| {
            let accept = &accept;
            async move {
                let stalled = gh.seems_stalled();
                let timeout = attempt_timeout(timing, policy.deadline, Instant::now(), stalled);
                match send_within(&gh.octo, &method, route, body, timeout).await {
                    Ok(reply) => {
                        gh.note_stalled(false);
                        classify(reply, method, route, accept)
                    }
                    Err(e) => {
                        if matches!(e, NoReply::TimedOut(_)) {
                            gh.note_stalled(true);
                        }
                        let error = GitHubError::Transport {
                            route: route.to_string(),
                            detail: e.detail(),
                        };
                        Err(Verdict::Transient {
                            error,
                            after: None,
                            may_have_taken_effect: true,
                        })
                    }
                }
            }
        },
    )
    .await
}

/// What a reply means for [`retry`]: itself (2xx or accepted), a rate-limit wait, a transient 5xx,
/// or a fatal error.
fn classify(
    reply: Reply,
    method: Method,
    route: &str,
    accept: impl Fn(u16) -> bool,
) -> Result<Reply, Verdict<GitHubError>> {
    if reply.is_success() || accept(reply.status) {
        return Ok(reply);
    }
    if let Some(wait) = rate_limit_wait(reply.status, &reply.headers, chrono::Utc::now())
        .or_else(|| secondary_rate_limit_without_headers(reply.status, &reply.message()))
    {
        let error = GitHubError::RateLimited {
            route: route.to_string(),
            wait,
        };
        return Err(Verdict::Transient {
            error,
            after: Some(wait),
            may_have_taken_effect: false,
        });
    }
    let error = GitHubError::Http {
        method: method.to_string(),
        route: route.to_string(),
        status: reply.status,
        message: reply.message(),
    };
    if reply.status >= 500 {
        Err(Verdict::Transient {
            error,
            after: None,
            may_have_taken_effect: true,
        })
    } else {
        Err(Verdict::Fatal(error))
    }
}

/// GET a JSON document.
pub(super) async fn get_json<T: DeserializeOwned>(
    gh: &GitHub,
    route: &str,
) -> Result<T, GitHubError> {
    send(gh, Method::Get, route, None, |_| false)
        .await?
        .json(route)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn each_attempt_is_bounded_by_the_request_timeout_and_the_deadline() {
        let now = Instant::now();
        let real = Timing::default();
        let fast = Timing::from_env_value(Some("0.001"));
        assert_eq!(attempt_timeout(&real, None, now, false), REQUEST_TIMEOUT);
        assert_eq!(
            attempt_timeout(&real, None, now, true),
            STALLED_REQUEST_TIMEOUT
        );
        assert_eq!(
            attempt_timeout(&fast, None, now, false),
            MIN_REQUEST_TIMEOUT
        );
        let soon = Some(now + Duration::from_secs(7));
        assert_eq!(
            attempt_timeout(&real, soon, now, false),
            Duration::from_secs(7)
        );
        // Past (or at) the deadline, one last short attempt, never zero.
        let at = Some(now);
        assert_eq!(attempt_timeout(&real, at, now, false), MIN_REQUEST_TIMEOUT);
    }

    #[test]
    fn a_secondary_rate_limit_without_headers_waits_a_minute() {
        let reply = |status, body: &'static str| Reply {
            status,
            headers: HeaderMap::new(),
            body: Bytes::from_static(body.as_bytes()),
        };
        let secondary = |r: &Reply| secondary_rate_limit_without_headers(r.status, &r.message());
        assert_eq!(
            secondary(&reply(
                403,
                r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#
            )),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            secondary(&reply(
                403,
                r#"{"message":"Resource not accessible by integration"}"#
            )),
            None
        );
    }

    #[test]
    fn a_next_page_is_named_by_the_link_header_whatever_its_url() {
        let reply = |link: Option<&str>| Reply {
            status: 200,
            headers: link.map_or_else(HeaderMap::new, |l| headers(&[("link", l)])),
            body: Bytes::new(),
        };
        let next = "<https://api.github.com/x?page=2>; rel=\"next\", <https://api.github.com/x?page=5>; rel=\"last\"";
        assert!(reply(Some(next)).has_next_page());
        // Behind a GHES proxy the URL names another host and path: still a next page.
        let ghes = "<https://proxy.internal/other/x?page=2>; rel=\"next\"";
        assert!(reply(Some(ghes)).has_next_page());
        let last = "<https://api.github.com/x?page=1>; rel=\"first\", <https://api.github.com/x?page=4>; rel=\"prev\"";
        assert!(!reply(Some(last)).has_next_page());
        assert!(!reply(None).has_next_page());
    }

    /// Moved from tests/all/robust_net.rs (item 1 of the robustness issue) when `send` became
    /// private to `github`: once a request timed out, the client knows GitHub stalls (later
    /// attempts get a shorter timeout, see `attempt_timeout`) until GitHub answers again.
    #[tokio::test]
    async fn a_timed_out_request_marks_github_stalled_until_it_answers() {
        use crate::retry::RetryPolicy;
        use crate::secret::Secret;
        use fakes::github::faults::{Action, Rule};
        let _ = rustls::crypto::ring::default_provider().install_default();
        let state = fakes::github::GitHubState::default();
        let _server = fakes::Server::start(fakes::github::router(state.clone())).await;
        let t = Timing::from_env_value(Some("0.001"));
        let mut gh = GitHub::new(&_server.url(), &Secret::new("t"), "o/r", t).unwrap();
        state
            .world
            .lock()
            .unwrap()
            .faults
            .add(Rule::new("GET", "/stall", Action::Stall).times(1));
        gh.policy = RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        };
        let started = Instant::now();
        let err = send(&gh, Method::Get, "/stall", None, |_| false)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no answer within 2s"), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{:?}",
            started.elapsed()
        );
        assert!(gh.seems_stalled());
        // The next request is answered (a 404 is an answer): no longer stalled.
        let reply = send(&gh, Method::Get, "/stall", None, |s| s == 404).await;
        assert_eq!(reply.map(|r| r.status).ok(), Some(404));
        assert!(!gh.seems_stalled());
    }
}
