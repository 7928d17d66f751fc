//! Owns the migration lock on MySQL/MariaDB. sqlx's own lock calls `GET_LOCK(name, -1)`, which
//! MySQL reads as "wait forever" but MariaDB answers with NULL at once without locking, and sqlx
//! ignores the result: on MariaDB two runs would apply the same migration. So the action takes a
//! named lock itself, with a positive timeout in a loop, and checks the answer.

use std::time::{Duration, Instant};

use sqlx::mysql::MySqlConnection;

use crate::workflow;

/// One GET_LOCK wait; a progress line is printed between waits.
const WAIT_STEP_SECS: i64 = 10;
/// How long to wait for another run's migrations before giving up.
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// The lock name: per database (GET_LOCK is server-wide), within MySQL's 64-character limit.
const NAME_SQL: &str = "CONCAT('railway-deploy-migrate-', LEFT(SHA2(DATABASE(), 256), 32))";

/// Waits for the database's migration lock. Err is a message for the user.
pub async fn lock(conn: &mut MySqlConnection) -> Result<(), String> {
    let started = Instant::now();
    let sql = format!("SELECT GET_LOCK({NAME_SQL}, {WAIT_STEP_SECS})");
    loop {
        let got: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| format!("taking the migration lock failed: {e}"))?;
        match got {
            Some(1) => return Ok(()),
            Some(_) if started.elapsed() < MAX_WAIT => workflow::info(format!(
                "migrations: waiting for another run's migrations to finish ({}s)",
                started.elapsed().as_secs()
            )),
            Some(_) => {
                return Err(format!(
                    "another run has held the migration lock for {} minutes; check for a stuck deploy, or a session holding it (SELECT IS_USED_LOCK(...))",
                    MAX_WAIT.as_secs() / 60
                ));
            }
            None => {
                return Err(
                    "the database refused the migration lock (GET_LOCK returned NULL)".into(),
                );
            }
        }
    }
}

/// Releases the lock (closing the connection would too).
pub async fn unlock(conn: &mut MySqlConnection) {
    let sql = format!("SELECT RELEASE_LOCK({NAME_SQL})");
    let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await;
}
