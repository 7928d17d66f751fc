//! A fake of Railway's public API: GraphQL (`/graphql/v2`), the upload endpoint and the
//! websocket subscriptions, all sharing one [`RailwayWorld`] and one [`Recorder`].

pub mod graphql;
pub mod upload;
pub mod world;
pub mod ws;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::routing::post;

use crate::{Recorded, Recorder, Server};
pub use world::{FakeDeployment, Instance, RailwayWorld};

#[derive(Clone)]
pub struct RailwayState {
    pub world: Arc<Mutex<RailwayWorld>>,
    pub recorder: Recorder,
}

/// Also serves `GET /app/health` (200 `{"status":"ok"}`): a stand-in for the deployed app, so
/// tests can point `health-url` at loopback.
pub fn router(state: RailwayState) -> Router {
    Router::new()
        .route("/graphql/v2", post(graphql::handle))
        .route(
            "/app/health",
            axum::routing::get(|| async { r#"{"status":"ok"}"# }),
        )
        .with_state(state)
}

/// A running fake Railway.
pub struct FakeRailway {
    pub state: RailwayState,
    pub server: Server,
}

impl FakeRailway {
    pub async fn start(world: RailwayWorld) -> FakeRailway {
        let state = RailwayState {
            world: Arc::new(Mutex::new(world)),
            recorder: Recorder::default(),
        };
        let server = Server::start(router(state.clone())).await;
        FakeRailway { state, server }
    }

    /// The GraphQL endpoint, as `railway-api-url` takes it.
    pub fn api_url(&self) -> String {
        format!("{}/graphql/v2", self.server.url())
    }

    /// A loopback URL answering like a healthy deployed app.
    pub fn app_health_url(&self) -> String {
        format!("{}/app/health", self.server.url())
    }

    pub fn world(&self) -> MutexGuard<'_, RailwayWorld> {
        self.state.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.recorder.all()
    }

    /// The `operationName` of every GraphQL request, in order.
    pub fn operations(&self) -> Vec<String> {
        self.requests()
            .iter()
            .filter_map(|r| {
                r.body_json()?
                    .get("operationName")?
                    .as_str()
                    .map(str::to_string)
            })
            .collect()
    }

    /// The `operationName` of every GraphQL mutation, in order (read from the query text).
    pub fn mutations(&self) -> Vec<String> {
        self.requests()
            .iter()
            .filter_map(|r| {
                let body = r.body_json()?;
                let query = body.get("query")?.as_str()?;
                let is_mutation = query
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty() && !l.starts_with('#'))?
                    .starts_with("mutation");
                is_mutation.then(|| body.get("operationName")?.as_str().map(str::to_string))?
            })
            .collect()
    }
}
