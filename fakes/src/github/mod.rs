//! A fake of GitHub's REST API. Each feature's routes live in their own submodule and share one
//! [`GitHubState`] and one [`Recorder`]; [`router`] mounts them all.

pub mod comments;
pub mod deployments;

use std::sync::{Arc, Mutex};

use axum::Router;

use crate::Recorder;

pub mod checks;

/// Everything the fake GitHub knows. Submodules add their own fields.
#[derive(Default)]
pub struct World {
    pub checks: checks::Checks,
    pub deployments: deployments::DeploymentsWorld,
    pub comments: comments::CommentsWorld,
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
        .with_state(state)
}
