//! Owns the upload request: `POST {origin}/project/{projectId}/environment/{environmentId}/up
//! ?serviceId={id}` with the Railway token header and the archive as an `application/gzip` body,
//! and turning every answer into a deployment or an error that says what to do.
//!
//! Retries go through the one policy in `crate::retry` (the upload is `Idempotency::Unsafe`): a
//! 429 (Railway refused before doing anything) waits `Retry-After` and re-sends the spooled
//! archive; a connection that could not be opened is retried too. Anything else after the body
//! went out (a reset, a timeout, a 5xx, an unreadable 200) may have created a deployment, so it is
//! never repeated: the error says to look in Railway before re-running.
//!
//! The first attempt streams the archive as it is built, without `Content-Length` (chunked);
//! Railway's CLI sends a buffered body with its length, so whether Railway takes a chunked body
//! is not public. When Railway refuses it before accepting it (411, or a 400 about the request's
//! length or encoding), the spooled archive is sent once more with its length (contract v3).

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::auth::RailwayToken;
use crate::retry::{Idempotency, RetryPolicy, Verdict, retry};
use crate::secret::redact;
use crate::timing::Timing;
use crate::upload::archive::{ArchiveError, ArchiveStats};
use crate::upload::source::ArchiveSource;

/// Attempts in all (first try included) for 429s and connection failures.
const MAX_ATTEMPTS: u32 = 4;
/// Longest `Retry-After` honoured; a longer one fails now with the wait in the message.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Used when a 429 carries no usable `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(10);
/// A large archive on a slow runner link takes minutes; this overrides a shorter client timeout.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(20 * 60);
/// Error bodies quoted in messages are cut to this many characters.
const BODY_EXCERPT: usize = 500;

/// Where the archive goes.
#[derive(Clone, Debug)]
pub struct UploadTarget {
    pub project_id: String,
    pub environment_id: String,
    pub service_id: String,
    /// Shown as the deployment's message in Railway (e.g. the commit subject).
    pub message: Option<String>,
}

/// Railway's answer to an accepted upload.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UploadedDeployment {
    pub deployment_id: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub logs_url: Option<String>,
    #[serde(default)]
    pub deployment_domain: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("{0}")]
    Archive(Arc<ArchiveError>),
    #[error("`railway-api-url` {0} cannot carry the upload path")]
    InvalidUrl(String),
    #[error("Railway rejected the upload (HTTP 400): {message}")]
    Rejected { message: String },
    #[error("{}", too_large_message(.stats.as_deref()))]
    TooLarge { stats: Option<Box<ArchiveStats>> },
    #[error(
        "Railway refused the token (HTTP {status}) for the upload: check that {who} is valid and can deploy to this project and environment"
    )]
    Unauthorized { status: u16, who: &'static str },
    #[error(
        "Railway kept answering 429 (rate limited) to the upload after {attempts} attempts{}: wait for the hourly limit to reset and re-run",
        .retry_after.map(|d| format!(" (it asked to wait {}s)", d.as_secs())).unwrap_or_default()
    )]
    RateLimited {
        attempts: u32,
        retry_after: Option<Duration>,
    },
    #[error("could not connect to Railway to upload after {attempts} attempts: {detail}")]
    Connect { attempts: u32, detail: String },
    #[error(
        "the upload failed after the archive was sent ({detail}); Railway may have created a deployment anyway: check the service's deployments in Railway before re-running"
    )]
    MaybeAccepted { detail: String },
    #[error("Railway answered the upload with HTTP {status}: {body}")]
    Status { status: u16, body: String },
}

fn too_large_message(stats: Option<&ArchiveStats>) -> String {
    let mut m = String::from("Railway refused the upload as too large (HTTP 413)");
    if let Some(s) = stats {
        m.push_str(&format!(": the archive is {}", s.summary()));
        if !s.largest_dirs.is_empty() {
            m.push_str(&format!("; largest directories: {}", s.largest_dirs_text()));
        }
    }
    m.push_str(
        ". Add what the build does not need to a .railwayignore file in `path` (same syntax as .gitignore), e.g. large assets, datasets or build output",
    );
    m
}

/// `{origin of api_url}/project/{p}/environment/{e}/up?serviceId={s}[&message=...]`.
pub fn upload_url(api_url: &Url, target: &UploadTarget) -> Result<Url, UploadError> {
    let mut u = api_url.clone();
    u.set_query(None);
    u.set_fragment(None);
    u.path_segments_mut()
        .map_err(|_| UploadError::InvalidUrl(api_url.to_string()))?
        .clear()
        .extend([
            "project",
            &target.project_id,
            "environment",
            &target.environment_id,
            "up",
        ]);
    u.query_pairs_mut()
        .append_pair("serviceId", &target.service_id);
    if let Some(m) = &target.message {
        u.query_pairs_mut().append_pair("message", m);
    }
    Ok(u)
}

/// Uploads `archive` for one service and returns the deployment Railway created.
pub async fn upload(
    http: &reqwest::Client,
    api_url: &Url,
    token: &RailwayToken,
    target: &UploadTarget,
    archive: &ArchiveSource,
    timing: &Timing,
) -> Result<UploadedDeployment, UploadError> {
    let url = upload_url(api_url, target)?;
    let policy = RetryPolicy {
        max_attempts: MAX_ATTEMPTS,
        first_delay: Duration::from_secs(2),
        max_delay: Duration::from_secs(15),
        // `Retry-After` is bounded here (before scaling), so the policy never refuses a wait.
        max_server_wait: Duration::MAX,
        deadline: None,
    };
    retry(
        &policy,
        Idempotency::Unsafe,
        timing,
        |_, _, _| {},
        |attempt| send_once(http, &url, token, archive, timing, attempt),
    )
    .await
}

/// One attempt: sends the archive and classifies the answer for the retry policy.
async fn send_once(
    http: &reqwest::Client,
    url: &Url,
    token: &RailwayToken,
    archive: &ArchiveSource,
    timing: &Timing,
    attempt: u32,
) -> Result<UploadedDeployment, Verdict<UploadError>> {
    let (header_name, header_value) = token.header();
    let body = archive
        .body()
        .await
        .map_err(|a| Verdict::Fatal(UploadError::Archive(a)))?;
    let mut req = http
        .post(url.clone())
        .timeout(UPLOAD_TIMEOUT)
        .header(header_name, &header_value)
        .header(reqwest::header::CONTENT_TYPE, "application/gzip");
    let chunked = body.len.is_none();
    if let Some(len) = body.len {
        req = req.header(reqwest::header::CONTENT_LENGTH, len);
    }
    let started = std::time::Instant::now();
    let sent = req.body(body.into_reqwest()).send().await;
    crate::trace::record(&crate::trace::Exchange {
        system: "railway-upload",
        operation: if chunked {
            "POST /up (streamed)"
        } else {
            "POST /up (with length)"
        },
        status: sent.as_ref().ok().map(|r| r.status().as_u16()),
        duration: started.elapsed(),
        error: sent.as_ref().err().map(|e| clean(&error_chain(e), token)),
        ..Default::default()
    });
    let res = match sent {
        Ok(res) => res,
        // No connection, so nothing was received: safe to send again.
        Err(e) if e.is_connect() => {
            return Err(Verdict::Transient {
                error: UploadError::Connect {
                    attempts: attempt,
                    detail: clean(&error_chain(&e), token),
                },
                after: None,
                may_have_taken_effect: false,
            });
        }
        Err(e) => {
            // A failing archive build aborts the body: report that, not the transport.
            if let Err(a) = archive.finished().await {
                return Err(Verdict::Fatal(UploadError::Archive(a)));
            }
            return Err(Verdict::Fatal(UploadError::MaybeAccepted {
                detail: clean(&error_chain(&e), token),
            }));
        }
    };
    let answered = answer(res, token, archive, timing, attempt).await;
    match answered {
        Err(Verdict::Fatal(error)) if chunked && refused_for_length(&error) => {
            crate::workflow::warning(format!(
                "Railway refused the streamed upload before accepting it ({error}); sending it once more with its length"
            ));
            Err(Verdict::Transient {
                error,
                after: Some(Duration::ZERO),
                may_have_taken_effect: false,
            })
        }
        other => other,
    }
}

/// A refusal that says the body needed a length (411) or could not be read as sent (a 400 about
/// the request's length or encoding): nothing was accepted, and the spooled copy has a length.
fn refused_for_length(error: &UploadError) -> bool {
    let about_length = |text: &str| {
        let text = text.to_ascii_lowercase();
        ["length", "encoding", "chunked"]
            .iter()
            .any(|w| text.contains(w))
    };
    match error {
        UploadError::Status { status: 411, .. } => true,
        UploadError::Rejected { message } => about_length(message),
        _ => false,
    }
}

/// Turns Railway's HTTP answer into the deployment, or a verdict the retry policy acts on.
async fn answer(
    res: reqwest::Response,
    token: &RailwayToken,
    archive: &ArchiveSource,
    timing: &Timing,
    attempt: u32,
) -> Result<UploadedDeployment, Verdict<UploadError>> {
    let status = res.status().as_u16();
    match status {
        200..=299 => {
            let text = res.text().await.map_err(|e| {
                Verdict::Fatal(UploadError::MaybeAccepted {
                    detail: clean(&error_chain(&e), token),
                })
            })?;
            serde_json::from_str::<UploadedDeployment>(&text).map_err(|e| {
                Verdict::Fatal(UploadError::MaybeAccepted {
                    detail: format!("unreadable answer ({e}): {}", clean(&excerpt(&text), token)),
                })
            })
        }
        400 => {
            let text = res.text().await.unwrap_or_default();
            let message = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| {
                    v.get("message")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_else(|| excerpt(&text));
            fatal(UploadError::Rejected {
                message: clean(&message, token),
            })
        }
        // The build carries on into the spool even when the server stopped reading, so the full
        // size and largest directories are known once it ends.
        413 => fatal(UploadError::TooLarge {
            stats: archive.finished().await.ok().map(Box::new),
        }),
        401 | 403 => fatal(UploadError::Unauthorized {
            status,
            who: token.describe(),
        }),
        429 => {
            let wait = retry_after(res.headers());
            let error = UploadError::RateLimited {
                attempts: attempt,
                retry_after: wait,
            };
            if wait.is_some_and(|w| w > MAX_RETRY_AFTER) {
                return fatal(error);
            }
            // Refused before anything was done: the same bytes may be sent again after the wait.
            Err(Verdict::Transient {
                error,
                after: Some(timing.scaled(wait.unwrap_or(DEFAULT_RETRY_AFTER))),
                may_have_taken_effect: false,
            })
        }
        _ => {
            let text = res.text().await.unwrap_or_default();
            let body = clean(&excerpt(&text), token);
            if status >= 500 {
                return fatal(UploadError::MaybeAccepted {
                    detail: format!("HTTP {status}: {body}"),
                });
            }
            fatal(UploadError::Status { status, body })
        }
    }
}

fn fatal(e: UploadError) -> Result<UploadedDeployment, Verdict<UploadError>> {
    Err(Verdict::Fatal(e))
}

/// `Retry-After`, in either form HTTP allows (delay-seconds or an HTTP date): which one Railway
/// sends is not documented, so both are read (one parser for every client: `crate::retry`).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    crate::retry::parse_retry_after(value, chrono::Utc::now())
}

fn excerpt(text: &str) -> String {
    crate::text::excerpt(text, BODY_EXCERPT)
}

fn clean(text: &str, token: &RailwayToken) -> String {
    redact(text, &[token.secret()])
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        cur = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> UploadTarget {
        UploadTarget {
            project_id: "p 1".into(),
            environment_id: "e1".into(),
            service_id: "s1".into(),
            message: Some("fix: a&b".into()),
        }
    }

    #[test]
    fn the_upload_url_keeps_only_the_origin() {
        let api = Url::parse("https://backboard.railway.com/graphql/v2").unwrap();
        assert_eq!(
            upload_url(&api, &target()).unwrap().as_str(),
            "https://backboard.railway.com/project/p%201/environment/e1/up?serviceId=s1&message=fix%3A+a%26b"
        );
        let local = Url::parse("http://127.0.0.1:4000/graphql/v2?x=1").unwrap();
        let mut t = target();
        t.message = None;
        assert_eq!(
            upload_url(&local, &t).unwrap().as_str(),
            "http://127.0.0.1:4000/project/p%201/environment/e1/up?serviceId=s1"
        );
    }

    #[test]
    fn too_large_names_the_size_the_directories_and_the_fix() {
        let stats = ArchiveStats {
            files: 3,
            input_bytes: 300_000_000,
            archive_bytes: 290_000_000,
            largest_dirs: vec![("assets".into(), 250_000_000), ("src".into(), 1000)],
            ..Default::default()
        };
        let m = UploadError::TooLarge {
            stats: Some(Box::new(stats)),
        }
        .to_string();
        assert!(m.contains("290.0 MB compressed"), "{m}");
        assert!(m.contains("assets 250.0 MB, src 1.0 kB"), "{m}");
        assert!(m.contains(".railwayignore"), "{m}");
    }

    #[test]
    fn excerpts_are_bounded() {
        let long = "é".repeat(2000);
        assert_eq!(excerpt(&long).chars().count(), BODY_EXCERPT + 1);
    }
}
