//! Owns applying the `migrations` folder to PostgreSQL or MySQL/MariaDB before deploying, with
//! sqlx's runtime migrator: versioned files, SHA-384 checksums in `_sqlx_migrations`, a lock so
//! two runs never both apply (sqlx's advisory lock on PostgreSQL; on MySQL/MariaDB our own, see
//! `mysql_lock`), one transaction per migration where the database
//! allows it (PostgreSQL; MySQL commits DDL implicitly, which sqlx detects as "dirty").
//!
//! The loop mirrors `Migrator::run` step by step through sqlx's `Migrate` trait, so that each
//! migration is reported by file name as it is applied, and a dry run can list what is pending
//! without creating anything.

use std::path::Path;
use std::time::Duration;

use sqlx::Connection;
use sqlx::migrate::{Migrate, MigrateError, Migrator};
use sqlx::mysql::MySqlConnection;
use sqlx::postgres::PgConnection;

use crate::migrate::database::{DatabaseUrl, Engine};
use crate::migrate::error::MigrationError;
use crate::migrate::folder::{self, MigrationFiles};
use crate::migrate::mysql_lock;
use crate::record::MigrationReport;
use crate::secret::Secret;
use crate::workflow;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const TABLE: &str = "_sqlx_migrations";

/// Applies the pending migrations of `dir` to the database (or, with `dry_run`, lists them and
/// changes nothing). Stops on an applied file whose content changed, or on the first failing
/// migration, naming the file. The URL and its password are masked and never printed.
pub async fn run_sql_migrations(
    dir: &Path,
    database_url: &Secret,
    dry_run: bool,
) -> Result<MigrationReport, MigrationError> {
    run_mode(dir, database_url, dry_run, dry_run).await
}

/// The migrations of `dir` not applied yet (file names, in order), read without changing
/// anything and without a log line: whether a backup is needed before applying them.
pub async fn pending_migrations(
    dir: &Path,
    database_url: &Secret,
) -> Result<Vec<String>, MigrationError> {
    Ok(run_mode(dir, database_url, true, false).await?.pending)
}

/// Applies (`dry_run` false) or lists the pending migrations (`log_plan`: say what a dry run
/// would apply).
async fn run_mode(
    dir: &Path,
    database_url: &Secret,
    dry_run: bool,
    log_plan: bool,
) -> Result<MigrationReport, MigrationError> {
    let files = folder::scan(dir).map_err(MigrationError::Folder)?;
    let url = DatabaseUrl::parse(database_url).map_err(MigrationError::Url)?;
    url.mask();
    refuse_private_network(database_url)?;
    let migrator = Migrator::new(dir.to_path_buf()).await.map_err(|e| {
        MigrationError::Folder(format!("the `migrations` folder cannot be read: {e}"))
    })?;
    let engine = url.engine;
    let mut run = Run {
        migrator: &migrator,
        files: &files,
        url: &url,
        dry_run,
        log_plan,
        sqlx_lock: true,
    };
    match engine {
        Engine::Postgres => {
            let mut conn: PgConnection = connect(&url).await?;
            let exists = exists_pg(&mut conn).await.map_err(|e| run.db_error(e))?;
            let result = run.migrate(&mut conn, exists).await;
            let _ = conn.close().await;
            result
        }
        Engine::MySql => {
            let mut conn: MySqlConnection = connect(&url).await?;
            run.sqlx_lock = false;
            if !dry_run {
                mysql_lock::lock(&mut conn)
                    .await
                    .map_err(|m| MigrationError::Database {
                        engine: engine.as_str(),
                        message: url.redact(&m),
                    })?;
            }
            let exists = exists_mysql(&mut conn).await.map_err(|e| run.db_error(e));
            let result = match exists {
                Ok(exists) => run.migrate(&mut conn, exists).await,
                Err(e) => Err(e),
            };
            if !dry_run {
                mysql_lock::unlock(&mut conn).await;
            }
            let _ = conn.close().await;
            result
        }
    }
}

/// `*.railway.internal` only resolves inside Railway: say so instead of timing out.
fn refuse_private_network(url: &Secret) -> Result<(), MigrationError> {
    let host = url::Url::parse(url.expose().trim())
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    if host.is_some_and(|h| h.ends_with(".railway.internal")) {
        return Err(MigrationError::Url(
            "the database URL points at Railway's private network (*.railway.internal), which this runner cannot reach; use the public URL (Railway variable DATABASE_PUBLIC_URL), or run migrations inside Railway with `migrate-command`".into(),
        ));
    }
    Ok(())
}

async fn connect<C: Connection>(url: &DatabaseUrl) -> Result<C, MigrationError> {
    let engine = url.engine.as_str();
    match tokio::time::timeout(CONNECT_TIMEOUT, C::connect(url.driver_url.expose())).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(MigrationError::Connect {
            engine,
            message: url.redact(&e.to_string()),
        }),
        Err(_) => Err(MigrationError::Connect {
            engine,
            message: format!("no answer within {}s", CONNECT_TIMEOUT.as_secs()),
        }),
    }
}

async fn exists_pg(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(TABLE)
        .fetch_one(conn)
        .await
}

async fn exists_mysql(conn: &mut MySqlConnection) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
    )
    .bind(TABLE)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

struct Run<'a> {
    migrator: &'a Migrator,
    files: &'a MigrationFiles,
    url: &'a DatabaseUrl,
    dry_run: bool,
    /// Whether the dry run's plan is logged.
    log_plan: bool,
    /// Whether sqlx's `Migrate::lock` guards the run (false when the caller holds a lock).
    sqlx_lock: bool,
}

impl Run<'_> {
    async fn migrate<C: Migrate>(
        &self,
        conn: &mut C,
        table_exists: bool,
    ) -> Result<MigrationReport, MigrationError> {
        if self.dry_run {
            return self.plan(conn, table_exists).await;
        }
        if !self.sqlx_lock {
            return self.apply_pending(conn).await;
        }
        conn.lock().await.map_err(|e| self.error(e, &[]))?;
        let result = self.apply_pending(conn).await;
        // On failure the session's lock would also go with the connection; release it anyway.
        let _ = conn.unlock().await;
        result
    }

    /// Dry run: reads what is applied (when the table exists) and lists the rest; writes nothing.
    async fn plan<C: Migrate>(
        &self,
        conn: &mut C,
        table_exists: bool,
    ) -> Result<MigrationReport, MigrationError> {
        let applied = if table_exists {
            self.refuse_dirty(conn).await?;
            conn.list_applied_migrations(TABLE)
                .await
                .map_err(|e| self.error(e, &[]))?
        } else {
            Vec::new()
        };
        let pending = self.pending(&applied)?;
        let names: Vec<String> = pending
            .iter()
            .map(|m| self.files.name_of(m.version))
            .collect();
        if self.log_plan && names.is_empty() {
            workflow::info("migrations: none pending (dry run)");
        } else if self.log_plan {
            workflow::info(format!(
                "migrations: would apply {} (dry run)",
                names.join(", ")
            ));
        }
        Ok(MigrationReport {
            kind: "sql".into(),
            applied: Vec::new(),
            pending: names,
            error: None,
        })
    }

    /// A migration that failed half-way on a database without transactional DDL leaves the table
    /// "dirty": nothing more is applied until someone repairs it by hand.
    async fn refuse_dirty<C: Migrate>(&self, conn: &mut C) -> Result<(), MigrationError> {
        match conn
            .dirty_version(TABLE)
            .await
            .map_err(|e| self.error(e, &[]))?
        {
            Some(v) => Err(MigrationError::Dirty {
                file: self.files.name_of(v),
            }),
            None => Ok(()),
        }
    }

    async fn apply_pending<C: Migrate>(
        &self,
        conn: &mut C,
    ) -> Result<MigrationReport, MigrationError> {
        conn.ensure_migrations_table(TABLE)
            .await
            .map_err(|e| self.error(e, &[]))?;
        self.refuse_dirty(conn).await?;
        let applied = conn
            .list_applied_migrations(TABLE)
            .await
            .map_err(|e| self.error(e, &[]))?;
        let pending = self.pending(&applied)?;
        if pending.is_empty() {
            workflow::info("migrations: the database is up to date");
        }
        let mut done = Vec::new();
        for migration in pending {
            let file = self.files.name_of(migration.version);
            let took = conn
                .apply(TABLE, migration)
                .await
                .map_err(|e| self.error(e, &done))?;
            workflow::info(format!(
                "migrations: applied {file} in {} ms",
                took.as_millis()
            ));
            done.push(file);
        }
        Ok(MigrationReport {
            kind: "sql".into(),
            applied: done,
            pending: Vec::new(),
            error: None,
        })
    }

    /// The migrations still to apply, in order; an applied file that changed, or an applied
    /// version with no file, stops everything.
    fn pending(
        &self,
        applied: &[sqlx::migrate::AppliedMigration],
    ) -> Result<Vec<&sqlx::migrate::Migration>, MigrationError> {
        for a in applied {
            let source = self
                .migrator
                .iter()
                .find(|m| m.version == a.version && !m.migration_type.is_down_migration());
            match source {
                None => return Err(MigrationError::MissingFile { version: a.version }),
                Some(m) if m.checksum != a.checksum => {
                    return Err(MigrationError::Changed {
                        file: self.files.name_of(a.version),
                    });
                }
                Some(_) => {}
            }
        }
        Ok(self
            .migrator
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .filter(|m| !applied.iter().any(|a| a.version == m.version))
            .collect())
    }

    fn error(&self, e: MigrateError, applied: &[String]) -> MigrationError {
        match e {
            MigrateError::ExecuteMigration(err, version) => MigrationError::Failed {
                file: self.files.name_of(version),
                error: self.url.redact(&err.to_string()),
                applied: applied.to_vec(),
            },
            MigrateError::VersionMismatch(v) => MigrationError::Changed {
                file: self.files.name_of(v),
            },
            MigrateError::VersionMissing(v) => MigrationError::MissingFile { version: v },
            MigrateError::Dirty(v) => MigrationError::Dirty {
                file: self.files.name_of(v),
            },
            other => MigrationError::Database {
                engine: self.url.engine.as_str(),
                message: self.url.redact(&other.to_string()),
            },
        }
    }

    fn db_error(&self, e: sqlx::Error) -> MigrationError {
        MigrationError::Database {
            engine: self.url.engine.as_str(),
            message: self.url.redact(&e.to_string()),
        }
    }
}
