//! Fake of Railway's websocket endpoint (`GET /graphql/v2` upgraded, `graphql-transport-ws`):
//! acknowledges `connection_init`, answers pings, and serves scripted `deployment(id)` statuses
//! and `environmentLogs` lines (a deployment's build lines when the filter names its snapshot
//! `@snapshot:snap-<deployment id>`, its deploy lines when it names `@deployment:<id>`), any
//! number of subscriptions per socket. It counts connections (upgrades) and `subscribe` messages. It can drop a socket early (status or logs) to test
//! fallbacks and reconnects; log subscriptions replay every line from the start on each new
//! connection, as Railway's history replay does, so clients must de-duplicate. Every upgrade
//! request is recorded (that is the only HTTP request a socket costs).
//!
//! Backed by a [`RailwayWorld`] (inside `FakeRailway`), deployments without a script are served
//! from the world: `deployment(id)` moves the deployment's status script on every `ws_step` and
//! sends each change, `environmentLogs` replays the deployment's scripted lines, the
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

use super::graphql::{caller, log_lines};
use super::world::RailwayWorld;
use crate::recorder::{Recorded, Recorder};

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
struct WsState {
    scripts: HashMap<String, DeploymentScript>,
    status_sockets: HashMap<String, usize>,
    log_sockets: HashMap<String, usize>,
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

    fn world(&self) -> Option<std::sync::MutexGuard<'_, RailwayWorld>> {
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

    fn lock(&self) -> std::sync::MutexGuard<'_, WsState> {
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

enum Out {
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
    let id = msg
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let query = msg
        .pointer("/payload/query")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let vars = msg
        .pointer("/payload/variables")
        .cloned()
        .unwrap_or(Value::Null);
    let filter = vars
        .get("filter")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let dep = vars
        .get("id")
        .or_else(|| vars.get("deploymentId"))
        .and_then(Value::as_str)
        .or_else(|| filtered(filter, "@deployment:"))
        .unwrap_or_default()
        .to_string();
    // Which kinds of lines the filter asks for: build lines by the deployment's snapshot.
    let wants_build = filtered(filter, "@snapshot:") == Some(snapshot_of(&dep).as_str());
    let wants_deploy = filtered(filter, "@deployment:").is_some();
    let script = fake.lock().scripts.get(&dep).cloned();
    if script.is_none()
        && let Some(world) = fake.world.clone()
    {
        let error =
            |m: String| Out::Send(json!({"id": id, "type": "error", "payload": [{"message": m}]}));
        if !authorized {
            let _ = tx.send(error("Not Authorized".into())).await;
            return;
        }
        let next =
            |data: Value| Out::Send(json!({"id": id, "type": "next", "payload": {"data": data}}));
        if query.contains("deployment(id") {
            world_status(&world, &dep, &tx, next, error).await;
        } else if query.contains("environmentLogs(") {
            let lines = {
                let mut w = world.lock().unwrap_or_else(|e| e.into_inner());
                w.deployment_mut(&dep).map(|d| {
                    d.log_watchers += 1;
                    let mut lines = Vec::new();
                    if wants_build {
                        lines.extend(log_lines(&d.build_logs));
                    }
                    if wants_deploy {
                        lines.extend(log_lines(&d.deploy_logs));
                    }
                    lines
                })
            };
            let field = "environmentLogs";
            match lines {
                None => {
                    let _ = tx.send(error(format!("Deployment {dep} not found"))).await;
                }
                // Railway replays history in one batch, then streams new lines (none here).
                Some(lines) if !lines.is_empty() => {
                    let _ = tx.send(next(json!({ field: lines }))).await;
                }
                Some(_) => {}
            }
        } else {
            let _ = tx.send(error("unknown subscription".into())).await;
        }
        return;
    }
    let Some(script) = script else {
        let _ = tx
            .send(Out::Send(json!({"id": id, "type": "error", "payload": [{"message": format!("Deployment {dep} not found")}]})))
            .await;
        return;
    };
    let next =
        |data: Value| Out::Send(json!({"id": id, "type": "next", "payload": {"data": data}}));
    if query.contains("deployment(id") {
        if let Some(e) = &script.status_error {
            let _ = tx
                .send(Out::Send(
                    json!({"id": id, "type": "error", "payload": [{"message": e}]}),
                ))
                .await;
            return;
        }
        let nth = {
            let mut st = fake.lock();
            let n = st.status_sockets.entry(dep.clone()).or_default();
            *n += 1;
            *n
        };
        for (i, (delay, status)) in script.statuses.iter().enumerate() {
            if nth == 1 && script.drop_status_after == Some(i) {
                let _ = tx.send(Out::Drop).await;
                return;
            }
            tokio::time::sleep(*delay).await;
            let d = json!({"deployment": scripted_status(&fake, &dep, status)});
            if tx.send(next(d)).await.is_err() {
                return;
            }
        }
    } else if query.contains("environmentLogs(") {
        let nth = {
            let mut st = fake.lock();
            let n = st.log_sockets.entry(dep.clone()).or_default();
            *n += 1;
            *n
        };
        let build = script.build_logs.iter().filter(|_| wants_build);
        let deploy = script.deploy_logs.iter().filter(|_| wants_deploy);
        for (i, (ts, message)) in build.chain(deploy).enumerate() {
            if nth == 1 && script.drop_logs_after == Some(i) {
                let _ = tx.send(Out::Drop).await;
                return;
            }
            tokio::time::sleep(script.log_gap).await;
            let line = json!({"timestamp": ts, "message": message, "severity": "info"});
            if tx
                .send(next(json!({ "environmentLogs": [line] })))
                .await
                .is_err()
            {
                return;
            }
        }
    } else {
        let _ = tx
            .send(Out::Send(json!({"id": id, "type": "error", "payload": [{"message": "unknown subscription"}]})))
            .await;
    }
}

/// The subscription's `...DeploymentFields statusUpdatedAt` selection of a world deployment.
fn with_status_time(mut fields: Value) -> Value {
    fields["statusUpdatedAt"] = Value::Null;
    fields
}

/// A scripted status event: every selected field when the world knows the deployment (as Railway
/// would serve them), else only what the script knows (`id`, `status`): clients must then read
/// the deployment for its details.
fn scripted_status(fake: &WsFake, dep: &str, status: &str) -> Value {
    let known = fake.world().and_then(|w| {
        w.deployment(dep)
            .map(|d| with_status_time(RailwayWorld::deployment_json(d)))
    });
    match known {
        Some(mut d) => {
            d["status"] = json!(status);
            d
        }
        None => json!({
            "id": dep,
            "status": status,
            "statusUpdatedAt": null,
            "environmentId": SCRIPTED_ENVIRONMENT,
            "snapshotId": snapshot_of(dep),
        }),
    }
}

/// The environment of scripted deployments the world does not know.
pub const SCRIPTED_ENVIRONMENT: &str = "env-scripted";

/// The build snapshot of deployment `id` (world or scripted).
pub fn snapshot_of(id: &str) -> String {
    format!("snap-{id}")
}

/// The value after `key` in a log filter (`@deployment:dep-1 OR ...` → `dep-1`).
fn filtered<'a>(filter: &'a str, key: &str) -> Option<&'a str> {
    let rest = &filter[filter.find(key)? + key.len()..];
    rest.split_whitespace().next()
}

/// The root field a subscription document selects (`deployment`, `environmentLogs` ...).
fn root_field(query: &str) -> String {
    let body = query.split_once('{').map(|(_, b)| b).unwrap_or_default();
    body.trim_start()
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The world's `deployment(id)` subscription: each status change, one step every `ws_step`, until
/// final. When the deployment has log lines, it waits (up to a second) after the first event
/// (which tells the client where the logs are) for a log subscription, so a fast scripted deploy
/// cannot finish before its logs are watched.
async fn world_status(
    world: &Mutex<RailwayWorld>,
    dep: &str,
    tx: &mpsc::Sender<Out>,
    next: impl Fn(Value) -> Out,
    error: impl Fn(String) -> Out,
) {
    let lock = || world.lock().unwrap_or_else(|e| e.into_inner());
    // Railway sends the current state on subscribing; a deployment with logs sends it before
    // moving on, then waits for the log subscription that state's scope allows.
    let first = lock().deployment(dep).map(|d| {
        let has_logs = !(d.build_logs.is_empty() && d.deploy_logs.is_empty());
        (has_logs && d.log_watchers == 0)
            .then(|| (d.status.clone(), RailwayWorld::deployment_json(d)))
    });
    let Some(first) = first else {
        let _ = tx.send(error(format!("Deployment {dep} not found"))).await;
        return;
    };
    let mut last: Option<String> = None;
    if let Some((status, fields)) = first {
        if tx
            .send(next(json!({"deployment": with_status_time(fields)})))
            .await
            .is_err()
        {
            return;
        }
        last = Some(status);
        let waiting_since = tokio::time::Instant::now();
        while lock().deployment(dep).is_some_and(|d| d.log_watchers == 0)
            && waiting_since.elapsed() < Duration::from_secs(1)
        {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    loop {
        let (status, done, step, fields) = {
            let mut w = lock();
            let step = w.ws_step;
            match w.observe(dep) {
                Some(d) => (
                    d.status.clone(),
                    d.is_final(),
                    step,
                    RailwayWorld::deployment_json(d),
                ),
                None => return,
            }
        };
        if last.as_deref() != Some(status.as_str()) {
            let d = json!({"deployment": with_status_time(fields)});
            if tx.send(next(d)).await.is_err() {
                return;
            }
            last = Some(status);
        }
        if done {
            return;
        }
        tokio::time::sleep(step).await;
    }
}
