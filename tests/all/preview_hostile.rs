//! Previews against a Railway that is harder than the happy path: a project whose environments
//! span several pages (each read, the preview found on a later page, cleanup reaching every
//! page), and an `environmentCreate` whose answer is lost while Railway is still copying (the
//! environment is read back until it is listed, bounded, never created twice).

use crate::support::preview::{PreviewFakes, add_environment};
use fakes::railway::{LostAnswer, RailwayWorld};

fn count(ops: &[String], op: &str) -> usize {
    ops.iter().filter(|o| *o == op).count()
}

/// Production and staging, then previews of pull requests 9, 8, 3 (closed) and 2 (open), two
/// environments a page: pull request 2's preview is on the third page.
fn paged_world() -> RailwayWorld {
    let mut world = RailwayWorld::standard();
    for (id, name) in [
        ("env-pr-9", "pr-9"),
        ("env-pr-8", "pr-8"),
        ("env-pr-3", "pr-3"),
        ("env-pr-2", "pr-2"),
    ] {
        add_environment(&mut world, id, name, true);
    }
    world.envs.page_size = Some(2);
    world
}

#[tokio::test]
async fn a_preview_on_a_later_page_is_reused_not_created() {
    let f = PreviewFakes::with_world(paged_world()).await;
    let run = f.runner("synchronize.json").run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("environment"), "pr-2");
    let ops = f.take_operations();
    assert_eq!(count(&ops, "EnvironmentCreate"), 0, "{ops:?}");
    assert_eq!(
        count(&ops, "ProjectEnvironments"),
        3,
        "three pages: {ops:?}"
    );
    assert_eq!(
        f.environment_names()
            .iter()
            .filter(|n| *n == "pr-2")
            .count(),
        1
    );
}

#[tokio::test]
async fn cleanup_reads_every_page() {
    let f = PreviewFakes::with_world(paged_world()).await;
    {
        let mut w = f.gh.world.lock().unwrap();
        w.pulls.states.insert(2, "open".into());
        w.pulls.states.insert(3, "closed".into());
        w.pulls.states.insert(8, "open".into());
        w.pulls.states.insert(9, "open".into());
    }
    let mut r = f.runner("opened.json");
    r.input("command", "preview-cleanup")
        .unset("INPUT_SERVICE")
        .event("schedule", &crate::support::events::own("schedule.json"));
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("removed-environments"), r#"["pr-3"]"#);
    assert_eq!(
        f.environment_names(),
        ["production", "staging", "pr-9", "pr-8", "pr-2"]
    );
}

#[tokio::test]
async fn a_lost_create_still_copying_is_read_back_until_listed() {
    let mut world = RailwayWorld::standard();
    world
        .lose_answer
        .insert("EnvironmentCreate".into(), LostAnswer::BadGateway);
    // Railway lists the copy only from the third listing after the create on.
    world.envs.unlisted_after_create = Some(2);
    let f = PreviewFakes::with_world(world).await;
    let run = f.runner("opened.json").run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("environment"), "pr-2");
    let ops = f.take_operations();
    assert_eq!(count(&ops, "EnvironmentCreate"), 1, "{ops:?}");
    assert_eq!(
        f.environment_names()
            .iter()
            .filter(|n| *n == "pr-2")
            .count(),
        1
    );
    assert!(
        run.summary.contains("created as a copy of `staging`"),
        "{}",
        run.summary
    );
}

/// A closed pull request's teardown notifies only as `notify-on` says, and the message says the
/// preview was removed (not "deployed"); a preview deploy's message names the preview.
#[tokio::test]
async fn notifications_name_the_preview_and_a_teardown_says_removed() {
    use fakes::webhook::FakeWebhook;
    let f = PreviewFakes::start().await;
    let hook = FakeWebhook::start().await;
    let mut opened = f.runner("opened.json");
    opened
        .input("notify-webhook", &hook.url())
        .input("notify-on", "always");
    let run = opened.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let posts = hook.requests();
    assert_eq!(posts.len(), 1);
    let body = posts[0].body_json().unwrap();
    assert_eq!(body["environment"], "pr-2");
    assert_eq!(body["status"], "success");

    // `notify-on: failure` (the default): a teardown that succeeds sends nothing.
    let mut quiet = f.runner("closed-merged.json");
    quiet.input("notify-webhook", &hook.url());
    let run = quiet.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(f.environment_names(), ["production", "staging"]);
    assert_eq!(
        hook.requests().len(),
        1,
        "nothing sent on success with `failure`"
    );

    // `always`: the teardown (already gone now) is told, about the preview.
    let mut loud = f.runner("closed-merged.json");
    loud.input("notify-webhook", &hook.url())
        .input("notify-on", "always");
    let run = loud.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let posts = hook.requests();
    assert_eq!(posts.len(), 2);
    let body = posts[1].body_json().unwrap();
    assert_eq!(body["environment"], "pr-2");
    assert_eq!(body["status"], "success");
}

/// `service` given as the service's id: the closed pull request's run, whatever form its
/// `service` takes (another case, more services), edits the comment the deploy wrote.
#[tokio::test]
async fn a_service_given_by_id_keeps_one_comment() {
    let f = PreviewFakes::start().await;
    let mut opened = f.runner("opened.json");
    opened.input("service", "svc-web");
    let run = opened.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let mut closed = f.runner("closed-merged.json");
    closed.input("service", "SVC-WEB, worker");
    let run = closed.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let comments = f.comments(2);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0].contains("Preview **pr-2** removed"),
        "{}",
        comments[0]
    );
}

/// `backup` in a preview backs up the preview's own (fresh) database volume, never the source's.
#[tokio::test]
async fn a_preview_backs_up_its_own_volume_never_the_source() {
    let mut world = RailwayWorld::standard();
    world.services.push(("svc-pg".into(), "Postgres".into()));
    // A reference Railway renders per environment: the preview's copy is its own database.
    let url = "postgresql://postgres:pw@${{RAILWAY_ENVIRONMENT_NAME}}.example.com:5432/railway";
    world.set_variable("svc-pg", "env-stg", "DATABASE_PUBLIC_URL", url);
    let source = world.add_volume("svc-pg", "env-stg", "pg-data", 100.0, 1000);
    let f = PreviewFakes::with_world(world).await;
    let mut r = f.runner("opened.json");
    r.input("migrate-command", "npx prisma migrate deploy")
        .input("backup", "true");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let id = f.environment_id("pr-2").expect("the preview exists");
    let w = f.rw.world();
    let backed: Vec<&str> = w
        .volumes
        .iter()
        .filter(|v| !v.backups.is_empty())
        .map(|v| v.environment_id.as_str())
        .collect();
    assert_eq!(backed, [id.as_str()], "only the preview's volume");
    assert!(
        w.volumes
            .iter()
            .any(|v| v.instance_id == source && v.backups.is_empty())
    );
}

/// A dry run of a preview not made yet, with migrations and `backup`: the plan says what would
/// be created, backed up and migrated, and nothing is read from or written to the source's
/// database volume.
#[tokio::test]
async fn a_dry_run_of_a_new_preview_with_migrations_plans_them() {
    let mut world = RailwayWorld::standard();
    world.services.push(("svc-pg".into(), "Postgres".into()));
    let url = "postgresql://postgres:pw@db.example.com:5432/railway";
    world.set_variable("svc-pg", "env-stg", "DATABASE_PUBLIC_URL", url);
    world.add_volume("svc-pg", "env-stg", "pg-data", 100.0, 1000);
    let f = PreviewFakes::with_world(world).await;
    let mut r = f.runner("opened.json");
    r.input("migrate-command", "npx prisma migrate deploy")
        .input("dry-run", "true");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "skipped");
    let log = run.log();
    assert!(
        log.contains("create the ephemeral environment `pr-2` as a copy of `staging`"),
        "{log}"
    );
    assert!(
        log.contains("back up volume `pg-data` of `Postgres` in `pr-2` before migrating"),
        "{log}"
    );
    assert!(f.rw.mutations().is_empty(), "{:?}", f.rw.mutations());
}

/// `watch` in a preview watches the preview's deployment (a clean watch passes).
#[tokio::test]
async fn a_preview_is_watched_after_going_live() {
    let f = PreviewFakes::start().await;
    let steady: &[(u16, f64)] = &[(200, 48.0)];
    f.rw.world().script_http("svc-web", &[steady; 10]);
    let mut r = f.runner("opened.json");
    r.input("watch", "5m");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(run.summary.contains("### Watch"), "{}", run.summary);
    let id = f.environment_id("pr-2").unwrap();
    let reads = crate::support::requests::operation_bodies(&f.rw.requests(), "HttpMetricsByStatus");
    assert!(!reads.is_empty());
    for b in &reads {
        assert_eq!(b["variables"]["environmentId"], id.as_str(), "{b}");
    }
}
