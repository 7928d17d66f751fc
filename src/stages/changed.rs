//! Owns `only-changed`'s decision for one service (pure): given the files GitHub says changed
//! between the commit the service serves and the new one, the service is deployed when a file
//! matches its Railway watch patterns (gitignore-style, from the repository root: `**`,
//! directories and `!` negation), else, without patterns, when a file lies under its root
//! directory, else (neither set) when anything changed. An unknown file list (the served commit
//! is unknown, or GitHub listed more files than are read) deploys.

use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// What decides whether a service changed (from its Railway service instance).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Watch {
    pub patterns: Vec<String>,
    pub root_directory: Option<String>,
}

/// The decision for one service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Changed {
    /// Deploy: the reason names the first file that counts, or why the files are not known.
    Yes(String),
    /// Nothing that counts changed: skip, with the reason.
    No(String),
}

/// A root directory as a repository-relative prefix (`None`: the repository root).
fn root_prefix(root: Option<&str>) -> Option<String> {
    let r = root?.trim().trim_start_matches("./").trim_matches('/');
    (!r.is_empty() && r != ".").then(|| format!("{r}/"))
}

/// The watch patterns as one gitignore matcher rooted at the repository root; `Err` names a
/// pattern that does not parse.
fn matcher(patterns: &[String]) -> Result<Gitignore, String> {
    let mut b = GitignoreBuilder::new("/");
    for p in patterns.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        b.add_line(None, p)
            .map_err(|e| format!("watch pattern `{p}` does not parse: {e}"))?;
    }
    b.build()
        .map_err(|e| format!("watch patterns do not parse: {e}"))
}

/// Whether `file` (repository-relative) matches: the last matching pattern decides, and a
/// pattern naming a directory matches every file under it.
fn watched(m: &Gitignore, file: &str) -> bool {
    let path = std::path::Path::new("/").join(file);
    m.matched_path_or_any_parents(&path, false).is_ignore()
}

/// Decides for one service; `files` is `None` when the changed files are not known.
pub fn decide(watch: &Watch, files: Option<&[String]>) -> Changed {
    let Some(files) = files else {
        return Changed::Yes("the files changed since the commit it serves are not known".into());
    };
    if !watch.patterns.iter().all(|p| p.trim().is_empty()) {
        let m = match matcher(&watch.patterns) {
            Ok(m) => m,
            Err(e) => return Changed::Yes(format!("{e}; deploying it to be safe")),
        };
        return match files.iter().find(|f| watched(&m, f)) {
            Some(f) => Changed::Yes(format!("`{f}` matches its watch patterns")),
            None => Changed::No(format!(
                "none of the {} changed file(s) matches its watch patterns",
                files.len()
            )),
        };
    }
    match root_prefix(watch.root_directory.as_deref()) {
        Some(prefix) => match files.iter().find(|f| f.starts_with(&prefix)) {
            Some(f) => Changed::Yes(format!("`{f}` lies under its root directory `{prefix}`")),
            None => Changed::No(format!(
                "none of the {} changed file(s) lies under its root directory `{prefix}`",
                files.len()
            )),
        },
        None => match files.first() {
            Some(f) => Changed::Yes(format!("`{f}` changed")),
            None => Changed::No("no file changed".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn patterns(list: &[&str]) -> Watch {
        Watch {
            patterns: files(list),
            root_directory: None,
        }
    }

    fn yes(w: &Watch, changed: &[&str]) -> bool {
        matches!(decide(w, Some(&files(changed))), Changed::Yes(_))
    }

    #[test]
    fn watch_patterns_match_gitignore_style_from_the_repository_root() {
        let w = patterns(&["/api/**", "!/api/docs/**", "*.sql"]);
        assert!(yes(&w, &["api/src/main.rs"]));
        assert!(yes(&w, &["README.md", "api/Cargo.toml"]));
        // Negation: the docs under api do not count.
        assert!(!yes(&w, &["api/docs/guide.md"]));
        // An unanchored glob matches at any depth.
        assert!(yes(&w, &["db/migrations/001.sql"]));
        assert!(!yes(&w, &["web/src/app.ts", "README.md"]));
        // `**` in the middle.
        let w = patterns(&["packages/**/package.json"]);
        assert!(yes(&w, &["packages/a/b/package.json"]));
        assert!(!yes(&w, &["package.json"]));
        // A directory pattern matches every file under it.
        let w = patterns(&["shared/"]);
        assert!(yes(&w, &["shared/lib/util.ts"]));
        assert!(!yes(&w, &["sharedx/util.ts"]));
        // Anchored: `/web` is the top-level directory only.
        let w = patterns(&["/web"]);
        assert!(yes(&w, &["web/index.html"]));
        assert!(!yes(&w, &["apps/web/index.html"]));
    }

    #[test]
    fn without_patterns_the_root_directory_decides() {
        for root in ["api", "/api", "./api/", "api/"] {
            let w = Watch {
                patterns: vec![],
                root_directory: Some(root.into()),
            };
            assert!(yes(&w, &["api/main.go"]), "{root}");
            assert!(!yes(&w, &["apix/main.go", "web/api/x"]), "{root}");
        }
        // The repository root, or nothing set: any change counts, none does not.
        for root in [None, Some("/"), Some(""), Some(".")] {
            let w = Watch {
                patterns: vec![],
                root_directory: root.map(str::to_string),
            };
            assert!(yes(&w, &["anything.txt"]), "{root:?}");
            assert_eq!(decide(&w, Some(&[])), Changed::No("no file changed".into()));
        }
        // Patterns win over the root directory.
        let w = Watch {
            patterns: files(&["/api/src/**"]),
            root_directory: Some("api".into()),
        };
        assert!(!yes(&w, &["api/README.md"]));
    }

    #[test]
    fn unknown_files_deploy() {
        let w = patterns(&["/api/**"]);
        assert!(matches!(decide(&w, None), Changed::Yes(r) if r.contains("not known")));
        let no = decide(&w, Some(&files(&["web/x"])));
        assert_eq!(
            no,
            Changed::No("none of the 1 changed file(s) matches its watch patterns".into())
        );
    }
}
