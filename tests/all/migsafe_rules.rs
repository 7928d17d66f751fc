//! Migration safety's rules on real databases: for each rule, a statement the database accepts
//! is flagged under squawk's name (positive) and its near miss is not (negative); PostgreSQL
//! through squawk's linter, MariaDB (where MySQL has the case) through the action's own MySQL lexer.
//! Each statement is executed first, so no case is SQL the database would refuse anyway.

use crate::support::postgres::{TestPostgres, unavailable};
use railway_deploy::migrate::database::Engine;
use railway_deploy::migrate::lint::lint_sql;
use sqlx::Connection;

/// (rule, positive, negative, run inside a transaction).
const PG: &[(&str, &str, &str, bool)] = &[
    (
        "ban-drop-table",
        "DROP TABLE t;",
        "DROP VIEW IF EXISTS v;",
        true,
    ),
    (
        "ban-drop-column",
        "ALTER TABLE t DROP COLUMN a;",
        "ALTER TABLE t ADD COLUMN b integer;",
        true,
    ),
    (
        "ban-drop-schema",
        "DROP SCHEMA s;",
        "CREATE SCHEMA s2;",
        true,
    ),
    (
        "ban-drop-database",
        "DROP DATABASE migsafe_scratch;",
        "CREATE DATABASE migsafe_scratch2;",
        false,
    ),
    (
        "renaming-table",
        "ALTER TABLE t RENAME TO t2;",
        "ALTER TABLE t RENAME COLUMN a TO b;",
        true,
    ),
    (
        "renaming-column",
        "ALTER TABLE t RENAME COLUMN a TO b;",
        "ALTER TABLE t RENAME TO t2;",
        true,
    ),
    (
        "changing-column-type",
        "ALTER TABLE t ALTER COLUMN a TYPE bigint;",
        "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1;",
        true,
    ),
    (
        "adding-required-field",
        "ALTER TABLE t ADD COLUMN b integer NOT NULL;",
        "ALTER TABLE t ADD COLUMN b integer NOT NULL DEFAULT 0;",
        true,
    ),
    (
        "ban-truncate-cascade",
        "TRUNCATE t CASCADE;",
        "TRUNCATE t;",
        true,
    ),
    ("ban-truncate", "TRUNCATE t;", "DELETE FROM t;", true),
    (
        "require-concurrent-index-creation",
        "CREATE INDEX i ON t (a);",
        "CREATE INDEX CONCURRENTLY i ON t (a);",
        false,
    ),
    (
        "constraint-missing-not-valid",
        "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);",
        "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;",
        true,
    ),
    (
        "adding-not-nullable-field",
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL;",
        "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;",
        true,
    ),
    (
        "adding-foreign-key-constraint",
        "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES p (id);",
        "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES p (id) NOT VALID;",
        true,
    ),
];

const PG_SETUP: &[&str] = &[
    "CREATE TABLE p (id integer PRIMARY KEY)",
    "CREATE TABLE t (a integer)",
    "CREATE SCHEMA s",
];

/// (rule, positive, negative). `DROP DATABASE`/`SCHEMA` are only linted (no scratch databases on
/// the shared server).
const MYSQL: &[(&str, &str, &str)] = &[
    (
        "ban-drop-table",
        "DROP TABLE `t`;",
        "CREATE TABLE `u` (a int);",
    ),
    (
        "ban-drop-column",
        "ALTER TABLE `t` DROP COLUMN `a`;",
        "ALTER TABLE `t` ADD COLUMN `b` int NULL;",
    ),
    (
        "renaming-table",
        "RENAME TABLE t TO t2;",
        "CREATE TABLE t2 LIKE t;",
    ),
    (
        "renaming-column",
        "ALTER TABLE t CHANGE a b int;",
        "ALTER TABLE t CHANGE a a bigint;",
    ),
    (
        "renaming-column",
        "ALTER TABLE t RENAME COLUMN a TO b;",
        "ALTER TABLE t RENAME TO t2;",
    ),
    (
        "changing-column-type",
        "ALTER TABLE t MODIFY COLUMN a bigint;",
        "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1;",
    ),
    (
        "adding-required-field",
        "ALTER TABLE t ADD COLUMN b int NOT NULL;",
        "ALTER TABLE t ADD COLUMN b int NOT NULL DEFAULT 0;",
    ),
    ("ban-truncate", "TRUNCATE TABLE t;", "DELETE FROM t;"),
    (
        "adding-not-nullable-field",
        "ALTER TABLE t MODIFY a int NOT NULL;",
        "ALTER TABLE t MODIFY a int NULL;",
    ),
    (
        "adding-foreign-key-constraint",
        "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES p (id);",
        "ALTER TABLE t ADD INDEX ia (a);",
    ),
    // Near misses the MySQL lexer must not be fooled by: strings, comments, names that are
    // keywords, backticked names with spaces, and the clauses that look like the flagged ones.
    (
        "ban-drop-table",
        "/*!40101 DROP TABLE t */;",
        "SELECT 'DROP TABLE t;', \"DROP TABLE t;\"; -- DROP TABLE t;\n# DROP TABLE t;\n/* DROP TABLE t; */",
    ),
    (
        "ban-drop-column",
        "ALTER TABLE `my table` DROP `modify`;",
        "ALTER TABLE t ADD INDEX ia (a); ALTER TABLE t DROP INDEX ia;",
    ),
    (
        "changing-column-type",
        "ALTER TABLE `my table` MODIFY `modify` bigint;",
        "ALTER TABLE `my table` ADD COLUMN `change` int NULL;",
    ),
    (
        "renaming-column",
        "ALTER TABLE `my table` CHANGE `my col` `my  col` int;",
        "ALTER TABLE `my table` CHANGE `my col` `MY COL` bigint;",
    ),
    (
        "renaming-table",
        "ALTER TABLE t RENAME AS t2;",
        "ALTER TABLE t ADD INDEX ia (a); ALTER TABLE t RENAME INDEX ia TO ib;",
    ),
    (
        "adding-required-field",
        "ALTER TABLE t ADD (b int NOT NULL, c int);",
        "ALTER TABLE t ADD COLUMN x INT NOT NULL DEFAULT 0;",
    ),
    (
        "adding-required-field",
        "ALTER TABLE t ADD COLUMN `not null` int NOT NULL COMMENT 'x';",
        "ALTER TABLE t ADD COLUMN x INT NOT NULL AUTO_INCREMENT PRIMARY KEY, ADD y int AS (a + 1) VIRTUAL;",
    ),
    (
        "adding-not-nullable-field",
        "ALTER TABLE t MODIFY COLUMN a enum('x', 'y') NOT NULL;",
        "ALTER TABLE t MODIFY a int NULL CHECK (a IS NOT NULL);",
    ),
    (
        "ban-truncate",
        "TRUNCATE t;",
        "INSERT INTO t (a) VALUES (1); -- TRUNCATE t;",
    ),
];

const MYSQL_SETUP: &[&str] = &[
    "DROP TABLE IF EXISTS t, t2, u, p, `my table`",
    "CREATE TABLE `my table` (`my col` int, `modify` int) ENGINE=InnoDB",
    "CREATE TABLE p (id int PRIMARY KEY) ENGINE=InnoDB",
    "CREATE TABLE t (a int, z int) ENGINE=InnoDB",
];

fn rules(sql: &str, engine: Engine) -> Vec<String> {
    let linted = lint_sql("m/1_case.sql", sql, engine);
    assert!(linted.warnings.is_empty(), "{sql}: {:?}", linted.warnings);
    linted.findings.into_iter().map(|f| f.rule).collect()
}

async fn run(c: &mut sqlx::postgres::PgConnection, s: String) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(s))
        .execute(c)
        .await
        .map(|_| ())
}

async fn pg_accepts(url: &str, sql: &str, in_transaction: bool) {
    let mut c = sqlx::postgres::PgConnection::connect(url).await.unwrap();
    if in_transaction {
        run(&mut c, "BEGIN".into()).await.unwrap();
    }
    for s in PG_SETUP {
        run(&mut c, s.to_string()).await.unwrap();
    }
    if sql.contains("DROP DATABASE") {
        run(&mut c, "CREATE DATABASE migsafe_scratch".into())
            .await
            .unwrap();
    }
    let result = run(&mut c, sql.to_string()).await;
    if in_transaction {
        run(&mut c, "ROLLBACK".into()).await.unwrap();
    } else {
        for s in [
            "DROP TABLE IF EXISTS t, t2, p CASCADE",
            "DROP SCHEMA IF EXISTS s, s2",
            "DROP DATABASE IF EXISTS migsafe_scratch2",
        ] {
            run(&mut c, s.to_string()).await.unwrap();
        }
    }
    assert!(result.is_ok(), "PostgreSQL refused `{sql}`: {result:?}");
}

#[tokio::test]
#[cfg_attr(
    rd_no_postgres,
    ignore = "needs PostgreSQL: initdb and pg_ctl in /usr/lib/postgresql/15/bin or $RAILWAY_DEPLOY_TEST_PG_BIN"
)]
async fn each_postgres_rule_flags_its_statement_and_not_its_near_miss() {
    let pg = TestPostgres::start();
    let url = pg.fresh_database().await;
    for (rule, positive, negative, tx) in PG {
        pg_accepts(&url, positive, *tx).await;
        pg_accepts(&url, negative, *tx).await;
        let found = rules(positive, Engine::Postgres);
        assert!(
            found.iter().any(|r| r == rule),
            "`{positive}` not flagged {rule}: {found:?}"
        );
        let near = rules(negative, Engine::Postgres);
        assert!(
            !near.iter().any(|r| r == rule),
            "`{negative}` flagged {rule}: {near:?}"
        );
    }
}

#[tokio::test]
#[cfg_attr(
    rd_no_mysql,
    ignore = "needs MariaDB: RAILWAY_DEPLOY_TEST_MYSQL_URL (eval \"$(.ci/mariadb.sh)\")"
)]
async fn each_mysql_rule_flags_its_statement_and_not_its_near_miss() {
    let Ok(url) = std::env::var("RAILWAY_DEPLOY_TEST_MYSQL_URL") else {
        unavailable(
            "MariaDB (RAILWAY_DEPLOY_TEST_MYSQL_URL is unset; run `eval \"$(.ci/mariadb.sh)\"`)",
        );
    };
    let mut c = sqlx::mysql::MySqlConnection::connect(&url).await.unwrap();
    for (rule, positive, negative) in MYSQL {
        for sql in [positive, negative] {
            for s in MYSQL_SETUP {
                sqlx::raw_sql(sqlx::AssertSqlSafe(s.to_string()))
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
            let r = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(&mut c)
                .await;
            assert!(r.is_ok(), "MariaDB refused `{sql}`: {r:?}");
        }
        let found = rules(positive, Engine::MySql);
        assert!(
            found.iter().any(|r| r == rule),
            "`{positive}` not flagged {rule}: {found:?}"
        );
        let near = rules(negative, Engine::MySql);
        assert!(
            !near.iter().any(|r| r == rule),
            "`{negative}` flagged {rule}: {near:?}"
        );
    }
    for s in ["DROP TABLE IF EXISTS t, t2, u, p, `my table`"] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(s.to_string()))
            .execute(&mut c)
            .await
            .unwrap();
    }
    // The rules MySQL has no case for are never raised on MySQL SQL.
    assert_eq!(rules("DROP SCHEMA s;", Engine::MySql), ["ban-drop-schema"]);
    assert_eq!(
        rules("DROP DATABASE d;", Engine::MySql),
        ["ban-drop-database"]
    );
    assert!(rules("CREATE INDEX i ON t (a);", Engine::MySql).is_empty());
}

#[test]
fn squawk_ignore_is_honoured_and_unparseable_sql_is_a_warning_not_a_finding() {
    for engine in [Engine::Postgres, Engine::MySql] {
        let sql = "-- squawk-ignore ban-drop-column\nALTER TABLE t DROP COLUMN a;\nALTER TABLE t DROP COLUMN b;\n";
        let linted = lint_sql("m/2.sql", sql, engine);
        let lines: Vec<(usize, &str)> = linted
            .findings
            .iter()
            .map(|f| (f.line, f.rule.as_str()))
            .collect();
        assert_eq!(lines, [(3, "ban-drop-column")], "{engine:?}");
        let truncate = lint_sql(
            "m/3.sql",
            "-- squawk-ignore ban-truncate\nTRUNCATE TABLE t;\n",
            engine,
        );
        assert!(truncate.findings.is_empty(), "{engine:?}: {truncate:?}");
        let broken = lint_sql(
            "m/4.sql",
            "ALTER TABLE t DROP COLUMN a;\nTHIS IS NOT SQL;\n",
            engine,
        );
        assert_eq!(broken.findings.len(), 1, "{engine:?}: {broken:?}");
        assert_eq!(broken.warnings.len(), 1, "{engine:?}");
        assert!(
            broken.warnings[0].contains("`m/4.sql`"),
            "{:?}",
            broken.warnings
        );
    }
    let long = format!("ALTER TABLE t ALTER COLUMN a TYPE {};", "x".repeat(400));
    let f = &lint_sql("m/5.sql", &long, Engine::Postgres).findings[0];
    assert_eq!(f.statement.chars().count(), 200);
    // A dbmate file's down part is never read.
    let dbmate = "-- migrate:up\nALTER TABLE t ADD COLUMN b int;\n-- migrate:down\nALTER TABLE t DROP COLUMN b;\n";
    assert!(
        lint_sql("db/migrations/1.sql", dbmate, Engine::Postgres)
            .findings
            .is_empty()
    );
}
