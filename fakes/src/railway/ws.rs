//! Fake of Railway's websocket endpoint (`GET /graphql/v2` upgraded, `graphql-transport-ws`):
//! acknowledges `connection_init`, answers pings, and serves scripted `deployment(id)` statuses,
//! `buildLogs` and `deploymentLogs` lines. It can drop a socket early (status or logs) to test
//! fallbacks and reconnects; log subscriptions replay every line from the start on each new
//! connection, as Railway's history replay does, so clients must de-duplicate. Every upgrade
//! request is recorded (that is the only HTTP request a socket costs).

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

use crate::recorder::{Recorded, Recorder};

pub const WS_PATH: &str = "/graphql/v2";

/// What one deployment does over the socket.
#[derive(Clone, Debug, Default)]
pub struct DeploymentScript {
    /// Each status is sent after its delay (from the subscription, or from the previous status).
    pub statuses: Vec<(Duration, String)>,
    /// Build log lines `(timestamp, message)`, one `next` each, `log_gap` apart.
    pub build_logs: Vec<(String, String)>,
    /// Deploy log lines, after the build lines' subscription starts.
    pub deploy_logs: Vec<(String, String)>,
    pub log_gap: Duration,
    /// On the first socket that subscribes to this deployment's status: drop the socket after
    /// sending this many statuses.
    pub drop_status_after: Option<usize>,
    /// On the first socket that subscribes to this deployment's build logs: drop it after this
    /// many build lines.
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
}

#[derive(Clone, Default)]
pub struct WsFake {
    state: Arc<Mutex<WsState>>,
    recorder: Recorder,
}

impl WsFake {
    pub fn new() -> Self {
        WsFake::default()
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
    if fake.lock().refuse_upgrade {
        return (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "websockets unavailable",
        )
            .into_response();
    }
    ws.protocols(["graphql-transport-ws"])
        .on_upgrade(move |socket| serve(fake, socket))
}

enum Out {
    Send(Value),
    Drop,
}

async fn serve(fake: WsFake, mut socket: WebSocket) {
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
                    Some("subscribe") => {
                        tasks.push(tokio::spawn(run_subscription(fake.clone(), v, tx.clone())));
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

async fn run_subscription(fake: WsFake, msg: Value, tx: mpsc::Sender<Out>) {
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
    let dep = vars
        .get("id")
        .or_else(|| vars.get("deploymentId"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let script = fake.lock().scripts.get(&dep).cloned();
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
            let d = json!({"deployment": {"id": dep, "status": status, "statusUpdatedAt": null}});
            if tx.send(next(d)).await.is_err() {
                return;
            }
        }
    } else if query.contains("buildLogs(") || query.contains("deploymentLogs(") {
        let build = query.contains("buildLogs(");
        let nth = if build {
            let mut st = fake.lock();
            let n = st.log_sockets.entry(dep.clone()).or_default();
            *n += 1;
            *n
        } else {
            0
        };
        let (field, lines) = if build {
            ("buildLogs", &script.build_logs)
        } else {
            ("deploymentLogs", &script.deploy_logs)
        };
        for (i, (ts, message)) in lines.iter().enumerate() {
            if build && nth == 1 && script.drop_logs_after == Some(i) {
                let _ = tx.send(Out::Drop).await;
                return;
            }
            tokio::time::sleep(script.log_gap).await;
            let d = json!({ field: [{"timestamp": ts, "message": message, "severity": "info"}] });
            if tx.send(next(d)).await.is_err() {
                return;
            }
        }
    } else {
        let _ = tx
            .send(Out::Send(json!({"id": id, "type": "error", "payload": [{"message": "unknown subscription"}]})))
            .await;
    }
}
