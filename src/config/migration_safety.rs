//! Owns `destructive-migrations` and `migration-files` (contract: Migration safety): what a
//! destructive migration does to the run, and which changed files hold the SQL that
//! `migrate-command` runs.

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::parse::Inputs;
use super::{InputError, invalid};

/// `destructive-migrations`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DestructivePolicy {
    /// A warning each (the default).
    #[default]
    Warn,
    /// A destructive finding is invalid input, before any change.
    Refuse,
    /// Listed only; a failed release may still be rolled back after one was applied.
    Allow,
}

impl DestructivePolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            DestructivePolicy::Warn => "warn",
            DestructivePolicy::Refuse => "refuse",
            DestructivePolicy::Allow => "allow",
        }
    }
}

/// The default of `migration-files`, as the contract states it.
pub const DEFAULT_FILES: &str = "**/migrations/**/*.sql, **/migration/**/*.sql, drizzle/**/*.sql";

/// Both inputs, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationSafety {
    pub destructive: DestructivePolicy,
    /// `migration-files`: gitignore-style globs from the repository root.
    pub files: Vec<String>,
}

impl Default for MigrationSafety {
    fn default() -> Self {
        MigrationSafety {
            destructive: DestructivePolicy::Warn,
            files: split(DEFAULT_FILES),
        }
    }
}

fn split(s: &str) -> Vec<String> {
    s.split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// Reads both inputs; `Err` names the bad value and the accepted ones.
pub(super) fn read(inputs: &Inputs) -> Result<MigrationSafety, InputError> {
    let destructive = match inputs
        .get("destructive-migrations")
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("warn") => DestructivePolicy::Warn,
        Some("refuse") => DestructivePolicy::Refuse,
        Some("allow") => DestructivePolicy::Allow,
        Some(other) => {
            return Err(invalid(
                "destructive-migrations",
                format!("is `{other}`; use `warn`, `refuse` or `allow`"),
            ));
        }
    };
    let files = inputs.get("migration-files").map(split).unwrap_or_default();
    let files = if files.is_empty() {
        split(DEFAULT_FILES)
    } else {
        files
    };
    if let Err(e) = matcher(&files) {
        return Err(invalid("migration-files", e));
    }
    Ok(MigrationSafety { destructive, files })
}

/// The `migration-files` globs as one matcher; `Err` names a pattern that does not parse.
pub fn matcher(patterns: &[String]) -> Result<Gitignore, String> {
    let mut b = GitignoreBuilder::new("/");
    for p in patterns.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        b.add_line(None, p)
            .map_err(|e| format!("pattern `{p}` does not parse: {e}"))?;
    }
    b.build()
        .map_err(|e| format!("the patterns do not parse: {e}"))
}
