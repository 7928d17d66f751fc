//! Issue 10 item 6: a lost answer leaves no orphan. The fake Railway processes the deploy
//! mutation (or the upload), then answers 502 or drops the connection; the run reads back the
//! deployment it caused, follows it to SUCCESS and exits 0, having sent the request once and
//! created exactly one deployment. When nothing appeared, it fails (exit 1) saying so.

use crate::support::cli::Runner;
use crate::support::secrets::assert_no_token;
use fakes::railway::upload::UploadReply;
use fakes::railway::{FakeRailway, LostAnswer, RailwayWorld};

async fn fake() -> FakeRailway {
    FakeRailway::start(RailwayWorld::standard()).await
}

fn new_deployments(rw: &FakeRailway) -> Vec<(String, serde_json::Value)> {
    rw.world()
        .deployments
        .iter()
        .filter(|d| d.id.starts_with("dep-new-"))
        .map(|d| (d.id.clone(), d.meta.clone()))
        .collect()
}

async fn lost_deploy(how: LostAnswer, image: bool) {
    let rw = fake().await;
    rw.world()
        .lose_answer
        .insert("ServiceInstanceDeployV2".into(), how);
    let mut r = Runner::new(&rw.api_url());
    if image {
        r.input("source", "image")
            .input("image", "ghcr.io/acme/web:1.2.3");
    }
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let created = new_deployments(&rw);
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(run.output("deployment-id"), created[0].0);
    assert_eq!(run.output("status"), "success");
    let deploys = rw
        .mutations()
        .into_iter()
        .filter(|m| m == "ServiceInstanceDeployV2")
        .count();
    assert_eq!(deploys, 1, "{:?}", rw.mutations());
    assert!(run.log().contains("reading back"), "{}", run.log());
    assert_no_token(&run);
}

#[tokio::test]
async fn a_deploy_answered_502_after_it_was_processed_is_read_back_and_followed() {
    lost_deploy(LostAnswer::BadGateway, false).await;
}

#[tokio::test]
async fn a_deploy_whose_connection_dropped_is_read_back_and_followed() {
    lost_deploy(LostAnswer::Drop, false).await;
}

#[tokio::test]
async fn an_image_deploy_whose_answer_was_lost_is_read_back_and_followed() {
    lost_deploy(LostAnswer::Drop, true).await;
}

#[tokio::test]
async fn an_image_update_whose_answer_was_lost_is_read_back_and_not_sent_again() {
    let rw = fake().await;
    rw.world()
        .lose_answer
        .insert("ServiceInstanceUpdate".into(), LostAnswer::BadGateway);
    let mut r = Runner::new(&rw.api_url());
    r.input("source", "image")
        .input("image", "ghcr.io/acme/web:1.2.3");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(
        rw.mutations(),
        vec!["ServiceInstanceUpdate", "ServiceInstanceDeployV2"]
    );
    assert_eq!(new_deployments(&rw).len(), 1);
}

fn upload_runner(rw: &FakeRailway, dir: &std::path::Path) -> Runner {
    std::fs::write(dir.join("index.js"), "console.log('hi')\n").unwrap();
    let mut r = Runner::new(&rw.api_url());
    r.unset("INPUT_SOURCE").input("path", dir.to_str().unwrap());
    r
}

#[tokio::test]
async fn an_upload_whose_answer_was_lost_is_read_back_and_followed() {
    for how in [LostAnswer::BadGateway, LostAnswer::Drop] {
        let rw = fake().await;
        rw.upload.reply_next(UploadReply::AcceptThenLose(how));
        let dir = tempfile::tempdir().unwrap();
        let run = upload_runner(&rw, dir.path()).run().await;
        assert_eq!(run.code, 0, "{how:?}: {}", run.log());
        let created = new_deployments(&rw);
        assert_eq!(created.len(), 1, "{how:?}: {created:?}");
        assert_eq!(created[0].1["source"], "upload");
        assert_eq!(run.output("deployment-id"), created[0].0);
        assert_eq!(rw.uploads().len(), 1, "{how:?}: the upload was sent again");
        assert_no_token(&run);
    }
}

#[tokio::test]
async fn a_lost_upload_that_created_nothing_fails_saying_so() {
    let rw = fake().await;
    // A 502 from a proxy that never passed the upload on: no deployment exists.
    rw.upload
        .reply_next(UploadReply::Status(502, "bad gateway".into()));
    let dir = tempfile::tempdir().unwrap();
    let run = upload_runner(&rw, dir.path()).run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(new_deployments(&rw).is_empty());
    assert_eq!(rw.uploads().len(), 1);
    let log = run.log();
    assert!(
        log.contains("no new deployment of the service appeared in Railway"),
        "{log}"
    );
    assert!(log.contains("Deployments tab"), "{log}");
    assert_no_token(&run);
}

#[tokio::test]
async fn a_rollback_whose_answer_was_lost_is_read_back_and_not_sent_again() {
    let rw = fake().await;
    rw.world()
        .lose_answer
        .insert("DeploymentRollback".into(), LostAnswer::Drop);
    let mut r = Runner::new(&rw.api_url());
    // The app never answers with the sha: the health check fails and the release is rolled back.
    r.input("health-expect-body", "{sha}")
        .input("health-timeout", "1s");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "rolled-back", "{}", run.log());
    let rollbacks = rw
        .mutations()
        .into_iter()
        .filter(|m| m == "DeploymentRollback")
        .count();
    assert_eq!(rollbacks, 1, "{:?}", rw.mutations());
    let w = rw.world();
    let made: Vec<_> = w
        .deployments
        .iter()
        .filter(|d| d.meta.get("rollbackOf").is_some())
        .collect();
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].status, "SUCCESS");
}

#[tokio::test]
async fn a_lost_deploy_that_created_nothing_fails_saying_so() {
    let rw = fake().await;
    rw.world()
        .lose_answer
        .insert("ServiceInstanceDeployV2".into(), LostAnswer::Unprocessed);
    let run = Runner::new(&rw.api_url()).run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "failed");
    assert!(new_deployments(&rw).is_empty());
    assert_eq!(rw.mutations(), vec!["ServiceInstanceDeployV2"]);
    let log = run.log();
    assert!(
        log.contains("the answer to the deploy request was lost")
            && log.contains("no new deployment of the service appeared in Railway"),
        "{log}"
    );
    assert_no_token(&run);
}
