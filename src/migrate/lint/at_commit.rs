//! Owns the migration files read at the commit being deployed through GitHub's Git database
//! (`crate::github::git_data`), for a range whose comparison may be cut short (GitHub lists at
//! most 300 files) or whose new commit the checkout does not hold (`command: promote`, a pull
//! request's head against its test-merge checkout): the files matching `migration-files` whose
//! blob differs between the served commit's tree and the new one's (added or changed; removed
//! ones are not read), complete whatever the number of files changed. Each is read from the
//! checkout when its Git blob SHA there equals the new commit's (no request), else from GitHub,
//! at most [`MAX_BLOB_READS`] of them. What could not be listed or read is `unchecked`: the
//! policy decides what that means (`super::policy`).

use std::collections::BTreeMap;
use std::path::Path;

use ignore::gitignore::Gitignore;

use super::read::ChangedFiles;
use super::{Linted, files, lint_sql};
use crate::github::GitHub;
use crate::github::git_data::{Tree, TreeFile};
use crate::migrate::database::Engine;
use crate::text::short_sha;
use crate::workflow;

/// The most files read from GitHub in one run (one request each).
pub const MAX_BLOB_READS: usize = 200;
/// The largest migration file read from GitHub (bytes).
pub const MAX_FILE_BYTES: u64 = 5 * 1024 * 1024;

/// One migration file to read at a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AtCommit {
    pub file: TreeFile,
    pub commit: String,
}

/// The files of `new` matching `m` (down files left out) whose blob is not the same in `old`.
pub fn changed_between(m: &Gitignore, old: &Tree, new: &Tree) -> Vec<TreeFile> {
    let before: BTreeMap<&str, &str> = (old.files.iter())
        .map(|f| (f.path.as_str(), f.sha.as_str()))
        .collect();
    let paths: Vec<String> = (new.files.iter())
        .filter(|f| before.get(f.path.as_str()) != Some(&f.sha.as_str()))
        .map(|f| f.path.clone())
        .collect();
    let chosen = files::select(m, &paths);
    (new.files.iter())
        .filter(|f| chosen.binary_search(&f.path).is_ok())
        .cloned()
        .collect()
}

/// Git's object name of a file's bytes: SHA-1 of `blob <len>\0<bytes>`, in hex.
pub fn blob_sha(bytes: &[u8]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(format!("blob {}\0", bytes.len()).as_bytes());
    ctx.update(bytes);
    let digest = ctx.finish();
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Lists the migration files changed between `base` and `head` from both commits' trees into
/// `out.at_commit` (four requests); what cannot be listed goes to `out.unchecked`.
pub async fn list(gh: &GitHub, m: &Gitignore, base: &str, head: &str, out: &mut ChangedFiles) {
    let what = |sha: &str| format!("the files of commit {}", short_sha(sha));
    let mut trees = Vec::new();
    for sha in [base, head] {
        match gh.commit_files(sha).await {
            Ok(Some(t)) => trees.push(t),
            Ok(None) => {
                out.unchecked.push(format!(
                    "GitHub does not have {}, so the migration files changed between {} and {} could not be listed",
                    what(sha),
                    short_sha(base),
                    short_sha(head)
                ));
                return;
            }
            Err(e) => {
                out.unchecked.push(format!(
                    "{} could not be read on GitHub ({e}), so the migration files changed between {} and {} could not be listed",
                    what(sha),
                    short_sha(base),
                    short_sha(head)
                ));
                return;
            }
        }
    }
    let [old, new] = [&trees[0], &trees[1]];
    for (t, sha) in [(old, base), (new, head)] {
        if t.truncated {
            out.unchecked.push(format!(
                "GitHub cut its list of {} short (its limit: 100,000 files or 7 MB), so migration files changed between {} and {} may be missing from what was read",
                what(sha),
                short_sha(base),
                short_sha(head)
            ));
        }
    }
    for file in changed_between(m, old, new) {
        let dup =
            (out.at_commit.iter()).any(|a| a.file.path == file.path && a.file.sha == file.sha);
        if !dup {
            out.at_commit.push(AtCommit {
                file,
                commit: head.to_string(),
            });
        }
    }
}

/// Reads and classifies `wanted`: from the checkout at `root` (holding commit `checkout`) when
/// its blob there is the same, else from GitHub (at most [`MAX_BLOB_READS`]).
pub async fn read(
    gh: Option<&GitHub>,
    wanted: &[AtCommit],
    root: &Path,
    checkout: Option<&str>,
    engine: Engine,
) -> Linted {
    let mut out = Linted::default();
    let (mut local, mut fetched) = (Vec::new(), 0usize);
    for (i, a) in wanted.iter().enumerate() {
        let path = &a.file.path;
        let here = std::fs::read(root.join(path)).ok();
        if let Some(bytes) = here.filter(|b| blob_sha(b) == a.file.sha) {
            local.push(path.as_str());
            lint_text(path, &bytes, engine, &mut out);
            continue;
        }
        let at = short_sha(&a.commit);
        if fetched >= MAX_BLOB_READS {
            let rest: Vec<&str> = wanted[i..].iter().map(|a| a.file.path.as_str()).collect();
            out.unchecked.push(format!(
                "{} more migration file(s) differ in the checkout from commit {at} and were not read (at most {MAX_BLOB_READS} are read from GitHub in one run): {}; check out the commit being deployed (`actions/checkout` with `ref: {}`) so they are read from the checkout",
                rest.len(),
                rest.join(", "),
                a.commit
            ));
            break;
        }
        if a.file.size.is_some_and(|s| s > MAX_FILE_BYTES) {
            out.unchecked.push(format!(
                "`{path}` at commit {at} is larger than {} MB and was not read from GitHub; check it by hand",
                MAX_FILE_BYTES / 1024 / 1024
            ));
            continue;
        }
        let Some(gh) = gh else {
            out.unchecked.push(format!(
                "`{path}` at commit {at} could not be read: no GitHub token. Pass `github-token`"
            ));
            continue;
        };
        fetched += 1;
        match gh.blob(&a.file.sha).await {
            Ok(Some(bytes)) => lint_text(path, &bytes, engine, &mut out),
            Ok(None) => out.unchecked.push(format!(
                "GitHub does not have `{path}` at commit {at} (blob {}), so it was not read",
                short_sha(&a.file.sha)
            )),
            Err(e) => out.unchecked.push(format!(
                "`{path}` at commit {at} could not be read from GitHub ({e})"
            )),
        }
    }
    if !wanted.is_empty() {
        let at = checkout.map(short_sha).unwrap_or("unknown");
        let mut said = format!(
            "Read {} migration file(s) at the commit being deployed: {fetched} from GitHub",
            wanted.len()
        );
        if !local.is_empty() {
            said.push_str(&format!(
                ", {} read from the checkout, which holds commit {at}, where they are the same (same Git blob): {}",
                local.len(),
                local.join(", ")
            ));
        }
        workflow::info(said);
    }
    out
}

/// Classifies one file's bytes (UTF-8 SQL); other bytes are a warning naming the file.
fn lint_text(path: &str, bytes: &[u8], engine: Engine, out: &mut Linted) {
    match std::str::from_utf8(bytes) {
        Ok(text) => out.extend(lint_sql(path, text, engine)),
        Err(_) => out.unchecked.push(format!(
            "`{path}` is not UTF-8 text, so its SQL was not checked"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, sha: &str) -> TreeFile {
        TreeFile {
            path: path.into(),
            sha: sha.into(),
            size: Some(1),
        }
    }

    #[test]
    fn git_names_blobs_as_git_does() {
        // `git hash-object` of an empty file and of "hello\n".
        assert_eq!(blob_sha(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
        assert_eq!(
            blob_sha(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
    }

    #[test]
    fn added_and_changed_migrations_are_read_removed_and_same_ones_not() {
        let m = files::matcher(&["**/migrations/**/*.sql".to_string()]).unwrap();
        let old = Tree {
            files: vec![
                file("db/migrations/1_same.sql", "a"),
                file("db/migrations/2_changed.sql", "b"),
                file("db/migrations/3_removed.sql", "c"),
            ],
            truncated: false,
        };
        let new = Tree {
            files: vec![
                file("db/migrations/1_same.sql", "a"),
                file("db/migrations/2_changed.sql", "b2"),
                file("db/migrations/4_added.sql", "d"),
                file("db/migrations/4_added.down.sql", "e"),
                file("src/app.rs", "f"),
            ],
            truncated: false,
        };
        let got: Vec<String> = changed_between(&m, &old, &new)
            .into_iter()
            .map(|f| f.path)
            .collect();
        assert_eq!(
            got,
            ["db/migrations/2_changed.sql", "db/migrations/4_added.sql"]
        );
    }
}
