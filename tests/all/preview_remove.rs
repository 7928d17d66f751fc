//! Removing previews through the built binary: a closed pull request deletes its preview (and
//! nothing else), makes its GitHub Deployments inactive and says so in its comment; a preview
//! already gone is a success; `preview-cleanup` deletes the previews of closed or missing pull
//! requests and keeps open ones and every permanent environment.

use crate::support::preview::{PreviewFakes, add_environment};
use crate::support::secrets::assert_no_token;
use fakes::railway::RailwayWorld;

#[tokio::test]
async fn a_closed_pull_request_deletes_only_its_preview() {
    let f = PreviewFakes::start().await;
    let opened = f.runner("opened.json").run().await;
    assert_eq!(opened.code, 0, "{}", opened.log());
    f.take_operations();
    f.take_github();
    let closed = f.runner("closed-merged.json").run().await;
    assert_eq!(closed.code, 0, "{}", closed.log());
    assert_eq!(closed.output("status"), "success");
    assert_eq!(closed.output("removed-environments"), r#"["pr-2"]"#);
    assert_no_token(&closed);
    assert!(
        closed.summary.contains("🧹 Removed the preview **pr-2**"),
        "{}",
        closed.summary
    );
    assert_eq!(f.environment_names(), ["production", "staging"]);
    {
        let w = f.rw.world();
        let left: Vec<_> = w
            .deployments
            .iter()
            .map(|d| d.environment_id.as_str())
            .collect();
        assert!(
            left.iter().all(|e| *e == "env-prod" || *e == "env-stg"),
            "{left:?}"
        );
    }
    let ops = f.take_operations();
    assert_eq!(ops, ["ProjectEnvironments", "EnvironmentDelete"]);
    for (body, states) in f.github_deployments() {
        assert_eq!(body["environment"], "pr-2");
        assert_eq!(
            states.last().map(String::as_str),
            Some("inactive"),
            "{states:?}"
        );
    }
    let comments = f.comments(2);
    assert_eq!(
        comments.len(),
        1,
        "the sticky comment is edited, not added to"
    );
    assert!(
        comments[0].contains("Preview **pr-2** removed"),
        "{}",
        comments[0]
    );
    assert!(comments[0].contains(" UTC"), "{}", comments[0]);
    assert!(!comments[0].contains("Deployed"), "{}", comments[0]);
}

#[tokio::test]
async fn a_preview_already_gone_is_a_success() {
    let f = PreviewFakes::start().await;
    let run = f.runner("closed-merged.json").run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "success");
    assert_eq!(run.output("removed-environments"), "[]");
    assert!(run.log().contains("already gone"), "{}", run.log());
    assert!(
        run.summary.contains("pr-2** was already gone"),
        "{}",
        run.summary
    );
    assert!(f.rw.mutations().is_empty());
}

#[tokio::test]
async fn a_dry_run_of_a_closed_pull_request_deletes_nothing() {
    let mut world = RailwayWorld::standard();
    add_environment(&mut world, "env-pr-2", "pr-2", true);
    let f = PreviewFakes::with_world(world).await;
    let mut r = f.runner("closed-merged.json");
    r.input("dry-run", "true");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.log().contains("delete the preview environment `pr-2`"),
        "{}",
        run.log()
    );
    assert!(f.rw.mutations().is_empty());
    assert!(f.environment_id("pr-2").is_some());
    assert!(f.gh.recorder.all().is_empty());
}

/// Previews of pull requests 2 (open), 3 (closed) and 4 (unknown to GitHub), a permanent `pr-5`
/// and an ephemeral environment another template made (`review-app`).
async fn cleanup_fakes() -> PreviewFakes {
    let mut world = RailwayWorld::standard();
    add_environment(&mut world, "env-pr-2", "pr-2", true);
    add_environment(&mut world, "env-pr-3", "pr-3", true);
    add_environment(&mut world, "env-pr-4", "pr-4", true);
    add_environment(&mut world, "env-pr-5", "pr-5", false);
    add_environment(&mut world, "env-review", "review-app", true);
    let f = PreviewFakes::with_world(world).await;
    {
        let mut w = f.gh.world.lock().unwrap();
        w.pulls.states.insert(2, "open".into());
        w.pulls.states.insert(3, "closed".into());
        w.pulls.states.insert(5, "closed".into());
    }
    f
}

fn cleanup_runner(f: &PreviewFakes) -> crate::support::cli::Runner {
    let mut r = f.runner("opened.json");
    r.input("command", "preview-cleanup")
        .unset("INPUT_SERVICE")
        .event("schedule", &crate::support::events::own("schedule.json"));
    r
}

#[tokio::test]
async fn cleanup_removes_closed_previews_and_keeps_the_rest() {
    let f = cleanup_fakes().await;
    let run = cleanup_runner(&f).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "success");
    assert_eq!(run.output("removed-environments"), r#"["pr-3","pr-4"]"#);
    assert_eq!(
        f.environment_names(),
        ["production", "staging", "pr-2", "pr-5", "review-app"]
    );
    let asked: Vec<String> = f
        .take_github()
        .into_iter()
        .filter(|r| r.contains("/pulls/"))
        .collect();
    assert_eq!(
        asked,
        [
            "GET /repos/acme/shop/pulls/2",
            "GET /repos/acme/shop/pulls/3",
            "GET /repos/acme/shop/pulls/4"
        ],
        "a permanent environment's pull request is not even asked about"
    );
    let s = &run.summary;
    assert!(
        s.contains("Deleted `pr-3`") && s.contains("Deleted `pr-4`"),
        "{s}"
    );
    assert!(s.contains("Kept `pr-2`: pull request #2 is open"), "{s}");
    assert!(s.contains("Kept `pr-5`: a permanent environment"), "{s}");
}

#[tokio::test]
async fn a_cleanup_dry_run_lists_what_it_would_delete() {
    let f = cleanup_fakes().await;
    let mut r = cleanup_runner(&f);
    r.input("dry-run", "true");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "skipped");
    let log = run.log();
    assert!(
        log.contains("delete the preview environment `pr-3`"),
        "{log}"
    );
    assert!(
        !log.contains("delete the preview environment `pr-2`"),
        "{log}"
    );
    assert!(f.rw.mutations().is_empty());
    assert_eq!(f.environment_names().len(), 7);
}

/// The requests of a preview's life (the README's and the report's figures): a first deploy, a
/// push, the close (`source: commit`, no gate, one service).
#[tokio::test]
async fn the_requests_of_a_preview_life() {
    let f = PreviewFakes::start().await;
    let first = [
        "ProjectEnvironments",
        "EnvironmentCreate",
        // The copy waited for until `web` is listed in it (the fake lists a copy's instances
        // from the second read on): `fidelity_preview`.
        "EnvironmentServiceInstances",
        "EnvironmentServiceInstances",
        "Project",
        "Deployments",
        "ServiceDomainCreate",
        // `worker`, never deployed in the fresh copy, from its configured source: the branch
        // its trigger names (for the plan's sentence), the deployments before, the
        // latest-commit deploy, its deployment read back (then followed over the socket):
        // `preview_supporting`, `fidelity_preview`.
        "DeploymentTriggers",
        "Deployments",
        "ServiceInstanceDeployLatestCommit",
        "Deployments",
        "ServiceInstanceDeployV2",
        "Deployment",
    ];
    let again = [
        "ProjectEnvironments",
        "EnvironmentServiceInstances",
        "Project",
        "Deployments",
        "ServiceInstanceDeployV2",
        "Deployment",
    ];
    let close = ["ProjectEnvironments", "EnvironmentDelete"];
    let expected: [(&str, &[&str], usize); 3] = [
        ("opened.json", &first, 8),
        ("synchronize.json", &again, 10),
        ("closed-merged.json", &close, 6),
    ];
    for (event, railway, github) in expected {
        let run = f.runner(event).run().await;
        assert_eq!(run.code, 0, "{}", run.log());
        let upgrades = f.rw.upgrades().len();
        let ops = f.take_operations();
        let gh = f.take_github();
        eprintln!(
            "{event}: Railway {} (+{upgrades} websocket) {ops:?}; GitHub {} {gh:?}",
            ops.len(),
            gh.len()
        );
        assert_eq!(ops, railway, "{event}");
        assert_eq!(gh.len(), github, "{event}: {gh:?}");
    }
}
