//! Migration safety through the built binary: the SQL read before any change (`refuse` stops
//! the run with nothing written anywhere; `warn` lists), no automatic rollback into a schema the
//! previous release may not read (unless `allow`), the warning when a live deployment shows no
//! pre-deploy step, the `railway.json` cliff, and a preview sharing its source's database.

use crate::support::cli::{GITHUB_TOKEN, Runner};
use crate::support::postgres::{TestPostgres, public_tables};
use crate::support::preview::PreviewFakes;
use crate::support::requests::operation_names;
use crate::support::secrets::{assert_not_shown, run_places};
use fakes::Server;
use fakes::github::GitHubState;
use fakes::railway::{FakeRailway, RailwayWorld};
use serde_json::{Value, json};

const SHA: &str = "abc1234def5678abc1234def5678abc1234def56";
const SERVED: &str = "0001111222233334444555566667777888899990";

const USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n";
const DROP_NAME: &str = "-- the name moves to profiles\nALTER TABLE users DROP COLUMN name;\n";

fn write(root: &std::path::Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn findings(run: &crate::support::cli::Run) -> Vec<Value> {
    serde_json::from_str::<Value>(run.output("migration-findings"))
        .unwrap_or_else(|e| panic!("migration-findings is JSON ({e}): {}", run.output_file))
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn github() -> (GitHubState, Server) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let gh = GitHubState::default();
    let server = Server::start(fakes::github::router(gh.clone())).await;
    (gh, server)
}

#[tokio::test]
#[cfg_attr(
    rd_no_postgres,
    ignore = "needs PostgreSQL: initdb and pg_ctl in /usr/lib/postgresql/15/bin or $RAILWAY_DEPLOY_TEST_PG_BIN"
)]
async fn refuse_stops_a_destructive_migration_before_anything_is_written() {
    let pg = TestPostgres::start();
    let url = pg.fresh_database().await;
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let (gh, gh_server) = github().await;
    let mut r = Runner::new(&rw.api_url());
    let dir = r.write_migrations(&[("1_users.sql", USERS), ("2_drop.sql", DROP_NAME)]);
    r.with_github(&gh_server.url())
        .input("wait-for-checks", "false")
        .input("migrations", &dir)
        .input("database-url", &url)
        .input("destructive-migrations", "refuse");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(
        run.log().contains("2_drop.sql:2` ban-drop-column"),
        "{}",
        run.log()
    );
    assert!(
        run.stdout.contains(&format!(
            "::error file={dir}/2_drop.sql,line=2::drops a column"
        )),
        "{}",
        run.stdout
    );
    assert!(rw.mutations().is_empty(), "{:?}", rw.mutations());
    // The outputs are written on failure too: those of an input error, with the findings that
    // caused the refusal.
    let found = findings(&run);
    assert_eq!(found.len(), 1, "{}", run.output("migration-findings"));
    assert_eq!(found[0]["rule"], "ban-drop-column");
    assert_eq!(found[0]["class"], "destructive");
    assert_eq!(found[0]["line"], 2);
    assert_eq!(found[0]["statement"], "ALTER TABLE users DROP COLUMN name;");
    assert_eq!(run.output("status"), "failed");
    assert_eq!(run.output("deployments"), "[]");
    assert!(run.summary.contains("invalid input"), "{}", run.summary);
    assert!(run.summary.contains("`ban-drop-column`"), "{}", run.summary);
    let writes: Vec<String> = gh
        .recorder
        .all()
        .iter()
        .filter(|q| q.method != "GET")
        .map(|q| format!("{} {}", q.method, q.path))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    assert!(
        public_tables(&url).await.is_empty(),
        "nothing migrated, not even _sqlx_migrations"
    );
    assert_not_shown(&[url.as_str()], &run_places(&run));
}

#[tokio::test]
#[cfg_attr(
    rd_no_postgres,
    ignore = "needs PostgreSQL: initdb and pg_ctl in /usr/lib/postgresql/15/bin or $RAILWAY_DEPLOY_TEST_PG_BIN"
)]
async fn warn_lists_each_finding_and_ignores_down_files_and_squawk_ignore() {
    let pg = TestPostgres::start();
    let url = pg.fresh_database().await;
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let mut r = Runner::new(&rw.api_url());
    let dir = r.write_migrations(&[
            ("1_users.sql", USERS),
            ("2_drop.sql", DROP_NAME),
            (
                "3_email.up.sql",
                "ALTER TABLE users ADD COLUMN email TEXT;\n",
            ),
            ("3_email.down.sql", "ALTER TABLE users DROP COLUMN email;\n"),
            (
                "4_rename.sql",
                "-- squawk-ignore renaming-column\nALTER TABLE users RENAME COLUMN id TO user_id;\nCREATE INDEX users_email ON users (email);\n",
            ),
        ],
    );
    r.input("migrations", &dir).input("database-url", &url);
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let found = findings(&run);
    let brief: Vec<(String, u64, String, String)> = found
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap_or_default();
            let name = file.rsplit('/').next().unwrap_or_default().to_string();
            (
                name,
                f["line"].as_u64().unwrap_or(0),
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["class"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        brief,
        [
            (
                "2_drop.sql".into(),
                2,
                "ban-drop-column".into(),
                "destructive".into()
            ),
            (
                "4_rename.sql".into(),
                3,
                "require-concurrent-index-creation".into(),
                "locking".into()
            ),
        ]
    );
    assert_eq!(found[0]["statement"], "ALTER TABLE users DROP COLUMN name;");
    assert!(
        run.stdout
            .contains(&format!("::warning file={dir}/2_drop.sql,line=2::")),
        "{}",
        run.stdout
    );
    assert!(
        run.summary.contains("### Migration safety"),
        "{}",
        run.summary
    );
    assert!(run.summary.contains("**1 destructive**"), "{}", run.summary);
    // Applied anyway (`warn`), and deployed.
    assert!(public_tables(&url).await.contains(&"users".to_string()));
    assert_eq!(rw.mutations(), ["ServiceInstanceDeployV2"]);
}

/// A run whose new release fails its health check after going live.
fn failing_health(r: &mut Runner) {
    r.input("health-expect-body", "{sha}")
        .input("health-timeout", "1s");
}

#[tokio::test]
#[cfg_attr(
    rd_no_postgres,
    ignore = "needs PostgreSQL: initdb and pg_ctl in /usr/lib/postgresql/15/bin or $RAILWAY_DEPLOY_TEST_PG_BIN"
)]
async fn a_failed_release_after_a_destructive_migration_is_not_rolled_back_unless_allowed() {
    let pg = TestPostgres::start();
    let url = pg.fresh_database().await;
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let mut r = Runner::new(&rw.api_url());
    let dir = r.write_migrations(&[("1_users.sql", USERS), ("2_drop.sql", DROP_NAME)]);
    r.input("migrations", &dir).input("database-url", &url);
    failing_health(&mut r);
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "failed", "{}", run.log());
    assert!(
        !rw.mutations().contains(&"DeploymentRollback".to_string()),
        "{:?}",
        rw.mutations()
    );
    assert!(
        run.log()
            .contains("not rolled back: this run applied destructive"),
        "{}",
        run.log()
    );
    assert!(
        run.log().contains("2_drop.sql:2` ban-drop-column"),
        "{}",
        run.log()
    );
    assert!(run.log().contains("fix forward"), "{}", run.log());
    assert!(run.summary.contains("[!CAUTION]"), "{}", run.summary);

    // The same with `allow`: rolled back as any failed release.
    let url = pg.fresh_database().await;
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let mut r = Runner::new(&rw.api_url());
    let dir = r.write_migrations(&[("1_users.sql", USERS), ("2_drop.sql", DROP_NAME)]);
    r.input("migrations", &dir)
        .input("database-url", &url)
        .input("destructive-migrations", "allow");
    failing_health(&mut r);
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "rolled-back", "{}", run.log());
    assert!(rw.mutations().contains(&"DeploymentRollback".to_string()));
    assert!(
        !run.stdout.contains("::warning file="),
        "allow only lists: {}",
        run.stdout
    );
    assert!(run.stdout.contains("::notice file="), "{}", run.stdout);
}

#[tokio::test]
#[cfg_attr(
    rd_no_postgres,
    ignore = "needs PostgreSQL: initdb and pg_ctl in /usr/lib/postgresql/15/bin or $RAILWAY_DEPLOY_TEST_PG_BIN"
)]
async fn a_failed_release_with_only_additive_migrations_is_still_rolled_back() {
    let pg = TestPostgres::start();
    let url = pg.fresh_database().await;
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let mut r = Runner::new(&rw.api_url());
    let dir = r.write_migrations(&[("1_users.sql", USERS)]);
    r.input("migrations", &dir).input("database-url", &url);
    failing_health(&mut r);
    let run = r.run().await;
    assert_eq!(run.output("status"), "rolled-back", "{}", run.log());
}

#[tokio::test]
async fn a_live_deployment_without_a_pre_deploy_step_gets_a_warning() {
    // The fake reports a PRE_DEPLOY_COMMAND step once the command is set: no warning.
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let mut r = Runner::new(&rw.api_url());
    r.input("migrate-command", "npm run migrate");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(!run.log().contains("may not have run"), "{}", run.log());
    let events = rw
        .world()
        .deployments
        .iter()
        .rev()
        .find(|d| d.service_id == "svc-web")
        .map(|d| d.events.clone())
        .unwrap_or_default();
    assert!(
        events.iter().any(|e| e["step"] == "PRE_DEPLOY_COMMAND"),
        "{events:?}"
    );

    // Railway says the deployment built and deployed, with no pre-deploy step.
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    rw.world().script_events(
        "svc-web",
        vec![
            json!({"id": "ev-1", "step": "BUILD_IMAGE", "createdAt": "2026-11-22T08:00:00.000Z",
                   "completedAt": "2026-11-22T08:00:40.000Z", "payload": {"durationMs": 40000, "error": null, "skipped": false}}),
            json!({"id": "ev-2", "step": "DEPLOY", "createdAt": "2026-11-22T08:00:41.000Z",
                   "completedAt": null, "payload": {"durationMs": null, "error": null, "skipped": false}}),
        ],
    );
    let mut r = Runner::new(&rw.api_url());
    r.input("migrate-command", "npm run migrate");
    let run = r.run().await;
    assert_eq!(run.code, 0, "a warning, not a failure: {}", run.log());
    assert!(
        run.stdout.contains("::warning::`web`: deployment dep-new-"),
        "{}",
        run.stdout
    );
    assert!(run.log().contains("may not have run"), "{}", run.log());
    assert!(run.summary.contains("may not have run"), "{}", run.summary);
}

#[tokio::test]
async fn migrate_command_reads_the_changed_migration_files_before_any_change() {
    let (gh, gh_server) = github().await;
    gh.world.lock().unwrap().compare.script(
        SERVED,
        SHA,
        "ahead",
        &[
            "src/app.rs",
            "db/migrations/5_drop/up.sql",
            "db/migrations/5_drop/down.sql",
            "db/migrations/6_gone.sql",
        ],
    );
    let start = || async {
        let rw = FakeRailway::start(RailwayWorld::standard()).await;
        if let Some(d) = rw.world().deployment_mut("dep-old-web-stg") {
            d.meta = json!({ "commitHash": SERVED });
        }
        rw
    };
    let checkout = |r: &mut Runner| {
        let root = r.dir.path().join("checkout");
        write(
            &root,
            &[
                (
                    "db/migrations/5_drop/up.sql",
                    "ALTER TABLE users RENAME TO members;\n",
                ),
                ("db/migrations/5_drop/down.sql", "DROP TABLE members;\n"),
            ],
        );
        let root = root.to_string_lossy().into_owned();
        r.set("GITHUB_WORKSPACE", &root)
            .set("GITHUB_API_URL", &gh_server.url())
            .input("github-token", GITHUB_TOKEN)
            .input("migrate-command", "npm run migrate");
    };
    let rw = start().await;
    let mut r = Runner::new(&rw.api_url());
    checkout(&mut r);
    r.input("destructive-migrations", "refuse");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(
        run.log()
            .contains("`db/migrations/5_drop/up.sql:1` renaming-table"),
        "{}",
        run.log()
    );
    assert!(
        !run.log().contains("DROP TABLE members"),
        "down files are not read"
    );
    assert!(rw.mutations().is_empty(), "{:?}", rw.mutations());

    let rw = start().await;
    let mut r = Runner::new(&rw.api_url());
    checkout(&mut r);
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let found = findings(&run);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["file"], "db/migrations/5_drop/up.sql");
    assert_eq!(found[0]["rule"], "renaming-table");
}

#[tokio::test]
async fn a_pre_deploy_command_only_in_railway_json_is_refused_unless_migrate_command_is_given() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let mut r = Runner::new(&rw.api_url());
    let app = r.dir.path().join("app");
    write(
        &app,
        &[
            ("index.js", "console.log('hi')\n"),
            (
                "railway.json",
                r#"{"deploy": {"preDeployCommand": "npm run migrate", "healthcheckPath": "/health"}}"#,
            ),
        ],
    );
    let path = app.to_string_lossy().into_owned();
    r.input("source", "upload").input("path", &path);
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(
        run.log().contains("migrate-command: npm run migrate"),
        "{}",
        run.log()
    );
    assert!(
        run.log()
            .contains("every deploy from now on would skip the migrations"),
        "{}",
        run.log()
    );
    assert!(rw.mutations().is_empty(), "{:?}", rw.mutations());

    r.input("migrate-command", "npm run migrate");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stdout
            .contains("declares the healthcheck path `/health`, but service `web` has nothing"),
        "{}",
        run.stdout
    );
    assert!(run.summary.contains("Healthcheck Path"), "{}", run.summary);
    assert!(
        !run.log().contains("declares the pre-deploy command"),
        "the run sets it: {}",
        run.log()
    );
}

#[tokio::test]
async fn a_preview_sharing_its_sources_database_is_neither_migrated_nor_deployed() {
    let external = "postgresql://app:s3cret-external@db.example.com:5432/app";
    let mut world = RailwayWorld::standard();
    world.set_variable("svc-web", "env-stg", "DATABASE_PUBLIC_URL", external);
    let f = PreviewFakes::with_world(world).await;
    let mut r = f.runner("opened.json");
    r.input("migrate-command", "npm run migrate");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "failed");
    assert!(
        run.log()
            .contains("would migrate the same database as `staging`"),
        "{}",
        run.log()
    );
    let ops = operation_names(&f.rw.requests());
    for op in ["ServiceInstanceDeployV2", "ServiceInstanceUpdate"] {
        assert!(!ops.iter().any(|o| o == op), "{op} sent: {ops:?}");
    }
    assert_not_shown(&[external, "s3cret-external"], &run_places(&run));
}

#[tokio::test]
#[cfg_attr(
    rd_no_postgres,
    ignore = "needs PostgreSQL: initdb and pg_ctl in /usr/lib/postgresql/15/bin or $RAILWAY_DEPLOY_TEST_PG_BIN"
)]
async fn a_staging_runs_pull_request_comment_lists_the_findings_and_why_it_did_not_roll_back() {
    let pg = TestPostgres::start();
    let url = pg.fresh_database().await;
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let (gh, gh_server) = github().await;
    gh.world
        .lock()
        .unwrap()
        .comments
        .pulls_by_sha
        .insert(SHA.into(), vec![12]);
    let mut r = Runner::new(&rw.api_url());
    let dir = r.write_migrations(&[("1_users.sql", USERS), ("2_drop.sql", DROP_NAME)]);
    r.with_github(&gh_server.url())
        .input("wait-for-checks", "false")
        .input("migrations", &dir)
        .input("database-url", &url);
    failing_health(&mut r);
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    let bodies: Vec<String> = {
        let w = gh.world.lock().unwrap();
        w.comments
            .on_issue(12)
            .iter()
            .map(|c| c.body.clone())
            .collect()
    };
    assert_eq!(bodies.len(), 1, "one sticky comment");
    let body = bodies[0].clone();
    eprintln!("---- comment ----\n{body}\n---- end ----");
    assert!(body.contains("#### Migration safety"), "{body}");
    assert!(body.contains("`ban-drop-column`"), "{body}");
    assert!(
        body.contains("not rolled back: this run applied destructive"),
        "{body}"
    );
    assert_not_shown(&[url.as_str()], &run_places(&run));
}
