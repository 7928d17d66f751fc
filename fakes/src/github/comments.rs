//! Fake GitHub pull-request comments and who-am-I: `GET /user` (a user, or the 403 an Actions
//! installation token gets), `GET /repos/{o}/{r}/commits/{sha}/pulls`, issue comments listed with
//! Link-header pagination, created and edited, and a read-only mode (a fork PR's token) where
//! writes answer 403 "Resource not accessible by integration". Also the shared [`paginate`] helper.

use std::collections::{HashMap, HashSet};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use serde_json::{Value, json};

use super::{GitHubState, record};

/// The login GitHub shows for comments made with an Actions `GITHUB_TOKEN`.
pub const ACTIONS_BOT: &str = "github-actions[bot]";

#[derive(Clone, Debug)]
pub struct FakeComment {
    pub id: u64,
    pub issue: u64,
    pub body: String,
    pub login: String,
    /// `User` or `Bot`.
    pub user_type: String,
}

#[derive(Debug, Default)]
pub struct CommentsWorld {
    /// The token's user for `GET /user`; `None` answers 403 like an installation token, and the
    /// comments it writes are authored by [`ACTIONS_BOT`].
    pub token_user: Option<String>,
    /// Pull requests whose writes answer 403 (a fork PR's read-only token).
    pub read_only_prs: HashSet<u64>,
    /// `GET /commits/{sha}/pulls`: PR numbers by sha.
    pub pulls_by_sha: HashMap<String, Vec<u64>>,
    /// Oldest first.
    pub comments: Vec<FakeComment>,
    pub next_id: u64,
}

impl CommentsWorld {
    /// Adds a comment as if someone wrote it earlier; returns its id.
    pub fn seed(&mut self, issue: u64, login: &str, user_type: &str, body: &str) -> u64 {
        self.next_id = self.next_id.max(5000) + 1;
        self.comments.push(FakeComment {
            id: self.next_id,
            issue,
            body: body.to_string(),
            login: login.to_string(),
            user_type: user_type.to_string(),
        });
        self.next_id
    }

    pub fn on_issue(&self, issue: u64) -> Vec<&FakeComment> {
        self.comments.iter().filter(|c| c.issue == issue).collect()
    }

    fn author(&self) -> (String, String) {
        match &self.token_user {
            Some(login) => (login.clone(), "User".to_string()),
            None => (ACTIONS_BOT.to_string(), "Bot".to_string()),
        }
    }
}

fn comment_json(c: &FakeComment) -> Value {
    json!({
        "id": c.id,
        "body": c.body,
        "user": {"login": c.login, "type": c.user_type},
        "html_url": format!("https://github.com/o/r/pull/{}#issuecomment-{}", c.issue, c.id),
    })
}

fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        Json(json!({
            "message": "Resource not accessible by integration",
            "documentation_url": "https://docs.github.com/rest",
        })),
    )
        .into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response()
}

/// One page of `items` as GitHub pages lists: `per_page` (default 30, at most 100), 1-based
/// `page`, and a `Link` header with `rel="next"`/`rel="last"` absolute URLs built from `Host`.
pub fn paginate(
    headers: &HeaderMap,
    uri: &Uri,
    items: Vec<Value>,
    per_page: Option<usize>,
    page: Option<usize>,
) -> Response {
    let (slice, link) = super::page_of(&items, per_page, page, uri, headers);
    let mut response = (StatusCode::OK, Json(Value::Array(slice))).into_response();
    if let Some(v) = link {
        response.headers_mut().insert("link", v);
    }
    response
}

async fn user(
    State(s): State<GitHubState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&s, &method, &uri, &headers, &[]);
    let w = s.world.lock().unwrap_or_else(|e| e.into_inner());
    match &w.comments.token_user {
        Some(login) => Json(json!({"login": login, "id": 1, "type": "User"})).into_response(),
        None => forbidden(),
    }
}

async fn pulls_for_commit(
    State(s): State<GitHubState>,
    Path((_o, _r, sha)): Path<(String, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&s, &method, &uri, &headers, &[]);
    let w = s.world.lock().unwrap_or_else(|e| e.into_inner());
    let prs: Vec<Value> = w
        .comments
        .pulls_by_sha
        .get(&sha)
        .into_iter()
        .flatten()
        .map(|n| json!({"number": n, "state": "open", "head": {"sha": sha}}))
        .collect();
    Json(Value::Array(prs)).into_response()
}

async fn list_comments(
    State(s): State<GitHubState>,
    Path((_o, _r, issue)): Path<(String, String, u64)>,
    Query(q): Query<super::PageQuery>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&s, &method, &uri, &headers, &[]);
    let w = s.world.lock().unwrap_or_else(|e| e.into_inner());
    let items = w
        .comments
        .on_issue(issue)
        .into_iter()
        .map(comment_json)
        .collect();
    paginate(&headers, &uri, items, q.per_page, q.page)
}

fn body_of(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<Value>(body).ok()?["body"]
        .as_str()
        .map(str::to_string)
}

async fn create_comment(
    State(s): State<GitHubState>,
    Path((_o, _r, issue)): Path<(String, String, u64)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    record(&s, &method, &uri, &headers, &body);
    let mut w = s.world.lock().unwrap_or_else(|e| e.into_inner());
    let c = &mut w.comments;
    if c.read_only_prs.contains(&issue) {
        return forbidden();
    }
    let Some(text) = body_of(&body) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"message": "body is required"})),
        )
            .into_response();
    };
    let (login, user_type) = c.author();
    let id = c.seed(issue, &login, &user_type, &text);
    let created = c.comments.iter().find(|x| x.id == id).map(comment_json);
    (StatusCode::CREATED, Json(created.unwrap_or(Value::Null))).into_response()
}

async fn update_comment(
    State(s): State<GitHubState>,
    Path((_o, _r, id)): Path<(String, String, u64)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    record(&s, &method, &uri, &headers, &body);
    let mut w = s.world.lock().unwrap_or_else(|e| e.into_inner());
    let c = &mut w.comments;
    let author = c.author();
    let read_only = c.read_only_prs.clone();
    let Some(existing) = c.comments.iter_mut().find(|x| x.id == id) else {
        return not_found();
    };
    if read_only.contains(&existing.issue) || existing.login != author.0 {
        return forbidden();
    }
    let Some(text) = body_of(&body) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"message": "body is required"})),
        )
            .into_response();
    };
    existing.body = text;
    Json(comment_json(existing)).into_response()
}

pub fn routes() -> Router<GitHubState> {
    Router::new()
        .route("/user", get(user))
        .route(
            "/repos/{owner}/{repo}/commits/{sha}/pulls",
            get(pulls_for_commit),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{issue}/comments",
            get(list_comments).post(create_comment),
        )
        .route(
            "/repos/{owner}/{repo}/issues/comments/{id}",
            patch(update_comment),
        )
}
