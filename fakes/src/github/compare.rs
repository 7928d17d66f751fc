//! Fake GitHub commit comparison: `GET /repos/{o}/{r}/compare/{base}...{head}` answers the
//! status and changed files scripted for that pair, and 404 "Not Found" for a pair it does not
//! know, as GitHub does for a commit it does not have. As the record says
//! (https://docs.github.com/rest/commits/commits#compare-two-commits: "The list of changed files
//! is only shown on the first page of results, and it includes up to 300 changed files for the
//! entire comparison"), `per_page` and `page` page the commits (with a `Link` header); the files
//! come on page 1 only, at most [`MAX_FILES`] of them, and later pages carry no `files` at all.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::{GitHubState, record};

/// The most files GitHub lists for one comparison.
pub const MAX_FILES: usize = 300;

/// Scripted comparisons, by (base, head).
#[derive(Debug, Default)]
pub struct CompareWorld {
    pub pairs: Vec<(String, String, String, Vec<String>)>,
    /// Commits between base and head in every comparison (at least 1).
    pub commits: usize,
}

impl CompareWorld {
    /// GitHub compares `base...head` as `status` (`ahead`, `behind` ...) with these files changed.
    pub fn script(&mut self, base: &str, head: &str, status: &str, files: &[&str]) {
        let files = files.iter().map(|f| f.to_string()).collect();
        self.pairs
            .push((base.into(), head.into(), status.into(), files));
    }
}

async fn compare(
    State(s): State<GitHubState>,
    Path((_o, _r, basehead)): Path<(String, String, String)>,
    Query(q): Query<super::PageQuery>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&s, &method, &uri, &headers, &[]);
    let w = s.world.lock().unwrap_or_else(|e| e.into_inner());
    let (base, head) = basehead.split_once("...").unwrap_or((&basehead, ""));
    let Some((_, _, status, files)) = w
        .compare
        .pairs
        .iter()
        .find(|(b, h, _, _)| b == base && h == head)
    else {
        let body = json!({"message": "Not Found", "status": "404"});
        return (StatusCode::NOT_FOUND, Json(body)).into_response();
    };
    let total = w.compare.commits.max(1);
    let commits: Vec<Value> = (0..total)
        .map(|i| json!({"sha": format!("{i:040x}"), "commit": {"message": format!("commit {i}")}}))
        .collect();
    let (slice, link) = super::page_of(&commits, q.per_page, q.page, &uri, &headers);
    let mut body = json!({
        "status": status,
        "ahead_by": total,
        "behind_by": 0,
        "total_commits": total,
        "commits": slice,
    });
    if q.page.unwrap_or(1) <= 1 {
        let files: Vec<Value> = files
            .iter()
            .take(MAX_FILES)
            .map(|f| json!({"filename": f, "status": "modified"}))
            .collect();
        body["files"] = Value::Array(files);
    }
    let mut response = (StatusCode::OK, Json(body)).into_response();
    if let Some(v) = link {
        response.headers_mut().insert("link", v);
    }
    response
}

pub fn routes() -> Router<GitHubState> {
    Router::new().route("/repos/{owner}/{repo}/compare/{basehead}", get(compare))
}
