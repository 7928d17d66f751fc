//! Owns what the run's surroundings provide besides the inputs: the directories the upload may
//! spool its archive into, the released image a rollback command names, and whether the checked-out
//! repository carries a `rollback.yml` workflow to link to. Read once, at load, into plain values.

use std::path::{Path, PathBuf};

use crate::context::GitHubEnv;

/// The image reference baked in at build time (`release.yml` passes it to the Dockerfile as the
/// `RAILWAY_DEPLOY_IMAGE` build argument). Empty or absent for a source build.
const BAKED_IMAGE: Option<&str> = option_env!("RAILWAY_DEPLOY_IMAGE");

/// The documented fallback when neither the build nor the runner names the image: the project's
/// release image at this version; `OWNER` is the GitHub owner of the action's repository.
pub const FALLBACK_IMAGE_REPOSITORY: &str = "ghcr.io/OWNER/railway-deploy";

/// Where the workflow that `command: rollback` runs from the Actions tab lives, in a repository.
pub const ROLLBACK_WORKFLOW: &str = ".github/workflows/rollback.yml";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Surroundings {
    /// Candidate directories for the upload's spool file, in order of preference.
    pub spool_dirs: Vec<PathBuf>,
    /// The container image of this action, for a copyable `docker run` rollback command.
    pub released_image: String,
    /// The Actions page of the repository's `rollback.yml`, when the checkout has one.
    pub rollback_workflow_url: Option<String>,
    /// The checked-out repository (`GITHUB_WORKSPACE`, else the working directory), where
    /// `command: check` reads the calling workflow's file and `migrate-command`'s changed
    /// migration files are read.
    pub checkout: Option<PathBuf>,
    /// The commit the checkout holds: the run's `GITHUB_SHA`, which `actions/checkout` checks
    /// out unless told another `ref` (a pull request's test-merge commit, not its head).
    pub checkout_commit: Option<String>,
}

impl Default for Surroundings {
    /// Without an environment: the system temp dir, the baked (or fallback) image, no workflow.
    fn default() -> Self {
        Surroundings {
            spool_dirs: vec![std::env::temp_dir()],
            released_image: released_image(BAKED_IMAGE, None, None),
            rollback_workflow_url: None,
            checkout: None,
            checkout_commit: None,
        }
    }
}

impl Surroundings {
    /// Reads the variables (and checks one file in the workspace); `cwd` is the last spool resort.
    pub fn read(
        env: &impl Fn(&str) -> Option<String>,
        github: &GitHubEnv,
        cwd: Option<PathBuf>,
    ) -> Surroundings {
        let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let workspace = get("GITHUB_WORKSPACE").map(PathBuf::from);
        Surroundings {
            spool_dirs: spool_dirs(
                [get("RUNNER_TEMP"), get("TMPDIR")].map(|v| v.map(PathBuf::from)),
                std::env::temp_dir(),
                get("HOME").map(PathBuf::from),
                workspace.clone().or(cwd.clone()),
            ),
            released_image: released_image(
                BAKED_IMAGE,
                get("GITHUB_ACTION_REPOSITORY").as_deref(),
                get("GITHUB_ACTION_REF").as_deref(),
            ),
            rollback_workflow_url: workspace
                .as_deref()
                .and_then(|w| rollback_workflow_url(github, w)),
            checkout: workspace.or(cwd),
            checkout_commit: github.sha.clone(),
        }
    }
}

/// `RUNNER_TEMP`, `TMPDIR`, the system temp dir, `HOME` (a container action's `/github/home`),
/// then the workspace's `.git` directory (inside the checkout, yet never uploaded: a spool in the
/// tree itself would be archived into itself); duplicates dropped. Whether each is writable is
/// found out when the spool is made.
pub fn spool_dirs(
    runner_temp_and_tmpdir: [Option<PathBuf>; 2],
    system_temp: PathBuf,
    home: Option<PathBuf>,
    workspace: Option<PathBuf>,
) -> Vec<PathBuf> {
    let [runner_temp, tmpdir] = runner_temp_and_tmpdir;
    let mut dirs: Vec<PathBuf> = Vec::new();
    let candidates = [
        runner_temp,
        tmpdir,
        Some(system_temp),
        home,
        workspace.map(|w| w.join(".git")),
    ];
    for d in candidates.into_iter().flatten() {
        if !dirs.contains(&d) {
            dirs.push(d);
        }
    }
    dirs
}

/// The image a user can `docker run`: the one baked in at release, else the action's own
/// repository and ref as the runner names them (`ghcr.io/<owner>/<repo>:<ref>`, lower-cased as
/// GHCR requires), else [`FALLBACK_IMAGE_REPOSITORY`] at this crate's version.
pub fn released_image(baked: Option<&str>, repo: Option<&str>, git_ref: Option<&str>) -> String {
    if let Some(image) = baked.map(str::trim).filter(|s| !s.is_empty()) {
        return image.to_string();
    }
    match (repo.map(str::trim), git_ref.map(str::trim)) {
        (Some(repo), Some(r)) if !repo.is_empty() && !r.is_empty() && repo.contains('/') => {
            format!("ghcr.io/{}:{r}", repo.to_ascii_lowercase())
        }
        _ => format!("{FALLBACK_IMAGE_REPOSITORY}:v{}", env!("CARGO_PKG_VERSION")),
    }
}

/// `https://github.com/{repo}/actions/workflows/rollback.yml` when `workspace` holds that
/// workflow file (no API call: the checkout is what the workflow runs with).
pub fn rollback_workflow_url(github: &GitHubEnv, workspace: &Path) -> Option<String> {
    let repo = github.repository.as_deref()?;
    workspace.join(ROLLBACK_WORKFLOW).is_file().then(|| {
        format!(
            "{}/{repo}/actions/workflows/rollback.yml",
            github.server_url.trim_end_matches('/')
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spool_candidates_keep_their_order_without_duplicates() {
        let dirs = spool_dirs(
            [Some("/runner/_temp".into()), Some("/tmp".into())],
            "/tmp".into(),
            Some("/github/home".into()),
            Some("/github/workspace".into()),
        );
        let want: Vec<PathBuf> = [
            "/runner/_temp",
            "/tmp",
            "/github/home",
            "/github/workspace/.git",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(dirs, want);
        assert_eq!(
            spool_dirs([None, None], "/t".into(), None, None),
            vec![PathBuf::from("/t")]
        );
    }

    #[test]
    fn the_baked_image_wins_then_the_action_ref_then_the_fallback() {
        assert_eq!(
            released_image(Some("ghcr.io/acme/rd:v1.4.0"), Some("x/y"), Some("v1")),
            "ghcr.io/acme/rd:v1.4.0"
        );
        assert_eq!(
            released_image(Some(""), Some("Acme/Railway-Deploy"), Some("v1")),
            "ghcr.io/acme/railway-deploy:v1"
        );
        let fallback = released_image(None, Some(""), None);
        assert!(
            fallback.starts_with("ghcr.io/OWNER/railway-deploy:v"),
            "{fallback}"
        );
        assert!(fallback.ends_with(env!("CARGO_PKG_VERSION")), "{fallback}");
    }

    #[test]
    fn the_workflow_link_appears_only_when_the_file_is_checked_out() {
        let ws = tempfile::tempdir().unwrap();
        let github = GitHubEnv {
            repository: Some("acme/shop".into()),
            server_url: "https://github.com/".into(),
            ..Default::default()
        };
        assert_eq!(rollback_workflow_url(&github, ws.path()), None);
        std::fs::create_dir_all(ws.path().join(".github/workflows")).unwrap();
        std::fs::write(ws.path().join(ROLLBACK_WORKFLOW), "on: workflow_dispatch\n").unwrap();
        assert_eq!(
            rollback_workflow_url(&github, ws.path()).as_deref(),
            Some("https://github.com/acme/shop/actions/workflows/rollback.yml")
        );
        let env =
            |k: &str| (k == "GITHUB_WORKSPACE").then(|| ws.path().to_string_lossy().into_owned());
        let s = Surroundings::read(&env, &github, None);
        assert!(s.rollback_workflow_url.is_some());
        assert_eq!(s.spool_dirs.last(), Some(&ws.path().join(".git")));
    }

    #[test]
    fn the_readme_carries_the_rollback_workflow_verbatim() {
        let readme = include_str!("../../README.md");
        let workflow = include_str!("../../examples/workflows/rollback.yml");
        assert!(
            readme.contains(&format!("```yaml\n{workflow}```")),
            "README.md must include examples/workflows/rollback.yml as it is"
        );
        for input in [
            "to:",
            "service:",
            "environment:",
            "workflow_dispatch",
            "command: rollback",
        ] {
            assert!(workflow.contains(input), "rollback.yml lacks {input}");
        }
    }
}
