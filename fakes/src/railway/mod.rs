//! A fake of Railway's public API: GraphQL (`/graphql/v2`), the upload endpoint and the
//! websocket subscriptions, all sharing one [`RailwayWorld`] and one [`Recorder`].

pub mod environments;
pub mod faults;
pub mod graphql;
pub mod observe;
mod paging;
pub mod upload;
pub mod volumes;
pub mod world;
pub mod ws;
mod ws_subs;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::routing::post;

use crate::{Recorded, Recorder, Server};
pub use faults::LostAnswer;
use upload::UploadFake;
pub use volumes::{BackupBehaviour, HALF_SIZE_REFUSAL};
pub use world::{FakeDeployment, Instance, MAIN_HEAD, RailwayWorld, STALE_COMMIT, ServiceLogs};
use ws::WsFake;

#[derive(Clone)]
pub struct RailwayState {
    pub world: Arc<Mutex<RailwayWorld>>,
    pub recorder: Recorder,
}

/// GraphQL on `POST /graphql/v2`, its websocket (`GET /graphql/v2` upgraded) and the upload
/// endpoint, all on the state's world and recorder. Also serves `GET /app/health` (200
/// `{"status":"ok"}` unless `RailwayWorld::script_app_health` says otherwise, not recorded): a
/// stand-in for the deployed app, so tests can point `health-url` at loopback.
pub fn router(state: RailwayState) -> Router {
    let (router, _, _) = router_with_fakes(state);
    router
}

fn router_with_fakes(state: RailwayState) -> (Router, UploadFake, WsFake) {
    let upload = UploadFake::backed_by(state.world.clone(), state.recorder.clone());
    let ws = WsFake::backed_by(state.world.clone(), state.recorder.clone());
    let router = Router::new()
        .route(
            "/app/health",
            axum::routing::get(observe::app_health).with_state(state.clone()),
        )
        .route(
            "/graphql/v2",
            post(graphql::handle)
                .with_state(state)
                .merge(ws::ws_get(ws.clone())),
        )
        .merge(upload::upload_routes(upload.clone()));
    (router, upload, ws)
}

/// A running fake Railway.
pub struct FakeRailway {
    pub state: RailwayState,
    pub server: Server,
    /// Script upload answers (400, 413 ...) with `upload.reply_next`.
    pub upload: UploadFake,
    /// Script socket behaviour per deployment id (drops, errors) with `ws.script`.
    pub ws: WsFake,
}

impl FakeRailway {
    pub async fn start(world: RailwayWorld) -> FakeRailway {
        let state = RailwayState {
            world: Arc::new(Mutex::new(world)),
            recorder: Recorder::default(),
        };
        let (router, upload, ws) = router_with_fakes(state.clone());
        let server = Server::start(router).await;
        FakeRailway {
            state,
            server,
            upload,
            ws,
        }
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

    /// The bodies of every upload received, in order.
    pub fn uploads(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/up"))
            .collect()
    }

    /// The root field of every websocket `subscribe` message, over every connection.
    pub fn subscriptions(&self) -> Vec<String> {
        self.ws.subscriptions()
    }

    /// Websocket upgrade requests received (each one HTTP request).
    pub fn upgrades(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "GET" && r.path == ws::WS_PATH)
            .collect()
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
