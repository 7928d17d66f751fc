//! Where migration safety reads from, through the built binary: a preview's checks run before
//! its environment is made (a refusing preview changes nothing on Railway or GitHub), the
//! dialect of `migrate-command`'s SQL is the database's (a `mysql://` URL reads MySQL), and the
//! changed migration files come from the comparison the order checks already made, between the
//! commit the service serves and the one deployed to it (on `command: promote`, the promoted
//! commit, not the run's own; read at that commit: `super::migsafe_at_commit`).

use crate::support::cli::{GITHUB_TOKEN, Run, Runner};
use crate::support::preview::PreviewFakes;
use crate::support::secrets::{assert_not_shown, run_places};
use fakes::Server;
use fakes::github::GitHubState;
use fakes::railway::{FakeRailway, RailwayWorld};
use serde_json::{Value, json};

/// The run's own commit (`GITHUB_SHA` of [`Runner::new`]).
const SHA: &str = "abc1234def5678abc1234def5678abc1234def56";
/// The pull request's head commit in `pull_request/opened.json`.
const PR_HEAD: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const SERVED: &str = "0001111222233334444555566667777888899990";

/// Writes `files` under the run's checkout and points `GITHUB_WORKSPACE` at it.
pub fn checkout(r: &mut Runner, files: &[(&str, &str)]) {
    let root = r.dir.path().join("checkout");
    std::fs::create_dir_all(&root).unwrap();
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let root = root.to_string_lossy().into_owned();
    r.set("GITHUB_WORKSPACE", &root);
}

fn findings(run: &Run) -> Vec<Value> {
    serde_json::from_str::<Value>(run.output("migration-findings"))
        .unwrap_or_else(|e| panic!("migration-findings is JSON ({e}): {}", run.output_file))
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn compares(gh: &GitHubState) -> Vec<String> {
    gh.recorder
        .all()
        .iter()
        .filter(|q| q.path.contains("/compare/"))
        .map(|q| q.path.clone())
        .collect()
}

/// The paths of the Git database reads (`/git/commits/`, `/git/trees/`, `/git/blobs/`).
pub fn git_reads(gh: &GitHubState, kind: &str) -> Vec<String> {
    gh.recorder
        .all()
        .iter()
        .filter(|q| q.path.contains(kind))
        .map(|q| q.path.clone())
        .collect()
}

fn github_writes(gh: &GitHubState) -> Vec<String> {
    gh.recorder
        .all()
        .iter()
        .filter(|q| q.method != "GET")
        .map(|q| format!("{} {}", q.method, q.path))
        .collect()
}

async fn github() -> (GitHubState, Server) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let gh = GitHubState::default();
    let server = Server::start(fakes::github::router(gh.clone())).await;
    (gh, server)
}

/// Sets the commit a deployment of the fake carries.
fn serves(rw: &FakeRailway, deployment: &str, commit: &str) {
    if let Some(d) = rw.world().deployment_mut(deployment) {
        d.meta = json!({ "commitHash": commit });
    }
}

/// Runs the preview `r`, which must be refused as invalid input with nothing changed: no
/// Railway mutation (no environment made), no GitHub write.
async fn refused_before_any_change(f: &PreviewFakes, r: &Runner) -> Run {
    let before = f.environment_names();
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(f.rw.mutations().is_empty(), "{:?}", f.rw.mutations());
    assert_eq!(f.environment_names(), before, "no preview environment made");
    let writes = github_writes(&f.gh);
    assert!(writes.is_empty(), "{writes:?}");
    run
}

#[tokio::test]
async fn a_preview_refusing_its_migrations_changes_nothing_before_its_environment_is_made() {
    let f = PreviewFakes::start().await;
    serves(&f.rw, "dep-old-web-stg", SERVED);
    f.gh.world.lock().unwrap().compare.script(
        SERVED,
        PR_HEAD,
        "ahead",
        &["src/app.rs", "db/migrations/7_drop.sql"],
    );
    // The checkout holds the pull request's test-merge commit (`GITHUB_SHA`), not its head: the
    // files are listed from both commits' trees, and read from the checkout where the same.
    let drop = "ALTER TABLE users DROP COLUMN name;\n";
    {
        let git = &mut f.gh.world.lock().unwrap().git;
        git.commit(SERVED, &[("src/app.rs", "v1")]);
        git.commit(
            PR_HEAD,
            &[("src/app.rs", "v2"), ("db/migrations/7_drop.sql", drop)],
        );
    }
    let mut r = f.runner("opened.json");
    checkout(
        &mut r,
        &[(
            "db/migrations/7_drop.sql",
            "ALTER TABLE users DROP COLUMN name;\n",
        )],
    );
    r.input("migrate-command", "npm run migrate")
        .input("destructive-migrations", "refuse");
    let run = refused_before_any_change(&f, &r).await;
    assert!(
        run.log()
            .contains("`db/migrations/7_drop.sql:1` ban-drop-column"),
        "{}",
        run.log()
    );
    // Read between what `preview-from` serves and the pull request's head.
    assert_eq!(
        git_reads(&f.gh, "/git/commits/"),
        [SERVED, PR_HEAD].map(|c| format!("/repos/acme/shop/git/commits/{c}"))
    );
    assert!(
        git_reads(&f.gh, "/git/blobs/").is_empty(),
        "same in the checkout"
    );
    assert_eq!(
        findings(&run).len(),
        1,
        "{}",
        run.output("migration-findings")
    );
}

#[tokio::test]
async fn a_preview_with_a_pre_deploy_command_only_in_railway_json_changes_nothing() {
    let f = PreviewFakes::start().await;
    let mut r = f.runner("opened.json");
    checkout(
        &mut r,
        &[(
            "railway.json",
            r#"{"deploy": {"preDeployCommand": "npm run migrate"}}"#,
        )],
    );
    let run = refused_before_any_change(&f, &r).await;
    assert!(
        run.log()
            .contains("every deploy from now on would skip the migrations"),
        "{}",
        run.log()
    );
}

/// A push deploying `web` (serving [`SERVED`]) with `migrate-command`, whose change GitHub lists
/// as the migration `file` (holding `sql` in the checkout).
async fn deploy_changing(
    world: RailwayWorld,
    file: &str,
    sql: &str,
) -> (FakeRailway, GitHubState, Run) {
    let rw = FakeRailway::start(world).await;
    serves(&rw, "dep-old-web-stg", SERVED);
    let (gh, gh_server) = github().await;
    gh.world
        .lock()
        .unwrap()
        .compare
        .script(SERVED, SHA, "ahead", &[file]);
    let mut r = Runner::new(&rw.api_url());
    checkout(&mut r, &[(file, sql)]);
    r.set("GITHUB_API_URL", &gh_server.url())
        .input("github-token", GITHUB_TOKEN)
        .input("migrate-command", "npm run migrate");
    let run = r.run().await;
    (rw, gh, run)
}

#[tokio::test]
async fn migrate_commands_sql_is_read_as_mysql_when_the_database_url_says_mysql() {
    let mysql = "mysql://app:s3cret-mysql@mysql.railway.internal:3306/railway";
    let mut world = RailwayWorld::standard();
    world.set_variable("svc-web", "env-stg", "DATABASE_PUBLIC_URL", mysql);
    let sql = "ALTER TABLE `users` MODIFY COLUMN `age` bigint;\n";
    let (_rw, _gh, run) = deploy_changing(world, "db/migrations/8_age.sql", sql).await;
    assert_eq!(run.code, 0, "{}", run.log());
    let found = findings(&run);
    assert_eq!(found.len(), 1, "{}", run.log());
    assert_eq!(found[0]["rule"], "changing-column-type");
    assert!(!run.log().contains("does not parse"), "{}", run.log());
    assert!(run.log().contains("read as MySQL/MariaDB"), "{}", run.log());
    assert_not_shown(&[mysql, "s3cret-mysql"], &run_places(&run));

    // No service has the variable: read as PostgreSQL, which does not parse MySQL's backticks.
    let world = RailwayWorld::standard();
    let (_rw, _gh, run) = deploy_changing(world, "db/migrations/8_age.sql", sql).await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(findings(&run).is_empty(), "{}", run.log());
    assert!(run.log().contains("read as PostgreSQL"), "{}", run.log());
    assert!(run.log().contains("does not parse"), "{}", run.log());
}

#[tokio::test]
async fn migrate_command_reads_the_comparison_the_order_checks_made() {
    let sql = "ALTER TABLE users RENAME TO members;\n";
    let world = RailwayWorld::standard();
    let (_rw, gh, run) = deploy_changing(world, "db/migrations/9_rename.sql", sql).await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(findings(&run)[0]["rule"], "renaming-table", "{}", run.log());
    assert_eq!(
        compares(&gh),
        [format!("/repos/acme/shop/compare/{SERVED}...{SHA}")],
        "one comparison for the order checks and the migration files"
    );
}

#[tokio::test]
async fn promote_reads_the_migrations_between_the_served_and_the_promoted_commit() {
    const PROMOTED: &str = "5555666677778888999900001111222233334444";
    let mut world = RailwayWorld::standard();
    world.add_deployment("stg-web-tested", "svc-web", "env-stg", "SUCCESS");
    world.deployment_mut("stg-web-tested").unwrap().meta = json!({ "commitHash": PROMOTED });
    let rw = FakeRailway::start(world).await;
    serves(&rw, "dep-old-web-prod", SERVED);
    let (gh, gh_server) = github().await;
    gh.world.lock().unwrap().compare.script(
        SERVED,
        PROMOTED,
        "ahead",
        &["db/migrations/10_drop.sql"],
    );
    let drop = "ALTER TABLE users DROP COLUMN name;\n";
    {
        let git = &mut gh.world.lock().unwrap().git;
        git.commit(SERVED, &[("src/app.rs", "v1")]);
        git.commit(PROMOTED, &[("db/migrations/10_drop.sql", drop)]);
    }
    // The run's own commit is newer: comparing with it would list other files.
    gh.world
        .lock()
        .unwrap()
        .compare
        .script(SERVED, SHA, "ahead", &["db/migrations/11_other.sql"]);
    let mut r = Runner::new(&rw.api_url());
    checkout(
        &mut r,
        &[
            (
                "db/migrations/10_drop.sql",
                "ALTER TABLE users DROP COLUMN name;\n",
            ),
            ("db/migrations/11_other.sql", "DROP TABLE audit;\n"),
        ],
    );
    r.input("command", "promote")
        .input("environment", "production")
        .input("railway-token", "")
        .set("RAILWAY_API_TOKEN", "acct-token")
        .input("project", "proj-1")
        .set("GITHUB_API_URL", &gh_server.url())
        .input("github-token", GITHUB_TOKEN)
        .input("migrate-command", "npm run migrate");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(
        compares(&gh),
        [format!("/repos/acme/shop/compare/{SERVED}...{PROMOTED}")]
    );
    let found = findings(&run);
    let files: Vec<&str> = found.iter().filter_map(|f| f["file"].as_str()).collect();
    assert_eq!(files, ["db/migrations/10_drop.sql"], "{}", run.log());
    assert!(
        run.log()
            .contains("read from the checkout, which holds commit"),
        "{}",
        run.log()
    );
}

#[tokio::test]
async fn a_new_preview_reads_every_migration_before_it_is_made() {
    // A reference Railway renders per environment: the copy gets a new, empty database.
    let url = "postgres://app:pw@${{RAILWAY_ENVIRONMENT_NAME}}.localhost:9/app";
    let mut world = RailwayWorld::standard();
    world.set_variable("svc-web", "env-stg", "DATABASE_PUBLIC_URL", url);
    let f = PreviewFakes::with_world(world).await;
    let mut r = f.runner("opened.json");
    let dir = r.dir.path().join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("1_users.sql"),
        "CREATE TABLE users (id int, name text);\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("2_drop.sql"),
        "ALTER TABLE users DROP COLUMN name;\n",
    )
    .unwrap();
    r.input("migrations", &dir.to_string_lossy())
        .input("destructive-migrations", "refuse");
    let run = refused_before_any_change(&f, &r).await;
    assert!(
        run.log().contains("2_drop.sql:1` ban-drop-column"),
        "{}",
        run.log()
    );
    assert_eq!(
        findings(&run).len(),
        1,
        "{}",
        run.output("migration-findings")
    );
}
