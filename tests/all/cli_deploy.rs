//! The binary run as the Actions runner runs it, against the fake Railway.

use crate::support::cli::Runner;
use crate::support::events;
use crate::support::requests::first_operation;
use crate::support::secrets::{assert_no_token, shown};
use fakes::railway::{FakeRailway, RailwayWorld};

async fn fake() -> FakeRailway {
    FakeRailway::start(RailwayWorld::standard()).await
}

#[tokio::test]
async fn a_push_deploys_the_commit_to_staging() {
    let rw = fake().await;
    let run = Runner::new(&rw.api_url()).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "success");
    assert_eq!(run.output("environment"), "staging");
    let id = run.output("deployment-id").to_string();
    assert!(id.starts_with("dep-new-"), "{id}");
    assert_eq!(run.output("previous-deployment-id"), "dep-old-web-stg");
    assert_eq!(run.output("url"), "https://web-stg.up.railway.app");
    assert_eq!(
        run.output("dashboard-url"),
        format!("https://railway.com/project/proj-1/service/svc-web?environmentId=env-stg&id={id}")
    );
    assert_eq!(
        run.output("rollback-command"),
        format!(
            "docker run --rm -e RAILWAY_TOKEN ghcr.io/OWNER/railway-deploy:v{} --command rollback --project proj-1 --environment staging --service web --to dep-old-web-stg",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert_eq!(run.output("version"), "");
    let deployments: serde_json::Value = serde_json::from_str(run.output("deployments")).unwrap();
    assert_eq!(deployments[0]["service"], "web");
    assert_eq!(rw.mutations(), vec!["ServiceInstanceDeployV2"]);
    for stage in ["resolve", "build", "deploy", "health"] {
        assert!(
            run.summary.contains(&format!("    {stage} ")),
            "the timeline lacks {stage}:\n{}",
            run.summary
        );
    }
    let deploy = first_operation(&rw.requests(), "ServiceInstanceDeployV2");
    assert_eq!(deploy.header("project-access-token"), Some("tok-staging"));
    assert_eq!(deploy.header("authorization"), None);
    let vars = &deploy.body_json().unwrap()["variables"];
    assert_eq!(
        vars["commitSha"],
        "abc1234def5678abc1234def5678abc1234def56"
    );
    assert_eq!(vars["serviceId"], "svc-web");
    assert_eq!(vars["environmentId"], "env-stg");
    assert_no_token(&run);
}

#[tokio::test]
async fn a_stable_tag_deploys_to_production_with_its_version() {
    let rw = fake().await;
    let mut r = Runner::new(&rw.api_url());
    r.set("GITHUB_REF", "refs/tags/v1.2.3")
        .set("GITHUB_REF_TYPE", "tag")
        .input("railway-token", "tok-production");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("environment"), "production");
    assert_eq!(run.output("version"), "1.2.3");
    assert_eq!(run.output("previous-deployment-id"), "dep-old-web-prod");
    assert_no_token(&run);
}

#[tokio::test]
async fn a_pre_release_tag_deploys_to_staging() {
    let rw = fake().await;
    let mut r = Runner::new(&rw.api_url());
    r.set("GITHUB_REF", "refs/tags/v1.3.0-rc.1");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("environment"), "staging");
    assert_eq!(run.output("version"), "1.3.0-rc.1");
}

#[tokio::test]
async fn a_tag_that_is_not_semver_exits_2_before_any_request() {
    let rw = fake().await;
    let mut r = Runner::new(&rw.api_url());
    r.set("GITHUB_REF", "refs/tags/release-7");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(run.stdout.contains("not a semver version"), "{}", run.log());
    assert_eq!(run.output("status"), "failed");
    assert!(rw.requests().is_empty());
}

#[tokio::test]
async fn a_failed_build_fails_the_run_and_says_the_previous_deployment_still_serves() {
    let rw = fake().await;
    rw.world().script("svc-web", &["BUILDING", "FAILED"]);
    let run = Runner::new(&rw.api_url()).run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "failed");
    assert!(
        run.stdout.contains("::error::web: deployment dep-new-"),
        "{}",
        run.log()
    );
    assert!(run.stdout.contains("ended FAILED"), "{}", run.log());
    assert!(
        run.stdout
            .contains("previous deployment dep-old-web-stg is still serving"),
        "{}",
        run.log()
    );
}

#[tokio::test]
async fn a_deployment_stuck_past_the_deadline_times_out_naming_its_state() {
    let rw = fake().await;
    rw.world().script("svc-web", &["BUILDING"]);
    // Polling is what this test counts: no websocket.
    rw.world().websockets = false;
    let mut r = Runner::new(&rw.api_url());
    r.input("deploy-timeout", "1s")
        .set("RAILWAY_DEPLOY_TIME_SCALE", "0.01");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(
        run.stdout
            .contains("was still BUILDING after `deploy-timeout`"),
        "{}",
        run.log()
    );
    let polls = rw
        .operations()
        .iter()
        .filter(|o| *o == "Deployment")
        .count();
    assert!((2..=40).contains(&polls), "{polls} polls in 1s");
}

#[tokio::test]
async fn an_unknown_service_exits_2_naming_the_services_there_are() {
    let rw = fake().await;
    let mut r = Runner::new(&rw.api_url());
    r.input("service", "api");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(
        run.stdout
            .contains("service `api` not found in project `shop`; services: web, worker"),
        "{}",
        run.log()
    );
    assert!(rw.mutations().is_empty());
}

#[tokio::test]
async fn a_bad_token_exits_2_naming_which_token_without_showing_it() {
    let rw = fake().await;
    let mut r = Runner::new(&rw.api_url());
    r.input("railway-token", "tok-revoked-0123456789");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(run.stdout.contains("Not Authorized"), "{}", run.log());
    assert!(run.stdout.contains("project token"), "{}", run.log());
    assert!(
        run.stdout
            .starts_with("::add-mask::tok-revoked-0123456789\n"),
        "the token is masked first"
    );
    assert!(
        !shown(&run.log()).contains("tok-revoked-0123456789"),
        "{}",
        run.log()
    );
}

#[tokio::test]
async fn a_project_token_of_another_environment_is_refused_before_any_change() {
    let rw = fake().await;
    let mut r = Runner::new(&rw.api_url());
    r.set("GITHUB_REF", "refs/tags/v2.0.0");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(
        run.stdout.contains(
            "the project token is for environment `staging`, but this run deploys to `production`"
        ),
        "{}",
        run.log()
    );
    assert!(rw.mutations().is_empty());
}

#[tokio::test]
async fn two_services_deploy_concurrently_and_both_are_reported() {
    let rw = fake().await;
    rw.world().script(
        "svc-worker",
        &["BUILDING", "BUILDING", "DEPLOYING", "SUCCESS"],
    );
    let mut r = Runner::new(&rw.api_url());
    r.input("service", "web\nWorker");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let deployments: serde_json::Value = serde_json::from_str(run.output("deployments")).unwrap();
    let names: Vec<&str> = deployments
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["service"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["web", "worker"]);
    assert_eq!(
        deployments[1]["previous-deployment-id"],
        "dep-old-worker-stg"
    );
    assert_eq!(
        rw.mutations(),
        vec!["ServiceInstanceDeployV2", "ServiceInstanceDeployV2"]
    );
    // Both started before either finished: the second deploy request precedes the last poll.
    let ops = rw.operations();
    let second_start = ops
        .iter()
        .rposition(|o| o == "ServiceInstanceDeployV2")
        .unwrap();
    let first_poll = ops.iter().position(|o| o == "Deployment").unwrap();
    assert!(second_start < first_poll + 3, "{ops:?}");
}

#[tokio::test]
async fn one_failing_service_of_two_fails_the_run() {
    let rw = fake().await;
    rw.world().script("svc-worker", &["BUILDING", "CRASHED"]);
    let mut r = Runner::new(&rw.api_url());
    r.input("service", "web,worker");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    let deployments: serde_json::Value = serde_json::from_str(run.output("deployments")).unwrap();
    assert_eq!(deployments[0]["railway-status"], "SUCCESS");
    assert_eq!(deployments[1]["railway-status"], "CRASHED");
    // Each object's `status` is the service's outcome in the `status` output's words.
    assert_eq!(deployments[0]["status"], "success");
    assert_eq!(deployments[1]["status"], "failed");
}

#[tokio::test]
async fn a_dry_run_reads_everything_and_changes_nothing() {
    let rw = fake().await;
    let mut r = Runner::new(&rw.api_url());
    r.input("dry-run", "true")
        .input("source", "image")
        .input("image", "ghcr.io/acme/web:1.2.3");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "skipped");
    assert!(rw.mutations().is_empty(), "{:?}", rw.operations());
    assert!(
        run.stdout
            .contains("set the image of `web` in `staging` to `ghcr.io/acme/web:1.2.3`"),
        "{}",
        run.log()
    );
    assert!(
        run.stdout
            .contains("deploy image `ghcr.io/acme/web:1.2.3` to `web` in `staging`"),
        "{}",
        run.log()
    );
}

#[tokio::test]
async fn rate_limits_are_waited_out_and_the_run_goes_on() {
    let rw = fake().await;
    rw.world().rate_limit_next = 2;
    let run = Runner::new(&rw.api_url()).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(run.stdout.contains("rate-limited"), "{}", run.log());
    let statuses_429 = rw.requests().len() - rw.upgrades().len() - rw.operations().len();
    assert_eq!(
        statuses_429, 0,
        "every request is a GraphQL request or a websocket upgrade"
    );
    assert_eq!(
        rw.operations()
            .iter()
            .filter(|o| *o == "ProjectToken")
            .count(),
        3,
        "two 429s then the answer"
    );
}

#[tokio::test]
async fn an_image_deploy_sets_the_image_then_deploys_it() {
    let rw = fake().await;
    let mut r = Runner::new(&rw.api_url());
    r.input("source", "image").input(
        "image",
        "ghcr.io/acme/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    );
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(
        rw.mutations(),
        vec!["ServiceInstanceUpdate", "ServiceInstanceDeployV2"]
    );
    let update = first_operation(&rw.requests(), "ServiceInstanceUpdate");
    assert_eq!(
        update.body_json().unwrap()["variables"]["input"]["source"]["image"],
        "ghcr.io/acme/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    );
    let deploy = first_operation(&rw.requests(), "ServiceInstanceDeployV2");
    assert_eq!(
        deploy.body_json().unwrap()["variables"]["commitSha"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn an_account_token_is_sent_as_bearer_and_needs_a_project() {
    let rw = fake().await;
    let mut r = Runner::new(&rw.api_url());
    r.unset("INPUT_RAILWAY-TOKEN")
        .set("RAILWAY_API_TOKEN", "acct-token");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(run.stdout.contains("input `project`"), "{}", run.log());
    r.input("project", "proj-1");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let last = rw.requests().pop().unwrap();
    assert_eq!(last.header("authorization"), Some("Bearer acct-token"));
    assert_no_token(&run);
}

#[tokio::test]
async fn a_deleted_tag_deploys_nothing() {
    let rw = fake().await;
    let mut r = Runner::new(&rw.api_url());
    let payload = events::own("push/delete-tag.json");
    r.event("push", &payload)
        .set("GITHUB_REF", "refs/tags/v1.3.9");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "skipped");
    assert!(
        run.stdout.contains("::notice::Nothing deployed"),
        "{}",
        run.log()
    );
    assert!(rw.requests().is_empty());
}

#[tokio::test]
async fn a_pull_request_deploys_its_head_commit_not_the_merge_commit() {
    let rw = fake().await;
    let mut r = Runner::new(&rw.api_url());
    let payload = events::own("pull_request/opened.json");
    r.event("pull_request", &payload)
        .set("GITHUB_REF", "refs/pull/2/merge")
        .set("GITHUB_SHA", "ffffffffffffffffffffffffffffffffffffffff")
        .input("environment", "staging");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let deploy = first_operation(&rw.requests(), "ServiceInstanceDeployV2");
    let sha = deploy.body_json().unwrap()["variables"]["commitSha"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(sha.starts_with("ec26c3e5"), "{sha}");
}

#[tokio::test]
async fn help_documents_every_input() {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_railway-deploy"))
        .arg("--help")
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for spec in railway_deploy::config::inputs::INPUTS {
        assert!(
            help.contains(&format!("--{}", spec.name)),
            "--help lacks --{}",
            spec.name
        );
    }
}

#[tokio::test]
async fn a_failed_health_check_rolls_back_to_the_previous_deployment_and_exits_1() {
    let rw = fake().await;
    let mut r = Runner::new(&rw.api_url());
    // The app answers `{"status":"ok"}` without the sha: the new release is not the one answering.
    // The rolled-back deployment is checked without `health-expect-body` (it cannot carry the new sha).
    r.input("health-expect-body", "{sha}")
        .input("health-timeout", "1s");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "rolled-back", "{}", run.log());
    let rollback = first_operation(&rw.requests(), "DeploymentRollback");
    assert_eq!(
        rollback.body_json().unwrap()["variables"]["id"],
        "dep-old-web-stg"
    );
    assert_eq!(
        rw.mutations()
            .iter()
            .filter(|m| *m == "DeploymentRollback")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_failed_build_is_not_rolled_back() {
    let rw = fake().await;
    rw.world().script("svc-web", &["BUILDING", "FAILED"]);
    let run = Runner::new(&rw.api_url()).run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "failed");
    assert!(!rw.mutations().contains(&"DeploymentRollback".to_string()));
}
