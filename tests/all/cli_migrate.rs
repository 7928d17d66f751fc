//! Migrations through the built binary: SQL files applied to a real PostgreSQL before anything is
//! deployed, the database URL read from a Railway variable, and Railway's pre-deploy command.

use crate::support::cli::{Run, Runner};
use crate::support::postgres::{TestPostgres, public_tables};
use crate::support::requests::first_operation;
use crate::support::secrets::{assert_not_shown, run_places};
use fakes::railway::{FakeRailway, RailwayWorld};

const PASSWORD_FRAGMENT: &str = "postgres:";

fn assert_url_hidden(run: &Run, url: &str) {
    let password = url
        .split(':')
        .nth(2)
        .unwrap_or("?")
        .split('@')
        .next()
        .unwrap_or("?");
    let fragment = format!("{PASSWORD_FRAGMENT}{password}");
    assert_not_shown(&[url, fragment.as_str()], &run_places(run));
}

#[tokio::test]
#[cfg_attr(
    rd_no_postgres,
    ignore = "needs PostgreSQL: initdb and pg_ctl in /usr/lib/postgresql/15/bin or $RAILWAY_DEPLOY_TEST_PG_BIN"
)]
async fn sql_migrations_are_applied_and_then_the_service_is_deployed() {
    let pg = TestPostgres::start();
    let url = pg.fresh_database().await;
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let mut r = Runner::new(&rw.api_url());
    let dir = r.write_migrations(&[
        (
            "1_users.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
        ),
        (
            "2_orders.sql",
            "CREATE TABLE orders (id INTEGER PRIMARY KEY);\n",
        ),
    ]);
    r.input("migrations", &dir).input("database-url", &url);
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(
        public_tables(&url).await,
        vec!["_sqlx_migrations", "orders", "users"]
    );
    assert_eq!(rw.mutations(), vec!["ServiceInstanceDeployV2"]);
    assert!(run.summary.contains("orders"), "{}", run.summary);
    assert_url_hidden(&run, &url);

    // A second run applies nothing and still deploys.
    let again = r.run().await;
    assert_eq!(again.code, 0, "{}", again.log());
    assert!(
        again.stdout.contains("0 migration(s) applied"),
        "{}",
        again.log()
    );
}

#[tokio::test]
#[cfg_attr(
    rd_no_postgres,
    ignore = "needs PostgreSQL: initdb and pg_ctl in /usr/lib/postgresql/15/bin or $RAILWAY_DEPLOY_TEST_PG_BIN"
)]
async fn a_failing_migration_stops_the_run_before_anything_is_deployed() {
    let pg = TestPostgres::start();
    let url = pg.fresh_database().await;
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let mut r = Runner::new(&rw.api_url());
    let dir = r.write_migrations(&[
        (
            "1_users.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
        ),
        (
            "2_bad.sql",
            "CREATE TABLE audit (id INTEGER);\nINSERT INTO nope VALUES (1);\n",
        ),
    ]);
    r.input("migrations", &dir).input("database-url", &url);
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "failed");
    assert!(
        run.stdout.contains("2_bad.sql"),
        "the failing file is named:\n{}",
        run.log()
    );
    assert!(
        rw.mutations().is_empty(),
        "nothing deployed: {:?}",
        rw.mutations()
    );
    assert_eq!(
        public_tables(&url).await,
        vec!["_sqlx_migrations", "users"],
        "the failed migration left nothing behind"
    );
    assert_url_hidden(&run, &url);
}

#[tokio::test]
#[cfg_attr(
    rd_no_postgres,
    ignore = "needs PostgreSQL: initdb and pg_ctl in /usr/lib/postgresql/15/bin or $RAILWAY_DEPLOY_TEST_PG_BIN"
)]
async fn the_database_url_is_read_from_a_railway_variable_of_another_service() {
    let pg = TestPostgres::start();
    let url = pg.fresh_database().await;
    let mut world = RailwayWorld::standard();
    world.set_variable("svc-worker", "env-stg", "DATABASE_PUBLIC_URL", &url);
    let rw = FakeRailway::start(world).await;
    let mut r = Runner::new(&rw.api_url());
    let dir = r.write_migrations(&[(
        "1_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
    )]);
    r.input("migrations", &dir);
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(public_tables(&url).await, vec!["_sqlx_migrations", "users"]);
    assert!(
        run.stdout.contains(&format!("::add-mask::{url}")),
        "the URL read from Railway is masked"
    );
    assert_url_hidden(&run, &url);
}

#[tokio::test]
async fn a_missing_database_variable_is_invalid_input_before_any_change() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let mut r = Runner::new(&rw.api_url());
    let dir = r.write_migrations(&[("1_users.sql", "CREATE TABLE users (id INTEGER);\n")]);
    r.input("migrations", &dir);
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(run.stdout.contains("DATABASE_PUBLIC_URL"), "{}", run.log());
    assert!(rw.mutations().is_empty());
}

#[tokio::test]
async fn the_pre_deploy_command_is_set_only_when_it_differs() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let mut r = Runner::new(&rw.api_url());
    r.input("migrate-command", "npx prisma migrate deploy");
    let first = r.run().await;
    assert_eq!(first.code, 0, "{}", first.log());
    assert_eq!(
        rw.mutations(),
        vec!["ServiceInstanceUpdate", "ServiceInstanceDeployV2"]
    );
    let update = first_operation(&rw.requests(), "ServiceInstanceUpdate");
    assert_eq!(
        update.body_json().unwrap()["variables"]["input"]["preDeployCommand"],
        serde_json::json!(["npx prisma migrate deploy"])
    );

    rw.state.recorder.clear();
    let second = r.run().await;
    assert_eq!(second.code, 0, "{}", second.log());
    assert_eq!(
        rw.mutations(),
        vec!["ServiceInstanceDeployV2"],
        "unchanged: not set again"
    );
}
