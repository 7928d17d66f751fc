//! Following an uploaded deployment: status over the websocket subscription, fallback to polling
//! when the socket fails, build logs de-duplicated across reconnects, and the request budget
//! (issue 14: one socket, two subscriptions: the status and one log stream).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use fakes::Server;
use fakes::railway::upload::{UploadFake, upload_routes};
use fakes::railway::ws::{DeploymentScript, WsFake, ws_get};
use railway_deploy::deploy::logs::{LogFollower, LogPrinter};
use railway_deploy::deploy::watch::{WatchEnd, WatchRequest, follow, watch_status};
use railway_deploy::railway::auth::RailwayToken;
use railway_deploy::railway::socket::Hub;
use railway_deploy::railway::status::DeploymentStatus;
use railway_deploy::railway::upload::{UploadTarget, upload};
use railway_deploy::secret::Secret;
use railway_deploy::timing::Timing;
use railway_deploy::upload::archive::ArchiveOptions;
use railway_deploy::upload::source::ArchiveSource;
use tokio::time::Instant;
use url::Url;

const TOKEN: &str = "proj-token-abcdef123456";
const SCALE: f64 = 0.001;

/// Railway's final statuses (the pipeline's mapper decides this on main; the tests only need it).
fn is_final(s: &DeploymentStatus) -> bool {
    matches!(
        s.as_str(),
        "SUCCESS" | "FAILED" | "CRASHED" | "REMOVED" | "SKIPPED"
    )
}

struct World {
    upload: UploadFake,
    ws: WsFake,
    _server: Server,
    api: Url,
    token: RailwayToken,
    timing: Timing,
    hub: Hub,
}

async fn world() -> World {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let upload = UploadFake::new();
    let ws = WsFake::new();
    // The same shape the lead's fake uses: GraphQL POST and websocket GET on one path.
    let router = Router::new()
        .route(
            "/graphql/v2",
            post(|| async { "graphql is the lead's fake" }).merge(ws_get(ws.clone())),
        )
        .merge(upload_routes(upload.clone()));
    let server = Server::start(router).await;
    let api = Url::parse(&format!("{}/graphql/v2", server.url())).unwrap();
    let token = RailwayToken::Project(Secret::new(TOKEN));
    let timing = Timing::from_env_value(Some(&SCALE.to_string()));
    World {
        upload,
        ws,
        _server: server,
        hub: Hub::new(api.clone(), token.clone(), timing),
        api,
        token,
        timing,
    }
}

/// A deploy of `minutes` (scaled), statuses spread evenly.
fn script(minutes: u64, statuses: &[&str]) -> DeploymentScript {
    let gap = Duration::from_secs(minutes * 60).mul_f64(SCALE) / statuses.len() as u32;
    DeploymentScript {
        statuses: statuses.iter().map(|s| (gap, s.to_string())).collect(),
        build_logs: (1..=6)
            .map(|i| (format!("2026-01-01T00:00:0{i}Z"), format!("step {i}/6")))
            .collect(),
        deploy_logs: vec![("2026-01-01T00:01:00Z".into(), "listening on :8080".into())],
        log_gap: Duration::from_millis(5),
        ..Default::default()
    }
}

fn capture() -> (LogPrinter, Arc<Mutex<Vec<String>>>) {
    let out = Arc::new(Mutex::new(Vec::new()));
    let o = out.clone();
    (
        LogPrinter::with_sink(
            false,
            Arc::new(move |l: &str| o.lock().unwrap().push(l.to_string())),
        ),
        out,
    )
}

fn request<'a>(w: &'a World, id: &'static str) -> WatchRequest<'a> {
    WatchRequest {
        hub: &w.hub,
        deployment_id: id,
        deadline: Instant::now() + Duration::from_secs(30),
    }
}

#[tokio::test]
async fn a_ten_minute_upload_deploy_costs_few_requests_over_the_subscription() {
    let w = world().await;
    w.ws.script(
        "dep-up-1",
        script(
            10,
            &["QUEUED", "INITIALIZING", "BUILDING", "DEPLOYING", "SUCCESS"],
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.js"), "1").unwrap();
    let archive = ArchiveSource::new(dir.path(), ArchiveOptions::default());
    let target = UploadTarget {
        project_id: "p".into(),
        environment_id: "e".into(),
        service_id: "api".into(),
        message: None,
    };
    let http = reqwest::Client::new();
    let dep = upload(&http, &w.api, &w.token, &target, &archive, &w.timing)
        .await
        .unwrap();
    let (printer, out) = capture();
    let logs = LogFollower::start(
        w.hub.clone(),
        dep.deployment_id.clone(),
        "api".into(),
        printer,
    );
    let mut seen = Vec::new();
    let started = std::time::Instant::now();
    let end = watch_status(
        WatchRequest {
            deployment_id: "dep-up-1",
            ..request(&w, "dep-up-1")
        },
        is_final,
        |s| seen.push(s.to_string()),
    )
    .await;
    let logs = logs.finish(true).await;
    assert_eq!(
        end,
        WatchEnd::Final {
            status: "SUCCESS".into()
        }
    );
    assert_eq!(
        seen,
        ["QUEUED", "INITIALIZING", "BUILDING", "DEPLOYING", "SUCCESS"]
    );
    // The scaled 10 minutes really elapsed (keepalive pings ran meanwhile).
    assert!(
        started.elapsed() >= Duration::from_millis(550),
        "{:?}",
        started.elapsed()
    );
    let printed = out.lock().unwrap().clone();
    assert_eq!(printed[0], "── Railway logs: api ──");
    assert!(printed.contains(&"step 6/6".to_string()), "{printed:?}");
    assert!(
        printed.contains(&"listening on :8080".to_string()),
        "{printed:?}"
    );
    assert_eq!(logs.tail.len(), 7);
    // The budget: ≤ 10 HTTP requests per service while the subscription works; one socket
    // carries the status and (issue 20, `fidelity:`) the CLI's two log streams.
    let upgrades = w.ws.upgrades();
    let http_requests = w.upload.requests().len() + upgrades.len();
    assert_eq!(http_requests, 2, "upload + one socket");
    assert!(http_requests <= 10);
    let mut subs = w.ws.subscriptions();
    subs.sort();
    assert_eq!(subs, ["buildLogs", "deployment", "deploymentLogs"]);
    assert_eq!((w.hub.connections(), w.hub.subscriptions()), (1, 3));
    for u in &upgrades {
        assert_eq!(u.header("project-access-token"), Some(TOKEN));
        assert_eq!(
            u.header("sec-websocket-protocol"),
            Some("graphql-transport-ws")
        );
    }
}

#[tokio::test]
async fn a_dropped_status_socket_falls_back_to_polling_from_the_last_status() {
    let w = world().await;
    let mut s = script(1, &["BUILDING", "DEPLOYING", "FAILED"]);
    s.drop_status_after = Some(1);
    w.ws.script("dep-1", s);
    let mut polled_from = None;
    let mut fallback_reason = String::new();
    let end: Result<WatchEnd, ()> = follow(
        request(&w, "dep-1"),
        is_final,
        |_| {},
        |r| fallback_reason = r.to_string(),
        |last| {
            polled_from = Some(last.clone());
            async {
                Ok(WatchEnd::Final {
                    status: "FAILED".into(),
                })
            }
        },
    )
    .await;
    assert_eq!(
        end,
        Ok(WatchEnd::Final {
            status: "FAILED".into()
        })
    );
    assert_eq!(polled_from, Some(Some("BUILDING".into())));
    assert!(
        fallback_reason.contains("closed") || fallback_reason.contains("failed"),
        "{fallback_reason}"
    );
}

#[tokio::test]
async fn a_refused_upgrade_falls_back_at_once() {
    let w = world().await;
    w.ws.refuse_upgrades(true);
    let end = watch_status(request(&w, "dep-1"), is_final, |_| {}).await;
    match end {
        WatchEnd::Fallback {
            last_status,
            reason,
        } => {
            assert_eq!(last_status, None);
            assert!(reason.contains("503"), "{reason}");
            assert!(!reason.contains(TOKEN));
        }
        other => panic!("expected a fallback, got {other:?}"),
    }
}

#[tokio::test]
async fn a_subscription_error_falls_back_with_railways_message() {
    let w = world().await;
    let mut s = script(1, &["SUCCESS"]);
    s.status_error = Some("Not Authorized".into());
    w.ws.script("dep-1", s);
    let end = watch_status(request(&w, "dep-1"), is_final, |_| {}).await;
    assert!(
        matches!(&end, WatchEnd::Fallback { reason, .. } if reason.contains("Not Authorized")),
        "{end:?}"
    );
}

#[tokio::test]
async fn the_deadline_ends_a_watch_that_never_finishes() {
    let w = world().await;
    w.ws.script("dep-1", script(1, &["BUILDING"]));
    // The deadline is real time while the socket's setup is not scaled: leave a loaded machine
    // room to open the socket and see BUILDING (60 ms in) before the deadline ends the watch.
    let end = watch_status(
        WatchRequest {
            deadline: Instant::now() + Duration::from_secs(2),
            ..request(&w, "dep-1")
        },
        is_final,
        |_| {},
    )
    .await;
    assert_eq!(
        end,
        WatchEnd::Deadline {
            last_status: Some("BUILDING".into())
        }
    );
}

#[tokio::test]
async fn build_logs_are_deduplicated_across_reconnects_and_never_decide_anything() {
    let w = world().await;
    let mut s = script(1, &["SUCCESS"]);
    s.drop_logs_after = Some(3);
    w.ws.script("dep-1", s);
    let (printer, out) = capture();
    let logs = LogFollower::start(w.hub.clone(), "dep-1".into(), "api".into(), printer);
    // Wait until every line has arrived over the second socket.
    for _ in 0..200 {
        if out.lock().unwrap().iter().any(|l| l == "step 6/6") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let outcome = logs.finish(true).await;
    let printed = out.lock().unwrap().clone();
    let steps: Vec<&String> = printed.iter().filter(|l| l.starts_with("step")).collect();
    assert_eq!(
        steps,
        [
            "step 1/6", "step 2/6", "step 3/6", "step 4/6", "step 5/6", "step 6/6"
        ]
    );
    // Issue 20 (`fidelity:`): the drop ends both log streams (build and deploy, the CLI's way)
    // on that socket, and each subscribes once more on the next one.
    assert_eq!(outcome.subscriptions, 4);
    assert_eq!(w.ws.upgrades().len(), 2);
}

#[tokio::test]
async fn an_unreachable_log_stream_gives_up_quietly() {
    let w = world().await;
    w.ws.refuse_upgrades(true);
    let (printer, out) = capture();
    let logs = LogFollower::start(w.hub.clone(), "dep-1".into(), "api".into(), printer);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let outcome = logs.finish(true).await;
    assert_eq!(outcome.subscriptions, 1, "a refused upgrade is not retried");
    assert_eq!(w.ws.upgrades().len(), 1);
    let printed = out.lock().unwrap().clone();
    assert!(
        printed.iter().any(|l| l.contains("log stream unavailable")),
        "{printed:?}"
    );
}

#[tokio::test]
async fn subscriptions_share_one_socket_and_a_new_one_opens_after_it_lingered_out() {
    use railway_deploy::railway::ops::{BUILD_LOGS_SUBSCRIPTION, DEPLOYMENT_STATUS_SUBSCRIPTION};
    let w = world().await;
    w.ws.script("dep-1", script(1, &["BUILDING"]));
    let logs_vars = serde_json::json!({"deploymentId": "dep-1"});
    let status = serde_json::json!({"id": "dep-1"});
    let mut a = w
        .hub
        .subscribe(DEPLOYMENT_STATUS_SUBSCRIPTION, status.clone())
        .await
        .unwrap();
    let b = w
        .hub
        .subscribe(BUILD_LOGS_SUBSCRIPTION, logs_vars)
        .await
        .unwrap();
    assert!(matches!(a.next().await, Ok(Some(_))), "the status arrives");
    assert_eq!(w.ws.upgrades().len(), 1, "both on one socket");
    assert_eq!(w.ws.subscriptions(), ["deployment", "buildLogs"]);
    // Dropping a feed ends its subscription on Railway's side.
    drop((a, b));
    for _ in 0..100 {
        if w.ws.completes() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(w.ws.completes(), 2);
    // Past the linger (scaled 5 s, never under 250 ms of real time) the socket is closed; the
    // next subscription opens a new one.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let _c = w
        .hub
        .subscribe(DEPLOYMENT_STATUS_SUBSCRIPTION, status)
        .await
        .unwrap();
    assert_eq!(w.ws.upgrades().len(), 2);
    assert_eq!((w.hub.connections(), w.hub.subscriptions()), (2, 3));
}
