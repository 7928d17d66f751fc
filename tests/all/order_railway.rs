//! `source: railway`: nothing is triggered; the deployment Railway's own autodeploy makes of the
//! commit is awaited, then followed and reported like any other. "Wait for CI" on that trigger
//! (or no autodeploy of the branch) is refused before waiting; with another source, an autodeploy
//! of the pushed branch is warned about.

use crate::support::cli::Runner;
use crate::support::secrets::assert_no_token;
use fakes::railway::{FakeRailway, RailwayWorld};

const SHA: &str = "abc1234def5678abc1234def5678abc1234def56";

async fn fake(check_suites: Option<bool>) -> FakeRailway {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    if let Some(ci) = check_suites {
        rw.world().add_trigger("svc-web", "env-stg", "main", ci);
    }
    rw
}

fn railway_source(rw: &FakeRailway) -> Runner {
    let mut r = Runner::new(&rw.api_url());
    r.input("source", "railway");
    r
}

#[tokio::test]
async fn railways_own_deployment_of_the_commit_is_awaited_and_followed() {
    let rw = fake(Some(false)).await;
    // Listed once by resolution, then twice more while the run waits.
    rw.world().autodeploy_after("svc-web", "env-stg", SHA, 4);
    let run = railway_source(&rw).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "success");
    let id = run.output("deployment-id");
    assert!(id.starts_with("dep-new-"), "{id}");
    assert_eq!(
        rw.world()
            .deployment(id)
            .map(|d| d.meta["commitHash"].clone()),
        Some(serde_json::json!(SHA))
    );
    assert!(
        run.log()
            .contains("waiting for Railway's autodeploy to make a deployment of commit abc1234"),
        "{}",
        run.log()
    );
    assert!(rw.mutations().is_empty(), "{:?}", rw.mutations());
    let lists = crate::support::requests::operation_bodies(&rw.requests(), "Deployments").len();
    assert!(lists >= 4, "{lists}");
    assert_eq!(run.output("previous-deployment-id"), "dep-old-web-stg");
    assert_no_token(&run);
}

#[tokio::test]
async fn wait_for_ci_on_the_trigger_is_refused_before_waiting() {
    let rw = fake(Some(true)).await;
    let run = railway_source(&rw).run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(
        run.log()
            .contains("Railway's \"Wait for CI\" is on for branch `main` of `web` in `staging`"),
        "{}",
        run.log()
    );
    assert!(
        run.log().contains("`wait-for-checks`) replaces it"),
        "{}",
        run.log()
    );
    assert!(rw.mutations().is_empty());
}

#[tokio::test]
async fn no_autodeploy_of_the_branch_is_refused() {
    let rw = fake(None).await;
    let run = railway_source(&rw).run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(
        run.log()
            .contains("Railway's autodeploy is not on for branch `main`"),
        "{}",
        run.log()
    );
}

#[tokio::test]
async fn a_deployment_railway_never_makes_fails_after_the_deploy_timeout() {
    let rw = fake(Some(false)).await;
    let mut r = railway_source(&rw);
    r.input("deploy-timeout", "1s");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(
        run.log().contains("Railway made no deployment of commit"),
        "{}",
        run.log()
    );
    assert!(rw.mutations().is_empty());
}

#[tokio::test]
async fn another_source_warns_that_railway_deploys_the_commit_too() {
    let rw = fake(Some(false)).await;
    let run = Runner::new(&rw.api_url()).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stdout.contains("::warning::Railway's own autodeploy is on for branch `main` of `web` in `staging`, so Railway deploys this commit as well"),
        "{}",
        run.stdout
    );
    assert_eq!(rw.mutations(), vec!["ServiceInstanceDeployV2"]);
}
