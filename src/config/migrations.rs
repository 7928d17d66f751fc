//! Owns checking the `migrations` folder when the inputs are loaded, before anything is written or
//! any database is contacted: it exists, holds SQL files named the way sqlx's migrator reads them
//! (`<version>_<name>.sql`, or reversible `<version>_<name>.up.sql` / `.down.sql`), with no
//! version used twice.

use std::collections::BTreeMap;
use std::path::Path;

/// The migrations the action applies, by version, with their file names (for messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationFiles {
    /// version → file name of the migration that is applied (simple or `.up.sql`).
    pub files: BTreeMap<i64, String>,
}

impl MigrationFiles {
    /// The file name of a version, or a description when the folder has no such version.
    pub fn name_of(&self, version: i64) -> String {
        self.files
            .get(&version)
            .cloned()
            .unwrap_or_else(|| format!("version {version} (no file in the folder)"))
    }
}

/// Validates `dir` and lists its migrations. Err is a message naming the problem and the fix.
///
/// Decision: a `.sql` file that does not follow the naming is an error, not silently skipped as
/// sqlx's resolver would do: a user's `init.sql` that never runs is worse than a clear stop.
/// Other files (README.md ...) are ignored. `.down.sql` files are allowed but never run.
pub fn scan(dir: &Path) -> Result<MigrationFiles, String> {
    let shown = dir.display();
    let meta = std::fs::metadata(dir).map_err(|e| {
        format!("`migrations` folder `{shown}` cannot be read ({e}); give a path relative to the repository root")
    })?;
    if !meta.is_dir() {
        return Err(format!(
            "`migrations` is `{shown}`, which is a file, not a folder"
        ));
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("`migrations` folder `{shown}` cannot be listed ({e})"))?;
    let mut files = BTreeMap::new();
    let mut misnamed = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| format!("`migrations` folder `{shown}` cannot be listed ({e})"))?;
        if !entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".sql") {
            continue;
        }
        match parse_name(&name) {
            Some((_, Kind::Down)) => {}
            Some((version, Kind::Up)) => {
                if let Some(other) = files.insert(version, name.clone()) {
                    return Err(format!(
                        "migrations `{other}` and `{name}` in `{shown}` share version {version}; give each file its own version"
                    ));
                }
            }
            None => misnamed.push(name),
        }
    }
    if !misnamed.is_empty() {
        misnamed.sort();
        return Err(format!(
            "`{shown}` has SQL files not named `<version>_<name>.sql` (e.g. `20240101120000_create_users.sql`): {}; rename them so they run in order",
            misnamed.join(", ")
        ));
    }
    if files.is_empty() {
        return Err(format!(
            "`migrations` folder `{shown}` has no migrations; add files named `<version>_<name>.sql` or leave `migrations` empty"
        ));
    }
    Ok(MigrationFiles { files })
}

enum Kind {
    Up,
    Down,
}

/// `<positive i64>_<non-empty name>.sql` (with `.up`/`.down` allowed), as sqlx parses it.
fn parse_name(name: &str) -> Option<(i64, Kind)> {
    let (version, rest) = name.split_once('_')?;
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let version: i64 = version.parse().ok().filter(|v| *v > 0)?;
    let (stem, kind) = if let Some(s) = rest.strip_suffix(".down.sql") {
        (s, Kind::Down)
    } else if let Some(s) = rest.strip_suffix(".up.sql") {
        (s, Kind::Up)
    } else {
        (rest.strip_suffix(".sql")?, Kind::Up)
    };
    if stem.is_empty() {
        return None;
    }
    Some((version, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[&str]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for f in files {
            std::fs::write(d.path().join(f), "select 1;").unwrap();
        }
        d
    }

    #[test]
    fn lists_versions_in_order() {
        let d = dir_with(&["2_b.sql", "1_a.up.sql", "1_a.down.sql", "README.md"]);
        let m = scan(d.path()).unwrap();
        let got: Vec<_> = m.files.iter().map(|(v, n)| format!("{v}:{n}")).collect();
        assert_eq!(got, vec!["1:1_a.up.sql", "2:2_b.sql"]);
        assert_eq!(m.name_of(2), "2_b.sql");
        assert!(m.name_of(9).contains("no file"));
    }

    #[test]
    fn refuses_missing_empty_misnamed_and_duplicates() {
        let e = scan(Path::new("/nonexistent/migrations")).unwrap_err();
        assert!(e.contains("cannot be read"), "{e}");
        let d = dir_with(&["README.md"]);
        assert!(scan(d.path()).unwrap_err().contains("has no migrations"));
        let d = dir_with(&["1_a.sql", "init.sql", "x_y.sql", "0_zero.sql", "3_.sql"]);
        let e = scan(d.path()).unwrap_err();
        assert!(e.contains("0_zero.sql, 3_.sql, init.sql, x_y.sql"), "{e}");
        let d = dir_with(&["1_a.sql", "01_b.sql"]);
        assert!(scan(d.path()).unwrap_err().contains("share version 1"));
        let d = dir_with(&["1_a.sql"]);
        let e = scan(&d.path().join("1_a.sql")).unwrap_err();
        assert!(e.contains("not a folder"), "{e}");
    }
}
