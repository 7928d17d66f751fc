//! Issue 10 item 7: a cancelled job cancels its Railway builds. The built binary, sent SIGTERM
//! while one service builds and another is live, and while health-checking a live deployment:
//! `deploymentCancel` goes only to the not-yet-live deployment, the live one is untouched, the
//! GitHub Deployment ends `error` (never `in_progress`), and the exit code is cancellation's (1),
//! well inside the runner's grace period.

use std::time::{Duration, Instant};

use crate::support::cli::Runner;
use fakes::Server;
use fakes::github::GitHubState;
use fakes::railway::{FakeRailway, RailwayWorld};

/// Starts the run as the runner does, waits until `ready` holds on the fake Railway (something
/// the run itself did there, never a pause), sends SIGTERM, and returns the exit code and how
/// long the run took to end after the signal.
pub(crate) async fn cancel_when(
    r: &Runner,
    rw: &FakeRailway,
    ready: impl Fn(&FakeRailway) -> bool,
) -> (Option<i32>, Duration) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_railway-deploy"));
    cmd.env_clear()
        .envs(&r.env)
        .env("GITHUB_OUTPUT", r.dir.path().join("output"))
        .env("GITHUB_STEP_SUMMARY", r.dir.path().join("summary.md"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready(rw) {
        assert!(Instant::now() < deadline, "the run never got there");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let signalled = Instant::now();
    let pid = child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits within the runner's grace period")
        .unwrap();
    (status.code(), signalled.elapsed())
}

fn new_of<'a>(w: &'a RailwayWorld, service: &str) -> Option<&'a fakes::railway::FakeDeployment> {
    w.deployments
        .iter()
        .find(|d| d.id.starts_with("dep-new-") && d.service_id == service)
}

fn cancelled_ids(rw: &FakeRailway) -> Vec<String> {
    crate::support::requests::operation_bodies(&rw.requests(), "DeploymentCancel")
        .iter()
        .map(|b| {
            b["variables"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

pub(crate) async fn github() -> (GitHubState, Server) {
    let gh = GitHubState::default();
    let server = Server::start(fakes::github::router(gh.clone())).await;
    (gh, server)
}

pub(crate) fn github_states(gh: &GitHubState) -> Vec<Vec<String>> {
    let w = gh.world.lock().unwrap();
    w.deployments
        .deployments
        .iter()
        .map(|d| d.states().iter().map(|s| s.to_string()).collect())
        .collect()
}

#[tokio::test]
async fn sigterm_while_building_cancels_only_the_deployment_not_yet_live() {
    let mut world = RailwayWorld::standard();
    // web goes live at once; worker builds until cancelled.
    world.script("svc-web", &["SUCCESS"]);
    world.script("svc-worker", &["BUILDING"]);
    let rw = FakeRailway::start(world).await;
    let (gh, gh_server) = github().await;
    let mut r = Runner::new(&rw.api_url());
    r.with_github(&gh_server.url())
        .input("wait-for-checks", "false")
        .input("comment", "false")
        .input("service", "web,worker");
    // Ready when the run has heard both: it follows both deployments (two `deployment`
    // subscriptions: each is recorded as started before it is followed), and it has ended one of
    // web's subscriptions itself (`complete`), which it does only after recording web live (the
    // run's runtime is single-threaded: nothing is sent between hearing SUCCESS and recording it).
    let (code, took) = cancel_when(&r, &rw, |rw| {
        let following = rw
            .subscriptions()
            .iter()
            .filter(|s| *s == "deployment")
            .count();
        let w = rw.world();
        new_of(&w, "svc-web").is_some_and(|d| d.status == "SUCCESS")
            && new_of(&w, "svc-worker").is_some_and(|d| d.status == "BUILDING")
            && following >= 2
            && rw.ws.completes() >= 1
    })
    .await;
    assert_eq!(code, Some(1));
    eprintln!("ended {took:?} after SIGTERM");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let w = rw.world();
    let worker = new_of(&w, "svc-worker").unwrap();
    let web = new_of(&w, "svc-web").unwrap();
    assert_eq!(cancelled_ids(&rw), vec![worker.id.clone()]);
    assert_eq!(worker.status, "REMOVED");
    assert_eq!(web.status, "SUCCESS");
    assert_eq!(github_states(&gh), vec![vec!["in_progress", "error"]]);
}

/// Health answers queued for the health-check test (far more than it makes before the signal).
const PROBES: usize = 10_000;

#[tokio::test]
async fn sigterm_while_health_checking_leaves_the_live_deployment_alone() {
    let mut world = RailwayWorld::standard();
    world.script("svc-web", &["SUCCESS"]);
    // The app answers 200 to each probe; each one takes an entry off this queue, so the test sees
    // the run probing (it probes only once the deployment is recorded live).
    world.script_app_health(&[200; PROBES]);
    let rw = FakeRailway::start(world).await;
    let (gh, gh_server) = github().await;
    let mut r = Runner::new(&rw.api_url());
    // The probe never passes (the app answers 200), so the run stays in the health check.
    r.with_github(&gh_server.url())
        .input("wait-for-checks", "false")
        .input("comment", "false")
        .input("health-expect-status", "204")
        .input("health-timeout", "60s");
    let (code, took) = cancel_when(&r, &rw, |rw| rw.world().observe.health.len() < PROBES).await;
    assert_eq!(code, Some(1));
    eprintln!("ended {took:?} after SIGTERM");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(cancelled_ids(&rw).is_empty(), "{:?}", rw.operations());
    assert!(!rw.mutations().contains(&"DeploymentRollback".to_string()));
    assert_eq!(new_of(&rw.world(), "svc-web").unwrap().status, "SUCCESS");
    assert_eq!(github_states(&gh), vec![vec!["in_progress", "error"]]);
}
