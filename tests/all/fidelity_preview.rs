//! Items 2 and 5 of the `fidelity:` issue. Railway may list a deleted environment with
//! `deletedAt` set (Railway's CLI selects `deletedAt` and treats such an environment as gone); a
//! preview is never reused from one. The fake keeps deleted environments listed, and refuses
//! their names (whether Railway frees a deleted name at once is not public). Railway may list a
//! new environment before its copy is complete (railwayapp/cli PRs #663, #784, issue #923): the
//! fake lists a copy's instances only after some reads, and the run waits for its services
//! (bounded by `deploy-timeout`) before deploying. A supporting service is deployed with
//! Railway's CLI's latest-commit operation (item 2).

use crate::support::preview::PreviewFakes;
use crate::support::requests::operation_names;
use fakes::railway::RailwayWorld;

#[tokio::test]
async fn a_deleted_preview_still_listed_is_not_reused() {
    let mut world = RailwayWorld::standard();
    world.envs.deleted.push((
        "env-pr-2-old".into(),
        "pr-2".into(),
        "2026-11-30T10:00:00Z".into(),
    ));
    let f = PreviewFakes::with_world(world).await;
    let run = f.runner("synchronize.json").run().await;
    let ops = f.take_operations();
    assert!(ops.iter().any(|o| o == "EnvironmentCreate"), "{ops:?}");
    let deploys =
        crate::support::requests::operation_bodies(&f.rw.requests(), "ServiceInstanceDeployV2");
    assert!(
        deploys
            .iter()
            .all(|b| b["variables"]["environmentId"] != "env-pr-2-old"),
        "{deploys:?}"
    );
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(
        run.stdout.contains("it may have been deleted recently"),
        "{}",
        run.log()
    );
}

/// Item 2: `serviceInstanceDeployV2` without `commitSha` redeploys the commit already associated
/// with the service (Railway's docs), which for a copy never deployed is not known (the fake
/// associates it with an old commit). A preview's supporting service is deployed with
/// `serviceInstanceDeploy(latestCommit: true)` (Railway's CLI, `redeploy --from-source`), its
/// deployment read back, and the plan and report say what was deployed.
#[tokio::test]
async fn a_supporting_service_is_deployed_at_its_branchs_latest_commit() {
    use fakes::railway::{MAIN_HEAD, STALE_COMMIT};
    let mut world = RailwayWorld::standard();
    world.add_trigger("svc-worker", "env-stg", "main", false);
    let f = PreviewFakes::with_world(world).await;
    let mut dry = f.runner("opened.json");
    dry.input("dry-run", "true");
    let planned = dry.run().await;
    assert_eq!(planned.code, 0, "{}", planned.log());
    assert!(
        planned.log().contains(
            "deploy `worker` in `pr-2` as configured (never deployed there): the latest commit of branch `main` of `acme/shop`"
        ),
        "{}",
        planned.log()
    );
    f.take_operations();

    let run = f.runner("opened.json").run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let env = f.environment_id("pr-2").expect("the preview exists");
    let requests = f.rw.requests();
    let latest =
        crate::support::requests::operation_bodies(&requests, "ServiceInstanceDeployLatestCommit");
    assert_eq!(latest.len(), 1, "one request, never resent: {latest:?}");
    assert_eq!(
        latest[0]["variables"],
        serde_json::json!({ "serviceId": "svc-worker", "environmentId": env })
    );
    let query = latest[0]["query"].as_str().unwrap_or_default();
    assert!(
        query.contains("serviceInstanceDeploy(") && query.contains("latestCommit: true"),
        "{query}"
    );
    let v2 = crate::support::requests::operation_bodies(&requests, "ServiceInstanceDeployV2");
    assert!(
        v2.iter()
            .all(|b| b["variables"]["serviceId"] != "svc-worker"),
        "{v2:?}"
    );
    let w = f.rw.world();
    let worker: Vec<_> = w
        .deployments
        .iter()
        .filter(|d| d.service_id == "svc-worker" && d.environment_id == env)
        .collect();
    assert_eq!(worker.len(), 1);
    assert_eq!(worker[0].status, "SUCCESS");
    assert_eq!(worker[0].meta["commitHash"], MAIN_HEAD);
    assert_ne!(worker[0].meta["commitHash"], STALE_COMMIT);
    drop(w);
    assert!(
        run.summary.contains(
            "Service `worker`: deployed as configured (never deployed there): SUCCESS, the latest commit of the branch `acme/shop` is connected to: commit `4eadc0d` of branch `main`"
        ),
        "{}",
        run.summary
    );
}

/// Item 5: an environment listed before its copy is complete (the run's services not yet in it)
/// is waited for, not deployed to: here the copy lists its instances from the fourth read on.
#[tokio::test]
async fn a_copy_listed_before_its_services_are_in_it_is_waited_for() {
    let mut world = RailwayWorld::standard();
    world.envs.copy_reads = 3;
    let f = PreviewFakes::with_world(world).await;
    let run = f.runner("opened.json").run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let ops = operation_names(&f.rw.requests());
    let create = ops.iter().position(|o| o == "EnvironmentCreate").unwrap();
    let resolve = ops.iter().position(|o| o == "Project").unwrap();
    let between: Vec<&str> = ops[create + 1..resolve]
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(
        between, ["EnvironmentServiceInstances"; 4],
        "read until `web` is listed, before resolving: {ops:?}"
    );
    assert!(
        run.stdout
            .contains("Railway lists `pr-2` but not yet `web` in it (still copying `staging`)"),
        "{}",
        run.log()
    );
    assert_eq!(run.output("url"), "https://web-pr-2.up.railway.app");
}

/// Item 5: a copy that never completes within `deploy-timeout` fails the run (exit 1) naming
/// the missing service and what to do, with nothing deployed.
#[tokio::test]
async fn a_copy_that_never_completes_fails_before_anything_is_deployed() {
    let mut world = RailwayWorld::standard();
    world.envs.copy_reads = u32::MAX;
    let f = PreviewFakes::with_world(world).await;
    let mut r = f.runner("opened.json");
    r.input("deploy-timeout", "1s");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "failed");
    let log = run.log();
    assert!(
        log.contains("Railway lists the preview `pr-2`, but not `web` in it after")
            && log.contains("(`deploy-timeout`)")
            && log.contains("nothing was deployed")
            && log.contains("Re-run the workflow in a few minutes"),
        "{log}"
    );
    let mutations = f.rw.mutations();
    assert_eq!(mutations, ["EnvironmentCreate"], "{mutations:?}");
    let w = f.rw.world();
    assert!(w.deployments.iter().all(|d| d.id.starts_with("dep-old")));
}

/// Item 2: the latest-commit deploy answers only `true`; a deployment listed late is read back
/// (the request is never sent again), and one that never appears fails the run within the
/// read-back's bound, before anything of the run's own is deployed.
#[tokio::test]
async fn a_supporting_deployment_listed_late_is_read_back_and_one_never_listed_fails() {
    let mut world = RailwayWorld::standard();
    world.latest_deploy_reads = 3;
    let f = PreviewFakes::with_world(world).await;
    let run = f.runner("opened.json").run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let sent = |f: &PreviewFakes| {
        crate::support::requests::operation_bodies(
            &f.rw.requests(),
            "ServiceInstanceDeployLatestCommit",
        )
        .len()
    };
    assert_eq!(sent(&f), 1, "sent once");
    assert!(
        run.summary.contains(
            "the latest commit of the branch `acme/shop` is connected to: commit `4eadc0d`"
        ),
        "{}",
        run.summary
    );

    let mut world = RailwayWorld::standard();
    world.latest_deploy_reads = u32::MAX;
    let f = PreviewFakes::with_world(world).await;
    let run = f.runner("opened.json").run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(sent(&f), 1, "sent once");
    let log = run.log();
    assert!(
        log.contains("`worker` did not deploy")
            && log.contains("Railway accepted the deploy request (its answer names no deployment), but no new deployment of the service appeared"),
        "{log}"
    );
    let web =
        crate::support::requests::operation_bodies(&f.rw.requests(), "ServiceInstanceDeployV2");
    assert!(web.is_empty(), "nothing of the run's own: {web:?}");
}
