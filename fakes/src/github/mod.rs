//! A fake of GitHub's REST API. Each feature's routes live in their own submodule and share one
//! [`GitHubState`] and one [`Recorder`]; [`router`] mounts them all.

use std::sync::{Arc, Mutex};

use axum::Router;

use crate::Recorder;

pub mod checks;

/// Everything the fake GitHub knows. Submodules add their own fields.
#[derive(Default)]
pub struct World {
    pub checks: checks::Checks,
}

#[derive(Clone, Default)]
pub struct GitHubState {
    pub world: Arc<Mutex<World>>,
    pub recorder: Recorder,
}

pub fn router(state: GitHubState) -> Router {
    Router::new().merge(checks::routes()).with_state(state)
}
