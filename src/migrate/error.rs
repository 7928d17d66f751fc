//! Owns what can go wrong with SQL migrations, each said with the file concerned and what to do.
//! Messages never contain the database URL or its password (they are redacted before they get here).

use crate::record::MigrationReport;

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// The `migrations` folder is missing, empty or has misnamed files (invalid input).
    #[error("{0}")]
    Folder(String),
    /// The database URL is unusable as given (invalid input).
    #[error("{0}")]
    Url(String),
    #[error(
        "could not connect to the {engine} database: {message}; check `database-url` (or the Railway variable named by `database-url-variable`) and that the database accepts connections from this runner"
    )]
    Connect {
        engine: &'static str,
        message: String,
    },
    #[error(
        "migration `{file}` was already applied, but the file has changed since; restore its applied content and put the change in a new migration file"
    )]
    Changed { file: String },
    #[error(
        "migration version {version} was applied to the database but is not in the `migrations` folder; restore its file (deleting applied migrations is not supported)"
    )]
    MissingFile { version: i64 },
    #[error(
        "migration `{file}` is marked as partially applied (MySQL/MariaDB cannot roll back schema changes); repair the schema by hand, then delete its row from `_sqlx_migrations`"
    )]
    Dirty { file: String },
    #[error("migration `{file}` failed: {error}; nothing was deployed")]
    Failed {
        file: String,
        error: String,
        /// Migrations applied by this run before the failing one.
        applied: Vec<String>,
    },
    #[error("migrating the {engine} database failed: {message}")]
    Database {
        engine: &'static str,
        message: String,
    },
}

impl MigrationError {
    /// True when the input is at fault and nothing was touched (exit 2 in the contract).
    pub fn is_input_error(&self) -> bool {
        matches!(self, MigrationError::Folder(_) | MigrationError::Url(_))
    }

    /// The migration report of a failed run, for the run report.
    pub fn report(&self) -> MigrationReport {
        let applied = match self {
            MigrationError::Failed { applied, .. } => applied.clone(),
            _ => Vec::new(),
        };
        MigrationReport {
            kind: "sql".to_string(),
            applied,
            pending: Vec::new(),
            error: Some(self.to_string()),
        }
    }
}
