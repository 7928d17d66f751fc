//! A fake of GitHub's REST API. Each feature's routes live in their own submodule and share one
//! [`GitHubState`] and one [`Recorder`]; [`router`] mounts them all.

pub mod comments;
pub mod compare;
pub mod deployments;
pub mod faults;
pub mod git_data;
pub mod pulls;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, Method, Uri};

use crate::Recorder;

pub mod checks;

/// Everything the fake GitHub knows. Submodules add their own fields.
#[derive(Default)]
pub struct World {
    pub checks: checks::Checks,
    pub deployments: deployments::DeploymentsWorld,
    pub comments: comments::CommentsWorld,
    /// Injected faults (stalls, failures, echoed tokens), checked before every route.
    pub faults: faults::Faults,
    pub compare: compare::CompareWorld,
    pub git: git_data::GitWorld,
    pub pulls: pulls::PullsWorld,
}

#[derive(Clone, Default)]
pub struct GitHubState {
    pub world: Arc<Mutex<World>>,
    pub recorder: Recorder,
}

pub fn router(state: GitHubState) -> Router {
    Router::new()
        .merge(checks::routes())
        .merge(deployments::routes())
        .merge(comments::routes())
        .merge(compare::routes())
        .merge(git_data::routes())
        .merge(pulls::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            faults::apply,
        ))
        .with_state(state)
}

/// Records one request in the fake's recorder.
pub fn record(s: &GitHubState, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) {
    s.recorder
        .push(Recorder::from_parts(method, uri, headers, body));
}

/// The `per_page` and `page` query parameters of a paginated list route.
#[derive(serde::Deserialize)]
pub struct PageQuery {
    pub per_page: Option<usize>,
    pub page: Option<usize>,
}

/// One page of `items` as GitHub pages lists: `per_page` (default 30, at most 100), 1-based
/// `page`, and the `Link` header (`rel="next"`/`rel="last"`, absolute URLs built from `Host`,
/// the request's other query parameters kept) when more pages follow.
pub fn page_of<T: Clone>(
    items: &[T],
    per_page: Option<usize>,
    page: Option<usize>,
    uri: &Uri,
    headers: &HeaderMap,
) -> (Vec<T>, Option<HeaderValue>) {
    let per_page = per_page.unwrap_or(30).clamp(1, 100);
    let page = page.unwrap_or(1).max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let slice: Vec<T> = items
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .cloned()
        .collect();
    if page >= last {
        return (slice, None);
    }
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let link_to = |n: usize| {
        let mut query: Vec<String> = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("page="))
            .map(str::to_string)
            .collect();
        query.push(format!("page={n}"));
        format!("<http://{host}{}?{}>", uri.path(), query.join("&"))
    };
    let link = format!(
        "{}; rel=\"next\", {}; rel=\"last\"",
        link_to(page + 1),
        link_to(last)
    );
    (slice, HeaderValue::from_str(&link).ok())
}
