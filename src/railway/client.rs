//! The Railway GraphQL client: one response path for every operation. It keeps every GraphQL
//! error, names the token on "Not Authorized", honours 429 `Retry-After`, reports other non-2xx
//! replies with their (truncated, redacted) body, handles `data: null`, and retries through
//! `crate::retry` (reads and transport errors; a mutation that may have taken effect never).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::auth::RailwayToken;
use super::ops::{OpKind, Operation};
use crate::retry::{Idempotency, RetryPolicy, Verdict, parse_retry_after, retry};
use crate::secret::redact;
use crate::text::truncate;
use crate::timing::Timing;

#[derive(Debug, Clone, thiserror::Error)]
pub enum RailwayError {
    #[error(
        "Railway refused {token} (\"Not Authorized\" on {operation}). Check that the token is valid, not revoked, and has access to this project and environment{hint}"
    )]
    Unauthorized {
        operation: String,
        token: &'static str,
        hint: String,
    },
    #[error("Railway answered {operation} with errors: {}", messages.join("; "))]
    GraphQl {
        operation: String,
        messages: Vec<String>,
    },
    #[error("Railway answered {operation} with HTTP {status}: {body}")]
    Http {
        operation: String,
        status: u16,
        body: String,
    },
    #[error(
        "Railway rate-limited {operation} (HTTP 429) and the retries ran out; Railway allows a limited number of requests per hour on each plan: retry later"
    )]
    RateLimited { operation: String },
    #[error("could not reach Railway for {operation}: {detail}")]
    Transport {
        operation: String,
        detail: String,
        /// The request may have reached Railway (anything but a connection never made).
        sent: bool,
    },
    #[error("Railway answered {operation} with no data and no error")]
    NoData { operation: String },
    #[error("unexpected reply from Railway for {operation}: {detail}")]
    Decode { operation: String, detail: String },
}

impl RailwayError {
    /// True when the problem is the user's input (token, names), not Railway's availability.
    pub fn is_input_problem(&self) -> bool {
        matches!(self, RailwayError::Unauthorized { .. })
    }

    /// True when Railway answered and refused: "Not Authorized", or GraphQL errors (not an
    /// outage: retrying would not change the answer).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            RailwayError::Unauthorized { .. } | RailwayError::GraphQl { .. }
        )
    }

    /// True when a request reached Railway and its answer was lost (a dropped connection, a
    /// timeout after sending, a 5xx): a mutation may have taken effect, so what it did is read
    /// back instead of sending it again.
    pub fn answer_lost(&self) -> bool {
        match self {
            RailwayError::Transport { sent, .. } => *sent,
            RailwayError::Http { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// GraphQL error messages that mean "no such thing".
    pub fn is_not_found(&self) -> bool {
        match self {
            RailwayError::GraphQl { messages, .. } => messages.iter().any(|m| {
                let m = m.to_ascii_lowercase();
                m.contains("not found") || m.contains("does not exist")
            }),
            _ => false,
        }
    }
}

#[derive(serde::Deserialize)]
struct GqlResponse<T> {
    data: Option<T>,
    #[serde(default)]
    errors: Vec<GqlError>,
}

#[derive(serde::Deserialize)]
struct GqlError {
    message: String,
}

#[derive(Clone)]
pub struct RailwayClient {
    http: reqwest::Client,
    url: url::Url,
    token: RailwayToken,
    timing: Timing,
    policy: RetryPolicy,
    requests: Arc<AtomicU64>,
    /// The run's one websocket connection, shared by every clone (see `railway::socket`).
    hub: super::socket::Hub,
}

const USER_AGENT: &str = concat!("railway-deploy/", env!("CARGO_PKG_VERSION"));

impl RailwayClient {
    pub fn new(url: url::Url, token: RailwayToken, timing: Timing) -> Result<Self, RailwayError> {
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| RailwayError::Transport {
                operation: "client setup".into(),
                detail: e.to_string(),
                sent: false,
            })?;
        Ok(RailwayClient {
            http,
            hub: super::socket::Hub::new(url.clone(), token.clone(), timing),
            url,
            token,
            timing,
            policy: RetryPolicy::default(),
            requests: Arc::new(AtomicU64::new(0)),
        })
    }

    pub fn token(&self) -> &RailwayToken {
        &self.token
    }

    pub fn api_url(&self) -> &url::Url {
        &self.url
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The websocket every subscription of the run shares.
    pub fn hub(&self) -> &super::socket::Hub {
        &self.hub
    }

    pub fn timing(&self) -> &Timing {
        &self.timing
    }

    /// HTTP requests sent so far (all attempts), for the request budget.
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Sends `op` with `variables` and decodes `data` into `R`.
    pub async fn execute<V: Serialize, R: DeserializeOwned>(
        &self,
        op: &Operation,
        variables: &V,
    ) -> Result<R, RailwayError> {
        let body = serde_json::json!({ "query": op.text, "operationName": op.name, "variables": variables });
        let idempotency = match op.kind {
            OpKind::Query => Idempotency::Safe,
            OpKind::Mutation => Idempotency::Unsafe,
        };
        retry(
            &self.policy,
            idempotency,
            &self.timing,
            |attempt, wait, err: &RailwayError| {
                // `err` names the operation already ("could not reach Railway for X: ...").
                crate::workflow::info(format!("{err}; retrying in {wait:.0?} (attempt {attempt})"));
            },
            |_| self.attempt(op, &body),
        )
        .await
    }

    async fn attempt<R: DeserializeOwned>(
        &self,
        op: &Operation,
        body: &serde_json::Value,
    ) -> Result<R, Verdict<RailwayError>> {
        let started = std::time::Instant::now();
        let exchanged = self.exchange(op, body).await;
        let traced = |status, answer, error: Option<String>| {
            crate::trace::record(&crate::trace::Exchange {
                system: "railway",
                operation: op.name,
                variables: body.get("variables"),
                status,
                answer,
                duration: started.elapsed(),
                error,
                ..Default::default()
            });
        };
        let (status, retry_after, text) = match exchanged {
            Ok(x) => x,
            Err(v) => {
                traced(None, None, Some(verdict_text(&v)));
                return Err(v);
            }
        };
        let parsed = self
            .check_status(op, status, retry_after, &text)
            .and_then(|()| self.parse_reply(op, &text));
        traced(
            Some(status),
            Some(&text),
            parsed.as_ref().err().map(verdict_text),
        );
        parsed
    }

    /// Sends one request and reads its reply: (status, `Retry-After`, body). A transport failure
    /// is transient; it may have taken effect unless the connection was never made.
    async fn exchange(
        &self,
        op: &Operation,
        body: &serde_json::Value,
    ) -> Result<(u16, Option<Duration>, String), Verdict<RailwayError>> {
        let (header, value) = self.token.header();
        self.requests.fetch_add(1, Ordering::Relaxed);
        let lost = |e: &reqwest::Error, sent: bool| Verdict::Transient {
            error: RailwayError::Transport {
                operation: op.name.to_string(),
                detail: redact(&describe_reqwest(e), &[self.token.secret()]),
                sent,
            },
            after: None,
            // A connection that was never made cannot have changed anything.
            may_have_taken_effect: sent,
        };
        let sent = self
            .http
            .post(self.url.clone())
            .timeout(op.deadline())
            .header(header, value)
            .json(body)
            .send()
            .await;
        let response = sent.map_err(|e| lost(&e, !e.is_connect()))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
        let text = response.text().await.map_err(|e| lost(&e, true))?;
        Ok((status, retry_after, text))
    }

    /// Classifies a non-2xx reply: 429 waits, 401/403 name the token, 5xx may have taken effect,
    /// other 4xx are fatal.
    fn check_status(
        &self,
        op: &Operation,
        status: u16,
        retry_after: Option<Duration>,
        text: &str,
    ) -> Result<(), Verdict<RailwayError>> {
        let operation = op.name.to_string();
        if status == 429 {
            return Err(Verdict::Transient {
                error: RailwayError::RateLimited { operation },
                after: Some(retry_after.unwrap_or(Duration::from_secs(5))),
                may_have_taken_effect: false,
            });
        }
        if status == 401 || status == 403 {
            return Err(Verdict::Fatal(self.unauthorized(op)));
        }
        if (200..300).contains(&status) {
            return Ok(());
        }
        let error = RailwayError::Http {
            operation,
            status,
            body: truncate(&redact(text, &[self.token.secret()]), 500),
        };
        Err(if status >= 500 {
            Verdict::Transient {
                error,
                after: retry_after,
                may_have_taken_effect: true,
            }
        } else {
            Verdict::Fatal(error)
        })
    }

    /// Parses a 2xx reply: GraphQL errors are fatal ("Not Authorized" names the token), and a
    /// reply without `data` is an error too.
    fn parse_reply<R: DeserializeOwned>(
        &self,
        op: &Operation,
        text: &str,
    ) -> Result<R, Verdict<RailwayError>> {
        let operation = op.name.to_string();
        let parsed: GqlResponse<R> = serde_json::from_str(text).map_err(|e| {
            Verdict::Fatal(RailwayError::Decode {
                operation: operation.clone(),
                detail: format!(
                    "{e}; body: {}",
                    truncate(&redact(text, &[self.token.secret()]), 300)
                ),
            })
        })?;
        if !parsed.errors.is_empty() {
            if parsed
                .errors
                .iter()
                .any(|e| e.message.to_ascii_lowercase().contains("not authorized"))
            {
                return Err(Verdict::Fatal(self.unauthorized(op)));
            }
            let messages = parsed
                .errors
                .into_iter()
                .map(|e| redact(&e.message, &[self.token.secret()]))
                .collect();
            return Err(Verdict::Fatal(RailwayError::GraphQl {
                operation,
                messages,
            }));
        }
        parsed
            .data
            .ok_or(Verdict::Fatal(RailwayError::NoData { operation }))
    }

    fn unauthorized(&self, op: &Operation) -> RailwayError {
        let hint = match &self.token {
            RailwayToken::Project(_) => {
                "; a project token is created in the project's Settings → Tokens for one environment. If yours is an account or workspace token, pass it as `railway-api-token` instead".to_string()
            }
            RailwayToken::Account(_) => {
                "; an account token is created at railway.com/account/tokens. If yours is a project token, pass it as `railway-token` instead".to_string()
            }
        };
        RailwayError::Unauthorized {
            operation: op.name.to_string(),
            token: self.token.describe(),
            hint,
        }
    }
}

/// A failed attempt's error, for the trace.
fn verdict_text(v: &Verdict<RailwayError>) -> String {
    match v {
        Verdict::Fatal(e) | Verdict::Transient { error: e, .. } => e.to_string(),
    }
}

fn describe_reqwest(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_answer_lost_after_sending_may_have_taken_effect() {
        let transport = |sent| RailwayError::Transport {
            operation: "Op".into(),
            detail: "reset".into(),
            sent,
        };
        let http = |status| RailwayError::Http {
            operation: "Op".into(),
            status,
            body: String::new(),
        };
        assert!(transport(true).answer_lost());
        assert!(!transport(false).answer_lost());
        assert!(http(502).answer_lost());
        assert!(!http(400).answer_lost());
        let refused = RailwayError::GraphQl {
            operation: "Op".into(),
            messages: vec!["nope".into()],
        };
        assert!(!refused.answer_lost());
    }
}
