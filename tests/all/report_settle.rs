//! Every ending of a run settles what it published exactly once: a finished run writes its
//! outcome, and an internal error writes `error` with a failed comment.

use crate::support::github::{setup, staging_publish};
use fakes::Server;
use fakes::github::GitHubState;
use railway_deploy::cancel::CancelGuard;
use railway_deploy::record::Ending;
use railway_deploy::record::{RunReport, RunStatus};
use railway_deploy::report::publish::Publisher;

async fn armed() -> (Server, GitHubState, CancelGuard, RunReport) {
    let (server, state, gh, _) = setup().await;
    let mut report = RunReport::new("deploy", "commit", false, chrono::Utc::now());
    report.environment = Some("staging".into());
    let opts = staging_publish("abc", 4);
    let guard = CancelGuard::default();
    guard.arm(Publisher::start(&gh, &opts, &report).await);
    guard.update(&report);
    (server, state, guard, report)
}

fn outcome(state: &GitHubState) -> (Vec<String>, String) {
    let w = state.world.lock().unwrap();
    (
        w.deployments.deployments[0].states(),
        w.comments.on_issue(4)[0].body.clone(),
    )
}

#[tokio::test]
async fn a_finished_run_writes_its_outcome_once() {
    let (_server, state, guard, mut report) = armed().await;
    report.status = RunStatus::Success;
    let ending = Ending::Finished(Box::new(report));
    guard.settle(&ending).await;
    guard.settle(&ending).await;
    let (states, comment) = outcome(&state);
    assert_eq!(states, ["in_progress", "success"]);
    assert!(comment.contains("✅ Deployed"), "{comment}");
}

#[tokio::test]
async fn an_internal_error_writes_error_and_a_failed_comment() {
    let (_server, state, guard, _report) = armed().await;
    guard
        .settle(&Ending::Broken("the Railway client panicked".into()))
        .await;
    let (states, comment) = outcome(&state);
    assert_eq!(states, ["in_progress", "error"]);
    assert!(comment.contains("the Railway client panicked"), "{comment}");
    assert!(!comment.contains("Deploying"));
}
