//! What reading the migrations before any change found (contract: Migration safety), as plain
//! data: the flagged statements, the warnings (SQL that does not parse, a changed-file list that
//! may be cut short, `railway.json` settings no longer read, a pre-deploy step that did not run),
//! and why the run did not roll back after a destructive migration.

use serde::Serialize;

/// The contract's classes of a flagged statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Removes, renames or retypes something: the previous release may not read the new schema.
    Destructive,
    /// Holds a lock that blocks reads or writes while it runs.
    Locking,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Destructive => "destructive",
            Class::Locking => "locking",
        }
    }
}

/// One flagged statement (the `migration-findings` output's object).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The file, as the run names it (repository-relative when it can).
    pub file: String,
    /// The statement's first line (1-based).
    pub line: usize,
    /// squawk's rule name.
    pub rule: String,
    pub class: Class,
    /// The statement's first 200 characters (whitespace runs folded to one space).
    pub statement: String,
}

impl Finding {
    pub fn is_destructive(&self) -> bool {
        self.class == Class::Destructive
    }
}

/// The run's migration-safety record.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MigrationSafetyReport {
    pub findings: Vec<Finding>,
    /// Sentences for the log, the summary and the comment.
    pub warnings: Vec<String>,
    /// `destructive-migrations` (`warn`, `refuse`, `allow`), when SQL was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Set when a failed release was not rolled back because this run applied a destructive
    /// migration: what changed the schema, the backup and how to restore it or fix forward.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_held: Option<String>,
}

impl MigrationSafetyReport {
    pub fn destructive(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.is_destructive())
    }
}
