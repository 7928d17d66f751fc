//! The fake's checks: a commit's check runs (paginated with `Link` headers like GitHub), its commit
//! statuses (combined and listed), the jobs of a workflow run, and a one-shot 403 secondary rate
//! limit with `retry-after`.
//!
//! Tests script what each poll sees: [`Checks::script`] takes one [`Snapshot`] per poll, and the
//! last one repeats. A poll begins with a request for the first page of check runs; later pages and
//! status requests see the same poll's snapshot. A sha without a script answers 422 like GitHub's
//! "No commit found for SHA".

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::GitHubState;

/// What GitHub reports about a commit on one poll. `statuses` are in the order they were created
/// (so the last of a context is its latest), as raw status objects.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub check_runs: Vec<Value>,
    pub statuses: Vec<Value>,
}

impl Snapshot {
    pub fn new(check_runs: Vec<Value>, statuses: Vec<Value>) -> Self {
        Snapshot {
            check_runs,
            statuses,
        }
    }
}

#[derive(Debug, Default)]
pub struct Checks {
    /// Per sha: the snapshot served on each poll; the last one repeats.
    pub scripts: HashMap<String, Vec<Snapshot>>,
    /// Per sha: how many polls (first-page check-run requests) were served.
    pub polls: HashMap<String, usize>,
    /// When set, the next checks request is answered `403` with this `retry-after` (seconds), once.
    pub rate_limit_once: Option<u64>,
    /// Job ids of each workflow run, for `GET /actions/runs/{run_id}/jobs`.
    pub run_jobs: HashMap<u64, Vec<u64>>,
}

impl Checks {
    pub fn script(&mut self, sha: &str, polls: Vec<Snapshot>) {
        self.scripts.insert(sha.to_string(), polls);
        self.polls.remove(sha);
    }

    pub fn polls(&self, sha: &str) -> usize {
        self.polls.get(sha).copied().unwrap_or(0)
    }
}

const STARTED_AT: &str = "2026-11-22T08:00:00Z";

/// A check run of a GitHub Actions job, shaped like the real API's: the job page
/// (`/actions/runs/{run_id}/job/{id}`) in `html_url` and `details_url`, app `github-actions`.
pub fn actions_check_run(
    id: u64,
    name: &str,
    run_id: u64,
    status: &str,
    conclusion: Option<&str>,
) -> Value {
    let page = format!("https://github.com/o/r/actions/runs/{run_id}/job/{id}");
    check_run(id, name, "github-actions", &page, &page, status, conclusion)
}

/// A check run of a third-party app (a CI service), linking to its own site.
pub fn app_check_run(
    id: u64,
    name: &str,
    app_slug: &str,
    status: &str,
    conclusion: Option<&str>,
) -> Value {
    check_run(
        id,
        name,
        app_slug,
        &format!("https://github.com/o/r/runs/{id}"),
        &format!("https://{app_slug}.example.com/builds/{id}"),
        status,
        conclusion,
    )
}

fn check_run(
    id: u64,
    name: &str,
    app_slug: &str,
    html_url: &str,
    details_url: &str,
    status: &str,
    conclusion: Option<&str>,
) -> Value {
    json!({
        "id": id,
        "name": name,
        "node_id": format!("CR_{id}"),
        "head_sha": "",
        "external_id": "",
        "url": format!("https://api.github.com/repos/o/r/check-runs/{id}"),
        "html_url": html_url,
        "details_url": details_url,
        "status": status,
        "conclusion": conclusion,
        "started_at": STARTED_AT,
        "completed_at": if status == "completed" { json!(STARTED_AT) } else { Value::Null },
        "output": {"title": null, "summary": null, "text": null, "annotations_count": 0},
        "check_suite": {"id": 1},
        "app": {"id": 15368, "slug": app_slug, "name": app_slug},
        "pull_requests": []
    })
}

/// A commit status (`state`: pending, success, failure, error).
pub fn status(id: u64, context: &str, state: &str, target_url: Option<&str>) -> Value {
    json!({
        "id": id,
        "node_id": format!("SC_{id}"),
        "state": state,
        "description": null,
        "target_url": target_url,
        "context": context,
        "created_at": STARTED_AT,
        "updated_at": STARTED_AT,
        "url": format!("https://api.github.com/repos/o/r/statuses/{id}")
    })
}

pub fn routes() -> Router<GitHubState> {
    Router::new()
        .route(
            "/repos/{owner}/{repo}/commits/{sha}/check-runs",
            get(check_runs),
        )
        .route("/repos/{owner}/{repo}/commits/{sha}/status", get(combined))
        .route(
            "/repos/{owner}/{repo}/commits/{sha}/statuses",
            get(list_statuses),
        )
        .route(
            "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs",
            get(run_jobs),
        )
}

type Params = Query<HashMap<String, String>>;

fn record(s: &GitHubState, method: &Method, uri: &Uri, headers: &HeaderMap) {
    super::record(s, method, uri, headers, &[]);
}

fn reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// The one-shot secondary rate limit, when armed.
fn rate_limited(s: &GitHubState) -> Option<Response> {
    let secs = s
        .world
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .checks
        .rate_limit_once
        .take()?;
    let mut r = reply(
        StatusCode::FORBIDDEN,
        json!({
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
        }),
    );
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert("retry-after", v);
    }
    Some(r)
}

fn no_commit(sha: &str) -> Response {
    reply(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({"message": format!("No commit found for SHA: {sha}")}),
    )
}

/// One page of `items` for the request's `per_page` and `page` parameters.
fn paginate<T: Clone>(
    items: &[T],
    q: &HashMap<String, String>,
    uri: &Uri,
    headers: &HeaderMap,
) -> (Vec<T>, Option<HeaderValue>) {
    let number = |k: &str| q.get(k).and_then(|v| v.parse().ok());
    super::page_of(items, number("per_page"), number("page"), uri, headers)
}

fn with_link(mut r: Response, link: Option<HeaderValue>) -> Response {
    if let Some(l) = link {
        r.headers_mut().insert("link", l);
    }
    r
}

/// The snapshot for this request; `new_poll` counts a poll first.
fn snapshot(s: &GitHubState, sha: &str, new_poll: bool) -> Option<Snapshot> {
    let mut world = s.world.lock().unwrap_or_else(|e| e.into_inner());
    let checks = &mut world.checks;
    let script = checks.scripts.get(sha)?.clone();
    let polls = checks.polls.entry(sha.to_string()).or_insert(0);
    if new_poll {
        *polls += 1;
    }
    let index = polls.saturating_sub(1).min(script.len().saturating_sub(1));
    Some(script.get(index).cloned().unwrap_or_default())
}

async fn check_runs(
    State(s): State<GitHubState>,
    Path((_owner, _repo, sha)): Path<(String, String, String)>,
    Query(q): Params,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&s, &method, &uri, &headers);
    if let Some(r) = rate_limited(&s) {
        return r;
    }
    let first_page = q
        .get("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        <= 1;
    let Some(snap) = snapshot(&s, &sha, first_page) else {
        return no_commit(&sha);
    };
    let runs: Vec<Value> = snap
        .check_runs
        .into_iter()
        .map(|mut c| {
            c["head_sha"] = json!(sha);
            c
        })
        .collect();
    let (page, link) = paginate(&runs, &q, &uri, &headers);
    with_link(
        reply(
            StatusCode::OK,
            json!({"total_count": runs.len(), "check_runs": page}),
        ),
        link,
    )
}

/// The latest status per context, newest first, like GitHub's combined status.
fn latest_per_context(statuses: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for st in statuses.iter().rev() {
        if !out.iter().any(|o| o["context"] == st["context"]) {
            out.push(st.clone());
        }
    }
    out
}

async fn combined(
    State(s): State<GitHubState>,
    Path((owner, repo, sha)): Path<(String, String, String)>,
    Query(q): Params,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&s, &method, &uri, &headers);
    if let Some(r) = rate_limited(&s) {
        return r;
    }
    let Some(snap) = snapshot(&s, &sha, false) else {
        return no_commit(&sha);
    };
    let latest = latest_per_context(&snap.statuses);
    let has = |state: &str| latest.iter().any(|st| st["state"] == state);
    // GitHub's rule, including its quirk: no statuses at all reads as `pending`.
    let state = if has("failure") || has("error") {
        "failure"
    } else if latest.is_empty() || has("pending") {
        "pending"
    } else {
        "success"
    };
    let (page, link) = paginate(&latest, &q, &uri, &headers);
    with_link(
        reply(
            StatusCode::OK,
            json!({
                "state": state,
                "statuses": page,
                "sha": sha,
                "total_count": latest.len(),
                "repository": {"full_name": format!("{owner}/{repo}")},
                "commit_url": format!("https://api.github.com/repos/{owner}/{repo}/commits/{sha}"),
            }),
        ),
        link,
    )
}

async fn list_statuses(
    State(s): State<GitHubState>,
    Path((_owner, _repo, sha)): Path<(String, String, String)>,
    Query(q): Params,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&s, &method, &uri, &headers);
    if let Some(r) = rate_limited(&s) {
        return r;
    }
    let Some(snap) = snapshot(&s, &sha, false) else {
        return no_commit(&sha);
    };
    let newest_first: Vec<Value> = snap.statuses.iter().rev().cloned().collect();
    let (page, link) = paginate(&newest_first, &q, &uri, &headers);
    with_link(reply(StatusCode::OK, Value::Array(page)), link)
}

async fn run_jobs(
    State(s): State<GitHubState>,
    Path((owner, repo, run_id)): Path<(String, String, u64)>,
    Query(q): Params,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&s, &method, &uri, &headers);
    if let Some(r) = rate_limited(&s) {
        return r;
    }
    let ids = {
        let world = s.world.lock().unwrap_or_else(|e| e.into_inner());
        world.checks.run_jobs.get(&run_id).cloned()
    };
    let Some(ids) = ids else {
        return reply(StatusCode::NOT_FOUND, json!({"message": "Not Found"}));
    };
    let jobs: Vec<Value> = ids
        .iter()
        .map(|id| {
            json!({
                "id": id,
                "run_id": run_id,
                "html_url": format!("https://github.com/{owner}/{repo}/actions/runs/{run_id}/job/{id}"),
                "status": "in_progress",
                "conclusion": null,
            })
        })
        .collect();
    let (page, link) = paginate(&jobs, &q, &uri, &headers);
    with_link(
        reply(
            StatusCode::OK,
            json!({"total_count": jobs.len(), "jobs": page}),
        ),
        link,
    )
}
