//! `command: rollback` through the built binary, against the fake Railway.

use crate::support::cli::Runner;
use crate::support::requests::operation_bodies;
use fakes::railway::{FakeRailway, RailwayWorld};

/// Staging's `web` serves `dep-cur` (newest); `dep-old-web-stg` served before it.
async fn world_with_a_newer_release() -> FakeRailway {
    let mut w = RailwayWorld::standard();
    w.add_deployment("dep-cur", "svc-web", "env-stg", "SUCCESS");
    FakeRailway::start(w).await
}

fn rollback_target(rw: &FakeRailway) -> Vec<String> {
    operation_bodies(&rw.requests(), "DeploymentRollback")
        .iter()
        .map(|body| {
            body["variables"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn without_to_it_goes_back_to_the_latest_success_before_the_serving_one() {
    let rw = world_with_a_newer_release().await;
    let mut r = Runner::new(&rw.api_url());
    r.input("command", "rollback")
        .input("environment", "staging");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(rollback_target(&rw), vec!["dep-old-web-stg"]);
    assert_eq!(run.output("status"), "success");
    assert_eq!(run.output("previous-deployment-id"), "dep-cur");
    assert!(
        !rw.mutations()
            .contains(&"ServiceInstanceDeployV2".to_string()),
        "a rollback deploys nothing new"
    );
}

#[tokio::test]
async fn with_to_it_goes_back_to_that_deployment() {
    let mut w = RailwayWorld::standard();
    w.add_deployment("dep-mid", "svc-web", "env-stg", "REMOVED");
    w.add_deployment("dep-cur", "svc-web", "env-stg", "SUCCESS");
    let rw = FakeRailway::start(w).await;
    let mut r = Runner::new(&rw.api_url());
    r.input("command", "rollback")
        .input("environment", "staging")
        .input("to", "dep-old-web-stg");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(rollback_target(&rw), vec!["dep-old-web-stg"]);
}

#[tokio::test]
async fn a_deployment_railway_cannot_roll_back_to_is_a_clear_failure_with_no_change() {
    let rw = world_with_a_newer_release().await;
    rw.world()
        .deployment_mut("dep-old-web-stg")
        .expect("standard world")
        .can_rollback = false;
    let mut r = Runner::new(&rw.api_url());
    r.input("command", "rollback")
        .input("environment", "staging")
        .input("to", "dep-old-web-stg");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(run.stdout.contains("limited time"), "{}", run.log());
    assert!(rw.mutations().is_empty(), "{:?}", rw.mutations());
}

#[tokio::test]
async fn the_printed_rollback_command_is_one_this_binary_runs() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let deploy = Runner::new(&rw.api_url()).run().await;
    assert_eq!(deploy.code, 0, "{}", deploy.log());
    let command = deploy.output("rollback-command").to_string();
    // `docker run --rm -e RAILWAY_TOKEN <image> ARGS`: the image's entrypoint is this binary, so
    // ARGS are its arguments, and the token comes from the caller's `RAILWAY_TOKEN` by name.
    let mut words = command.split_whitespace();
    let docker: Vec<&str> = words.by_ref().take(5).collect();
    assert_eq!(
        docker,
        ["docker", "run", "--rm", "-e", "RAILWAY_TOKEN"],
        "{command}"
    );
    let image = words.next().unwrap_or_default();
    assert!(image.contains(':') && !image.starts_with('-'), "{command}");
    assert!(
        !command.contains("tok-staging"),
        "the token leaked: {command}"
    );
    let mut r = Runner::new(&rw.api_url());
    r.unset("INPUT_RAILWAY-TOKEN")
        .set("RAILWAY_TOKEN", "tok-staging");
    for w in words {
        r.arg(w);
    }
    let run = r.run().await;
    assert_eq!(run.code, 0, "{command}\n{}", run.log());
    assert_eq!(rollback_target(&rw), vec!["dep-old-web-stg"]);
}
