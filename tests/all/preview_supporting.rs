//! A preview's supporting services (issue 12's follow-up): the preview is copied with
//! `skipInitialDeploys`, so its other services (here `postgres` and `worker`) have no deployment;
//! the run deploys each from its configured source (`serviceInstanceDeploy(latestCommit: true)`,
//! as Railway's CLI does; the `fidelity:` issue, item 2) and follows it to SUCCESS before
//! anything of its own, a push finds them deployed and sends nothing, a failure stops the run before the
//! migrations with exit 1 (the GitHub Deployment `failure`), a lost answer is read back, and the
//! dry run lists them.

use crate::support::preview::PreviewFakes;
use crate::support::requests::operation_bodies;
use crate::support::secrets::assert_no_token;
use fakes::railway::{LostAnswer, RailwayWorld};
use serde_json::Value;

const PG_IMAGE: &str = "ghcr.io/railwayapp-templates/postgres-ssl:16";

/// The standard world (`web`, `worker`) with a `postgres` service in staging, deployed there.
fn with_database() -> RailwayWorld {
    let mut w = RailwayWorld::standard();
    w.services.push(("svc-db".into(), "postgres".into()));
    let mut db = w.instances[&("svc-web".to_string(), "env-stg".to_string())].clone();
    db.image = Some(PG_IMAGE.into());
    db.repo = None;
    db.service_domains.clear();
    w.instances.insert(("svc-db".into(), "env-stg".into()), db);
    w.add_deployment("dep-old-db-stg", "svc-db", "env-stg", "SUCCESS");
    w.envs
        .volumes
        .insert(("svc-db".into(), "env-stg".into()), "vol-db-stg".into());
    w
}

/// The deploy requests sent (`ServiceInstanceDeployV2`, and `ServiceInstanceDeployLatestCommit`
/// as a null commit: the configured source): (service id, commit sha or null), in order.
fn deploys(f: &PreviewFakes) -> Vec<(String, Value)> {
    f.rw.requests()
        .iter()
        .filter_map(fakes::Recorded::body_json)
        .filter(|b| {
            b["operationName"] == "ServiceInstanceDeployV2"
                || b["operationName"] == "ServiceInstanceDeployLatestCommit"
        })
        .map(|b| {
            let v = &b["variables"];
            (
                v["serviceId"].as_str().unwrap_or_default().to_string(),
                v["commitSha"].clone(),
            )
        })
        .collect()
}

/// The deployments of `service` in `environment` in the fake: (status, meta).
fn deployments_of(f: &PreviewFakes, service: &str, environment: &str) -> Vec<(String, Value)> {
    let w = f.rw.world();
    w.deployments
        .iter()
        .filter(|d| d.service_id == service && d.environment_id == environment)
        .map(|d| (d.status.clone(), d.meta.clone()))
        .collect()
}

#[tokio::test]
async fn a_fresh_preview_deploys_its_database_before_the_run_services() {
    let f = PreviewFakes::with_world(with_database()).await;
    let run = f.runner("opened.json").run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_no_token(&run);
    let id = f.environment_id("pr-2").expect("the preview exists");
    let sent = deploys(&f);
    assert_eq!(sent.len(), 3, "{sent:?}");
    let (last, others) = sent.split_last().unwrap();
    assert_eq!(
        last.0, "svc-web",
        "the run's service is deployed last: {sent:?}"
    );
    assert!(last.1.is_string(), "at the pull request's commit: {sent:?}");
    let mut supporting: Vec<&str> = others.iter().map(|(s, _)| s.as_str()).collect();
    supporting.sort_unstable();
    assert_eq!(supporting, ["svc-db", "svc-worker"]);
    assert!(
        others.iter().all(|(_, sha)| sha.is_null()),
        "as configured, no commit: {sent:?}"
    );
    // The database was deployed from its own image and reached SUCCESS in the preview.
    let db = deployments_of(&f, "svc-db", &id);
    assert_eq!(db.len(), 1, "{db:?}");
    assert_eq!(db[0].0, "SUCCESS");
    assert_eq!(db[0].1["image"], PG_IMAGE);
    // Every supporting deployment was followed to its end before the run's deploy was sent.
    let ops = f.take_operations();
    let web_deploy = ops
        .iter()
        .rposition(|o| o == "ServiceInstanceDeployV2")
        .unwrap();
    let first_deploy = ops
        .iter()
        .position(|o| o == "ServiceInstanceDeployLatestCommit")
        .unwrap();
    assert!(first_deploy < web_deploy, "{ops:?}");
    assert!(
        !ops.contains(&"ServiceDomainCreate".to_string()) || {
            let domains = operation_bodies(&f.rw.requests(), "ServiceDomainCreate");
            domains
                .iter()
                .all(|b| b["variables"]["input"]["serviceId"] == "svc-web")
        },
        "supporting services get no domain: {ops:?}"
    );
    assert!(
        run.summary
            .contains("Service `postgres`: deployed as configured (never deployed there): SUCCESS"),
        "{}",
        run.summary
    );
}

#[tokio::test]
async fn a_push_to_the_pull_request_sends_no_supporting_deploy() {
    let f = PreviewFakes::with_world(with_database()).await;
    let first = f.runner("opened.json").run().await;
    assert_eq!(first.code, 0, "{}", first.log());
    f.take_operations();
    let again = f.runner("synchronize.json").run().await;
    assert_eq!(again.code, 0, "{}", again.log());
    let sent = deploys(&f);
    assert_eq!(sent.len(), 1, "only the run's service: {sent:?}");
    assert_eq!(sent[0].0, "svc-web");
    assert!(
        !again.summary.contains("Service `postgres`"),
        "{}",
        again.summary
    );
}

#[tokio::test]
async fn a_supporting_service_that_fails_stops_the_run_before_migrating() {
    let mut world = with_database();
    world.script("svc-db", &["QUEUED", "DEPLOYING", "CRASHED"]);
    // A reference Railway renders per environment: the preview's copy is its own database.
    world.set_variable(
        "svc-web",
        "env-stg",
        "DATABASE_PUBLIC_URL",
        "postgres://app:pw@${{RAILWAY_ENVIRONMENT_NAME}}.localhost:9/app",
    );
    let f = PreviewFakes::with_world(world).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("001_init.sql"), "SELECT 1;").unwrap();
    let mut r = f.runner("opened.json");
    r.input("migrations", &dir.path().to_string_lossy());
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "failed");
    assert_no_token(&run);
    let log = run.log();
    assert!(log.contains("`postgres` did not deploy"), "{log}");
    assert!(log.contains("CRASHED"), "{log}");
    assert!(
        !log.contains("Migration failed"),
        "nothing was migrated: {log}"
    );
    let sent = deploys(&f);
    assert!(
        sent.iter().all(|(s, _)| s != "svc-web"),
        "nothing of the run's own services deployed: {sent:?}"
    );
    let deployments = f.github_deployments();
    assert_eq!(deployments.len(), 1);
    let states = &deployments[0].1;
    assert_eq!(
        states.last().map(String::as_str),
        Some("failure"),
        "{states:?}"
    );
    assert!(
        run.summary.contains("did not deploy (CRASHED)"),
        "{}",
        run.summary
    );
}

#[tokio::test]
async fn a_lost_supporting_deploy_is_read_back_not_resent() {
    let mut world = with_database();
    world.services.retain(|(id, _)| id != "svc-worker");
    world.instances.retain(|(svc, _), _| svc != "svc-worker");
    world.lose_answer.insert(
        "ServiceInstanceDeployLatestCommit".into(),
        LostAnswer::BadGateway,
    );
    let f = PreviewFakes::with_world(world).await;
    let run = f.runner("opened.json").run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let sent = deploys(&f);
    assert_eq!(
        sent.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(),
        ["svc-db", "svc-web"],
        "each sent once: {sent:?}"
    );
    let id = f.environment_id("pr-2").unwrap();
    let db = deployments_of(&f, "svc-db", &id);
    assert_eq!(db.len(), 1, "{db:?}");
    assert_eq!(db[0].0, "SUCCESS");
}

#[tokio::test]
async fn a_dry_run_lists_the_supporting_deploys() {
    let f = PreviewFakes::with_world(with_database()).await;
    let mut r = f.runner("opened.json");
    r.input("dry-run", "true");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let log = run.log();
    assert!(
        log.contains("deploy `postgres` in `pr-2` as configured (never deployed there)"),
        "{log}"
    );
    assert!(log.contains(PG_IMAGE), "{log}");
    assert!(
        log.contains("deploy `worker` in `pr-2` as configured (never deployed there)"),
        "{log}"
    );
    assert!(f.rw.mutations().is_empty(), "{:?}", f.rw.mutations());
    // An existing preview whose services are all deployed plans none.
    let real = f.runner("opened.json").run().await;
    assert_eq!(real.code, 0, "{}", real.log());
    let mut r = f.runner("synchronize.json");
    r.input("dry-run", "true");
    let again = r.run().await;
    assert_eq!(again.code, 0, "{}", again.log());
    assert!(
        !again.log().contains("as configured (never deployed there)"),
        "{}",
        again.log()
    );
}

#[tokio::test]
async fn a_preview_left_undeployed_by_an_earlier_run_gets_its_services_deployed() {
    // The preview exists (a run stopped after creating it): nothing was deployed in it.
    let mut world = RailwayWorld::standard();
    crate::support::preview::add_environment(&mut world, "env-pr-2", "pr-2", true);
    let f = PreviewFakes::with_world(world).await;
    let run = f.runner("synchronize.json").run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let sent: Vec<String> = deploys(&f).into_iter().map(|(s, _)| s).collect();
    assert_eq!(sent, ["svc-worker", "svc-web"]);
    let worker = deployments_of(&f, "svc-worker", "env-pr-2");
    assert_eq!(worker.len(), 1, "{worker:?}");
    assert_eq!(worker[0].0, "SUCCESS");
}
