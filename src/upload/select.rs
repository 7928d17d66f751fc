//! Owns which files of `path` go into the upload, as `railway up` chooses them: `.gitignore`
//! rules (nested files, negations, `.git/info/exclude`, parent directories), `.railwayignore`,
//! hidden files included, `.git` and `node_modules` never, symlinks reported as links (never
//! followed). Entries come out sorted by name at every level, so the order is deterministic.
//!
//! Decisions (documented in the README's `source: upload` section):
//! - `.gitignore` is honoured even when `path` is not inside a git repository (`require_git(false)`):
//!   a checkout fetched without git (actions/checkout's REST fallback, a tarball) must not start
//!   shipping the `.env` its `.gitignore` excludes. `railway up` only honours it inside a repository.
//! - The runner's global git excludes (`core.excludesFile`) are not read: the archive depends on the
//!   tree alone, never on the machine that builds it.
//! - ripgrep's `.ignore` files are not read (a search-tool convention, not git's).
//! - `.railwayignore` has the highest precedence: `!file` in it re-includes what `.gitignore` excludes.

use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

use ignore::{DirEntry, WalkBuilder};

/// The custom ignore file, read in every directory like `.gitignore`.
pub const RAILWAY_IGNORE: &str = ".railwayignore";

/// Directory names never uploaded, at any depth (as `railway up`).
pub const ALWAYS_EXCLUDED: [&str; 2] = [".git", "node_modules"];

/// What kind of entry a selected path is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    Dir,
    File {
        size: u64,
    },
    /// A symlink, stored as a link to `target` (never followed). `escapes` is true when the target
    /// is absolute or climbs out of `path`: the link is stored but will dangle in Railway's build.
    Symlink {
        target: PathBuf,
        escapes: bool,
    },
    /// A socket, FIFO or device: never uploaded.
    Special,
}

#[derive(Clone, Debug)]
pub struct Selected {
    /// Absolute (or as given) path on disk.
    pub path: PathBuf,
    /// Path relative to the upload root, `/`-separated components, never empty.
    pub rel: PathBuf,
    pub kind: EntryKind,
}

/// Why the tree could not be read completely. The message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error(
        "`path` {0} does not exist or is not a directory: set `path` to the directory to upload (relative to the workspace)"
    )]
    NotADirectory(PathBuf),
    #[error(
        "cannot read {path} while building the upload: {source}. Fix its permissions or add it to .railwayignore"
    )]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot walk the upload directory: {0}")]
    Walk(String),
}

/// A problem that does not stop the upload (a malformed ignore line, a file that vanished).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectWarning(pub String);

/// The walk of `root` with the selection's rules (also the pre-flight check's: `super::preflight`).
pub(super) fn walker(root: &Path) -> ignore::Walk {
    let mut b = WalkBuilder::new(root);
    b.standard_filters(false)
        .hidden(false)
        .parents(true)
        .ignore(false)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .require_git(false)
        .follow_links(false)
        .add_custom_ignore_filename(RAILWAY_IGNORE)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|e| e.depth() == 0 || !is_always_excluded(e.file_name()));
    b.build()
}

fn is_always_excluded(name: &OsStr) -> bool {
    ALWAYS_EXCLUDED.iter().any(|x| name == OsStr::new(x))
}

/// Walks `root` and calls `visit` for every selected entry, in deterministic order (parents before
/// children, siblings by byte order of their names). The root itself is not visited.
pub fn walk<E: From<SelectError>>(
    root: &Path,
    mut visit: impl FnMut(Selected) -> Result<(), E>,
    mut warn: impl FnMut(SelectWarning),
) -> Result<(), E> {
    if !root.is_dir() {
        return Err(SelectError::NotADirectory(root.to_path_buf()).into());
    }
    for item in walker(root) {
        let entry = match item {
            Ok(e) => e,
            Err(err) => {
                handle_walk_error(err, &mut warn).map_err(E::from)?;
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        if let Some(err) = entry.error() {
            // An ignore file in this directory has a bad line: git skips such lines too.
            warn(SelectWarning(format!("ignore rule skipped: {err}")));
        }
        let Some(selected) = classify(root, &entry, &mut warn).map_err(E::from)? else {
            continue;
        };
        visit(selected)?;
    }
    Ok(())
}

fn handle_walk_error(
    err: ignore::Error,
    warn: &mut impl FnMut(SelectWarning),
) -> Result<(), SelectError> {
    if err.is_partial() {
        warn(SelectWarning(format!("ignore rule skipped: {err}")));
        return Ok(());
    }
    let path = error_path(&err);
    match err.into_io_error() {
        // Deleted between listing and reading: nothing left to upload.
        Some(io) if io.kind() == std::io::ErrorKind::NotFound => {
            warn(SelectWarning(format!(
                "{} disappeared while the upload was being built; skipped",
                path.map(|p| p.display().to_string()).unwrap_or_default()
            )));
            Ok(())
        }
        Some(io) => Err(SelectError::Unreadable {
            path: path.unwrap_or_default(),
            source: io,
        }),
        None => Err(SelectError::Walk(
            "the directory walker failed without an I/O error".into(),
        )),
    }
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

fn classify(
    root: &Path,
    entry: &DirEntry,
    warn: &mut impl FnMut(SelectWarning),
) -> Result<Option<Selected>, SelectError> {
    let path = entry.path().to_path_buf();
    let rel = match path.strip_prefix(root) {
        Ok(r) => r.to_path_buf(),
        Err(_) => {
            return Err(SelectError::Walk(format!(
                "{} is outside the root",
                path.display()
            )));
        }
    };
    let meta = match std::fs::symlink_metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            warn(SelectWarning(format!(
                "{} disappeared while the upload was being built; skipped",
                rel.display()
            )));
            return Ok(None);
        }
        Err(source) => return Err(SelectError::Unreadable { path, source }),
    };
    let ft = meta.file_type();
    let kind = if ft.is_symlink() {
        let target = std::fs::read_link(&path).map_err(|source| SelectError::Unreadable {
            path: path.clone(),
            source,
        })?;
        let escapes = link_escapes(&rel, &target);
        EntryKind::Symlink { target, escapes }
    } else if ft.is_dir() {
        EntryKind::Dir
    } else if ft.is_file() {
        EntryKind::File { size: meta.len() }
    } else {
        EntryKind::Special
    };
    Ok(Some(Selected { path, rel, kind }))
}

/// True when a link at `rel` (relative to the root) pointing at `target` resolves outside the root.
pub fn link_escapes(rel: &Path, target: &Path) -> bool {
    if target.is_absolute() {
        return true;
    }
    // Depth of the directory holding the link, then walk the target's components.
    let mut depth: i64 = rel.components().count() as i64 - 1;
    for c in target.components() {
        match c {
            Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return true,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_that_climb_out_are_detected() {
        assert!(link_escapes(Path::new("a"), Path::new("../x")));
        assert!(link_escapes(Path::new("d/a"), Path::new("../../x")));
        assert!(!link_escapes(Path::new("d/a"), Path::new("../x")));
        assert!(!link_escapes(Path::new("d/a"), Path::new("b/../c")));
        assert!(link_escapes(Path::new("a"), Path::new("/etc/passwd")));
        assert!(!link_escapes(Path::new("a"), Path::new("./b")));
    }

    #[test]
    fn a_missing_root_is_an_error_naming_the_input() {
        let err: SelectError =
            walk(Path::new("/definitely/not/here"), |_| Ok(()), |_| {}).unwrap_err();
        assert!(err.to_string().contains("`path`"), "{err}");
    }
}
