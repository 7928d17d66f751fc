//! A preview run however it ends leaves nothing `in_progress` on GitHub and no comment saying
//! "deploying": cancelled (SIGTERM) while Railway copies the environment (the answer never
//! comes) or while the preview builds, and a preview whose deploy fails.

use std::time::{Duration, Instant};

use crate::support::cli::Runner;
use crate::support::preview::PreviewFakes;
use fakes::railway::RailwayWorld;

/// Runs `r` as the runner does, sends SIGTERM once `ready` holds, and returns the exit code.
async fn cancel_when(r: &Runner, f: &PreviewFakes, ready: impl Fn(&PreviewFakes) -> bool) -> i32 {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_railway-deploy"));
    cmd.env_clear()
        .envs(r.environment())
        .env("GITHUB_OUTPUT", r.dir.path().join("output"))
        .env("GITHUB_STEP_SUMMARY", r.dir.path().join("summary.md"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready(f) {
        assert!(Instant::now() < deadline, "the run never got there");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // No settling pause: what `ready` sees on the fakes is enough (the report step arms the
    // cancel guard before each GitHub write it makes, see `stages::publish`).
    let pid = child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits within the runner's grace period")
        .unwrap();
    status.code().unwrap_or(-1)
}

fn nothing_left_deploying(f: &PreviewFakes) {
    for (_, states) in f.github_deployments() {
        assert_ne!(
            states.last().map(String::as_str),
            Some("in_progress"),
            "{states:?}"
        );
    }
    for c in f.comments(2) {
        assert!(!c.contains("Deploying"), "{c}");
    }
}

#[tokio::test]
async fn cancelled_while_railway_copies_the_environment() {
    let mut world = RailwayWorld::standard();
    world.envs.stall_create = true;
    let f = PreviewFakes::with_world(world).await;
    let r = f.runner("opened.json");
    let sent = |f: &PreviewFakes| {
        crate::support::requests::operation_names(&f.rw.requests())
            .iter()
            .any(|o| o == "EnvironmentCreate")
    };
    let code = cancel_when(&r, &f, sent).await;
    assert_eq!(code, 1);
    nothing_left_deploying(&f);
}

#[tokio::test]
async fn cancelled_while_the_preview_builds() {
    let mut world = RailwayWorld::standard();
    world.script("svc-web", &["BUILDING"]);
    let f = PreviewFakes::with_world(world).await;
    let r = f.runner("opened.json");
    let building = |f: &PreviewFakes| {
        f.github_deployments()
            .first()
            .is_some_and(|(_, s)| s == &["in_progress"])
            && !f.comments(2).is_empty()
    };
    let code = cancel_when(&r, &f, building).await;
    assert_eq!(code, 1);
    let deployments = f.github_deployments();
    assert_eq!(deployments[0].1, ["in_progress", "error"]);
    assert!(
        f.comments(2)[0].contains("cancelled"),
        "{}",
        f.comments(2)[0]
    );
    nothing_left_deploying(&f);
}

#[tokio::test]
async fn a_preview_whose_deploy_fails_ends_its_reports() {
    let mut world = RailwayWorld::standard();
    world.script("svc-web", &["QUEUED", "BUILDING", "FAILED"]);
    let f = PreviewFakes::with_world(world).await;
    let run = f.runner("opened.json").run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "failed");
    assert_eq!(run.output("environment"), "pr-2");
    let deployments = f.github_deployments();
    assert_eq!(deployments.len(), 1);
    assert_eq!(deployments[0].1.last().map(String::as_str), Some("failure"));
    nothing_left_deploying(&f);
    assert_eq!(f.comments(2).len(), 1);
}
