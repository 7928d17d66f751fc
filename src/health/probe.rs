//! Owns the HTTP health probe: requests the chosen URL until it answers with the expected status
//! and body or `health-timeout` runs out, backing off about 1 s → 10 s between attempts (through
//! `crate::wait`), each
//! attempt with its own request timeout, following redirects on the same host only.

use std::error::Error as _;
use std::time::Duration;

use tokio::time::Instant;

use url::Url;

use crate::record::HealthReport;
use crate::timing::{Backoff, Timing};
use crate::wait::{Next, Waiter};

/// Longest any single request may take; shorter when less of `health-timeout` is left.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a body is read to look for the expected text (a health endpoint is small).
const BODY_LIMIT: usize = 256 * 1024;
/// How much of a failing body is reported.
const EXCERPT_CHARS: usize = 200;
const MAX_REDIRECTS: usize = 10;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeSpec {
    pub url: Url,
    pub expect_status: u16,
    /// Already substituted (see [`crate::health::target::expected_body`]).
    pub expect_body: Option<String>,
    /// `health-timeout`: a real deadline, never scaled by `Timing`.
    pub timeout: Duration,
}

/// Adds the probe's redirect policy and user agent to a client builder (the caller owns TLS
/// setup, so the probe trusts the same roots as every other client of the program).
pub fn probe_client_builder(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    builder
        .redirect(same_host_redirects())
        .user_agent(concat!(
            "railway-deploy/",
            env!("CARGO_PKG_VERSION"),
            " health-check"
        ))
        .connect_timeout(REQUEST_TIMEOUT)
}

/// A client for [`probe`]. Needs a rustls crypto provider installed (main does it first).
pub fn probe_client() -> Result<reqwest::Client, reqwest::Error> {
    probe_client_builder(reqwest::Client::builder()).build()
}

/// Redirects are followed only while they stay on the first URL's host (an `http` → `https`
/// upgrade on the same host is fine): a health check that ends up on a login page or another
/// site proves nothing about this release.
fn same_host_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let origin_host = attempt
            .previous()
            .first()
            .and_then(|u| u.host_str())
            .map(str::to_ascii_lowercase);
        let next_host = attempt.url().host_str().map(str::to_ascii_lowercase);
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else if origin_host.is_some() && origin_host == next_host {
            attempt.follow()
        } else {
            let to = attempt.url().to_string();
            attempt.error(format!(
                "redirect to another host refused ({to}); set `health-url` to the final URL"
            ))
        }
    })
}

/// One attempt's verdict.
enum Attempt {
    Pass {
        status: u16,
    },
    Fail {
        status: Option<u16>,
        excerpt: Option<String>,
        error: String,
    },
}

/// Probes until the check passes or `spec.timeout` is over. Never fails: the verdict and the
/// last failure (status, body excerpt, reason) are in the returned report.
pub async fn probe(http: &reqwest::Client, spec: &ProbeSpec, timing: &Timing) -> HealthReport {
    let mut waiter = Waiter::until(Instant::now() + spec.timeout, *timing);
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(10));
    let mut report = HealthReport {
        url: Some(spec.url.to_string()),
        ..HealthReport::default()
    };
    loop {
        report.attempts += 1;
        let left = waiter.remaining();
        let request_timeout = REQUEST_TIMEOUT.min(left.max(Duration::from_millis(100)));
        match attempt(http, spec, request_timeout).await {
            Attempt::Pass { status } => {
                report.passed = true;
                report.last_status = Some(status);
                report.body_excerpt = None;
                report.error = None;
                return report;
            }
            Attempt::Fail {
                status,
                excerpt,
                error,
            } => {
                report.last_status = status;
                report.body_excerpt = excerpt;
                report.error = Some(error);
            }
        }
        // The interval is cut at what is left before scaling, and no attempt starts at the
        // deadline itself: a probe's last attempt is the one before it.
        let interval = backoff.next_delay().min(waiter.remaining());
        if waiter.pause(interval, |_| {}).await == Next::StillRunning || waiter.expired() {
            break;
        }
    }
    let last = report.error.take().unwrap_or_default();
    report.error = Some(format!(
        "health check of {} did not pass within {} ({} attempts); last: {last}",
        spec.url,
        humanize(spec.timeout),
        report.attempts
    ));
    report
}

/// One request of the probe (the watch after going live repeats it at its own interval), within
/// `timeout` (at most [`REQUEST_TIMEOUT`]): the status when it passes, else why not.
pub async fn probe_once(
    http: &reqwest::Client,
    spec: &ProbeSpec,
    timeout: Duration,
) -> Result<u16, String> {
    match attempt(http, spec, timeout.min(REQUEST_TIMEOUT)).await {
        Attempt::Pass { status } => Ok(status),
        Attempt::Fail { error, .. } => Err(error),
    }
}

async fn attempt(http: &reqwest::Client, spec: &ProbeSpec, timeout: Duration) -> Attempt {
    let response = match http.get(spec.url.clone()).timeout(timeout).send().await {
        Ok(r) => r,
        Err(e) => {
            return Attempt::Fail {
                status: None,
                excerpt: None,
                error: describe_error(&e, timeout),
            };
        }
    };
    let status = response.status().as_u16();
    let body = match read_limited(response, timeout).await {
        Ok(b) => b,
        Err(e) => {
            return Attempt::Fail {
                status: Some(status),
                excerpt: None,
                error: format!("reading the body failed: {e}"),
            };
        }
    };
    let text = String::from_utf8_lossy(&body);
    if status != spec.expect_status {
        return Attempt::Fail {
            status: Some(status),
            excerpt: Some(excerpt(&text, EXCERPT_CHARS)),
            error: format!("answered {status}, expected {}", spec.expect_status),
        };
    }
    if let Some(expected) = spec.expect_body.as_deref()
        && !text.contains(expected)
    {
        return Attempt::Fail {
            status: Some(status),
            excerpt: Some(excerpt(&text, EXCERPT_CHARS)),
            error: format!("answered {status} but the body does not contain `{expected}`"),
        };
    }
    Attempt::Pass { status }
}

/// Reads at most [`BODY_LIMIT`] bytes, within what is left of the attempt's timeout.
async fn read_limited(
    mut response: reqwest::Response,
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    let read = async {
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
            let room = BODY_LIMIT.saturating_sub(body.len());
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() >= BODY_LIMIT {
                break;
            }
        }
        Ok(body)
    };
    match tokio::time::timeout(timeout, read).await {
        Ok(r) => r,
        Err(_) => Err(format!("timed out after {}", humanize(timeout))),
    }
}

fn describe_error(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no answer within {}", humanize(timeout));
    }
    // The innermost message is the useful one ("connection refused", our redirect refusal ...).
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    msg
}

/// The first `max` characters of `text` on one line, cut on a character boundary, `…` if cut.
use crate::text::excerpt;

fn humanize(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 60.0 && d.as_secs().is_multiple_of(60) {
        format!("{}m", d.as_secs() / 60)
    } else if secs >= 1.0 {
        format!("{}s", (secs * 10.0).round() / 10.0)
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_on_char_boundaries() {
        assert_eq!(excerpt("héllo wörld", 4), "héll…");
        assert_eq!(excerpt("ok", 4), "ok");
        assert_eq!(excerpt("a\n  b\r\n", 10), "a b");
        assert_eq!(excerpt("日本語テキスト", 3), "日本語…");
    }

    #[test]
    fn durations_read_like_inputs() {
        assert_eq!(humanize(Duration::from_secs(120)), "2m");
        assert_eq!(humanize(Duration::from_millis(1500)), "1.5s");
        assert_eq!(humanize(Duration::from_millis(20)), "20ms");
    }
}
