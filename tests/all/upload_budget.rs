//! The request budget of issue 3, against the lead's fake GraphQL API plus the upload and
//! websocket fakes on one server: a 10-minute upload deploy costs at most 10 HTTP requests per
//! service while the subscription works, and at most 40 when it has to poll.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use fakes::Server;
use fakes::railway::upload::{UploadFake, upload_routes};
use fakes::railway::ws::{DeploymentScript, WsFake, ws_get};
use fakes::railway::{RailwayState, RailwayWorld, graphql};
use railway_deploy::deploy::follow::{FollowOptions, Followed};
use railway_deploy::deploy::logs::{LogFollower, LogPrinter};
use railway_deploy::deploy::watch::follow_deployment;
use railway_deploy::railway::RailwayClient;
use railway_deploy::railway::auth::RailwayToken;
use railway_deploy::railway::status::DeploymentStatus;
use railway_deploy::railway::upload::{UploadTarget, upload};
use railway_deploy::secret::Secret;
use railway_deploy::timing::Timing;
use railway_deploy::upload::archive::ArchiveOptions;
use railway_deploy::upload::source::ArchiveSource;
use url::Url;

const SCALE: f64 = 0.001;
/// Ten minutes of the deploy, in the scaled time the fakes and `Timing` run on.
const TEN_MINUTES: Duration = Duration::from_millis(600);

struct World {
    state: RailwayState,
    upload: UploadFake,
    ws: WsFake,
    _server: Server,
    client: RailwayClient,
}

async fn world() -> World {
    world_at(SCALE).await
}

async fn world_at(scale: f64) -> World {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let state = RailwayState {
        world: Arc::new(Mutex::new(RailwayWorld::standard())),
        recorder: Default::default(),
    };
    let upload = UploadFake::new();
    let ws = WsFake::new();
    let router = Router::new()
        .route(
            "/graphql/v2",
            post(graphql::handle)
                .with_state(state.clone())
                .merge(ws_get(ws.clone())),
        )
        .merge(upload_routes(upload.clone()));
    let server = Server::start(router).await;
    let api = Url::parse(&format!("{}/graphql/v2", server.url())).unwrap();
    let client = RailwayClient::new(
        api,
        RailwayToken::Project(Secret::new("tok-staging")),
        Timing::from_env_value(Some(&scale.to_string())),
    )
    .unwrap();
    World {
        state,
        upload,
        ws,
        _server: server,
        client,
    }
}

impl World {
    /// The log streams the pipeline runs beside the status (on the same socket).
    fn logs(&self, id: &str) -> LogFollower {
        let sink = Arc::new(|_: &str| {});
        LogFollower::start(
            self.client.hub().clone(),
            id.to_string(),
            "web".into(),
            LogPrinter::with_sink(false, sink),
        )
    }

    fn http_requests(&self) -> usize {
        self.state.recorder.count() + self.upload.requests().len() + self.ws.upgrades().len()
    }

    /// Uploads a small tree for `svc-web` and makes the fake GraphQL world know the deployment,
    /// with `statuses` as what successive reads of it return.
    async fn upload(&self, statuses: &[&str]) -> String {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.js"), "1").unwrap();
        let archive = ArchiveSource::new(dir.path(), ArchiveOptions::default());
        let target = UploadTarget {
            project_id: "proj-1".into(),
            environment_id: "env-stg".into(),
            service_id: "svc-web".into(),
            message: None,
        };
        let c = &self.client;
        let up = upload(
            c.http(),
            c.api_url(),
            c.token(),
            &target,
            &archive,
            c.timing(),
        )
        .await
        .unwrap();
        let mut w = self.state.world.lock().unwrap();
        let id = w.start_deployment("svc-web", "env-stg", serde_json::json!({}));
        let d = w.deployment_mut(&id).unwrap();
        d.script = statuses.iter().map(|s| s.to_string()).collect();
        // The upload fake's id and the world's id differ; the world's is the one followed.
        assert_eq!(up.deployment_id, "dep-up-1");
        id
    }
}

fn opts(label: &str) -> FollowOptions<'_> {
    FollowOptions {
        label,
        deadline: Instant::now() + Duration::from_secs(20),
        progress_every: Duration::from_secs(15),
        deploying_since: None,
    }
}

#[tokio::test]
async fn while_the_subscription_works_a_ten_minute_deploy_costs_at_most_10_requests() {
    let w = world().await;
    let id = w.upload(&["SUCCESS"]).await;
    let statuses = ["QUEUED", "INITIALIZING", "BUILDING", "DEPLOYING", "SUCCESS"];
    w.ws.script(
        &id,
        DeploymentScript {
            statuses: statuses
                .iter()
                .map(|s| (TEN_MINUTES / statuses.len() as u32, s.to_string()))
                .collect(),
            ..Default::default()
        },
    );
    let started = Instant::now();
    let logs = w.logs(&id);
    let o = opts("web");
    let followed = follow_deployment(&w.client, &id, &o).await;
    logs.finish(true).await;
    assert!(started.elapsed() >= TEN_MINUTES.mul_f64(0.9));
    match followed {
        Followed::Final {
            status, deployment, ..
        } => {
            assert_eq!(status, DeploymentStatus::parse("SUCCESS"));
            assert_eq!(deployment.id, id);
        }
        other => panic!("expected a final status, got {other:?}"),
    }
    let n = w.http_requests();
    // upload + one socket (status and logs) + the one deployment read for the verdict's details
    // (this script's events carry only the status).
    assert_eq!(n, 3, "{n} requests");
    assert!(n <= 10);
    // Issue 20 (`fidelity:`): three subscriptions in all, on that one socket: the status and
    // the CLI's two log streams (issue 14's two, with one `environmentLogs` stream, relied on a
    // filter no public client uses).
    let mut subs = w.ws.subscriptions();
    subs.sort();
    assert_eq!(subs, ["buildLogs", "deployment", "deploymentLogs"]);
}

#[tokio::test]
async fn when_websockets_are_refused_a_ten_minute_deploy_costs_at_most_40_requests() {
    let w = world().await;
    let id = w.upload(&["BUILDING"; 400]).await;
    w.ws.refuse_upgrades(true);
    let logs = w.logs(&id);
    let o = FollowOptions {
        deadline: Instant::now() + TEN_MINUTES,
        ..opts("web")
    };
    let followed = follow_deployment(&w.client, &id, &o).await;
    logs.finish(true).await;
    match followed {
        Followed::TimedOut { last, .. } => assert_eq!(last, DeploymentStatus::parse("BUILDING")),
        other => panic!("expected a timeout, got {other:?}"),
    }
    let n = w.http_requests();
    eprintln!("polling fallback: {n} HTTP requests for a 10-minute deploy");
    assert!(n <= 40, "{n} requests");
    assert!(
        n >= 20,
        "polling really ran for the whole window ({n} requests)"
    );
}

#[tokio::test]
async fn a_socket_that_drops_mid_deploy_hands_over_to_polling_for_the_verdict() {
    let w = world().await;
    let id = w.upload(&["DEPLOYING", "FAILED"]).await;
    w.ws.script(
        &id,
        DeploymentScript {
            statuses: vec![
                (Duration::from_millis(5), "BUILDING".into()),
                (Duration::from_millis(5), "DEPLOYING".into()),
            ],
            drop_status_after: Some(1),
            ..Default::default()
        },
    );
    match follow_deployment(&w.client, &id, &opts("web")).await {
        Followed::Final { status, .. } => assert_eq!(status, DeploymentStatus::parse("FAILED")),
        other => panic!("expected a final status, got {other:?}"),
    }
    assert!(w.http_requests() <= 10);
}

/// Issue 14: without the websocket, the end of a one-minute deploy (the bench's: 15 s each of
/// INITIALIZING, QUEUED, BUILDING, DEPLOYING, then SUCCESS) is noticed within 5 s, in scaled time.
/// The scale is coarse enough (0.05: 5 s is 250 ms) that a loaded machine's request latency fits.
#[tokio::test]
async fn without_the_websocket_a_final_status_is_noticed_within_5_seconds() {
    const SCALE_HERE: f64 = 0.05;
    let w = world_at(SCALE_HERE).await;
    w.ws.refuse_upgrades(true);
    let step = Duration::from_secs(15).mul_f64(SCALE_HERE);
    let (id, due) = {
        let mut world = w.state.world.lock().unwrap();
        world.step_every = Some(step);
        world.script("svc-web", &["QUEUED", "BUILDING", "DEPLOYING", "SUCCESS"]);
        let id = world.start_deployment("svc-web", "env-stg", serde_json::json!({}));
        let created = world.deployment(&id).unwrap().created;
        (id, created + step * 4)
    };
    let o = FollowOptions {
        deadline: Instant::now() + Duration::from_secs(30),
        ..opts("web")
    };
    let followed = follow_deployment(&w.client, &id, &o).await;
    let noticed = Instant::now();
    match followed {
        Followed::Final { status, .. } => assert_eq!(status, DeploymentStatus::parse("SUCCESS")),
        other => panic!("expected a final status, got {other:?}"),
    }
    let late = noticed.saturating_duration_since(due);
    eprintln!("final status noticed {late:?} after it happened (scale {SCALE_HERE})");
    let limit = Duration::from_secs(5).mul_f64(SCALE_HERE);
    assert!(
        late <= limit,
        "noticed {late:?} after the final status (limit {limit:?})"
    );
    let reads = w.state.recorder.count();
    assert!(reads <= 12, "{reads} polls for a one-minute deploy");
}
