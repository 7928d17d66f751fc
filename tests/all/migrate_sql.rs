//! SQL migrations on real databases: a PostgreSQL these tests start themselves, and the MariaDB
//! at `RAILWAY_DEPLOY_TEST_MYSQL_URL` (started by `.ci/mariadb.sh`). Each scenario runs on both.
//! Outside CI the tests whose server `build.rs` did not find are ignored (libtest names them and
//! the reason); with `CI=true` they run, and a missing server fails them.

use std::path::Path;

use crate::support::postgres::{self, TestPostgres, unavailable};
use railway_deploy::migrate::error::MigrationError;
use railway_deploy::migrate::sql::run_sql_migrations;
use railway_deploy::secret::Secret;
use sqlx::Connection;

const USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL);\n";
const EMAIL: &str = "ALTER TABLE users ADD COLUMN email VARCHAR(200);\n";

/// A database for one test; the PostgreSQL server (if any) lives as long as this.
struct Db {
    url: String,
    _server: Option<TestPostgres>,
}

async fn pg() -> Db {
    let server = TestPostgres::start();
    let url = server.fresh_database().await;
    Db {
        url,
        _server: Some(server),
    }
}

async fn mysql() -> Db {
    let Ok(base) = std::env::var("RAILWAY_DEPLOY_TEST_MYSQL_URL") else {
        unavailable(
            "MariaDB (RAILWAY_DEPLOY_TEST_MYSQL_URL is unset; run `eval \"$(.ci/mariadb.sh)\"`)",
        );
    };
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "rdtest_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let mut conn = match sqlx::mysql::MySqlConnection::connect(&base).await {
        Ok(c) => c,
        Err(e) => unavailable(&format!("MariaDB at RAILWAY_DEPLOY_TEST_MYSQL_URL ({e})")),
    };
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name}"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    let _ = conn.close().await;
    let mut url = url::Url::parse(&base).unwrap();
    url.set_path(&format!("/{name}"));
    Db {
        url: url.to_string(),
        _server: None,
    }
}

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, sql) in files {
        std::fs::write(d.path().join(name), sql).unwrap();
    }
    d
}

async fn scalar(url: &str, sql: &str) -> i64 {
    let q = sqlx::AssertSqlSafe(sql.to_string());
    if url.starts_with("mysql") {
        let mut c = sqlx::mysql::MySqlConnection::connect(url).await.unwrap();
        sqlx::query_scalar(q).fetch_one(&mut c).await.unwrap()
    } else {
        let mut c = sqlx::postgres::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(q).fetch_one(&mut c).await.unwrap()
    }
}

async fn table_exists(url: &str, table: &str) -> bool {
    let schema = if url.starts_with("mysql") {
        "DATABASE()"
    } else {
        "current_schema()"
    };
    let sql = format!(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = {schema} AND table_name = '{table}'"
    );
    scalar(url, &sql).await > 0
}

async fn column_count(url: &str, table: &str) -> i64 {
    let schema = if url.starts_with("mysql") {
        "DATABASE()"
    } else {
        "current_schema()"
    };
    let sql = format!(
        "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = {schema} AND table_name = '{table}'"
    );
    scalar(url, &sql).await
}

async fn run(
    dir: &Path,
    url: &str,
    dry_run: bool,
) -> Result<railway_deploy::record::MigrationReport, MigrationError> {
    run_sql_migrations(dir, &Secret::new(url), dry_run).await
}

// ---- scenarios, each run on both engines ----

async fn apply_then_rerun_is_a_no_op(db: Db) {
    let dir = folder(&[
        ("1_users.sql", USERS),
        ("2_email.sql", EMAIL),
        ("README.md", "notes"),
    ]);

    let plan = run(dir.path(), &db.url, true).await.unwrap();
    assert_eq!(plan.pending, vec!["1_users.sql", "2_email.sql"]);
    assert!(plan.applied.is_empty());
    assert!(
        !table_exists(&db.url, "users").await,
        "a dry run changes nothing"
    );
    assert!(
        !table_exists(&db.url, "_sqlx_migrations").await,
        "a dry run creates nothing"
    );

    let first = run(dir.path(), &db.url, false).await.unwrap();
    assert_eq!(first.kind, "sql");
    assert_eq!(first.applied, vec!["1_users.sql", "2_email.sql"]);
    assert_eq!(column_count(&db.url, "users").await, 3);

    let again = run(dir.path(), &db.url, false).await.unwrap();
    assert!(again.applied.is_empty(), "{again:?}");
    assert!(again.pending.is_empty());
    assert_eq!(
        scalar(&db.url, "SELECT COUNT(*) FROM _sqlx_migrations").await,
        2
    );

    // A new file later is the only one applied; the dry run lists just it.
    std::fs::write(
        dir.path().join("3_index.sql"),
        "CREATE INDEX users_name ON users (name);\n",
    )
    .unwrap();
    let plan = run(dir.path(), &db.url, true).await.unwrap();
    assert_eq!(plan.pending, vec!["3_index.sql"]);
    let third = run(dir.path(), &db.url, false).await.unwrap();
    assert_eq!(third.applied, vec!["3_index.sql"]);
}

async fn a_changed_applied_file_is_refused(db: Db) {
    let dir = folder(&[("1_users.sql", USERS)]);
    run(dir.path(), &db.url, false).await.unwrap();
    std::fs::write(
        dir.path().join("1_users.sql"),
        format!("{USERS}-- edited\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("2_email.sql"), EMAIL).unwrap();
    for dry_run in [true, false] {
        let err = run(dir.path(), &db.url, dry_run).await.unwrap_err();
        assert!(
            matches!(err, MigrationError::Changed { ref file } if file == "1_users.sql"),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("`1_users.sql`") && msg.contains("new migration file"),
            "{msg}"
        );
        assert!(!err.is_input_error());
    }
    assert_eq!(
        column_count(&db.url, "users").await,
        2,
        "2_email.sql was not applied"
    );
}

async fn a_failing_migration_leaves_the_schema_as_it_was(db: Db, failing_sql: &str) {
    let dir = folder(&[
        ("1_users.sql", USERS),
        ("2_email.sql", EMAIL),
        ("3_broken.sql", failing_sql),
    ]);
    let err = run(dir.path(), &db.url, false).await.unwrap_err();
    match &err {
        MigrationError::Failed {
            file,
            error,
            applied,
        } => {
            assert_eq!(file, "3_broken.sql");
            assert_eq!(
                applied,
                &vec!["1_users.sql".to_string(), "2_email.sql".to_string()]
            );
            assert!(
                error.to_lowercase().contains("nope"),
                "the database error is named: {error}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.to_string().contains(postgres::PASSWORD));
    assert!(!err.to_string().contains("rdtest-password"));
    assert_eq!(err.report().applied.len(), 2);
    assert!(
        !table_exists(&db.url, "audit").await,
        "the failing migration's DDL was rolled back"
    );
    assert_eq!(scalar(&db.url, "SELECT COUNT(*) FROM users").await, 0);
    assert_eq!(
        scalar(&db.url, "SELECT COUNT(*) FROM _sqlx_migrations").await,
        2
    );

    // Fixing the file lets the next run apply it.
    std::fs::write(
        dir.path().join("3_broken.sql"),
        "INSERT INTO users (id, name) VALUES (1, 'ok');\n",
    )
    .unwrap();
    let fixed = run(dir.path(), &db.url, false).await.unwrap();
    assert_eq!(fixed.applied, vec!["3_broken.sql"]);
}

async fn two_concurrent_runs_apply_each_migration_once(db: Db) {
    let dir = folder(&[
        ("1_users.sql", USERS),
        ("2_log.sql", "CREATE TABLE runs (n INTEGER);\n"),
        ("3_seed.sql", "INSERT INTO runs (n) VALUES (3);\n"),
    ]);
    let (a, b) = tokio::join!(
        run(dir.path(), &db.url, false),
        run(dir.path(), &db.url, false)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut all: Vec<String> = a.applied.iter().chain(b.applied.iter()).cloned().collect();
    all.sort();
    assert_eq!(
        all,
        vec!["1_users.sql", "2_log.sql", "3_seed.sql"],
        "a={a:?} b={b:?}"
    );
    assert_eq!(scalar(&db.url, "SELECT COUNT(*) FROM runs").await, 1);
}

async fn errors_never_show_the_url_or_password(db: Db) {
    let dir = folder(&[("1_users.sql", USERS)]);
    let wrong = db
        .url
        .replacen(":pg-test-S3cret@", ":wrong-Passw0rd@", 1)
        .replacen(":rdtest-password@", ":wrong-Passw0rd@", 1);
    assert_ne!(wrong, db.url);
    let err = run(dir.path(), &wrong, false).await.unwrap_err();
    assert!(matches!(err, MigrationError::Connect { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        !msg.contains("wrong-Passw0rd") && !msg.contains(&wrong),
        "{msg}"
    );
    assert!(msg.contains("check `database-url`"), "{msg}");
}

macro_rules! on_both {
    ($pg:ident, $my:ident, $scenario:ident $(, $arg:expr)?) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[cfg_attr(
            rd_no_postgres,
            ignore = "needs PostgreSQL: initdb and pg_ctl in /usr/lib/postgresql/15/bin or $RAILWAY_DEPLOY_TEST_PG_BIN"
        )]
        async fn $pg() {
            $scenario(pg().await $(, $arg.0)?).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[cfg_attr(
            rd_no_mysql,
            ignore = "needs MariaDB: eval \"$(.ci/mariadb.sh)\" (sets RAILWAY_DEPLOY_TEST_MYSQL_URL)"
        )]
        async fn $my() {
            $scenario(mysql().await $(, $arg.1)?).await;
        }
    };
}

on_both!(
    pg_apply_then_rerun_is_a_no_op,
    mysql_apply_then_rerun_is_a_no_op,
    apply_then_rerun_is_a_no_op
);
on_both!(
    pg_a_changed_applied_file_is_refused,
    mysql_a_changed_applied_file_is_refused,
    a_changed_applied_file_is_refused
);
on_both!(
    pg_a_failing_migration_leaves_the_schema_as_it_was,
    mysql_a_failing_migration_leaves_the_schema_as_it_was,
    a_failing_migration_leaves_the_schema_as_it_was,
    (
        // PostgreSQL rolls back DDL too.
        "CREATE TABLE audit (id INTEGER);\nINSERT INTO users (id, name) VALUES (1, 'a');\nINSERT INTO nope VALUES (1);\n",
        // MySQL commits DDL implicitly, so its failing migration is data-only (see the dirty test).
        "INSERT INTO users (id, name) VALUES (1, 'a');\nINSERT INTO nope VALUES (1);\n"
    )
);
on_both!(
    pg_two_concurrent_runs_apply_each_migration_once,
    mysql_two_concurrent_runs_apply_each_migration_once,
    two_concurrent_runs_apply_each_migration_once
);
on_both!(
    pg_errors_never_show_the_url_or_password,
    mysql_errors_never_show_the_url_or_password,
    errors_never_show_the_url_or_password
);

/// MySQL cannot roll back a `CREATE TABLE`: sqlx marks the migration dirty, and the next run
/// stops with what to repair instead of applying on top of a half-done migration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    rd_no_mysql,
    ignore = "needs MariaDB: eval \"$(.ci/mariadb.sh)\" (sets RAILWAY_DEPLOY_TEST_MYSQL_URL)"
)]
async fn mysql_partial_ddl_failure_is_reported_as_dirty() {
    let db = mysql().await;
    let dir = folder(&[(
        "1_half.sql",
        "CREATE TABLE half (id INTEGER);\nINSERT INTO nope VALUES (1);\n",
    )]);
    let err = run(dir.path(), &db.url, false).await.unwrap_err();
    assert!(
        matches!(err, MigrationError::Failed { ref file, .. } if file == "1_half.sql"),
        "{err:?}"
    );
    let err = run(dir.path(), &db.url, false).await.unwrap_err();
    assert!(
        matches!(err, MigrationError::Dirty { ref file } if file == "1_half.sql"),
        "{err:?}"
    );
    assert!(err.to_string().contains("_sqlx_migrations"));
}

#[tokio::test]
async fn folder_and_url_problems_are_input_errors_found_before_connecting() {
    // Port 9 on loopback: nothing listens; these must fail before any connection attempt.
    let url = "postgres://u:p4ssw0rd@127.0.0.1:9/db";
    let err = run(Path::new("/nonexistent/migrations"), url, false)
        .await
        .unwrap_err();
    assert!(
        err.is_input_error() && err.to_string().contains("cannot be read"),
        "{err}"
    );
    let dir = folder(&[("init.sql", USERS)]);
    let err = run(dir.path(), url, false).await.unwrap_err();
    assert!(
        err.is_input_error() && err.to_string().contains("init.sql"),
        "{err}"
    );
    let dir = folder(&[("1_users.sql", USERS)]);
    let err = run(dir.path(), "sqlite://db.sqlite", false)
        .await
        .unwrap_err();
    assert!(
        err.is_input_error() && err.to_string().contains("not supported"),
        "{err}"
    );
    let err = run(
        dir.path(),
        "postgresql://u:p4ssw0rd@postgres.railway.internal:5432/railway",
        false,
    )
    .await
    .unwrap_err();
    assert!(
        err.is_input_error() && err.to_string().contains("DATABASE_PUBLIC_URL"),
        "{err}"
    );
    assert!(!err.to_string().contains("p4ssw0rd"));
}
