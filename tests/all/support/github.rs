//! The fake GitHub of one test and a client of this crate pointed at it (repository `o/r`), with
//! the time scale the tests use.

use fakes::Server;
use fakes::github::GitHubState;
use railway_deploy::github::GitHub;
use railway_deploy::report::publish::PublishOptions;
use railway_deploy::secret::Secret;
use railway_deploy::timing::Timing;

/// Starts a fake GitHub; returns its server (keep it alive), its state, a client and a timing.
pub async fn setup() -> (Server, GitHubState, GitHub, Timing) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let state = GitHubState::default();
    let server = Server::start(fakes::github::router(state.clone())).await;
    let t = Timing::from_env_value(Some("0.001"));
    let gh = GitHub::new(&server.url(), &Secret::new("t"), "o/r", t).expect("a GitHub client");
    (server, state, gh, t)
}

/// What a run deploying commit `sha` to `staging` for pull request `pull` publishes: a GitHub
/// Deployment and the sticky comment.
pub fn staging_publish(sha: &str, pull: u64) -> PublishOptions {
    PublishOptions {
        sha: sha.into(),
        environment: "staging".into(),
        production: false,
        transient: false,
        run_url: None,
        event_pull: Some(pull),
        github_deployment: true,
        comment: true,
    }
}
