//! A cancelled run (SIGTERM during the deploy) leaves the GitHub Deployment `error`, never
//! `in_progress`, and the PR comment "cancelled", never "deploying". The test sends SIGTERM to
//! its own process, which the handler under test catches; so that the signal reaches no other
//! test, it re-runs itself alone in a child process of its own (`support::alone`).

use std::time::Duration;

use crate::support::alone::{is_alone, run_alone};
use crate::support::github::{setup, staging_publish};
use railway_deploy::cancel::{CancelGuard, Signal, until_signal};
use railway_deploy::record::{RunReport, ServiceReport};
use railway_deploy::report::publish::Publisher;

#[tokio::test]
async fn sigterm_during_a_deploy_leaves_error_and_a_cancelled_comment() {
    if !is_alone() {
        let name = "sigterm_during_a_deploy_leaves_error_and_a_cancelled_comment";
        return run_alone(module_path!(), name).await;
    }
    let (_server, state, gh, _) = setup().await;

    let mut report = RunReport::new("deploy", "commit", false, chrono::Utc::now());
    report.environment = Some("staging".into());
    report.sha = Some("abc1234def".into());
    report.services.push(ServiceReport::planned("svc-1", "web"));
    let opts = staging_publish("abc1234def", 3);

    let guard = CancelGuard::default();
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
    let pipeline = {
        let guard = guard.clone();
        let (gh, report) = (gh.clone(), report.clone());
        async move {
            let publisher = Publisher::start(&gh, &opts, &report).await;
            guard.arm(publisher);
            guard.update(&report);
            let _ = started_tx.send(());
            // A deploy that never ends on its own.
            std::future::pending::<()>().await;
        }
    };
    let pid = std::process::id().to_string();
    let killer = tokio::spawn(async move {
        // Once the run has published its start, cancel it like the runner does.
        let _ = tokio::time::timeout(Duration::from_secs(10), started_rx).await;
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
    });
    let outcome = until_signal(pipeline).await;
    killer.await.unwrap();
    assert_eq!(outcome, Err(Signal::Terminate));
    assert!(guard.is_armed());
    guard.on_cancel(Signal::Terminate).await;
    assert!(!guard.is_armed());

    let w = state.world.lock().unwrap();
    assert_eq!(
        w.deployments.deployments[0].states(),
        ["in_progress", "error"]
    );
    let comments = w.comments.on_issue(3);
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].body.contains("cancelled"),
        "{}",
        comments[0].body
    );
    assert!(!comments[0].body.contains("Deploying"));
}
