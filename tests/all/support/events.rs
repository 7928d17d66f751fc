//! Webhook payloads: the project's own under `tests/data/github-events/` (every test uses these),
//! and the reference payloads in `../shared/fixtures/github-events`, which exist only on the
//! maintainers' machines (the tests that read them are ignored elsewhere, see `build.rs`).

use std::path::{Path, PathBuf};

/// The folder of the project's own payloads.
pub fn own_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/github-events")
}

/// The folder of the reference payloads beside the repository.
pub fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/github-events")
}

/// The text of the project's own payload `rel` (e.g. `push/branch.json`).
pub fn own(rel: &str) -> String {
    let path = own_dir().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.json` file below `root`, sorted.
pub fn json_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
