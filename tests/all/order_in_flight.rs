//! Deploying in order: a deployment of the service in flight (not this run's) is waited for
//! before the deploy, then the serving deployment is read again; one awaiting approval is not
//! waited for; one that outlasts `deploy-timeout` stops that service before anything changes.

use crate::support::cli::Runner;
use crate::support::requests::operation_bodies;
use crate::support::secrets::assert_no_token;
use fakes::railway::{FakeRailway, RailwayWorld};
use serde_json::json;

/// Reads of deployment `id` (the `Deployment` query), in order.
fn reads_of(rw: &FakeRailway, id: &str) -> usize {
    operation_bodies(&rw.requests(), "Deployment")
        .iter()
        .filter(|b| b["variables"]["id"] == id)
        .count()
}

/// Index of the first request of operation `op` (or of a read of deployment `id`).
fn position(rw: &FakeRailway, f: impl Fn(&serde_json::Value) -> bool) -> Option<usize> {
    rw.requests()
        .iter()
        .filter_map(|r| r.body_json())
        .position(|b| f(&b))
}

#[tokio::test]
async fn a_deployment_in_flight_is_awaited_then_the_deploy_starts_over_it() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    rw.world().add_in_flight(
        "dep-other",
        "svc-web",
        "env-stg",
        "BUILDING",
        &["BUILDING", "DEPLOYING", "SUCCESS"],
        json!({"reason": "deploy", "commitHash": "9999999aaaa", "commitAuthor": "ada"}),
    );
    let run = Runner::new(&rw.api_url()).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stdout.contains("web: waiting for deployment dep-other (deploy, commit 9999999, by ada) of `web` in `staging` (BUILDING), already in flight"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("ended: SUCCESS"), "{}", run.stdout);
    // Followed to its end before anything changed, and read again: it is what serves now.
    assert_eq!(reads_of(&rw, "dep-other"), 3);
    let bodies: Vec<_> = rw.requests().iter().filter_map(|r| r.body_json()).collect();
    let last_read = bodies
        .iter()
        .rposition(|b| b["operationName"] == "Deployment" && b["variables"]["id"] == "dep-other");
    let deploy = position(&rw, |b| b["operationName"] == "ServiceInstanceDeployV2");
    assert!(last_read < deploy, "{last_read:?} {deploy:?}");
    assert_eq!(rw.mutations(), vec!["ServiceInstanceDeployV2"]);
    assert_eq!(run.output("previous-deployment-id"), "dep-other");
    assert_eq!(run.output("status"), "success");
    assert_no_token(&run);
}

#[tokio::test]
async fn a_deployment_awaiting_approval_is_not_waited_for() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    rw.world().add_in_flight(
        "dep-approve",
        "svc-web",
        "env-stg",
        "NEEDS_APPROVAL",
        &[],
        json!({}),
    );
    let run = Runner::new(&rw.api_url()).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stdout.contains("::notice::deployment dep-approve of `web` in `staging` is waiting for approval in Railway; not waiting for it"),
        "{}",
        run.stdout
    );
    assert_eq!(reads_of(&rw, "dep-approve"), 0);
    assert_eq!(run.output("previous-deployment-id"), "dep-old-web-stg");
    assert_eq!(rw.mutations(), vec!["ServiceInstanceDeployV2"]);
}

#[tokio::test]
async fn a_deployment_in_flight_past_the_deploy_timeout_stops_that_service_unchanged() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    rw.world()
        .add_in_flight("dep-slow", "svc-web", "env-stg", "BUILDING", &[], json!({}));
    let mut r = Runner::new(&rw.api_url());
    r.input("deploy-timeout", "1s");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "failed");
    assert!(
        run.log().contains("deployment dep-slow of `web` in `staging` was still BUILDING after `deploy-timeout`; nothing was deployed"),
        "{}",
        run.log()
    );
    assert!(reads_of(&rw, "dep-slow") >= 2);
    assert!(rw.mutations().is_empty(), "{:?}", rw.mutations());
}
