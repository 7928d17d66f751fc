//! Fake GitHub Deployments: create (201, or the 202 auto-merge and 409 conflict replies GitHub
//! documents, or a read-only token's 403), list by environment, sha and task (newest first,
//! paginated by Link header; `created_at` is the time of creation), a create whose answer is
//! never sent (`CreateMode::AnswerHeld`), and deployment statuses (create and list, newest first; `auto_inactive` marks older
//! deployments of the environment inactive the way GitHub does for non-production ones).

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use super::comments::paginate;
use super::{GitHubState, record};

/// How the fake answers `POST /repos/{o}/{r}/deployments`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CreateMode {
    #[default]
    Created,
    /// 202 with "Auto-merged ..." and no deployment.
    AutoMerged,
    /// 409 merge conflict.
    Conflict,
    /// 403 "Resource not accessible by integration" (read-only token).
    Forbidden,
    /// Creates the Deployment, then never answers: the connection stays open with no reply
    /// until the client gives up (a lost answer, or a run cancelled while waiting for it).
    AnswerHeld,
}

#[derive(Clone, Debug)]
pub struct FakeDeployment {
    pub id: u64,
    /// The full JSON GitHub would return.
    pub body: Value,
    /// Newest last.
    pub statuses: Vec<Value>,
}

impl FakeDeployment {
    pub fn states(&self) -> Vec<String> {
        self.statuses
            .iter()
            .filter_map(|s| s["state"].as_str().map(str::to_string))
            .collect()
    }
}

#[derive(Debug, Default)]
pub struct DeploymentsWorld {
    pub mode: CreateMode,
    /// Oldest first.
    pub deployments: Vec<FakeDeployment>,
    pub next_id: u64,
}

impl DeploymentsWorld {
    /// Seeds an existing deployment (with its statuses, oldest first) as if an earlier run made it.
    pub fn seed(&mut self, environment: &str, sha: &str, payload: Value, states: &[&str]) -> u64 {
        let id = self.allocate_id();
        let body = deployment_json(id, sha, environment, "deploy", payload, false, "");
        let statuses = states
            .iter()
            .enumerate()
            .map(|(i, s)| status_json(id * 100 + i as u64, s, &json!({})))
            .collect();
        self.deployments.push(FakeDeployment { id, body, statuses });
        id
    }

    fn allocate_id(&mut self) -> u64 {
        self.next_id = self.next_id.max(1000) + 1;
        self.next_id
    }
}

fn deployment_json(
    id: u64,
    sha: &str,
    environment: &str,
    task: &str,
    payload: Value,
    production: bool,
    description: &str,
) -> Value {
    json!({
        "id": id,
        "sha": sha,
        "ref": sha,
        "task": task,
        "environment": environment,
        "payload": payload,
        "production_environment": production,
        "transient_environment": false,
        "description": description,
        "creator": {"login": "github-actions[bot]", "type": "Bot"},
        "created_at": "2026-11-22T08:00:00Z",
    })
}

/// The current time as GitHub writes it (`2026-12-07T08:00:00Z`).
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn status_json(id: u64, state: &str, req: &Value) -> Value {
    json!({
        "id": id,
        "state": state,
        "description": req.get("description").cloned().unwrap_or(json!("")),
        "environment": req.get("environment").cloned().unwrap_or(Value::Null),
        "log_url": req.get("log_url").cloned().unwrap_or(json!("")),
        "environment_url": req.get("environment_url").cloned().unwrap_or(json!("")),
        "auto_inactive": req.get("auto_inactive").cloned().unwrap_or(json!(true)),
    })
}

fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        Json(json!({"message": "Resource not accessible by integration"})),
    )
        .into_response()
}

async fn create(
    State(s): State<GitHubState>,
    Path((_o, _r)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    record(&s, &method, &uri, &headers, &body);
    let (reply, held) = create_now(&s, &body);
    if held {
        std::future::pending::<()>().await;
    }
    reply
}

/// Creates the Deployment; the reply, and whether it is to be held (never sent).
fn create_now(s: &GitHubState, body: &[u8]) -> (Response, bool) {
    let Ok(req) = serde_json::from_slice::<Value>(body) else {
        let reply = (
            StatusCode::BAD_REQUEST,
            Json(json!({"message": "Problems parsing JSON"})),
        );
        return (reply.into_response(), false);
    };
    let mut w = s.world.lock().unwrap_or_else(|e| e.into_inner());
    let d = &mut w.deployments;
    let refused = match d.mode {
        CreateMode::Forbidden => Some(forbidden()),
        CreateMode::AutoMerged => Some(
            (
                StatusCode::ACCEPTED,
                Json(json!({"message": "Auto-merged main into topic-branch on deployment."})),
            )
                .into_response(),
        ),
        CreateMode::Conflict => Some(
            (
                StatusCode::CONFLICT,
                Json(json!({"message": "Conflict merging main into topic-branch."})),
            )
                .into_response(),
        ),
        CreateMode::Created | CreateMode::AnswerHeld => None,
    };
    if let Some(reply) = refused {
        return (reply, false);
    }
    let Some(r#ref) = req["ref"].as_str() else {
        let reply = (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"message": "Invalid request: ref is required"})),
        );
        return (reply.into_response(), false);
    };
    let id = d.allocate_id();
    let mut body = deployment_json(
        id,
        r#ref,
        req["environment"].as_str().unwrap_or("production"),
        req["task"].as_str().unwrap_or("deploy"),
        req.get("payload").cloned().unwrap_or(json!({})),
        req["production_environment"].as_bool().unwrap_or(false),
        req["description"].as_str().unwrap_or(""),
    );
    body["transient_environment"] = json!(req["transient_environment"].as_bool().unwrap_or(false));
    body["created_at"] = json!(now_rfc3339());
    d.deployments.push(FakeDeployment {
        id,
        body: body.clone(),
        statuses: Vec::new(),
    });
    let held = d.mode == CreateMode::AnswerHeld;
    ((StatusCode::CREATED, Json(body)).into_response(), held)
}

#[derive(serde::Deserialize)]
struct ListQuery {
    environment: Option<String>,
    sha: Option<String>,
    task: Option<String>,
    per_page: Option<usize>,
    page: Option<usize>,
}

async fn list(
    State(s): State<GitHubState>,
    Query(q): Query<ListQuery>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&s, &method, &uri, &headers, &[]);
    let w = s.world.lock().unwrap_or_else(|e| e.into_inner());
    let all: Vec<Value> = w
        .deployments
        .deployments
        .iter()
        .rev()
        .filter(|d| {
            q.environment
                .as_deref()
                .is_none_or(|e| d.body["environment"] == e)
        })
        .filter(|d| q.sha.as_deref().is_none_or(|sha| d.body["sha"] == sha))
        .filter(|d| q.task.as_deref().is_none_or(|task| d.body["task"] == task))
        .map(|d| d.body.clone())
        .collect();
    paginate(&headers, &uri, all, q.per_page, q.page)
}

async fn create_status(
    State(s): State<GitHubState>,
    Path((_o, _r, id)): Path<(String, String, u64)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    record(&s, &method, &uri, &headers, &body);
    let req = serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
    let Some(state) = req["state"].as_str().map(str::to_string) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"message": "state is required"})),
        )
            .into_response();
    };
    let mut w = s.world.lock().unwrap_or_else(|e| e.into_inner());
    let d = &mut w.deployments;
    if d.mode == CreateMode::Forbidden {
        return forbidden();
    }
    let Some(pos) = d.deployments.iter().position(|x| x.id == id) else {
        return (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response();
    };
    let sid = id * 100 + d.deployments[pos].statuses.len() as u64;
    let status = status_json(sid, &state, &req);
    d.deployments[pos].statuses.push(status.clone());
    let auto_inactive = req["auto_inactive"].as_bool().unwrap_or(true);
    let env = d.deployments[pos].body["environment"].clone();
    if state == "success" && auto_inactive {
        for (i, other) in d.deployments.iter_mut().enumerate() {
            let eligible = i != pos
                && other.body["environment"] == env
                && other.body["production_environment"] != true
                && other.states().last().map(String::as_str) == Some("success");
            if eligible {
                let sid = other.id * 100 + other.statuses.len() as u64;
                other
                    .statuses
                    .push(status_json(sid, "inactive", &json!({})));
            }
        }
    }
    (StatusCode::CREATED, Json(status)).into_response()
}

async fn list_statuses(
    State(s): State<GitHubState>,
    Path((_o, _r, id)): Path<(String, String, u64)>,
    Query(q): Query<ListQuery>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&s, &method, &uri, &headers, &[]);
    let w = s.world.lock().unwrap_or_else(|e| e.into_inner());
    let Some(d) = w.deployments.deployments.iter().find(|x| x.id == id) else {
        return (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response();
    };
    let newest_first: Vec<Value> = d.statuses.iter().rev().cloned().collect();
    paginate(&headers, &uri, newest_first, q.per_page, q.page)
}

pub fn routes() -> Router<GitHubState> {
    Router::new()
        .route("/repos/{owner}/{repo}/deployments", post(create).get(list))
        .route(
            "/repos/{owner}/{repo}/deployments/{id}/statuses",
            post(create_status).get(list_statuses),
        )
}
