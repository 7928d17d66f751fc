//! The config-to-GitHub glue against the fake GitHub: a tag deploy lower than the last release is
//! refused (unless `allow-downgrade`), the publish options come from the run's context, and the
//! job summary is appended to `GITHUB_STEP_SUMMARY`.

use fakes::Server;
use fakes::github::GitHubState;
use railway_deploy::config::{Config, LoadError};
use railway_deploy::github::GitHub;
use railway_deploy::pipeline::github_run::{GitHubRun, publish_options, write_summary};
use railway_deploy::record::{RunReport, RunStatus};
use railway_deploy::report::publish::Publisher;
use serde_json::json;

fn config(api: &str, extra: &[(&str, &str)]) -> Config {
    let mut pairs: Vec<(String, String)> = [
        ("INPUT_RAILWAY-TOKEN", "tok-secret"),
        ("INPUT_SERVICE", "web"),
        ("INPUT_SOURCE", "commit"),
        ("INPUT_GITHUB-TOKEN", "gh-token"),
        ("GITHUB_EVENT_NAME", "push"),
        ("GITHUB_REF", "refs/tags/v1.2.0"),
        ("GITHUB_REF_NAME", "v1.2.0"),
        ("GITHUB_REF_TYPE", "tag"),
        ("GITHUB_SHA", "abc1234def"),
        ("GITHUB_REPOSITORY", "o/r"),
        ("GITHUB_RUN_ID", "77"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_API_URL", api),
        ("RAILWAY_DEPLOY_TIME_SCALE", "0.001"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        pairs.retain(|(n, _)| n != k);
        pairs.push((k.to_string(), v.to_string()));
    }
    let env = move |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    match Config::load(["railway-deploy".to_string()], env) {
        Ok(c) => c,
        Err(LoadError::Input(e)) => panic!("{e}"),
        Err(LoadError::Usage(e)) => panic!("{e}"),
    }
}

async fn github() -> (Server, GitHubState) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let state = GitHubState::default();
    let server = Server::start(fakes::github::router(state.clone())).await;
    (server, state)
}

#[tokio::test]
async fn a_tag_lower_than_the_last_release_is_refused_unless_allowed() {
    let (server, state) = github().await;
    state.world.lock().unwrap().deployments.seed(
        "production",
        "old",
        json!({"version": "1.3.0"}),
        &["in_progress", "success"],
    );
    let cfg = config(&server.url(), &[]);
    let run = GitHubRun::new(&cfg);
    let err = run.guard_release(&cfg, "production").await.unwrap_err();
    assert!(
        err.contains("1.3.0") && err.contains("allow-downgrade"),
        "{err}"
    );

    let allowed = config(&server.url(), &[("INPUT_ALLOW-DOWNGRADE", "true")]);
    assert_eq!(
        GitHubRun::new(&allowed)
            .guard_release(&allowed, "production")
            .await,
        Ok(())
    );
    // A branch push is not a release: no guard, no request.
    state.recorder.clear();
    let branch = config(
        &server.url(),
        &[
            ("GITHUB_REF", "refs/heads/main"),
            ("GITHUB_REF_NAME", "main"),
            ("GITHUB_REF_TYPE", "branch"),
        ],
    );
    assert_eq!(
        GitHubRun::new(&branch)
            .guard_release(&branch, "staging")
            .await,
        Ok(())
    );
    assert_eq!(state.recorder.count(), 0);
}

#[tokio::test]
async fn publish_options_come_from_the_run_context() {
    let (server, _state) = github().await;
    let cfg = config(&server.url(), &[]);
    let opts = GitHubRun::new(&cfg)
        .publish_options(&cfg, "production")
        .unwrap();
    assert_eq!(opts.sha, "abc1234def");
    assert!(opts.production);
    assert_eq!(
        opts.run_url.as_deref(),
        Some("https://github.com/o/r/actions/runs/77")
    );
    assert_eq!(opts.event_pull, None);
    assert!(opts.github_deployment && opts.comment);
}

#[tokio::test]
async fn a_started_run_records_a_deployment_and_the_summary_is_appended() {
    let (server, state) = github().await;
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let cfg = config(
        &server.url(),
        &[("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())],
    );
    let mut report = RunReport::new("deploy", "commit", false, chrono::Utc::now());
    report.environment = Some("production".into());
    report.version = cfg.version();
    // What the report step (`stages::publish`) does with the run's GitHub client.
    let gh = GitHub::new(
        &cfg.github.api_url,
        cfg.github_token.as_ref().unwrap(),
        cfg.github.repository.as_deref().unwrap(),
        cfg.timing,
    )
    .unwrap();
    let opts = publish_options(&cfg, "production").unwrap();
    let publisher = Publisher::start(&gh, &opts, &report).await;
    assert!(publisher.deployment_id().is_some());
    report.status = RunStatus::Success;
    publisher.finish(&report).await;
    write_summary(&cfg, &report);

    let w = state.world.lock().unwrap();
    let d = &w.deployments.deployments[0];
    assert_eq!(d.states(), ["in_progress", "success"]);
    assert_eq!(d.body["payload"]["version"], "1.2.0");
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("earlier step\n## ✅ Deployed `1.2.0` to **production**"),
        "{text}"
    );
    assert!(!text.contains("gh-token") && !text.contains("tok-secret"));
}
