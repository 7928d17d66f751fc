//! Owns the pre-flight check of `source: upload`, made at resolution before any write: one walk
//! of `path` with the selection's own rules (`super::select`) that opens each selected file and
//! reads nothing, so a file or directory the archive could not read (permission denied) stops the
//! run with its path before the GitHub Deployment or any Railway change, not midway through the
//! upload.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::select::{SelectError, walker};

/// How many unreadable paths a message names (the rest are counted).
const NAMED: usize = 5;

/// What the pre-flight walk found that the archive could not read.
#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    #[error(transparent)]
    Select(#[from] SelectError),
    /// Entries of `root` that cannot be read: `(path relative to root, the error)`, in walk order.
    #[error("{}", unreadable_message(root, found))]
    Unreadable {
        root: PathBuf,
        found: Vec<(PathBuf, String)>,
    },
}

/// Walks `root` as the archive will (same ignore rules, links never followed) and opens every
/// selected regular file without reading it. Directories the walk cannot list and files that
/// cannot be opened are all collected; anything that vanished meanwhile is left to the archive.
pub fn check(root: &Path) -> Result<(), PreflightError> {
    if !root.is_dir() {
        return Err(SelectError::NotADirectory(root.to_path_buf()).into());
    }
    let mut found = Vec::new();
    for item in walker(root) {
        match item {
            Ok(entry) if entry.depth() == 0 => {}
            Ok(entry) => {
                if entry.file_type().is_some_and(|t| t.is_file())
                    && let Err(e) = std::fs::File::open(entry.path())
                    && e.kind() != ErrorKind::NotFound
                {
                    found.push((relative(root, entry.path()), e.to_string()));
                }
            }
            // A bad ignore line: the archive warns about it.
            Err(err) if err.is_partial() => {}
            Err(err) => {
                let path = walk_error_path(&err);
                match err.into_io_error() {
                    Some(io) if io.kind() == ErrorKind::NotFound => {}
                    Some(io) => found.push((relative(root, &path), io.to_string())),
                    None => found.push((relative(root, &path), "cannot be listed".into())),
                }
            }
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    Err(PreflightError::Unreadable {
        root: root.to_path_buf(),
        found,
    })
}

fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

fn walk_error_path(err: &ignore::Error) -> PathBuf {
    match err {
        ignore::Error::WithPath { path, .. } => path.clone(),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err)
        }
        _ => PathBuf::new(),
    }
}

/// The message: how many, the first few paths with why, and what to do.
fn unreadable_message(root: &Path, found: &[(PathBuf, String)]) -> String {
    let named: Vec<String> = found
        .iter()
        .take(NAMED)
        .map(|(p, why)| format!("{} ({why})", p.display()))
        .collect();
    let more = match found.len().saturating_sub(NAMED) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let entries = if found.len() == 1 { "entry" } else { "entries" };
    format!(
        "`path` {}: {} {entries} cannot be read, so the upload would fail: {}{more}. Add what should not be uploaded to .railwayignore, or make it readable by the runner (e.g. `chmod -R a+rX {}`)",
        root.display(),
        found.len(),
        named.join(", "),
        root.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// Makes `path` unreadable; false (with the reason printed) when this process reads it anyway
    /// (root, or a file system that ignores permission bits), so the caller skips its test.
    fn make_unreadable(path: &Path, mode: u32) -> bool {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        let readable = if path.is_dir() {
            std::fs::read_dir(path).is_ok()
        } else {
            std::fs::File::open(path).is_ok()
        };
        if readable {
            println!(
                "SKIPPED: {} is still readable after chmod {mode:o} (running as root?): permission checks cannot be tested here",
                path.display()
            );
        }
        !readable
    }

    #[test]
    fn unreadable_files_and_directories_are_all_named_but_ignored_ones_are_not() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        std::fs::write(root.join("ok.txt"), "fine").unwrap();
        std::fs::write(root.join("a-secret.key"), "no").unwrap();
        std::fs::create_dir(root.join("locked")).unwrap();
        std::fs::write(root.join("locked/inner"), "x").unwrap();
        std::fs::create_dir(root.join("skipped")).unwrap();
        std::fs::write(root.join(".railwayignore"), "skipped/\n").unwrap();
        assert!(check(root).is_ok());
        let made = make_unreadable(&root.join("a-secret.key"), 0o000)
            && make_unreadable(&root.join("locked"), 0o000)
            && make_unreadable(&root.join("skipped"), 0o000);
        if made {
            let err = check(root).unwrap_err();
            let PreflightError::Unreadable { found, .. } = &err else {
                panic!("{err}");
            };
            let paths: Vec<_> = found.iter().map(|(p, _)| p.clone()).collect();
            assert_eq!(paths, [PathBuf::from("a-secret.key"), "locked".into()]);
            let msg = err.to_string();
            assert!(msg.contains("2 entries cannot be read"), "{msg}");
            assert!(msg.contains(".railwayignore"), "{msg}");
        }
        for p in ["a-secret.key", "locked", "skipped"] {
            let mode = if p.ends_with("key") { 0o644 } else { 0o755 };
            std::fs::set_permissions(root.join(p), std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }

    #[test]
    fn the_message_names_a_few_and_counts_the_rest() {
        let found: Vec<_> = (0..8)
            .map(|i| {
                (
                    PathBuf::from(format!("f{i}")),
                    "Permission denied".to_string(),
                )
            })
            .collect();
        let msg = unreadable_message(Path::new("app"), &found);
        assert!(msg.contains("8 entries"), "{msg}");
        assert!(msg.contains("f4 (Permission denied)"), "{msg}");
        assert!(!msg.contains("f5"), "{msg}");
        assert!(msg.contains("and 3 more"), "{msg}");
    }
}
