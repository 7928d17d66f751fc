//! `command: preview` through the built binary against the fake Railway and the fake GitHub: a
//! pull request opened creates its ephemeral environment (a copy of staging, services and
//! variables and a fresh volume, no domains, no initial deploys) and deploys there with a domain,
//! a transient GitHub Deployment and the preview URL first in the comment; a push reuses it; two
//! runs at once end with one environment; a permanent name, a project token and a fork are
//! refused or skipped before any request that changes something.

use crate::support::preview::{PreviewFakes, add_environment};
use crate::support::requests::operation_bodies;
use crate::support::secrets::assert_no_token;
use fakes::railway::RailwayWorld;

const HEAD: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

#[tokio::test]
async fn an_opened_pull_request_gets_its_preview() {
    let mut world = RailwayWorld::standard();
    world.set_variable("svc-web", "env-stg", "API_KEY", "staging-key");
    world
        .envs
        .volumes
        .insert(("svc-web".into(), "env-stg".into()), "vol-web-stg".into());
    let f = PreviewFakes::with_world(world).await;
    let run = f.runner("opened.json").run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "success");
    assert_eq!(run.output("environment"), "pr-2");
    assert_eq!(run.output("url"), "https://web-pr-2.up.railway.app");
    assert_no_token(&run);
    let id = f.environment_id("pr-2").expect("the preview exists");
    {
        let w = f.rw.world();
        assert!(w.envs.ephemeral.contains(&id), "the preview is ephemeral");
        assert_eq!(w.envs.skip_initial_deploys, [Some(true)]);
        let vars = &w.variables[&("svc-web".to_string(), id.clone())];
        assert_eq!(vars["API_KEY"], "staging-key", "variables are copied");
        let volume = &w.envs.volumes[&("svc-web".to_string(), id.clone())];
        assert_ne!(volume, "vol-web-stg", "the preview has its own volume");
        let web = &w.instances[&("svc-web".to_string(), id.clone())];
        assert_eq!(web.service_domains, ["web-pr-2.up.railway.app"]);
        let deployed = |svc: &str| -> Vec<_> {
            w.deployments
                .iter()
                .filter(|d| d.environment_id == id && d.service_id == svc)
                .collect()
        };
        let web = deployed("svc-web");
        assert_eq!(web.len(), 1, "the run's service: the pull request's commit");
        assert_eq!(web[0].meta["commitHash"], HEAD);
        // The other copied service, never deployed in the copy, is deployed as configured (the
        // latest commit of its branch) before it: `preview_supporting`, `fidelity_preview`.
        let worker = deployed("svc-worker");
        assert_eq!(worker.len(), 1, "the supporting service, once");
        assert_eq!(
            worker[0].meta["commitHash"],
            fakes::railway::MAIN_HEAD,
            "{:?}",
            worker[0].meta
        );
        assert!(worker[0].seq < web[0].seq);
    }
    let ops = f.take_operations();
    assert_eq!(ops.iter().filter(|o| *o == "EnvironmentCreate").count(), 1);
    assert_eq!(
        ops.iter().filter(|o| *o == "ServiceDomainCreate").count(),
        1
    );
    let deploys = operation_bodies(&f.rw.requests(), "ServiceInstanceDeployV2");
    assert!(
        deploys
            .iter()
            .all(|b| b["variables"]["environmentId"] != "env-stg")
    );
    let deployments = f.github_deployments();
    assert_eq!(deployments.len(), 1);
    let (body, states) = &deployments[0];
    assert_eq!(body["environment"], "pr-2");
    assert_eq!(body["transient_environment"], true);
    assert_eq!(body["production_environment"], false);
    assert_eq!(states.last().map(String::as_str), Some("success"));
    let comment = &f.comments(2)[0];
    let first_lines: String = comment.lines().take(4).collect::<Vec<_>>().join("\n");
    assert!(
        first_lines.contains("**Preview:** web: https://web-pr-2.up.railway.app"),
        "{comment}"
    );
    assert!(
        run.summary.contains("created as a copy of `staging`"),
        "{}",
        run.summary
    );
    // The timeline has a bar for making the environment (issue 23, item 8: it was a blank gap).
    assert!(run.summary.contains("    preview "), "{}", run.summary);
}

#[tokio::test]
async fn a_push_to_the_pull_request_reuses_its_preview() {
    let f = PreviewFakes::start().await;
    let first = f.runner("opened.json").run().await;
    assert_eq!(first.code, 0, "{}", first.log());
    f.take_operations();
    let again = f.runner("synchronize.json").run().await;
    assert_eq!(again.code, 0, "{}", again.log());
    let ops = f.take_operations();
    assert!(!ops.contains(&"EnvironmentCreate".to_string()), "{ops:?}");
    assert!(!ops.contains(&"ServiceDomainCreate".to_string()), "{ops:?}");
    assert_eq!(
        f.environment_names()
            .iter()
            .filter(|n| *n == "pr-2")
            .count(),
        1
    );
    assert_eq!(again.output("url"), "https://web-pr-2.up.railway.app");
    assert!(again.summary.contains("reused"), "{}", again.summary);
}

#[tokio::test]
async fn two_runs_at_once_end_with_one_preview() {
    let f = PreviewFakes::start().await;
    let (a, b) = (f.runner("opened.json"), f.runner("opened.json"));
    let (ra, rb) = tokio::join!(a.run(), b.run());
    assert_eq!((ra.code, rb.code), (0, 0), "{}\n{}", ra.log(), rb.log());
    let names = f.environment_names();
    assert_eq!(
        names.iter().filter(|n| *n == "pr-2").count(),
        1,
        "{names:?}"
    );
    let ops = f.take_operations();
    assert!(ops.iter().filter(|o| *o == "EnvironmentCreate").count() <= 2);
}

#[tokio::test]
async fn a_create_that_loses_the_race_reads_the_preview_back() {
    let mut world = RailwayWorld::standard();
    world.envs.lose_race = true;
    let f = PreviewFakes::with_world(world).await;
    let run = f.runner("opened.json").run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let ops = f.take_operations();
    assert_eq!(
        ops.iter().filter(|o| *o == "EnvironmentCreate").count(),
        1,
        "never created twice: {ops:?}"
    );
    assert_eq!(
        ops.iter().filter(|o| *o == "ProjectEnvironments").count(),
        2
    );
    assert_eq!(
        f.environment_names()
            .iter()
            .filter(|n| *n == "pr-2")
            .count(),
        1
    );
    assert_eq!(run.output("environment"), "pr-2");
}

#[tokio::test]
async fn a_permanent_environment_is_never_a_preview() {
    let mut world = RailwayWorld::standard();
    add_environment(&mut world, "env-pr-2", "pr-2", false);
    let f = PreviewFakes::with_world(world).await;
    for event in ["opened.json", "closed-merged.json"] {
        let run = f.runner(event).run().await;
        assert_eq!(run.code, 2, "{event}: {}", run.log());
        assert!(run.log().contains("permanent environment"), "{}", run.log());
        assert!(f.rw.mutations().is_empty(), "{:?}", f.rw.mutations());
        assert!(f.environment_id("pr-2").is_some());
    }
    assert!(f.github_deployments().is_empty());
}

#[tokio::test]
async fn a_project_token_is_refused_before_any_request() {
    let f = PreviewFakes::start().await;
    let mut r = f.runner("opened.json");
    r.unset("INPUT_RAILWAY-API-TOKEN")
        .input("railway-token", "tok-staging");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(run.log().contains("railway-api-token"), "{}", run.log());
    assert!(f.rw.requests().is_empty());
    assert!(f.gh.recorder.all().is_empty());
}

#[tokio::test]
async fn a_fork_pull_request_is_skipped_without_secrets() {
    let f = PreviewFakes::start().await;
    let mut r = f.runner("opened-from-fork.json");
    r.unset("INPUT_RAILWAY-API-TOKEN")
        .unset("INPUT_GITHUB-TOKEN");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "skipped");
    assert!(run.log().contains("fork"), "{}", run.log());
    assert!(f.rw.requests().is_empty());
    assert!(f.gh.recorder.all().is_empty());
}

#[tokio::test]
async fn a_dry_run_plans_the_preview_and_changes_nothing() {
    let f = PreviewFakes::start().await;
    let mut r = f.runner("opened.json");
    r.input("dry-run", "true");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "skipped");
    let log = run.log();
    assert!(
        log.contains("create the ephemeral environment `pr-2` as a copy of `staging`"),
        "{log}"
    );
    assert!(
        log.contains("give `web` a Railway domain in `pr-2`"),
        "{log}"
    );
    assert!(log.contains("to `web` in `pr-2`"), "{log}");
    assert!(f.rw.mutations().is_empty(), "{:?}", f.rw.mutations());
    assert!(f.environment_id("pr-2").is_none());
    assert!(
        !run.summary.contains("web-stg"),
        "the source's URL is not the preview's: {}",
        run.summary
    );
    let writes: Vec<_> = f
        .take_github()
        .into_iter()
        .filter(|r| !r.starts_with("GET"))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}

#[tokio::test]
async fn migrations_read_the_preview_database_never_the_source() {
    let mut world = RailwayWorld::standard();
    // A reference Railway renders per environment: the preview's copy is its own database.
    let url = "postgres://app:pw@${{RAILWAY_ENVIRONMENT_NAME}}.localhost:9/app";
    world.set_variable("svc-web", "env-stg", "DATABASE_PUBLIC_URL", url);
    let f = PreviewFakes::with_world(world).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("001_init.sql"), "SELECT 1;").unwrap();
    let mut r = f.runner("opened.json");
    r.input("migrations", &dir.path().to_string_lossy());
    let run = r.run().await;
    let id = f.environment_id("pr-2").expect("the preview exists");
    let reads = operation_bodies(&f.rw.requests(), "Variables");
    assert!(!reads.is_empty(), "{}", run.log());
    // The source's variable is read once, only to check that the preview does not share its
    // database (contract v3, Previews); everything migrated is read in the preview.
    let stg = |b: &&serde_json::Value| b["variables"]["environmentId"] == "env-stg";
    let source_reads: Vec<_> = reads.iter().filter(stg).collect();
    assert!(source_reads.len() <= 1, "{source_reads:?}");
    for b in reads.iter().filter(|b| !stg(b)) {
        assert_eq!(b["variables"]["environmentId"], id.as_str(), "{b}");
    }
}
