//! Owns which SQL is read: never a down migration (`*.down.sql`, `down.sql`, the part of a
//! dbmate file after `-- migrate:down`); with `migrate-command`, the changed files matching
//! `migration-files` (gitignore-style globs from the repository root).

use ignore::gitignore::Gitignore;

/// The `migration-files` globs as one matcher (checked with the inputs, in `config`).
pub use crate::config::migration_safety::matcher;

/// Whether `path` is a down migration by its name.
pub fn is_down_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    name == "down.sql" || name.ends_with(".down.sql")
}

/// The up part of a migration: a dbmate file stops at its `-- migrate:down` line (line numbers
/// are kept, the text is only cut).
pub fn up_part(text: &str) -> &str {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        let body = t.strip_prefix("--").map(str::trim);
        if body.is_some_and(|b| b.to_ascii_lowercase().starts_with("migrate:down")) {
            return text.get(..at).unwrap_or(text);
        }
        at += line.len();
    }
    text
}

/// The changed files (repository-relative) that hold migrations to read, in order.
pub fn select(m: &Gitignore, changed: &[String]) -> Vec<String> {
    let mut out: Vec<String> = changed
        .iter()
        .filter(|f| !is_down_file(f))
        .filter(|f| {
            let path = std::path::Path::new("/").join(f.as_str());
            m.matched_path_or_any_parents(&path, false).is_ignore()
        })
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn down_migrations_are_not_read() {
        assert!(is_down_file("db/migrations/1_a.down.sql"));
        assert!(is_down_file("migrations/20240101_x/down.sql"));
        assert!(!is_down_file("migrations/20240101_x/up.sql"));
        let dbmate = "-- migrate:up\nALTER TABLE a ADD b int;\n\n-- migrate:down\nALTER TABLE a DROP COLUMN b;\n";
        assert_eq!(
            up_part(dbmate),
            "-- migrate:up\nALTER TABLE a ADD b int;\n\n"
        );
        assert_eq!(up_part("DROP TABLE x;"), "DROP TABLE x;");
    }

    #[test]
    fn selects_the_changed_migration_files() {
        let pats: Vec<String> = [
            "**/migrations/**/*.sql",
            "**/migration/**/*.sql",
            "drizzle/**/*.sql",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let m = matcher(&pats).unwrap();
        let changed: Vec<String> = [
            "src/main.rs",
            "prisma/migrations/20240101_init/migration.sql",
            "db/migrations/2_b.down.sql",
            "drizzle/0001_x.sql",
            "migrations/3_c.sql",
            "docs/schema.sql",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            select(&m, &changed),
            vec![
                "drizzle/0001_x.sql",
                "migrations/3_c.sql",
                "prisma/migrations/20240101_init/migration.sql"
            ]
        );
    }
}
