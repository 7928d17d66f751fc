//! The built binary, cancelled by SIGTERM in the middle of a deploy (as the runner cancels a job),
//! leaves the GitHub Deployment `error` (never `in_progress`) and the PR comment "cancelled"
//! (never "deploying"), and exits 1. The report step (`stages::publish`) arms the `CancelGuard`.

use std::time::{Duration, Instant};

use fakes::Server;
use fakes::github::GitHubState;
use fakes::railway::{FakeRailway, RailwayWorld};

const SHA: &str = "abc1234def5678abc1234def5678abc1234def56";

#[tokio::test]

async fn sigterm_during_a_deploy_leaves_error_and_a_cancelled_comment() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut world = RailwayWorld::standard();
    // The build never finishes on its own.
    world.script("svc-web", &["BUILDING"]);
    let railway = FakeRailway::start(world).await;
    let github = GitHubState::default();
    github
        .world
        .lock()
        .unwrap()
        .comments
        .pulls_by_sha
        .insert(SHA.into(), vec![12]);
    let gh_server = Server::start(fakes::github::router(github.clone())).await;
    let dir = tempfile::tempdir().unwrap();
    let event = dir.path().join("event.json");
    std::fs::write(
        &event,
        format!(r#"{{"ref":"refs/heads/main","after":"{SHA}"}}"#),
    )
    .unwrap();

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_railway-deploy"))
        .env_clear()
        .envs([
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_REF", "refs/heads/main"),
            ("GITHUB_SHA", SHA),
            ("GITHUB_REPOSITORY", "acme/shop"),
            ("GITHUB_RUN_ID", "4242"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_API_URL", &gh_server.url()),
            ("INPUT_RAILWAY-API-URL", &railway.api_url()),
            ("INPUT_RAILWAY-TOKEN", "tok-staging"),
            ("INPUT_GITHUB-TOKEN", "gh-token"),
            ("INPUT_SERVICE", "web"),
            ("INPUT_SOURCE", "commit"),
            ("INPUT_WAIT-FOR-CHECKS", "false"),
            ("RAILWAY_DEPLOY_TIME_SCALE", "0.001"),
        ])
        .env("GITHUB_EVENT_PATH", &event)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();

    // Wait until the run has said "deploying" on GitHub, then cancel it.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let started = {
            let w = github.world.lock().unwrap();
            w.deployments
                .deployments
                .first()
                .is_some_and(|d| d.states() == ["in_progress"])
                && !w.comments.on_issue(12).is_empty()
        };
        if started {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the run never started publishing"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits within the runner's grace period")
        .unwrap();
    assert_eq!(status.code(), Some(1));

    let w = github.world.lock().unwrap();
    assert_eq!(
        w.deployments.deployments[0].states(),
        ["in_progress", "error"]
    );
    let comment = &w.comments.on_issue(12)[0].body;
    assert!(comment.contains("cancelled"), "{comment}");
    assert!(!comment.contains("Deploying"), "{comment}");
}
