//! Fault injection for the fake GitHub: rules, checked before any route, that make a matching
//! request stall (accepted, never answered), fail with a status (once or every time), or answer
//! with an error body echoing the request's `Authorization` header (as a careless server quoting
//! what it was sent would). A faulted request is recorded like any other. Also, as a GitHub
//! Enterprise Server behind a proxy does, it can answer `Link` headers whose URLs name another
//! host and path than the one asked ([`Faults::link_base`]): a client that follows them leaves
//! the server (and its token with it), one that asks for pages by number does not notice.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{GitHubState, record};

/// What a matching request gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The connection stays open and no byte of an answer is ever sent.
    Stall,
    /// This status, with GitHub's `{"message": ...}` body.
    Fail(u16),
    /// This status, with a message quoting the request's `Authorization` header.
    EchoToken(u16),
}

/// One rule: requests whose method is `method` (any when `None`), whose path contains `path`
/// and whose body contains `body` (any when `None`) get `action`, `times` times (for ever when
/// `None`).
#[derive(Clone, Debug)]
pub struct Rule {
    pub method: Option<String>,
    pub path: String,
    pub body: Option<String>,
    pub action: Action,
    pub times: Option<u32>,
}

impl Rule {
    pub fn new(method: &str, path: &str, action: Action) -> Rule {
        Rule {
            method: Some(method.to_string()),
            path: path.to_string(),
            body: None,
            action,
            times: None,
        }
    }

    /// Only requests whose body contains `text`.
    pub fn body_contains(mut self, text: &str) -> Rule {
        self.body = Some(text.to_string());
        self
    }

    /// Only the first `n` matching requests.
    pub fn times(mut self, n: u32) -> Rule {
        self.times = Some(n);
        self
    }

    fn matches(&self, method: &str, path: &str, body: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && path.contains(&self.path)
            && self.body.as_deref().is_none_or(|b| body.contains(b))
            && self.times != Some(0)
    }
}

/// The rules of one fake GitHub, in order; the first match wins.
#[derive(Debug, Default)]
pub struct Faults {
    pub rules: Vec<Rule>,
    /// When set, every `Link` URL's `http://{host}` is replaced by this (for example
    /// `https://ghes.invalid/api/v3`): the URL points somewhere this server is not.
    pub link_base: Option<String>,
}

impl Faults {
    pub fn add(&mut self, rule: Rule) {
        self.rules.push(rule);
    }

    /// The action for this request, counting it against its rule.
    fn take(&mut self, method: &str, path: &str, body: &str) -> Option<Action> {
        let rule = self
            .rules
            .iter_mut()
            .find(|r| r.matches(method, path, body))?;
        if let Some(n) = rule.times.as_mut() {
            *n -= 1;
        }
        Some(rule.action.clone())
    }
}

/// The middleware: applies the first matching rule, or passes the request on unchanged.
pub async fn apply(State(s): State<GitHubState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024 * 1024).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let action = {
        let mut w = s.world.lock().unwrap_or_else(|e| e.into_inner());
        let text = String::from_utf8_lossy(&bytes);
        w.faults
            .take(parts.method.as_str(), parts.uri.path(), &text)
    };
    let Some(action) = action else {
        let host = parts
            .headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1")
            .to_string();
        let mut response = next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
        let base = s
            .world
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .faults
            .link_base
            .clone();
        if let Some(base) = base {
            relink(&mut response, &host, &base);
        }
        return response;
    };
    record(&s, &parts.method, &parts.uri, &parts.headers, &bytes);
    let (status, message) = match action {
        Action::Stall => std::future::pending::<(u16, String)>().await,
        Action::Fail(code) => (code, "Server Error (injected fault)".to_string()),
        Action::EchoToken(code) => {
            let sent = parts
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            (code, format!("Bad credentials: {sent}"))
        }
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(json!({ "message": message }))).into_response()
}

/// Points the `Link` header's URLs at `base` instead of `http://{host}`.
fn relink(response: &mut Response, host: &str, base: &str) {
    let Some(link) = response.headers().get("link").and_then(|l| l.to_str().ok()) else {
        return;
    };
    let moved = link.replace(&format!("<http://{host}"), &format!("<{base}"));
    if let Ok(v) = axum::http::HeaderValue::from_str(&moved) {
        response.headers_mut().insert("link", v);
    }
}
