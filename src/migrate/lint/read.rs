//! Owns reading the SQL a run is about to migrate, before any change: with `migrations`, the
//! pending files (read from the database without writing); with `migrate-command`, the files
//! matching `migration-files` among those GitHub lists as changed since the commit each service
//! serves. Files are read from the checkout (repository-relative paths); a changed file that is
//! gone (deleted) is skipped; a file list that may be cut short is a warning.

use std::path::{Path, PathBuf};

use super::{Linted, files, lint_sql};
use crate::github::GitHub;
use crate::migrate::database::{DatabaseUrl, Engine};
use crate::secret::Secret;

/// Where the SQL comes from.
pub enum SqlSource<'a> {
    /// `migrations`: the pending files of `dir`, on the database at `url`.
    Pending { dir: &'a Path, url: &'a Secret },
    /// `migrate-command`: the changed files matching `patterns`, between each served commit and
    /// `new` (the commit this run deploys).
    Changed {
        github: Option<&'a GitHub>,
        patterns: &'a [String],
        /// (service name, the commit it serves; `None` when unknown).
        served: Vec<(String, Option<String>)>,
        new: Option<&'a str>,
        /// Where repository-relative paths are read from (the checkout).
        root: PathBuf,
    },
}

/// Reads and classifies the SQL; `Err` is a reason the pending files could not be listed (the
/// migrate stage reports the same failure with its own words, so this only warns).
pub async fn read(source: SqlSource<'_>) -> Linted {
    match source {
        SqlSource::Pending { dir, url } => pending(dir, url).await,
        SqlSource::Changed {
            github,
            patterns,
            served,
            new,
            root,
        } => changed(github, patterns, &served, new, &root).await,
    }
}

async fn pending(dir: &Path, url: &Secret) -> Linted {
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
    for name in names.iter().filter(|n| !files::is_down_file(n)) {
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

async fn changed(
    github: Option<&GitHub>,
    patterns: &[String],
    served: &[(String, Option<String>)],
    new: Option<&str>,
    root: &Path,
) -> Linted {
    let mut out = Linted::default();
    let m = match files::matcher(patterns) {
        Ok(m) => m,
        Err(e) => {
            out.warnings.push(format!("`migration-files`: {e}"));
            return out;
        }
    };
    let Some(new) = new else {
        return out;
    };
    let Some(gh) = github else {
        out.warnings.push("no GitHub token: the migration files changed by this commit cannot be listed, so their SQL was not read before deploying. Pass `github-token`".into());
        return out;
    };
    let mut bases: Vec<&str> = Vec::new();
    for (name, s) in served {
        match s.as_deref() {
            Some(base) if !bases.contains(&base) => bases.push(base),
            Some(_) => {}
            None => out.warnings.push(format!(
                "the commit `{name}` serves is not known, so the migration files this deploy runs could not be listed and were not read; check them by hand"
            )),
        }
    }
    let mut changed: Vec<String> = Vec::new();
    for base in bases {
        match gh.compare(base, new, true).await {
            Ok(Some(c)) => match c.files {
                Some(f) => changed.extend(f),
                None => out.warnings.push(format!(
                    "GitHub's comparison of {} with {} may list only part of the changed files, so some migration files may not have been read; check them by hand",
                    short(base),
                    short(new)
                )),
            },
            Ok(None) => out.warnings.push(format!(
                "GitHub does not know commit {} or {}, so the migration files this deploy runs could not be listed and were not read",
                short(base),
                short(new)
            )),
            Err(e) => out.warnings.push(format!(
                "could not list the files changed since {} on GitHub ({e}), so the migration files this deploy runs were not read",
                short(base)
            )),
        }
    }
    for file in files::select(&m, &changed) {
        match std::fs::read_to_string(root.join(&file)) {
            Ok(text) => out.extend(lint_sql(&file, &text, Engine::Postgres)),
            // Deleted by this change (GitHub lists removed files too), or outside the checkout.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
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
