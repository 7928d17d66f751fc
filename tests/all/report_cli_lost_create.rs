//! The built binary, when GitHub creates the run's Deployment but its answer never comes back
//! (the fake holds it until the client gives up): a SIGTERM while the answer is held, and a run
//! that goes on after the answer was lost, both find the Deployment GitHub created and end it
//! (`error` when cancelled, the run's own final state otherwise), and leave another run's
//! Deployment of the same commit, environment and service set untouched.

use std::time::{Duration, Instant};

use fakes::Server;
use fakes::github::GitHubState;
use fakes::github::deployments::{CreateMode, now_rfc3339};
use fakes::railway::{FakeRailway, RailwayWorld};
use serde_json::json;

use crate::support::cli::Runner;

const SHA: &str = "abc1234def5678abc1234def5678abc1234def56";

/// Adds another run's Deployment of `SHA` to `environment` with `task`, created now and still
/// `in_progress`; returns its id.
fn another_runs_deployment(github: &GitHubState, environment: &str, task: &str) -> u64 {
    let mut w = github.world.lock().unwrap();
    let payload = json!({"tool": "railway-deploy", "sha": SHA, "create_key": "another-run"});
    let id = w
        .deployments
        .seed(environment, SHA, payload, &["in_progress"]);
    let d = w.deployments.deployments.last_mut().unwrap();
    d.body["task"] = json!(task);
    d.body["created_at"] = json!(now_rfc3339());
    id
}

fn runner(railway: &FakeRailway, github: &Server) -> Runner {
    let mut r = Runner::new(&railway.api_url());
    r.with_github(&github.url())
        .input("wait-for-checks", "false")
        .input("comment", "false");
    r
}

#[tokio::test]
async fn sigterm_while_the_create_answer_is_held_ends_the_created_deployment_with_error() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let railway = FakeRailway::start(RailwayWorld::standard()).await;
    let github = GitHubState::default();
    github.world.lock().unwrap().deployments.mode = CreateMode::AnswerHeld;
    let gh_server = Server::start(fakes::github::router(github.clone())).await;
    let r = runner(&railway, &gh_server);
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_railway-deploy"))
        .env_clear()
        .envs(r.environment())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();

    // Wait until GitHub has created the Deployment (its answer is held), then cancel the run.
    let deadline = Instant::now() + Duration::from_secs(30);
    let (ours, environment, task) = loop {
        let created = {
            let w = github.world.lock().unwrap();
            w.deployments.deployments.first().map(|d| {
                (
                    d.id,
                    d.body["environment"].as_str().unwrap().to_string(),
                    d.body["task"].as_str().unwrap().to_string(),
                )
            })
        };
        if let Some(created) = created {
            break created;
        }
        assert!(
            Instant::now() < deadline,
            "the run never created a Deployment"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    // Another run of the same commit, environment and services, newer than ours.
    let other = another_runs_deployment(&github, &environment, &task);
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
    let find = |id| {
        w.deployments
            .deployments
            .iter()
            .find(|d| d.id == id)
            .unwrap()
    };
    assert_eq!(find(ours).states(), ["error"]);
    assert_eq!(find(other).states(), ["in_progress"]);
}

#[tokio::test]
async fn a_lost_create_answer_is_found_and_ended_with_the_runs_ending() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let railway = FakeRailway::start(RailwayWorld::standard()).await;
    let github = GitHubState::default();
    github.world.lock().unwrap().deployments.mode = CreateMode::AnswerHeld;
    let gh_server = Server::start(fakes::github::router(github.clone())).await;
    let other = another_runs_deployment(&github, "staging", "deploy:web");

    let run = runner(&railway, &gh_server).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("::warning") && l.contains("may have created it")),
        "{}",
        run.log()
    );

    let w = github.world.lock().unwrap();
    let ours: Vec<_> = w
        .deployments
        .deployments
        .iter()
        .filter(|d| d.id != other)
        .collect();
    assert_eq!(ours.len(), 1, "{:?}", w.deployments.deployments);
    assert_eq!(ours[0].body["environment"], "staging");
    assert_eq!(ours[0].body["task"], "deploy:web");
    assert_eq!(ours[0].states(), ["success"]);
    let other = w.deployments.deployments.iter().find(|d| d.id == other);
    assert_eq!(other.unwrap().states(), ["in_progress"]);
}
