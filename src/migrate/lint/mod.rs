//! Owns reading the SQL a run is about to migrate before any change (contract: Migration
//! safety): each statement classified with squawk's rules and names (`rules`), PostgreSQL by
//! squawk's own linter (`postgres`), MySQL/MariaDB by a small MySQL lexer of our own (`mysql`);
//! down migrations are never read (`files`); with `migrate-command`, the changed files come from
//! GitHub's comparison or, when that may be cut short or the checkout holds another commit, from
//! both commits' trees and read at the new commit (`read`, `at_commit`); SQL that does not parse is a warning naming the
//! file, never a finding; SQL that cannot be read at all is `unchecked`. Classifying is pure:
//! text in, findings and warnings out.

pub mod at_commit;
pub mod files;
pub mod ignore;
pub mod mysql;
pub mod policy;
pub mod postgres;
pub mod read;
pub mod rules;

pub use crate::record::{Class, Finding};

use crate::migrate::database::Engine;

/// What a rule means, in words (for the log and the reports).
pub fn what(f: &Finding) -> &'static str {
    rules::find(&f.rule).map(|r| r.what).unwrap_or("")
}

/// What reading the SQL found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Linted {
    pub findings: Vec<Finding>,
    /// Files (or parts) that could not be read or parsed, as sentences naming the file.
    pub warnings: Vec<String>,
    /// SQL the run is about to migrate that could not be listed or read at all, as sentences
    /// naming it: with `destructive-migrations: refuse`, the run cannot say it was checked.
    pub unchecked: Vec<String>,
}

impl Linted {
    pub fn extend(&mut self, other: Linted) {
        self.findings.extend(other.findings);
        self.warnings.extend(other.warnings);
        self.unchecked.extend(other.unchecked);
    }

    pub fn destructive(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.is_destructive())
    }
}

/// A flagged statement before it is placed: the rule, the byte offset of the finding, and the
/// statement's span (bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Raw {
    pub rule: &'static str,
    pub offset: usize,
    pub statement: (usize, usize),
}

/// Longest statement text a finding carries (the contract's 200 characters).
const STATEMENT_CHARS: usize = 200;

/// Classifies one migration file's SQL (its up part only: see [`files::up_part`]).
pub fn lint_sql(file: &str, text: &str, engine: Engine) -> Linted {
    let text = files::up_part(text);
    let (raws, errors) = match engine {
        Engine::Postgres => postgres::lint(text),
        Engine::MySql => mysql::lint(text),
    };
    let warnings = errors
        .first()
        .map(|(message, at)| {
            format!(
                "`{file}`: SQL that does not parse at line {} ({message}); the statements that do parse were read, check the rest by hand",
                line_of(text, *at)
            )
        })
        .into_iter()
        .collect();
    let findings = raws
        .into_iter()
        .filter_map(|r| {
            let spec = rules::find(r.rule)?;
            Some(Finding {
                file: file.to_string(),
                line: line_of(text, r.statement.0),
                rule: spec.name.to_string(),
                class: spec.class,
                statement: statement_text(text, r.statement),
            })
        })
        .collect();
    Linted {
        findings,
        warnings,
        unchecked: Vec::new(),
    }
}

/// The 1-based line of byte `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    let head = text.get(..offset.min(text.len())).unwrap_or(text);
    head.bytes().filter(|b| *b == b'\n').count() + 1
}

/// The statement's text, whitespace folded, cut to [`STATEMENT_CHARS`] characters.
fn statement_text(text: &str, (start, end): (usize, usize)) -> String {
    let raw = text.get(start..end.min(text.len())).unwrap_or_default();
    let folded = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    folded.chars().take(STATEMENT_CHARS).collect()
}
