//! Item 4 of the `fidelity:` issue (the part built): when no log line arrives for a minute (60 ms
//! at the runner's time scale) while a deployment is followed, a warning says the stream is silent
//! and where to read the logs (contract v3). The fake answers log filters only on Railway's
//! documented keys, so the snapshot-scoped stream this action subscribes to stays silent.

use std::time::Duration;

use crate::support::cli::Runner;
use fakes::railway::{FakeRailway, RailwayWorld};

#[tokio::test]
async fn a_silent_log_stream_is_said_with_where_to_read_the_logs() {
    let mut world = RailwayWorld::standard();
    world.log_filters_documented_only = true;
    world.ws_step = Duration::from_millis(150);
    let rw = FakeRailway::start(world).await;
    rw.world()
        .script_logs("svc-web", &["#1 building"], &["listening on :8080"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package.json"), "{}").unwrap();
    let mut r = Runner::new(&rw.api_url());
    r.unset("INPUT_SOURCE")
        .input("path", dir.path().to_str().unwrap());
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(!run.stdout.contains("#1 building"), "{}", run.log());
    assert!(
        run.stdout
            .contains("::warning::no build or deploy log line from Railway for `web`")
            && run.stdout.contains("the log stream is silent")
            && run.stdout.contains("railway logs --build dep-"),
        "{}",
        run.log()
    );
}
