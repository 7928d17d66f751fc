//! Item 4 of the `fidelity:` issue: logs are streamed the way Railway's released CLI (5.43.1)
//! reads them (`buildLogs(deploymentId)` and `deploymentLogs(deploymentId)`), against a fake that
//! serves them only that way, answers nothing to an `environmentLogs` filter on undocumented keys,
//! and sends the first status event without `snapshotId`. When no log line arrives for a minute
//! (2 s at the runner's time scale: the floor) while a deployment is followed, a warning says the stream is
//! silent and where to read the logs (contract v3).

use std::time::Duration;

use crate::support::cli::Runner;
use fakes::railway::{FakeRailway, RailwayWorld};

fn upload_runner(rw: &FakeRailway, dir: &tempfile::TempDir) -> Runner {
    std::fs::write(dir.path().join("package.json"), "{}").unwrap();
    let mut r = Runner::new(&rw.api_url());
    r.unset("INPUT_SOURCE")
        .input("path", dir.path().to_str().unwrap());
    r
}

#[tokio::test]
async fn build_and_deploy_lines_come_from_the_clis_two_log_streams() {
    let mut world = RailwayWorld::standard();
    world.ws_step = Duration::from_millis(20);
    // (On main before this change, the snapshot-scoped `environmentLogs` stream got nothing from
    // this fake: main's own test asserted that "#1 building" never showed.)
    let rw = FakeRailway::start(world).await;
    rw.world()
        .script_logs("svc-web", &["#1 building"], &["listening on :8080"]);
    let dir = tempfile::tempdir().unwrap();
    let run = upload_runner(&rw, &dir).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(run.stdout.contains("#1 building"), "{}", run.log());
    assert!(run.stdout.contains("listening on :8080"), "{}", run.log());
    eprintln!(
        "single-service upload deploy: {} HTTP requests ({} upload, {} websocket, GraphQL {:?}); subscriptions {:?}",
        rw.requests().len(),
        rw.uploads().len(),
        rw.upgrades().len(),
        rw.operations(),
        rw.subscriptions()
    );
    let mut subs = rw.subscriptions();
    subs.sort();
    assert_eq!(subs, ["buildLogs", "deployment", "deploymentLogs"]);
}

#[tokio::test]
async fn a_silent_log_stream_is_said_with_where_to_read_the_logs() {
    let mut world = RailwayWorld::standard();
    // Four status events 700 ms apart: followed for longer than the 2 s floor of the silence.
    world.ws_step = Duration::from_millis(700);
    let rw = FakeRailway::start(world).await;
    // No line scripted: both streams stay silent while the deployment builds and deploys.
    let dir = tempfile::tempdir().unwrap();
    let run = upload_runner(&rw, &dir).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stdout
            .contains("::warning::no build or deploy log line from Railway for `web`")
            && run.stdout.contains("the log stream is silent")
            && run.stdout.contains("railway logs --build dep-"),
        "{}",
        run.log()
    );
}
