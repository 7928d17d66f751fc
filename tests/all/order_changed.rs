//! `only-changed`: from GitHub's comparison of the served commit with the new one (its files, on
//! the first page only, at most 300; the same request the history check uses), a service deploys
//! when a changed file matches its Railway watch patterns, else lies under its root directory;
//! the others are reported `skipped`, with no deploy mutation. A list of 300 files may be cut
//! short: then every service deploys, with a notice.

use crate::support::cli::{GITHUB_TOKEN, Run, Runner};
use crate::support::requests::operation_bodies;
use fakes::Server;
use fakes::github::GitHubState;
use fakes::railway::{FakeRailway, RailwayWorld};
use serde_json::json;

const SHA: &str = "abc1234def5678abc1234def5678abc1234def56";
const SERVED: &str = "0001111222233334444555566667777888899990";

struct Fakes {
    gh: GitHubState,
    gh_server: Server,
    rw: FakeRailway,
}

/// `web` watches `/web/**` (not its docs); `worker` builds from `worker/`. Both serve [`SERVED`].
async fn start(files: &[&str]) -> Fakes {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let gh = GitHubState::default();
    let gh_server = Server::start(fakes::github::router(gh.clone())).await;
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    {
        let mut w = rw.world();
        for id in ["dep-old-web-stg", "dep-old-worker-stg"] {
            if let Some(d) = w.deployment_mut(id) {
                d.meta = json!({ "commitHash": SERVED });
            }
        }
        let key = |s: &str| (s.to_string(), "env-stg".to_string());
        if let Some(i) = w.instances.get_mut(&key("svc-web")) {
            i.watch_patterns = vec!["/web/**".into(), "!/web/docs/**".into()];
        }
        if let Some(i) = w.instances.get_mut(&key("svc-worker")) {
            i.root_directory = Some("/worker".into());
        }
    }
    gh.world
        .lock()
        .unwrap()
        .compare
        .script(SERVED, SHA, "ahead", files);
    Fakes { gh, gh_server, rw }
}

impl Fakes {
    fn run(&self, extra: &[(&str, &str)]) -> Runner {
        let mut r = Runner::new(&self.rw.api_url());
        r.set("GITHUB_API_URL", &self.gh_server.url())
            .input("github-token", GITHUB_TOKEN)
            .input("service", "web\nworker")
            .input("only-changed", "true");
        for (k, v) in extra {
            r.input(k, v);
        }
        r
    }

    /// The services deployed, sorted: the run deploys them concurrently, so the order in which
    /// their requests arrive is not fixed.
    fn deployed(&self) -> Vec<String> {
        let mut ids: Vec<String> = operation_bodies(&self.rw.requests(), "ServiceInstanceDeployV2")
            .iter()
            .map(|b| {
                b["variables"]["serviceId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        ids.sort();
        ids
    }

    fn compares(&self) -> Vec<String> {
        self.gh
            .recorder
            .all()
            .into_iter()
            .filter(|r| r.path.contains("/compare/"))
            .map(|r| format!("{}?{}", r.path, r.query.unwrap_or_default()))
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
async fn only_the_service_whose_files_changed_is_deployed() {
    let f = start(&["web/src/app.ts", "web/docs/guide.md", "README.md"]).await;
    let run = f.run(&[]).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "success");
    assert_eq!(f.deployed(), ["svc-web"]);
    assert_eq!(state_of(&run, "worker"), "skipped");
    assert!(
        run.stdout.contains(
            "`only-changed`: deploying `web`: `web/src/app.ts` matches its watch patterns"
        ),
        "{}",
        run.stdout
    );
    let reason = "`only-changed`: nothing of `worker` changed since commit 0001111 it serves in `staging` (none of the 3 changed file(s) lies under its root directory `worker/`)";
    assert!(
        run.stdout.contains(&format!("::notice::{reason}")),
        "{}",
        run.stdout
    );
    assert!(
        run.summary.contains(&format!("| Skipped | {reason} |")),
        "{}",
        run.summary
    );
    // One comparison for both services (and both checks).
    assert_eq!(
        f.compares(),
        [format!(
            "/repos/acme/shop/compare/{SERVED}...{SHA}?per_page=100"
        )]
    );
}

/// GitHub lists a comparison's files on its first page only; later pages page the commits. One
/// request reads them all, even with three pages of commits.
#[tokio::test]
async fn the_files_of_the_first_page_are_all_read_in_one_request() {
    let mut files: Vec<String> = (0..250).map(|i| format!("docs/{i}.md")).collect();
    files.push("worker/main.go".into());
    let names: Vec<&str> = files.iter().map(String::as_str).collect();
    let f = start(&names).await;
    f.gh.world.lock().unwrap().compare.commits = 250;
    let run = f.run(&[]).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(f.deployed(), ["svc-worker"]);
    assert_eq!(state_of(&run, "web"), "skipped");
    assert_eq!(f.compares().len(), 1, "{:?}", f.compares());
}

/// 350 files changed: GitHub lists the first 300, and `worker`'s file is not among them. The
/// list may be cut short, so every service is deployed, with a notice (contract v3).
#[tokio::test]
async fn a_list_cut_at_300_files_deploys_every_service_with_a_notice() {
    let mut files: Vec<String> = (0..330).map(|i| format!("docs/{i}.md")).collect();
    files.push("worker/main.go".into());
    files.extend((330..349).map(|i| format!("docs/{i}.md")));
    let names: Vec<&str> = files.iter().map(String::as_str).collect();
    let f = start(&names).await;
    let run = f.run(&[]).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "success", "{}", run.log());
    assert_eq!(f.deployed(), ["svc-web", "svc-worker"]);
    let notice = run
        .stdout
        .lines()
        .find(|l| l.starts_with("::notice::") && l.contains("may be cut short"))
        .unwrap_or_else(|| panic!("no notice:\n{}", run.stdout));
    assert!(notice.contains("at most 300 changed files"), "{notice}");
    assert!(
        notice.contains("every service serving 0001111 is deployed"),
        "{notice}"
    );
    assert_eq!(f.compares().len(), 1, "{:?}", f.compares());
}

#[tokio::test]
async fn nothing_changed_for_any_service_skips_the_run() {
    let f = start(&["README.md"]).await;
    let run = f.run(&[]).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "skipped");
    assert!(f.rw.mutations().is_empty(), "{:?}", f.rw.mutations());
}

#[tokio::test]
async fn a_served_commit_github_does_not_know_deploys() {
    let f = start(&[]).await;
    f.gh.world.lock().unwrap().compare.pairs.clear();
    let run = f.run(&[]).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(f.deployed(), ["svc-web", "svc-worker"]);
    assert!(run.stdout.contains("are not known"), "{}", run.stdout);
}

#[tokio::test]
async fn the_dry_run_shows_the_decision_per_service() {
    let f = start(&["web/index.html"]).await;
    let run = f.run(&[("dry-run", "true")]).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stdout
            .contains("- skip `worker`: `only-changed`: nothing of `worker` changed"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("- deploy commit abc1234 to `web` in `staging`"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("`only-changed`: deploying `web`"),
        "{}",
        run.stdout
    );
    assert!(f.rw.mutations().is_empty());
}
