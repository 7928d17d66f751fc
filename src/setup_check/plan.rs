//! The checks a configuration needs, as data (a pure function of the [`Config`]): each check is
//! listed only when an input turns on what it checks.

use std::path::PathBuf;

use crate::config::{BackupMode, ChecksMode, CommandKind, Config, Source};
use crate::context::Trigger;

/// One check to run, with what it needs to know.
#[derive(Clone, Debug, PartialEq)]
pub enum CheckRequest {
    /// The token's kind, and a project token's environment against the selected one.
    Token(TokenRequest),
    /// The project, the environment and each service exist (the deploy's resolution).
    Scope,
    /// One service's source, public domain and healthcheck path.
    Service(ServiceRequest),
    /// Railway's own autodeploy and "Wait for CI" for the branch.
    Autodeploy(AutodeployRequest),
    /// Previews and promote need an account or workspace token.
    AccountToken(AccountTokenRequest),
    /// Pre-deploy commands, and `railway.json` / `railway.toml` settings Railway no longer reads.
    ConfigFile(ConfigFileRequest),
    /// The database's volume and its backups can be read.
    Backup(BackupRequest),
    /// `watch`: HTTP metrics can be read.
    Metrics,
    /// `migrations`: the database URL is found, accepts a connection, and what is pending.
    Migrations(MigrationsRequest),
    /// The commit's check runs, statuses, deployments and pull requests can be read.
    GitHubReads(GitHubReadsRequest),
    /// The `permissions:` the calling workflow declares against what the features need.
    Permissions(PermissionsRequest),
}

impl CheckRequest {
    /// What this check reads, as a sentence (the plan's line; `environment`: where).
    pub fn describe(&self, environment: &str) -> String {
        match self {
            CheckRequest::Token(_) => {
                format!("the Railway token's kind and scope against `{environment}`")
            }
            CheckRequest::Scope => {
                format!("that the project, `{environment}` and the services exist")
            }
            CheckRequest::Service(r) => format!(
                "service `{}`: its source, public domain and healthcheck path",
                r.name
            ),
            CheckRequest::Autodeploy(r) => format!(
                "Railway's autodeploy and \"Wait for CI\" for branch {} (`source: {}`)",
                r.branch
                    .as_deref()
                    .map(|b| format!("`{b}`"))
                    .unwrap_or_else(|| "(none)".into()),
                r.source.as_str()
            ),
            CheckRequest::AccountToken(r) => format!(
                "that `command: {}` from `{}` has an account or workspace token",
                r.command.as_str(),
                r.from
            ),
            CheckRequest::ConfigFile(_) => {
                "pre-deploy commands and `railway.json`/`railway.toml` settings".into()
            }
            CheckRequest::Backup(_) => {
                "that the database's volume and its backups can be read".into()
            }
            CheckRequest::Metrics => "that HTTP metrics can be read (`watch`)".into(),
            CheckRequest::Migrations(r) => format!(
                "the database URL, a read-only connection and the pending migrations of `{}`",
                r.dir.display()
            ),
            CheckRequest::GitHubReads(_) => {
                "that GitHub's check runs, statuses, deployments and pull requests can be read"
                    .into()
            }
            CheckRequest::Permissions(r) => {
                format!("the `permissions:` of workflow `{}`", r.workflow_ref)
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TokenRequest {
    pub project: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceRequest {
    pub name: String,
    pub source: Source,
    /// The repository of this workflow run (`owner/name`), which `source: commit` builds.
    pub repository: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AutodeployRequest {
    pub source: Source,
    /// The branch pushed (or dispatched on); `None`: not a branch.
    pub branch: Option<String>,
}

/// What needs an account token, and the environment it copies or promotes from.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountTokenRequest {
    pub command: CommandKind,
    pub from: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConfigFileRequest {
    /// `source: upload`: the uploaded directory; otherwise the checkout, where the service's root
    /// directory is looked up.
    pub dir: PathBuf,
    pub relative_to_root_directory: bool,
    pub migrate_command: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BackupRequest {
    pub mode: BackupMode,
    pub variable: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MigrationsRequest {
    pub dir: PathBuf,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GitHubReadsRequest {
    pub sha: Option<String>,
    pub gate: bool,
    pub deployments: bool,
    pub comment: bool,
    pub run_id: Option<u64>,
}

/// A permission of the workflow's token, at a level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    None,
    Read,
    Write,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::None => "none",
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

/// A permission an enabled feature needs, and which input enables it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Need {
    pub scope: &'static str,
    pub access: Access,
    pub why: &'static str,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PermissionsRequest {
    /// `GITHUB_WORKFLOW_REF`: `owner/repo/.github/workflows/x.yml@ref`.
    pub workflow_ref: String,
    pub checkout: PathBuf,
    /// `GITHUB_JOB`: the job's id in the workflow.
    pub job: Option<String>,
    pub needs: Vec<Need>,
}

/// The checks `cfg` needs, in the order they are printed.
pub fn plan(cfg: &Config) -> Vec<CheckRequest> {
    let mut checks = vec![
        CheckRequest::Token(TokenRequest {
            project: cfg.project.clone(),
        }),
        CheckRequest::Scope,
    ];
    for name in &cfg.services {
        checks.push(CheckRequest::Service(ServiceRequest {
            name: name.clone(),
            source: cfg.source.clone(),
            repository: cfg.github.repository.clone(),
        }));
    }
    checks.push(CheckRequest::Autodeploy(AutodeployRequest {
        source: cfg.source.clone(),
        branch: branch(cfg),
    }));
    if matches!(cfg.trigger, Trigger::PullRequest { .. }) || cfg.preview.from.is_some() {
        checks.push(CheckRequest::AccountToken(AccountTokenRequest {
            command: CommandKind::Preview,
            from: cfg
                .preview
                .from
                .clone()
                .unwrap_or_else(|| cfg.staging_environment.clone()),
        }));
    }
    if cfg.from_environment_given {
        checks.push(CheckRequest::AccountToken(AccountTokenRequest {
            command: CommandKind::Promote,
            from: cfg.from_environment.clone(),
        }));
    }
    let (dir, relative_to_root_directory) = match &cfg.source {
        Source::Upload { path } => (path.clone(), false),
        _ => (cfg.surroundings.checkout.clone().unwrap_or_default(), true),
    };
    checks.push(CheckRequest::ConfigFile(ConfigFileRequest {
        dir,
        relative_to_root_directory,
        migrate_command: cfg.migrate_command.clone(),
    }));
    if cfg.wants_backup() {
        checks.push(CheckRequest::Backup(BackupRequest {
            mode: cfg.backup.mode,
            variable: cfg.database_url_variable.clone(),
        }));
    }
    if !cfg.watch.window.is_zero() {
        checks.push(CheckRequest::Metrics);
    }
    if let Some(dir) = &cfg.migrations {
        checks.push(CheckRequest::Migrations(MigrationsRequest {
            dir: dir.clone(),
        }));
    }
    let gate = cfg.wait_for_checks != ChecksMode::Off;
    if gate || cfg.github_deployment || cfg.comment {
        checks.push(CheckRequest::GitHubReads(GitHubReadsRequest {
            sha: cfg.sha.clone(),
            gate,
            deployments: cfg.github_deployment,
            comment: cfg.comment,
            run_id: cfg.github.run_id,
        }));
    }
    if let (Some(workflow_ref), Some(checkout)) =
        (&cfg.github.workflow_ref, &cfg.surroundings.checkout)
    {
        checks.push(CheckRequest::Permissions(PermissionsRequest {
            workflow_ref: workflow_ref.clone(),
            checkout: checkout.clone(),
            job: cfg.github.job.clone(),
            needs: needs(cfg),
        }));
    }
    checks
}

/// The permissions the enabled GitHub features need.
pub fn needs(cfg: &Config) -> Vec<Need> {
    let need = |scope, access, why| Need { scope, access, why };
    let mut out = Vec::new();
    if cfg.github_deployment {
        out.push(need(
            "deployments",
            Access::Write,
            "`github-deployment: true`",
        ));
    }
    if cfg.comment {
        out.push(need("pull-requests", Access::Write, "`comment: true`"));
    }
    if cfg.wait_for_checks != ChecksMode::Off {
        out.push(need("checks", Access::Read, "the gate (`wait-for-checks`)"));
        out.push(need(
            "statuses",
            Access::Read,
            "the gate (`wait-for-checks`)",
        ));
        out.push(need(
            "actions",
            Access::Read,
            "the gate, to tell this run's own jobs from other checks",
        ));
    }
    out
}

/// The branch whose autodeploy matters: the pushed one, or the one a manual run is on.
fn branch(cfg: &Config) -> Option<String> {
    match &cfg.trigger {
        Trigger::BranchPush { branch } => Some(branch.clone()),
        Trigger::Dispatch | Trigger::Other { .. }
            if cfg.github.ref_type.as_deref() == Some("branch") =>
        {
            cfg.github.ref_name.clone()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LoadError;

    fn config(extra: &[(&str, &str)]) -> Config {
        let mut pairs: Vec<(String, String)> = [
            ("INPUT_COMMAND", "check"),
            ("INPUT_RAILWAY-TOKEN", "tok"),
            ("INPUT_SERVICE", "web, worker"),
            ("INPUT_SOURCE", "commit"),
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_REF", "refs/heads/main"),
            ("GITHUB_SHA", "abc123"),
            ("GITHUB_REPOSITORY", "acme/shop"),
            ("INPUT_GITHUB-TOKEN", "ghs"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in extra {
            pairs.retain(|(n, _)| n != k);
            pairs.push((k.to_string(), v.to_string()));
        }
        let env = move |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        match Config::load(["railway-deploy".to_string()], env) {
            Ok(c) => c,
            Err(LoadError::Input(e)) => panic!("{e}"),
            Err(LoadError::Usage(e)) => panic!("{e}"),
        }
    }

    fn kinds(cfg: &Config) -> Vec<&'static str> {
        plan(cfg)
            .iter()
            .map(|r| match r {
                CheckRequest::Token(_) => "token",
                CheckRequest::Scope => "scope",
                CheckRequest::Service(_) => "service",
                CheckRequest::Autodeploy(_) => "autodeploy",
                CheckRequest::AccountToken(r) => r.command.as_str(),
                CheckRequest::ConfigFile(_) => "config-file",
                CheckRequest::Backup(_) => "backup",
                CheckRequest::Metrics => "metrics",
                CheckRequest::Migrations(_) => "migrations",
                CheckRequest::GitHubReads(_) => "github",
                CheckRequest::Permissions(_) => "permissions",
            })
            .collect()
    }

    #[test]
    fn each_check_is_planned_only_when_an_input_needs_it() {
        let base = config(&[]);
        assert_eq!(base.command, CommandKind::Check);
        assert_eq!(
            kinds(&base),
            [
                "token",
                "scope",
                "service",
                "service",
                "autodeploy",
                "config-file",
                "github"
            ]
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("1_a.sql"), "SELECT 1;").unwrap();
        let all = config(&[
            ("INPUT_MIGRATIONS", dir.path().to_str().unwrap()),
            ("INPUT_DATABASE-URL", "postgres://u:p@db.example:5432/app"),
            ("INPUT_WATCH", "5m"),
            ("INPUT_FROM-ENVIRONMENT", "qa"),
            ("INPUT_PREVIEW-FROM", "staging"),
            (
                "GITHUB_WORKFLOW_REF",
                "acme/shop/.github/workflows/d.yml@refs/heads/main",
            ),
            ("GITHUB_WORKSPACE", "/work"),
        ]);
        assert_eq!(
            kinds(&all),
            [
                "token",
                "scope",
                "service",
                "service",
                "autodeploy",
                "preview",
                "promote",
                "config-file",
                "backup",
                "metrics",
                "migrations",
                "github",
                "permissions"
            ]
        );
        let quiet = config(&[
            ("INPUT_WAIT-FOR-CHECKS", "false"),
            ("INPUT_GITHUB-DEPLOYMENT", "false"),
            ("INPUT_COMMENT", "false"),
            ("INPUT_MIGRATE-COMMAND", "npm run migrate"),
            ("INPUT_BACKUP", "false"),
        ]);
        assert!(!kinds(&quiet).contains(&"github"));
        assert!(!kinds(&quiet).contains(&"backup"));
    }

    #[test]
    fn the_needed_permissions_follow_the_features() {
        let scopes = |cfg: &Config| -> Vec<&str> { needs(cfg).iter().map(|n| n.scope).collect() };
        assert_eq!(
            scopes(&config(&[])),
            [
                "deployments",
                "pull-requests",
                "checks",
                "statuses",
                "actions"
            ]
        );
        let only_comment = config(&[
            ("INPUT_WAIT-FOR-CHECKS", "false"),
            ("INPUT_GITHUB-DEPLOYMENT", "false"),
        ]);
        assert_eq!(scopes(&only_comment), ["pull-requests"]);
    }

    #[test]
    fn a_manual_run_judges_the_autodeploy_of_its_branch() {
        let dispatch = config(&[
            ("GITHUB_EVENT_NAME", "workflow_dispatch"),
            ("GITHUB_REF_NAME", "main"),
            ("GITHUB_REF_TYPE", "branch"),
            ("INPUT_ENVIRONMENT", "staging"),
        ]);
        let branch = plan(&dispatch).into_iter().find_map(|r| match r {
            CheckRequest::Autodeploy(a) => Some(a.branch),
            _ => None,
        });
        assert_eq!(branch, Some(Some("main".to_string())));
    }
}
