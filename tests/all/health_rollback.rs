//! Rollback and live verification against a small scripted fake of Railway's GraphQL API and a
//! local HTTP app: the rollback mutation targets the previous deployment, the deployment it creates
//! is followed and health-checked; `canRollback: false` is a clear refusal with no mutation; a
//! failing health check or a CRASHED-after-SUCCESS deployment counts as failing after going live.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::requests::{operation_bodies, operation_names};
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::{get, post};
use railway_deploy::health::check::verify_live;
use railway_deploy::health::probe::{ProbeSpec, probe_client};
use railway_deploy::health::rollback::{RollbackResult, RollbackScope, roll_back};
use railway_deploy::railway::RailwayClient;
use railway_deploy::railway::auth::RailwayToken;
use railway_deploy::secret::Secret;
use railway_deploy::timing::Timing;
use serde_json::{Value, json};

/// The scripted Railway world: deployment statuses and whether the rollback happened.
#[derive(Default)]
struct World {
    can_rollback: bool,
    rolled_back: bool,
    /// Status of the deployment under verification (`new`).
    new_status: &'static str,
}

fn deployment(id: &str, status: &str, can_rollback: bool) -> Value {
    json!({ "id": id, "status": status, "createdAt": "2025-01-01T00:00:00Z", "serviceId": "svc",
            "environmentId": "env", "staticUrl": null, "url": null, "canRollback": can_rollback, "meta": {} })
}

async fn fake_railway(world: Arc<Mutex<World>>) -> (fakes::Server, fakes::Recorder) {
    let recorder = fakes::Recorder::default();
    let rec = recorder.clone();
    let app = Router::new().route(
        "/graphql/v2",
        post(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let world = world.clone();
            let rec = rec.clone();
            async move {
                let r = fakes::Recorder::from_parts(&method, &uri, &headers, &body);
                let req = r.body_json().unwrap_or_default();
                rec.push(r);
                let op = req["operationName"].as_str().unwrap_or_default().to_string();
                let vars = &req["variables"];
                let mut w = world.lock().unwrap();
                let data = match op.as_str() {
                    "Deployment" => {
                        let d = match vars["id"].as_str().unwrap_or_default() {
                            "prev" => deployment("prev", "REMOVED", w.can_rollback),
                            "new" => deployment("new", w.new_status, true),
                            "rb-1" => deployment("rb-1", "SUCCESS", false),
                            _ => {
                                let e = json!({ "data": null, "errors": [{ "message": "Deployment not found" }] });
                                return (StatusCode::OK, axum::Json(e));
                            }
                        };
                        json!({ "deployment": d })
                    }
                    "Deployments" => {
                        let newest = if w.rolled_back { "rb-1" } else { "new" };
                        json!({ "deployments": { "edges": [ { "node": deployment(newest, "SUCCESS", false) } ] } })
                    }
                    "DeploymentRollback" => {
                        w.rolled_back = true;
                        json!({ "deploymentRollback": true })
                    }
                    other => panic!("unexpected operation {other}"),
                };
                (StatusCode::OK, axum::Json(json!({ "data": data })))
            }
        }),
    );
    (fakes::Server::start(app).await, recorder)
}

async fn healthy_app(status: StatusCode) -> fakes::Server {
    fakes::Server::start(Router::new().route("/health", get(move || async move { (status, "ok") })))
        .await
}

fn setup(server: &fakes::Server) -> (RailwayClient, reqwest::Client, Timing) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let timing = Timing::from_env_value(Some("0.001"));
    let url = url::Url::parse(&format!("{}/graphql/v2", server.url())).unwrap();
    let client = RailwayClient::new(
        url,
        RailwayToken::Project(Secret::new("tok-abcdef")),
        timing,
    )
    .unwrap();
    (client, probe_client().unwrap(), timing)
}

fn spec(app: &fakes::Server) -> ProbeSpec {
    ProbeSpec {
        url: url::Url::parse(&format!("{}/health", app.url())).unwrap(),
        expect_status: 200,
        expect_body: Some("ok".into()),
        timeout: Duration::from_millis(300),
    }
}

const SCOPE: RollbackScope<'static> = RollbackScope {
    project_id: "proj",
    environment_id: "env",
    service_id: "svc",
    label: "web",
};

#[tokio::test]
async fn rollback_targets_the_previous_deployment_and_follows_the_new_one_to_healthy() {
    let world = Arc::new(Mutex::new(World {
        can_rollback: true,
        new_status: "SUCCESS",
        ..Default::default()
    }));
    let (railway, rec) = fake_railway(world.clone()).await;
    let app = healthy_app(StatusCode::OK).await;
    let (c, http, timing) = setup(&railway);
    let s = spec(&app);
    let deadline = Instant::now() + Duration::from_secs(10);
    let result = roll_back(&c, &http, SCOPE, "prev", Ok(&s), deadline, &timing).await;
    match result {
        RollbackResult::Done {
            deployment_id,
            health,
        } => {
            assert_eq!(deployment_id, "rb-1");
            assert!(health.passed, "{health:?}");
        }
        other => panic!("{other:?}"),
    }
    let rollbacks = operation_bodies(&rec.all(), "DeploymentRollback");
    assert_eq!(rollbacks.len(), 1, "exactly one rollback mutation");
    assert_eq!(rollbacks[0]["variables"]["id"], "prev");
    assert!(
        rec.all()
            .iter()
            .all(|r| r.header("project-access-token") == Some("tok-abcdef"))
    );
}

#[tokio::test]
async fn can_rollback_false_is_a_clear_refusal_without_any_mutation() {
    let world = Arc::new(Mutex::new(World {
        can_rollback: false,
        new_status: "SUCCESS",
        ..Default::default()
    }));
    let (railway, rec) = fake_railway(world).await;
    let (c, http, timing) = setup(&railway);
    let deadline = Instant::now() + Duration::from_secs(10);
    let result = roll_back(
        &c,
        &http,
        SCOPE,
        "prev",
        Err("no domain"),
        deadline,
        &timing,
    )
    .await;
    match result {
        RollbackResult::NotPossible(why) => {
            assert!(why.contains("canRollback is false"), "{why}");
            assert!(why.contains("limited time"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !operation_names(&rec.all())
            .iter()
            .any(|o| o == "DeploymentRollback")
    );
}

#[tokio::test]
async fn a_failing_health_check_fails_the_live_deployment() {
    let world = Arc::new(Mutex::new(World {
        new_status: "SUCCESS",
        ..Default::default()
    }));
    let (railway, _rec) = fake_railway(world).await;
    let app = healthy_app(StatusCode::BAD_GATEWAY).await;
    let (c, http, timing) = setup(&railway);
    let s = spec(&app);
    let (health, problem) = verify_live(&c, &http, Ok(&s), "new", "web", &timing).await;
    assert!(!health.passed);
    assert_eq!(health.last_status, Some(502));
    assert!(problem.unwrap().contains("answered 502, expected 200"));
}

#[tokio::test]
async fn crashed_after_success_fails_the_live_deployment_even_when_it_answered() {
    let world = Arc::new(Mutex::new(World {
        new_status: "CRASHED",
        ..Default::default()
    }));
    let (railway, _rec) = fake_railway(world).await;
    let app = healthy_app(StatusCode::OK).await;
    let (c, http, timing) = setup(&railway);
    let s = spec(&app);
    let (health, problem) = verify_live(&c, &http, Ok(&s), "new", "web", &timing).await;
    assert!(health.passed);
    assert!(problem.unwrap().contains("CRASHED after going live"));
}

#[tokio::test]
async fn no_domain_skips_the_check_without_failing() {
    let world = Arc::new(Mutex::new(World {
        new_status: "SUCCESS",
        ..Default::default()
    }));
    let (railway, _rec) = fake_railway(world).await;
    let (c, http, timing) = setup(&railway);
    let (health, problem) =
        verify_live(&c, &http, Err("no public domain"), "new", "web", &timing).await;
    assert_eq!(health.skipped_reason.as_deref(), Some("no public domain"));
    assert_eq!(problem, None);
}
