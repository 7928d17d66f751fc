//! Owns reading the SQL a run is about to migrate, before any change: with `migrations`, the
//! pending files (read from the database without writing); with `migrate-command`, the files
//! matching `migration-files` among those GitHub lists as changed between the commit each
//! service serves and the one the run deploys to it ([`Range`]; a comparison the run already
//! read for the order checks is used again, not asked for twice), read from the checkout
//! (repository-relative paths; a changed file that is gone was deleted, skipped). When that list
//! may be cut short (GitHub lists at most 300 files), or the checkout holds another commit than
//! the one deployed, the files come from both commits' trees and are read at the deployed commit
//! instead (`super::at_commit`): complete, and what the deploy runs.

use std::path::Path;

use super::{Linted, files, lint_sql};
use crate::github::GitHub;
use crate::github::compare::Comparison;
use crate::migrate::database::{DatabaseUrl, Engine};
use crate::secret::Secret;
use crate::text::short_sha;

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
    /// Repository-relative paths matching `migration-files`, down files left out, sorted,
    /// listed by a comparison up to the commit the checkout holds: read from the checkout.
    pub files: Vec<String>,
    /// Listed by the commits' trees: read at their commit (`super::at_commit`).
    pub at_commit: Vec<super::at_commit::AtCommit>,
    pub warnings: Vec<String>,
    /// What could not be listed (see [`Linted::unchecked`]).
    pub unchecked: Vec<String>,
}

impl ChangedFiles {
    /// Whether any file is to be read.
    pub fn any(&self) -> bool {
        !self.files.is_empty() || !self.at_commit.is_empty()
    }
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

/// `migrate-command`: the changed files matching `patterns` in each range. A range whose new
/// commit the checkout (holding `checkout`) holds is listed by GitHub's comparison (one per
/// distinct `base...head`, none when the range's is [`Range::known`]); when that list may be cut
/// short, or the checkout holds another commit, by both commits' trees (`super::at_commit`).
pub async fn changed_files(
    github: Option<&GitHub>,
    patterns: &[String],
    ranges: &[Range],
    checkout: Option<&str>,
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
        if base == head {
            continue; // Serves the commit deployed: nothing changed.
        }
        // The checkout holds another commit: what it holds is not what is deployed.
        if checkout.is_some_and(|c| c != head) {
            super::at_commit::list(gh, &m, base, head, &mut out).await;
            continue;
        }
        let found = match known {
            Some(c) => Ok(Some(c.clone())),
            None => gh.compare(base, head, true).await,
        };
        match found {
            Ok(Some(c)) => match c.files {
                Some(f) => changed.extend(f),
                // Cut short at 300 files: the trees list them all.
                None => super::at_commit::list(gh, &m, base, head, &mut out).await,
            },
            Ok(None) => out.warnings.push(format!(
                "GitHub does not know commit {} or {}, so the migration files this deploy runs could not be listed and were not read",
                short_sha(base),
                short_sha(head)
            )),
            Err(e) => out.warnings.push(format!(
                "could not list the files changed since {} on GitHub ({e}), so the migration files this deploy runs were not read",
                short_sha(base)
            )),
        }
    }
    out.files = files::select(&m, &changed);
    out
}

/// Reads and classifies `changed`'s files as `engine`'s SQL: those listed by a comparison from
/// the checkout at `root` (a listed file missing there was deleted by the change: skipped), those
/// listed by the trees at their commit (`super::at_commit::read`, from the checkout, which holds
/// commit `checkout`, when the same there).
pub async fn lint_changed(
    changed: ChangedFiles,
    github: Option<&GitHub>,
    root: &Path,
    checkout: Option<&str>,
    engine: Engine,
) -> Linted {
    let mut out = Linted {
        findings: Vec::new(),
        warnings: changed.warnings,
        unchecked: changed.unchecked,
    };
    for file in changed.files {
        match std::fs::read_to_string(root.join(&file)) {
            Ok(text) => out.extend(lint_sql(&file, &text, engine)),
            // Deleted by this change (GitHub lists removed files too).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => out.warnings.push(format!(
                "`{file}` could not be read ({e}); its SQL was not checked"
            )),
        }
    }
    let wanted = &changed.at_commit;
    out.extend(super::at_commit::read(github, wanted, root, checkout, engine).await);
    out
}
