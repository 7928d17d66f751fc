//! The fake websocket's subscriptions (see `ws`): what one `subscribe` message asks for
//! ([`Sub`]), served from a deployment's [`DeploymentScript`] or from the [`RailwayWorld`].

use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::graphql::log_lines;
use super::world::RailwayWorld;
use super::ws::{DeploymentScript, Out, WsFake};

/// One `subscribe` message: its id, document, root field, and the deployment it is about.
pub(super) struct Sub {
    id: String,
    /// The root field (`deployment`, `buildLogs`, `deploymentLogs`, `environmentLogs` ...).
    field: String,
    pub(super) dep: String,
    /// Build lines: `buildLogs(deploymentId)`, as Railway's released CLI reads them.
    wants_build: bool,
    /// Deploy lines: `deploymentLogs(deploymentId)`, as Railway's released CLI reads them.
    wants_deploy: bool,
}

impl Sub {
    pub(super) fn parse(msg: &Value) -> Sub {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
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
        let query = text(msg.pointer("/payload/query"));
        let field = root_field(&query);
        Sub {
            id: text(msg.get("id")),
            // `environmentLogs` is filtered on Railway's documented keys only (`@service:`,
            // `@level:`, `@deploymentId:` for HTTP logs, `replica:`); any other `@key:value`
            // (`@snapshot:`, `@deployment:`) is a custom-attribute match, which matches nothing
            // and raises no error: this fake answers it with nothing, silently.
            wants_build: field == "buildLogs",
            wants_deploy: field == "deploymentLogs",
            field,
            dep,
        }
    }

    fn is_status(&self) -> bool {
        self.field == "deployment"
    }

    fn is_logs(&self) -> bool {
        matches!(
            self.field.as_str(),
            "buildLogs" | "deploymentLogs" | "environmentLogs"
        )
    }

    fn next(&self, data: Value) -> Out {
        Out::Send(json!({"id": self.id, "type": "next", "payload": {"data": data}}))
    }

    pub(super) fn error(&self, message: &str) -> Out {
        Out::Send(json!({"id": self.id, "type": "error", "payload": [{"message": message}]}))
    }
}

/// A scripted deployment: its statuses after their delays, its lines `log_gap` apart, and the
/// scripted drops and refusals.
pub(super) async fn scripted_subscription(
    fake: &WsFake,
    script: &DeploymentScript,
    sub: &Sub,
    tx: &mpsc::Sender<Out>,
) {
    let nth =
        |count: fn(&mut super::ws::WsState) -> &mut std::collections::HashMap<String, usize>| {
            let mut st = fake.lock();
            // Per deployment and stream: each log stream's first socket is the scripted one.
            let key = format!("{} {}", sub.dep, sub.field);
            let n = count(&mut st).entry(key).or_default();
            *n += 1;
            *n
        };
    if sub.is_status() {
        if let Some(e) = &script.status_error {
            let _ = tx.send(sub.error(e)).await;
            return;
        }
        let nth = nth(|st| &mut st.status_sockets);
        for (i, (delay, status)) in script.statuses.iter().enumerate() {
            if nth == 1 && script.drop_status_after == Some(i) {
                let _ = tx.send(Out::Drop).await;
                return;
            }
            tokio::time::sleep(*delay).await;
            let mut fields = scripted_status(fake, &sub.dep, status);
            if i == 0 {
                // Railway's first status events may come before the build snapshot is set.
                fields["snapshotId"] = Value::Null;
            }
            let d = json!({ "deployment": fields });
            if tx.send(sub.next(d)).await.is_err() {
                return;
            }
        }
    } else if sub.is_logs() {
        let nth = nth(|st| &mut st.log_sockets);
        let build = script.build_logs.iter().filter(|_| sub.wants_build);
        let deploy = script.deploy_logs.iter().filter(|_| sub.wants_deploy);
        for (i, (ts, message)) in build.chain(deploy).enumerate() {
            if nth == 1 && script.drop_logs_after == Some(i) {
                let _ = tx.send(Out::Drop).await;
                return;
            }
            tokio::time::sleep(script.log_gap).await;
            let line = json!({"timestamp": ts, "message": message, "severity": "info"});
            if tx
                .send(sub.next(json!({ sub.field.as_str(): [line] })))
                .await
                .is_err()
            {
                return;
            }
        }
    } else {
        let _ = tx.send(sub.error("unknown subscription")).await;
    }
}

/// A deployment of the world: its status as it moves on, or its lines in one replayed batch.
pub(super) async fn world_subscription(
    world: &Mutex<RailwayWorld>,
    sub: &Sub,
    tx: &mpsc::Sender<Out>,
) {
    if sub.is_status() {
        world_status(world, &sub.dep, tx, |d| sub.next(d), |m| sub.error(&m)).await;
    } else if sub.is_logs() {
        let lines = {
            let mut w = world.lock().unwrap_or_else(|e| e.into_inner());
            w.deployment_mut(&sub.dep).map(|d| {
                d.log_watchers += 1;
                let mut lines = Vec::new();
                if sub.wants_build {
                    lines.extend(log_lines(&d.build_logs));
                }
                if sub.wants_deploy {
                    lines.extend(log_lines(&d.deploy_logs));
                }
                lines
            })
        };
        match lines {
            None => {
                let _ = tx
                    .send(sub.error(&format!("Deployment {} not found", sub.dep)))
                    .await;
            }
            // Railway replays history in one batch, then streams new lines (none here).
            Some(lines) if !lines.is_empty() => {
                let _ = tx
                    .send(sub.next(json!({ sub.field.as_str(): lines })))
                    .await;
            }
            Some(_) => {}
        }
    } else {
        let _ = tx.send(sub.error("unknown subscription")).await;
    }
}

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

/// The root field a subscription document selects (`deployment`, `environmentLogs` ...).
pub(super) fn root_field(query: &str) -> String {
    let body = query.split_once('{').map(|(_, b)| b).unwrap_or_default();
    body.trim_start()
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The world's `deployment(id)` subscription: each status change, one step every `ws_step`, until
/// final. When the deployment has log lines, it waits (up to a second) after the first event
/// (without its build snapshot yet) for a log subscription, so a fast scripted deploy
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
    // moving on, then waits for a log subscription.
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
        // Railway's first status event may come before the build snapshot is set.
        let mut fields = with_status_time(fields);
        fields["snapshotId"] = Value::Null;
        if tx
            .send(next(json!({ "deployment": fields })))
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
