//! Never moving a service back in history: the served commit (Railway's `meta.commitHash`, else
//! the environment's last successful GitHub Deployment) compared with the run's on GitHub;
//! `behind` skips the service unless `allow-downgrade`; diverged and unknown commits deploy.

use crate::support::cli::{GITHUB_TOKEN, Run, Runner};
use crate::support::secrets::assert_no_token;
use fakes::Server;
use fakes::github::GitHubState;
use fakes::railway::{FakeRailway, RailwayWorld};
use serde_json::json;

const SHA: &str = "abc1234def5678abc1234def5678abc1234def56";
const NEWER: &str = "fff0000aaaa1111bbbb2222cccc3333dddd4444e";

struct Fakes {
    gh: GitHubState,
    gh_server: Server,
    rw: FakeRailway,
}

impl Fakes {
    /// `web` and `worker` in staging serve deployments of `web_served` / `worker_served`.
    async fn start(web_served: Option<&str>, worker_served: Option<&str>) -> Fakes {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let gh = GitHubState::default();
        let gh_server = Server::start(fakes::github::router(gh.clone())).await;
        let rw = FakeRailway::start(RailwayWorld::standard()).await;
        for (id, served) in [
            ("dep-old-web-stg", web_served),
            ("dep-old-worker-stg", worker_served),
        ] {
            if let (Some(sha), Some(d)) = (served, rw.world().deployment_mut(id)) {
                d.meta = json!({ "commitHash": sha });
            }
        }
        Fakes { gh, gh_server, rw }
    }

    fn compare(&self, base: &str, status: &str) {
        self.gh
            .world
            .lock()
            .unwrap()
            .compare
            .script(base, SHA, status, &[]);
    }

    /// Deploys with GitHub reachable (no gate, Deployment or comment).
    fn runner(&self) -> Runner {
        let mut r = Runner::new(&self.rw.api_url());
        r.set("GITHUB_API_URL", &self.gh_server.url())
            .input("github-token", GITHUB_TOKEN);
        r
    }

    fn compares(&self) -> Vec<String> {
        self.gh
            .recorder
            .all()
            .into_iter()
            .map(|r| r.path)
            .filter(|p| p.contains("/compare/"))
            .collect()
    }

    fn deployed(&self) -> Vec<String> {
        crate::support::requests::operation_bodies(&self.rw.requests(), "ServiceInstanceDeployV2")
            .iter()
            .map(|b| {
                b["variables"]["serviceId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    }
}

fn state_of(run: &Run, service: &str) -> String {
    let all: serde_json::Value = serde_json::from_str(run.output("deployments")).unwrap();
    let s = all
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == service)
        .unwrap();
    s["state"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_older_commit_is_skipped_and_the_run_is_skipped() {
    let f = Fakes::start(Some(NEWER), None).await;
    f.compare(NEWER, "behind");
    let run = f.runner().run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "skipped");
    assert!(f.rw.mutations().is_empty(), "{:?}", f.rw.mutations());
    let notice = "::notice::commit abc1234 is older than commit fff0000 that `web` serves in `staging` (its serving deployment in Railway); left as it is";
    assert!(run.stdout.contains(notice), "{}", run.stdout);
    assert_eq!(state_of(&run, "web"), "skipped");
    assert!(run.summary.contains("⏭️ skipped"), "{}", run.summary);
    assert!(
        run.summary.contains("| Skipped | commit abc1234 is older"),
        "{}",
        run.summary
    );
    assert_eq!(
        f.compares(),
        [format!("/repos/acme/shop/compare/{NEWER}...{SHA}")]
    );
    assert_no_token(&run);
}

#[tokio::test]
async fn allow_downgrade_deploys_the_older_commit_with_a_notice() {
    let f = Fakes::start(Some(NEWER), None).await;
    f.compare(NEWER, "behind");
    let mut r = f.runner();
    r.input("allow-downgrade", "true");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "success");
    assert_eq!(f.deployed(), ["svc-web"]);
    assert!(
        run.stdout
            .contains("deploying it anyway (`allow-downgrade: true`)"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn only_the_service_behind_is_skipped_and_one_compare_serves_each_served_commit() {
    let f = Fakes::start(Some(NEWER), Some("0ld0000")).await;
    f.compare(NEWER, "behind");
    f.compare("0ld0000", "ahead");
    let mut r = f.runner();
    r.input("service", "web\nworker");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "success");
    assert_eq!(f.deployed(), ["svc-worker"]);
    assert_eq!(state_of(&run, "web"), "skipped");
    assert_eq!(state_of(&run, "worker"), "deployed");
    assert_eq!(f.compares().len(), 2, "{:?}", f.compares());
}

#[tokio::test]
async fn diverged_identical_and_unknown_commits_deploy() {
    for status in ["diverged", "identical", "ahead", "unknown to GitHub"] {
        let f = Fakes::start(Some(NEWER), None).await;
        if status != "unknown to GitHub" {
            f.compare(NEWER, status);
        }
        let run = f.runner().run().await;
        assert_eq!(run.code, 0, "{status}: {}", run.log());
        assert_eq!(run.output("status"), "success", "{status}");
        assert_eq!(f.deployed(), ["svc-web"], "{status}");
        assert_eq!(f.compares().len(), 1, "{status}");
    }
}

#[tokio::test]
async fn without_a_commit_in_railway_the_last_successful_github_deployment_is_the_served_one() {
    let f = Fakes::start(None, None).await;
    {
        let mut w = f.gh.world.lock().unwrap();
        w.deployments
            .seed("staging", NEWER, json!({}), &["in_progress", "success"]);
        if let Some(d) = w.deployments.deployments.last_mut() {
            d.statuses[1]["log_url"] = json!("https://github.com/acme/shop/actions/runs/77");
        }
        w.deployments
            .seed("staging", "failed0", json!({}), &["failure"]);
    }
    f.compare(NEWER, "behind");
    let run = f.runner().run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "skipped");
    assert!(
        run.stdout.contains(
            "(the last successful GitHub Deployment of the environment, by run https://github.com/acme/shop/actions/runs/77)"
        ),
        "{}",
        run.stdout
    );
    assert!(f.rw.mutations().is_empty());
}

#[tokio::test]
async fn a_first_deploy_and_an_image_deploy_compare_nothing() {
    let f = Fakes::start(None, None).await;
    let run = f.runner().run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(f.compares().is_empty());
    let mut r = f.runner();
    r.input("source", "image")
        .input("image", "ghcr.io/acme/web:2");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(f.compares().is_empty());
}
