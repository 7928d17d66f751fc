//! Fake of Railway's websocket endpoint (`GET /graphql/v2` upgraded, `graphql-transport-ws`):
//! acknowledges `connection_init`, answers pings, and serves scripted `deployment(id)` statuses
//! (the first one without its build snapshot) and log lines the way Railway's released CLI reads
//! them (`buildLogs(deploymentId)`, `deploymentLogs(deploymentId)`; an `environmentLogs` filter on
//! undocumented keys answers nothing, silently), any number of subscriptions per socket (served by `ws_subs`). It counts connections (upgrades),
//! `subscribe` and `complete` messages. It can drop a socket early (status or logs) to test
//! fallbacks and reconnects; log subscriptions replay every line from the start on each new
//! connection, as Railway's history replay does, so clients must de-duplicate. Every upgrade
//! request is recorded (that is the only HTTP request a socket costs).
//!
//! Backed by a [`RailwayWorld`] (inside `FakeRailway`), deployments without a script are served
//! from the world: `deployment(id)` moves the deployment's status script on every `ws_step` and
//! sends each change, the log subscriptions replay the deployment's scripted lines, the
//! token on the upgrade request is checked, and `world.websockets = false` refuses upgrades.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::graphql::caller;
use super::world::RailwayWorld;
use super::ws_subs::{Sub, root_field, scripted_subscription, world_subscription};
use crate::recorder::{Recorded, Recorder};

pub use super::ws_subs::{SCRIPTED_ENVIRONMENT, snapshot_of};

pub const WS_PATH: &str = "/graphql/v2";

/// What one deployment does over the socket.
#[derive(Clone, Debug, Default)]
pub struct DeploymentScript {
    /// Each status is sent after its delay (from the subscription, or from the previous status).
    pub statuses: Vec<(Duration, String)>,
    /// Build log lines `(timestamp, message)`, one `next` each, `log_gap` apart.
    pub build_logs: Vec<(String, String)>,
    /// Deploy log lines, after the build lines.
    pub deploy_logs: Vec<(String, String)>,
    pub log_gap: Duration,
    /// On the first socket that subscribes to this deployment's status: drop the socket after
    /// sending this many statuses.
    pub drop_status_after: Option<usize>,
    /// On the first socket that subscribes to this deployment's logs: drop it after this many
    /// build lines.
    pub drop_logs_after: Option<usize>,
    /// Refuse the status subscription with a GraphQL error (e.g. "Not Authorized").
    pub status_error: Option<String>,
}

#[derive(Default)]
pub(super) struct WsState {
    scripts: HashMap<String, DeploymentScript>,
    pub(super) status_sockets: HashMap<String, usize>,
    /// Keyed by "<deployment> <stream field>".
    pub(super) log_sockets: HashMap<String, usize>,
    refuse_upgrade: bool,
    /// The root field of every `subscribe` message received, in order.
    subscribes: Vec<String>,
    /// `complete` messages received (subscriptions the client ended).
    completes: usize,
}

#[derive(Clone, Default)]
pub struct WsFake {
    state: Arc<Mutex<WsState>>,
    recorder: Recorder,
    world: Option<Arc<Mutex<RailwayWorld>>>,
}

impl WsFake {
    pub fn new() -> Self {
        WsFake::default()
    }

    /// Serves unscripted deployments from `world`; upgrades go to `recorder`.
    pub fn backed_by(world: Arc<Mutex<RailwayWorld>>, recorder: Recorder) -> Self {
        WsFake {
            state: Arc::default(),
            recorder,
            world: Some(world),
        }
    }

    pub(super) fn world(&self) -> Option<std::sync::MutexGuard<'_, RailwayWorld>> {
        self.world
            .as_ref()
            .map(|w| w.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn script(&self, deployment_id: &str, script: DeploymentScript) {
        self.lock()
            .scripts
            .insert(deployment_id.to_string(), script);
    }

    /// Answer upgrades with 503, as when websockets are blocked by a proxy.
    pub fn refuse_upgrades(&self, refuse: bool) {
        self.lock().refuse_upgrade = refuse;
    }

    pub fn recorder(&self) -> Recorder {
        self.recorder.clone()
    }

    /// The root field of every `subscribe` message received (`deployment`, `environmentLogs` ...),
    /// over every connection, in order.
    pub fn subscriptions(&self) -> Vec<String> {
        self.lock().subscribes.clone()
    }

    /// `complete` messages received: subscriptions the client ended itself.
    pub fn completes(&self) -> usize {
        self.lock().completes
    }

    /// Upgrade requests received (each is one HTTP request).
    pub fn upgrades(&self) -> Vec<Recorded> {
        self.recorder.all()
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, WsState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `GET` handler for `/graphql/v2`, with state applied: merge it with the GraphQL `POST` handler
/// of the same path (`post(graphql).merge(ws_get(fake))`).
pub fn ws_get(fake: WsFake) -> MethodRouter {
    get(upgrade).with_state(fake)
}

/// A router serving only the websocket endpoint.
pub fn ws_routes(fake: WsFake) -> Router {
    Router::new().route(WS_PATH, ws_get(fake))
}

async fn upgrade(
    State(fake): State<WsFake>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    use axum::response::IntoResponse;
    fake.recorder
        .push(Recorder::from_parts(&method, &uri, &headers, &[]));
    let Ok(ws) = ws else {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            "expected a websocket upgrade",
        )
            .into_response();
    };
    let world_refuses = fake.world().is_some_and(|w| !w.websockets);
    if fake.lock().refuse_upgrade || world_refuses {
        return (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "websockets unavailable",
        )
            .into_response();
    }
    // Only a world knows the tokens; a standalone fake accepts any.
    let authorized = fake.world().is_none_or(|w| caller(&w, &headers).is_some());
    ws.protocols(["graphql-transport-ws"])
        .on_upgrade(move |socket| serve(fake, socket, authorized))
}

pub(super) enum Out {
    Send(Value),
    Drop,
}

async fn serve(fake: WsFake, mut socket: WebSocket, authorized: bool) {
    let (tx, mut rx) = mpsc::channel::<Out>(64);
    let mut tasks = Vec::new();
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(msg)) = incoming else { break };
                let Message::Text(text) = msg else { continue };
                let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else { continue };
                match v.get("type").and_then(Value::as_str) {
                    Some("connection_init") => {
                        let _ = socket.send(Message::Text(json!({"type":"connection_ack"}).to_string().into())).await;
                    }
                    Some("ping") => {
                        let _ = socket.send(Message::Text(json!({"type":"pong"}).to_string().into())).await;
                    }
                    Some("complete") => fake.lock().completes += 1,
                    Some("subscribe") => {
                        let query = v.pointer("/payload/query").and_then(Value::as_str).unwrap_or_default();
                        fake.lock().subscribes.push(root_field(query));
                        tasks.push(tokio::spawn(run_subscription(fake.clone(), v, tx.clone(), authorized)));
                    }
                    _ => {}
                }
            }
            out = rx.recv() => {
                match out {
                    Some(Out::Send(v)) => {
                        if socket.send(Message::Text(v.to_string().into())).await.is_err() { break; }
                    }
                    Some(Out::Drop) | None => break,
                }
            }
        }
    }
    for t in tasks {
        t.abort();
    }
}

async fn run_subscription(fake: WsFake, msg: Value, tx: mpsc::Sender<Out>, authorized: bool) {
    let sub = Sub::parse(&msg);
    let script = fake.lock().scripts.get(&sub.dep).cloned();
    match (script, fake.world.clone()) {
        (Some(script), _) => scripted_subscription(&fake, &script, &sub, &tx).await,
        (None, Some(_)) if !authorized => {
            let _ = tx.send(sub.error("Not Authorized")).await;
        }
        (None, Some(world)) => world_subscription(&world, &sub, &tx).await,
        (None, None) => {
            let _ = tx
                .send(sub.error(&format!("Deployment {} not found", sub.dep)))
                .await;
        }
    }
}
