//! Owns reading the SQL a run is about to migrate, before any change: with `migrations`, the
//! pending files (read from the database without writing); with `migrate-command`, the files
//! matching `migration-files` among those GitHub lists as changed between the commit each
//! service serves and the one the run deploys to it ([`Range`]; a comparison the run already
//! read for the order checks is used again, not asked for twice). Files are read from the
//! checkout (repository-relative paths); a changed file that is gone (deleted) is skipped; a
//! file list that may be cut short is a warning.

use std::path::Path;

use super::{Linted, files, lint_sql};
use crate::github::GitHub;
use crate::github::compare::Comparison;
use crate::migrate::database::{DatabaseUrl, Engine};
use crate::secret::Secret;

/// One service's changed files to read: from the commit it serves to the one this run deploys
/// to it (`None`: not known).
#[derive(Clone, Debug, Default)]
pub struct Range {
    pub service: String,
    pub base: Option<String>,
    pub head: Option<String>,
    /// GitHub's comparison of `base...head` that the run already read (the order checks), when
    /// it lists the files.
    pub known: Option<Comparison>,
}

/// The migration files changed in the ranges, and what could not be listed.
#[derive(Clone, Debug, Default)]
pub struct ChangedFiles {
    /// Repository-relative paths matching `migration-files`, down files left out, sorted.
    pub files: Vec<String>,
    pub warnings: Vec<String>,
    /// The commits the files were changed up to (each range's head), for where they are read.
    pub heads: Vec<String>,
}

/// `migrations`: reads and classifies the pending files of `dir` on the database at `url` (a
/// failure to list them only warns: the migrate stage reports it with its own words).
pub async fn pending(dir: &Path, url: &Secret) -> Linted {
    let mut out = Linted::default();
    let engine = DatabaseUrl::parse(url).map_or(Engine::Postgres, |u| u.engine);
    let names = match crate::migrate::sql::pending_migrations(dir, url).await {
        Ok(n) => n,
        Err(e) => {
            out.warnings.push(format!(
                "the pending migrations could not be listed before the run ({e}), so their SQL was not read"
            ));
            return out;
        }
    };
    out.extend(folder_files(dir, names.iter(), engine));
    out
}

/// Every migration of `dir` (down files left out), in order, as `engine`'s SQL: what a new,
/// empty database would apply (a new preview's, read before the preview exists).
pub fn every_file(dir: &Path, engine: Engine) -> Linted {
    let mut out = Linted::default();
    let listed = match crate::config::migrations::scan(dir) {
        Ok(l) => l,
        Err(e) => {
            out.warnings.push(format!(
                "the migrations could not be listed before the run ({e}), so their SQL was not read"
            ));
            return out;
        }
    };
    out.extend(folder_files(dir, listed.files.values(), engine));
    out
}

/// Reads and classifies the files `names` of the folder `dir` (down files left out).
fn folder_files<'a>(dir: &Path, names: impl Iterator<Item = &'a String>, engine: Engine) -> Linted {
    let mut out = Linted::default();
    for name in names.filter(|n| !files::is_down_file(n)) {
        let path = dir.join(name);
        let shown = path.display().to_string();
        match std::fs::read_to_string(&path) {
            Ok(text) => out.extend(lint_sql(&shown, &text, engine)),
            Err(e) => out.warnings.push(format!(
                "`{shown}` could not be read ({e}); its SQL was not checked"
            )),
        }
    }
    out
}

/// `migrate-command`: the changed files matching `patterns` in each range (one comparison per
/// distinct `base...head`, none when the range's is [`Range::known`]).
pub async fn changed_files(
    github: Option<&GitHub>,
    patterns: &[String],
    ranges: &[Range],
) -> ChangedFiles {
    let mut out = ChangedFiles::default();
    let m = match files::matcher(patterns) {
        Ok(m) => m,
        Err(e) => {
            out.warnings.push(format!("`migration-files`: {e}"));
            return out;
        }
    };
    let mut pairs: Vec<(&str, &str, Option<&Comparison>)> = Vec::new();
    for r in ranges {
        match (r.base.as_deref(), r.head.as_deref()) {
            (_, None) => {}
            (None, Some(_)) => out.warnings.push(format!(
                "the commit `{}` serves is not known, so the migration files this deploy runs could not be listed and were not read; check them by hand",
                r.service
            )),
            (Some(base), Some(head)) => {
                if !pairs.iter().any(|(b, h, _)| *b == base && *h == head) {
                    // Asked without its files (or not at all): compared here, with them.
                    let known = (r.known.as_ref()).filter(|c| c.files.is_some() || c.cut_short);
                    pairs.push((base, head, known));
                }
            }
        }
    }
    if pairs.is_empty() {
        return out;
    }
    let Some(gh) = github else {
        out.warnings.push("no GitHub token: the migration files changed by this commit cannot be listed, so their SQL was not read before deploying. Pass `github-token`".into());
        return out;
    };
    let mut changed: Vec<String> = Vec::new();
    for (base, head, known) in pairs {
        let found = match known {
            Some(c) => Ok(Some(c.clone())),
            None => gh.compare(base, head, true).await,
        };
        match found {
            Ok(Some(c)) => match c.files {
                Some(f) => changed.extend(f),
                None => out.warnings.push(format!(
                    "GitHub's comparison of {} with {} may list only part of the changed files, so some migration files may not have been read; check them by hand",
                    short(base),
                    short(head)
                )),
            },
            Ok(None) => out.warnings.push(format!(
                "GitHub does not know commit {} or {}, so the migration files this deploy runs could not be listed and were not read",
                short(base),
                short(head)
            )),
            Err(e) => out.warnings.push(format!(
                "could not list the files changed since {} on GitHub ({e}), so the migration files this deploy runs were not read",
                short(base)
            )),
        }
        if !out.heads.iter().any(|h| h == head) {
            out.heads.push(head.to_string());
        }
    }
    out.files = files::select(&m, &changed);
    out
}

/// Reads and classifies `changed`'s files from the checkout at `root` (which holds commit
/// `checkout`, when known), as `engine`'s SQL. A file missing from a checkout of the commit it
/// was changed up to was deleted by the change (skipped); missing from a checkout of another
/// commit (`command: promote` runs on a later commit than the one it promotes), it is a warning.
pub fn lint_changed(
    changed: ChangedFiles,
    root: &Path,
    checkout: Option<&str>,
    engine: Engine,
) -> Linted {
    let mut out = Linted {
        findings: Vec::new(),
        warnings: changed.warnings,
    };
    let elsewhere: Vec<&str> = changed
        .heads
        .iter()
        .map(String::as_str)
        .filter(|h| checkout.is_some_and(|c| c != *h))
        .collect();
    if !changed.files.is_empty()
        && let (Some(head), Some(at)) = (elsewhere.first(), checkout)
    {
        out.warnings.push(format!(
            "the migration files changed up to commit {} were read from the checkout, which holds commit {}: check them by hand if they differ there",
            short(head),
            short(at)
        ));
    }
    for file in changed.files {
        match std::fs::read_to_string(root.join(&file)) {
            Ok(text) => out.extend(lint_sql(&file, &text, engine)),
            // Deleted by this change (GitHub lists removed files too), or outside the checkout.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && elsewhere.is_empty() => {}
            Err(e) => out.warnings.push(format!(
                "`{file}` could not be read ({e}); its SQL was not checked"
            )),
        }
    }
    out
}

fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}
