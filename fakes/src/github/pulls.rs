//! Fake GitHub pull requests: `GET /repos/{o}/{r}/pulls/{n}` answers the state the test set
//! (`open` or `closed`, with `merged`), and 404 for a pull request it does not know, as GitHub
//! does for a number that does not exist.

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::{GitHubState, record};

#[derive(Debug, Default)]
pub struct PullsWorld {
    /// Pull request number → `open` or `closed`.
    pub states: HashMap<u64, String>,
}

async fn pull(
    State(s): State<GitHubState>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&s, &method, &uri, &headers, &[]);
    let w = s.world.lock().unwrap_or_else(|e| e.into_inner());
    match w.pulls.states.get(&number) {
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest/pulls/pulls#get-a-pull-request"})),
        )
            .into_response(),
        Some(state) => Json(json!({
            "number": number,
            "state": state,
            "merged": state == "closed",
            "html_url": format!("https://github.com/{owner}/{repo}/pull/{number}"),
        }))
        .into_response(),
    }
}

pub fn routes() -> Router<GitHubState> {
    Router::new().route("/repos/{owner}/{repo}/pulls/{number}", get(pull))
}
