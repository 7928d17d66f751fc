//! What the exchange trace (`crate::trace`) writes for one GitHub request: the method and the
//! route as a template (`/repos/{owner}/{repo}/commits/{ref}/status`: no owner, repository, sha,
//! number or id), the names of the query parameters and body fields sent, the status, the shape
//! of the answer, the duration, and for a reply that is not a success GitHub's message, which
//! `crate::trace` redacts. Every request `github::request` sends goes through [`traced`].

use std::future::Future;
use std::time::Instant;

use serde_json::{Map, Value};

use super::request::Reply;

/// The segments of the routes this action uses that are words of GitHub's API, not values.
const WORDS: &[&str] = &[
    "repos",
    "commits",
    "check-runs",
    "status",
    "statuses",
    "actions",
    "runs",
    "jobs",
    "deployments",
    "compare",
    "pulls",
    "issues",
    "comments",
    "user",
];

/// Awaits one attempt (`sent`: the request within its timeout; `Err` when it timed out) and
/// traces it when tracing is on.
pub(super) async fn traced<E: std::fmt::Display, T>(
    method: &impl std::fmt::Display,
    route: &str,
    body: Option<&Value>,
    sent: impl Future<Output = Result<Result<Reply, E>, T>>,
) -> Result<Result<Reply, E>, T> {
    let started = Instant::now();
    let result = sent.await;
    if crate::trace::on() {
        let operation = format!("{method} {}", template(route));
        let (status, text, error) = match &result {
            Ok(Ok(r)) => (
                Some(r.status),
                Some(String::from_utf8_lossy(&r.body).into_owned()),
                (!r.is_success()).then(|| r.message()),
            ),
            Ok(Err(e)) => (None, None, Some(e.to_string())),
            Err(_) => (None, None, Some("timed out".to_string())),
        };
        let names = names_sent(route, body);
        crate::trace::record(&crate::trace::Exchange {
            system: "github",
            operation: &operation,
            variables: Some(&names),
            status,
            answer: text.as_deref(),
            duration: started.elapsed(),
            error,
            ..crate::trace::Exchange::default()
        });
    }
    result
}

/// `route`'s path with every value replaced by the name of what it stands for, and no query.
pub(super) fn template(route: &str) -> String {
    let path = route.split('?').next().unwrap_or(route);
    let mut out = Vec::new();
    // Parameters the previous word announced, in order.
    let mut expected: &[&str] = &[];
    for segment in path.split('/') {
        if segment.is_empty() {
            out.push(String::new());
            continue;
        }
        if let Some((name, rest)) = expected.split_first() {
            // `/issues/comments/{id}`: a word where a number may stand.
            if !(segment == "comments" && *name == "{issue_number}") {
                out.push((*name).to_string());
                expected = rest;
                continue;
            }
        }
        if WORDS.contains(&segment) {
            out.push(segment.to_string());
            expected = match segment {
                "repos" => &["{owner}", "{repo}"],
                "commits" => &["{ref}"],
                "runs" => &["{run_id}"],
                "deployments" => &["{deployment_id}"],
                "compare" => &["{basehead}"],
                "pulls" => &["{pull_number}"],
                "issues" => &["{issue_number}"],
                "comments" => &["{comment_id}"],
                _ => &[],
            };
        } else {
            out.push("{value}".to_string());
            expected = &[];
        }
    }
    out.join("/")
}

/// The names sent with a request: its query's parameters and its body's fields, as an object
/// whose values are never read (`crate::trace` writes the keys only).
fn names_sent(route: &str, body: Option<&Value>) -> Value {
    let mut names = Map::new();
    if let Some((_, query)) = route.split_once('?') {
        for (k, _) in url::form_urlencoded::parse(query.as_bytes()) {
            names.insert(k.into_owned(), Value::Null);
        }
    }
    if let Some(fields) = body.and_then(Value::as_object) {
        for k in fields.keys() {
            names.insert(k.clone(), Value::Null);
        }
    }
    Value::Object(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_template_names_no_value() {
        let t = |r: &str| template(r);
        assert_eq!(
            t("/repos/acme/shop/commits/abc123/check-runs?filter=latest&per_page=100&page=2"),
            "/repos/{owner}/{repo}/commits/{ref}/check-runs"
        );
        assert_eq!(
            t("/repos/acme/shop/actions/runs/4242/jobs?filter=all"),
            "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs"
        );
        assert_eq!(
            t("/repos/acme/shop/deployments/17/statuses"),
            "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses"
        );
        assert_eq!(
            t("/repos/acme/shop/compare/a1...b2?per_page=100"),
            "/repos/{owner}/{repo}/compare/{basehead}"
        );
        assert_eq!(
            t("/repos/acme/shop/issues/12/comments"),
            "/repos/{owner}/{repo}/issues/{issue_number}/comments"
        );
        assert_eq!(
            t("/repos/acme/shop/issues/comments/99"),
            "/repos/{owner}/{repo}/issues/comments/{comment_id}"
        );
        // A repository named like a word of the API is still a value.
        assert_eq!(
            t("/repos/status/comments/pulls/3"),
            "/repos/{owner}/{repo}/pulls/{pull_number}"
        );
        assert_eq!(t("/user"), "/user");
        // A segment no route of this action has is never kept.
        assert_eq!(
            t("/repos/o/r/secret-thing/x"),
            "/repos/{owner}/{repo}/{value}/{value}"
        );
    }

    #[test]
    fn the_names_sent_are_the_querys_and_the_bodys_keys() {
        let names = names_sent(
            "/repos/o/r/deployments?environment=prod%20eu&task=deploy",
            Some(&serde_json::json!({"ref": "abc", "payload": {"v": 1}})),
        );
        let keys: Vec<&String> = names.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["environment", "payload", "ref", "task"]);
        assert!(names.as_object().unwrap().values().all(Value::is_null));
    }
}
