//! The fakes of a preview test (fake Railway with the standard world, fake GitHub) and a runner
//! set up as a `pull_request` workflow running `command: preview` with an account token.

use fakes::Server;
use fakes::github::GitHubState;
use fakes::railway::{FakeRailway, RailwayWorld};
use serde_json::Value;

use super::cli::Runner;
use super::events;
use super::requests::operation_names;

pub struct PreviewFakes {
    pub gh: GitHubState,
    pub gh_server: Server,
    pub rw: FakeRailway,
}

impl PreviewFakes {
    pub async fn start() -> PreviewFakes {
        PreviewFakes::with_world(RailwayWorld::standard()).await
    }

    pub async fn with_world(world: RailwayWorld) -> PreviewFakes {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let gh = GitHubState::default();
        let gh_server = Server::start(fakes::github::router(gh.clone())).await;
        let rw = FakeRailway::start(world).await;
        PreviewFakes { gh, gh_server, rw }
    }

    /// `command: preview` on the `pull_request` payload `event` (e.g. `opened.json`), with the
    /// account token, the project, GitHub Deployments and the comment on (no gate).
    pub fn runner(&self, event: &str) -> Runner {
        let mut r = Runner::new(&self.rw.api_url());
        r.unset("INPUT_RAILWAY-TOKEN")
            .input("railway-api-token", "acct-token")
            .input("project", "proj-1")
            .input("command", "preview")
            .with_github(&self.gh_server.url())
            .input("wait-for-checks", "false")
            .event(
                "pull_request",
                &events::own(&format!("pull_request/{event}")),
            );
        r
    }

    /// The names of the project's environments in the fake, in order.
    pub fn environment_names(&self) -> Vec<String> {
        let w = self.rw.world();
        w.environments.iter().map(|(_, n)| n.clone()).collect()
    }

    /// The id of the environment named `name`, if it exists.
    pub fn environment_id(&self, name: &str) -> Option<String> {
        let w = self.rw.world();
        w.environments
            .iter()
            .find(|(_, n)| n == name)
            .map(|(id, _)| id.clone())
    }

    /// The GraphQL operations sent, in order; then forgets them (for the next run's count).
    pub fn take_operations(&self) -> Vec<String> {
        let ops = operation_names(&self.rw.requests());
        self.rw.state.recorder.clear();
        ops
    }

    /// The GitHub requests (`METHOD path`), in order; then forgets them.
    pub fn take_github(&self) -> Vec<String> {
        let all = self.gh.recorder.all();
        self.gh.recorder.clear();
        all.iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    /// The GitHub Deployments created (their JSON), oldest first.
    pub fn github_deployments(&self) -> Vec<(Value, Vec<String>)> {
        let w = self.gh.world.lock().unwrap();
        w.deployments
            .deployments
            .iter()
            .map(|d| (d.body.clone(), d.states()))
            .collect()
    }

    /// The bodies of the comments on pull request `issue`.
    pub fn comments(&self, issue: u64) -> Vec<String> {
        let w = self.gh.world.lock().unwrap();
        w.comments
            .comments
            .iter()
            .filter(|c| c.issue == issue)
            .map(|c| c.body.clone())
            .collect()
    }
}

/// Adds an environment `name` (`id`) to the world, with instances of both services copied from
/// staging (no domains), ephemeral or not.
pub fn add_environment(world: &mut RailwayWorld, id: &str, name: &str, ephemeral: bool) {
    world.environments.push((id.into(), name.into()));
    if ephemeral {
        world.envs.ephemeral.insert(id.into());
    }
    for svc in ["svc-web", "svc-worker"] {
        let mut i = world.instances[&(svc.to_string(), "env-stg".to_string())].clone();
        i.service_domains.clear();
        world.instances.insert((svc.into(), id.into()), i);
    }
}
