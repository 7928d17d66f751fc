//! GitHub Deployments against the fake GitHub: the create request, the status sequences
//! (in_progress → success / failure / error), `environment_url`, and the 202, 409 and 403 replies.

use crate::support::github::setup;
use fakes::github::GitHubState;
use fakes::github::deployments::CreateMode;
use railway_deploy::github::deployments::{DeploymentStart, DeploymentTracker};
use railway_deploy::record::{RunReport, RunStatus, ServiceReport, ServiceState};
use railway_deploy::report::deployment;

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

fn report(status: RunStatus) -> RunReport {
    let mut r = RunReport::new("deploy", "commit", false, chrono::Utc::now());
    r.status = status;
    r.environment = Some("production".into());
    r.version = Some("1.2.3".into());
    let mut s = ServiceReport::planned("svc-1", "web");
    s.state = ServiceState::Deployed;
    s.deployment_id = Some("dep-new".into());
    s.previous_deployment_id = Some("dep-old".into());
    s.url = Some("https://web.up.railway.app".into());
    r.services.push(s);
    r
}

fn start() -> DeploymentStart {
    DeploymentStart {
        sha: SHA.into(),
        environment: "production".into(),
        production: true,
        transient: false,
        log_url: Some("https://github.com/o/r/actions/runs/42".into()),
    }
}

fn states(state: &GitHubState) -> Vec<String> {
    let w = state.world.lock().unwrap();
    assert_eq!(w.deployments.deployments.len(), 1);
    w.deployments.deployments[0].states()
}

fn statuses(state: &GitHubState) -> Vec<serde_json::Value> {
    state
        .recorder
        .all()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/statuses"))
        .map(|r| r.body_json().unwrap())
        .collect()
}

#[tokio::test]
async fn a_successful_run_goes_in_progress_then_success_with_the_service_url() {
    let (_server, state, gh, _) = setup().await;
    let t = DeploymentTracker::start(
        &gh,
        &start(),
        &deployment::opening(&report(RunStatus::Skipped), &start().sha),
    )
    .await
    .expect("a deployment");
    assert_eq!(states(&state), ["in_progress"]);
    t.finish(&deployment::final_status(&report(RunStatus::Success)))
        .await;
    assert_eq!(states(&state), ["in_progress", "success"]);

    let create = state
        .recorder
        .all()
        .into_iter()
        .find(|r| r.method == "POST" && r.path == "/repos/o/r/deployments")
        .unwrap()
        .body_json()
        .unwrap();
    assert_eq!(create["ref"], SHA);
    assert_eq!(create["environment"], "production");
    assert_eq!(create["auto_merge"], false);
    assert_eq!(create["required_contexts"], serde_json::json!([]));
    assert_eq!(create["production_environment"], true);
    assert_eq!(create["transient_environment"], false);
    assert_eq!(create["payload"]["version"], "1.2.3");
    assert_eq!(create["payload"]["services"][0]["name"], "web");
    assert_eq!(create["payload"]["services"][0]["deployment_id"], "dep-new");

    let st = statuses(&state);
    assert_eq!(st[0]["log_url"], "https://github.com/o/r/actions/runs/42");
    assert!(st[0].get("environment_url").is_none());
    assert_eq!(st[1]["state"], "success");
    assert_eq!(st[1]["environment_url"], "https://web.up.railway.app");
    // Older Deployments are made inactive per service set (github::keyed), not by GitHub.
    assert_eq!(st[1]["auto_inactive"], false);
    assert_eq!(create["task"], "deploy:web");
    assert_eq!(st[1]["log_url"], "https://github.com/o/r/actions/runs/42");
    assert!(st[1]["description"].as_str().unwrap().contains("dep-new"));
}

#[tokio::test]
async fn failed_and_rolled_back_runs_end_in_failure_without_an_environment_url() {
    for status in [RunStatus::Failed, RunStatus::RolledBack] {
        let (_server, state, gh, _) = setup().await;
        let t = DeploymentTracker::start(
            &gh,
            &start(),
            &deployment::opening(&report(status), &start().sha),
        )
        .await
        .unwrap();
        let mut r = report(status);
        r.failure = Some("health check failed: 502".into());
        t.finish(&deployment::final_status(&r)).await;
        assert_eq!(states(&state), ["in_progress", "failure"], "{status:?}");
        assert!(statuses(&state)[1].get("environment_url").is_none());
    }
}

#[tokio::test]
async fn an_action_error_ends_in_error() {
    let (_server, state, gh, _) = setup().await;
    let t = DeploymentTracker::start(
        &gh,
        &start(),
        &deployment::opening(&report(RunStatus::Failed), &start().sha),
    )
    .await
    .unwrap();
    t.finish_error("internal error: the Railway client crashed")
        .await;
    assert_eq!(states(&state), ["in_progress", "error"]);
}

#[tokio::test]
async fn auto_merge_202_conflict_409_and_read_only_403_track_nothing() {
    for mode in [
        CreateMode::AutoMerged,
        CreateMode::Conflict,
        CreateMode::Forbidden,
    ] {
        let (_server, state, gh, _) = setup().await;
        state.world.lock().unwrap().deployments.mode = mode;
        let t = DeploymentTracker::start(
            &gh,
            &start(),
            &deployment::opening(&report(RunStatus::Success), &start().sha),
        )
        .await;
        assert!(t.is_none(), "{mode:?}");
        assert!(statuses(&state).is_empty(), "{mode:?}");
        // A refused POST is never repeated.
        assert_eq!(state.recorder.count(), 1, "{mode:?}");
    }
}
