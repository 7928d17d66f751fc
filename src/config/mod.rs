//! Owns the run's inputs: reads `INPUT_*` variables, flags and the GitHub context once, and
//! validates them into a plain typed [`Config`] before any network call. Every decision later is a
//! function of this value.

pub mod action_yml;
mod assemble;
pub mod checks;
pub mod database_url;
pub mod inputs;
pub mod migration_safety;
pub mod migrations;
pub mod outputs;
mod parse;
mod preview;
pub mod protect;
pub mod runtime;
pub mod token;
pub mod values;

use std::path::PathBuf;
use std::time::Duration;

use crate::config::token::RailwayToken;
use crate::context::{Event, GitHubEnv, Selection, Trigger};
use crate::secret::Secret;
use crate::timing::Timing;
pub use checks::ChecksMode;
pub use protect::{BackupConfig, BackupMode, NotifyConfig, NotifyOn, PreviewConfig, WatchConfig};

/// An input the user must fix; the run stops before any change with exit status 2.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

fn invalid(input: &str, problem: impl std::fmt::Display) -> InputError {
    InputError(format!("input `{input}`: {problem}"))
}

/// Every input error of a run, reported together (one line each), so a user fixes them in one go.
#[derive(Debug, Clone, PartialEq)]
pub struct InputErrors(pub Vec<InputError>);

impl std::fmt::Display for InputErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lines: Vec<&str> = self.0.iter().map(|e| e.0.as_str()).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl From<InputError> for InputErrors {
    fn from(e: InputError) -> Self {
        InputErrors(vec![e])
    }
}

/// Collects input errors while every input is read, instead of stopping at the first.
#[derive(Debug, Default)]
pub(crate) struct Errors(Vec<InputError>);

impl Errors {
    pub(crate) fn push(&mut self, e: InputError) {
        self.0.push(e);
    }

    /// The value, or `None` with the error recorded.
    pub(crate) fn take<T>(&mut self, r: Result<T, InputError>) -> Option<T> {
        r.map_err(|e| self.push(e)).ok()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandKind {
    Deploy,
    Promote,
    Rollback,
    /// A pull request's preview environment: created, deployed to, or (closed) deleted.
    Preview,
    /// Deletes the previews of closed pull requests (e.g. on a schedule).
    PreviewCleanup,
    /// Checks a setup: every read the other inputs need, and nothing changed (`crate::setup_check`).
    Check,
}

impl CommandKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CommandKind::Deploy => "deploy",
            CommandKind::Promote => "promote",
            CommandKind::Rollback => "rollback",
            CommandKind::Preview => "preview",
            CommandKind::PreviewCleanup => "preview-cleanup",
            CommandKind::Check => "check",
        }
    }

    /// `preview` and `preview-cleanup`: the commands that work on preview environments.
    pub fn is_preview(self) -> bool {
        matches!(self, CommandKind::Preview | CommandKind::PreviewCleanup)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A tar.gz of `path`, uploaded as `railway up` does.
    Upload { path: PathBuf },
    /// Railway builds the commit through its GitHub integration.
    Commit,
    /// A container image reference (tag or digest), used as given.
    Image { reference: String },
    /// Trigger nothing: follow the deployment Railway's own GitHub autodeploy makes of the commit.
    Railway,
}

impl Source {
    pub fn as_str(&self) -> &'static str {
        match self {
            Source::Upload { .. } => "upload",
            Source::Commit => "commit",
            Source::Image { .. } => "image",
            Source::Railway => "railway",
        }
    }
}

#[derive(Clone, Debug)]
pub struct HealthConfig {
    pub url: Option<url::Url>,
    pub path: Option<String>,
    pub expect_status: u16,
    pub expect_body: Option<String>,
    pub timeout: Duration,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub command: CommandKind,
    pub token: RailwayToken,
    pub api_url: url::Url,
    pub project: Option<String>,
    /// The environment (name or id) the trigger or input selected; `None` when nothing deploys.
    pub selection: Selection,
    pub services: Vec<String>,
    pub source: Source,
    pub production_environment: String,
    pub staging_environment: String,
    pub tag_prefix: String,
    pub allow_downgrade: bool,
    /// `only-changed`: deploy only the services with a file changed since the commit they serve.
    pub only_changed: bool,
    pub wait_for_checks: ChecksMode,
    pub ignore_checks: Vec<String>,
    pub checks_timeout: Duration,
    pub migrate_command: Option<String>,
    pub migrations: Option<PathBuf>,
    pub database_url: Option<Secret>,
    pub database_url_variable: String,
    /// `destructive-migrations`, `migration-files`.
    pub migration_safety: migration_safety::MigrationSafety,
    /// `backup`, `backup-timeout`: the database volume's backup before migrating.
    pub backup: BackupConfig,
    pub health: HealthConfig,
    pub deploy_timeout: Duration,
    /// `watch`, `watch-max-error-rate`: the window after the health check.
    pub watch: WatchConfig,
    pub rollback_on_failure: bool,
    pub to: Option<String>,
    pub from_environment: String,
    /// `from-environment` was given (not its default): `command: check` checks what promote needs.
    pub from_environment_given: bool,
    /// `preview-from`, `preview-name`.
    pub preview: PreviewConfig,
    pub github_token: Option<Secret>,
    pub github_deployment: bool,
    pub comment: bool,
    /// `notify-webhook` (a secret) and `notify-on`; `None` without a webhook.
    pub notify: Option<NotifyConfig>,
    pub dry_run: bool,
    pub github: GitHubEnv,
    pub event: Event,
    pub trigger: Trigger,
    /// The commit being deployed (a PR's head, a push's `after`, else `GITHUB_SHA`).
    pub sha: Option<String>,
    pub timing: Timing,
    /// Spool directories, the released image, the rollback workflow (see [`runtime`]).
    pub surroundings: runtime::Surroundings,
}

impl Config {
    /// The secrets of this run, to mask in the log and to redact from echoed error bodies.
    pub fn secrets(&self) -> Vec<&Secret> {
        let mut s = vec![self.token.secret()];
        s.extend(self.database_url.iter());
        s.extend(self.github_token.iter());
        s.extend(self.notify.iter().map(|n| &n.url));
        s
    }

    /// Whether the run backs the database up before migrating: something may be migrated (SQL
    /// migrations, or a `migrate-command`) and `backup` is not `false`.
    pub fn wants_backup(&self) -> bool {
        self.backup.mode != BackupMode::Off
            && self.command != CommandKind::Rollback
            && (self.migrations.is_some() || self.migrate_command.is_some())
    }

    /// The selected version as a string, when the trigger carried one.
    pub fn version(&self) -> Option<String> {
        match &self.selection {
            Selection::Deploy {
                version: Some(v), ..
            } => Some(v.to_string()),
            _ => None,
        }
    }

    /// Where the process's exchange trace goes (`--trace`, `RAILWAY_DEPLOY_TRACE`), if anywhere:
    /// read before the configuration, so that loading it is traced too.
    #[allow(
        clippy::disallowed_methods,
        reason = "config reads the environment; this reads only the trace file's name"
    )]
    pub fn trace_path_of_process() -> Option<std::path::PathBuf> {
        inputs::trace_path(std::env::args(), |k| std::env::var(k).ok())
    }

    /// [`Config::load`] from this process's arguments and environment.
    #[allow(
        clippy::disallowed_methods,
        reason = "the one place that reads the environment"
    )]
    pub fn load_process() -> Result<Config, LoadError> {
        Config::load(std::env::args(), |k| std::env::var(k).ok())
    }

    /// Reads and validates everything. `env` is the process environment (injected for tests).
    pub fn load(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, LoadError> {
        let raw = inputs::read_raw(args, &env).map_err(LoadError::Usage)?;
        let github = GitHubEnv::read(&env);
        let event = match &github.event_path {
            Some(path) => {
                let bytes = std::fs::read(path).map_err(|e| {
                    LoadError::Input(
                        InputError(format!("GITHUB_EVENT_PATH `{path}` could not be read: {e}"))
                            .into(),
                    )
                })?;
                Event::parse(&bytes).map_err(|e| {
                    LoadError::Input(InputError(format!("GITHUB_EVENT_PATH `{path}`: {e}")).into())
                })?
            }
            None => Event::default(),
        };
        let timing = Timing::from_env_value(env("RAILWAY_DEPLOY_TIME_SCALE").as_deref());
        let surroundings = runtime::Surroundings::read(&env, &github, std::env::current_dir().ok());
        let mut config =
            Config::from_parts(&raw, github, event, timing).map_err(LoadError::Input)?;
        config.surroundings = surroundings;
        Ok(config)
    }
}

/// The GitHub Actions context of this process (`GITHUB_ACTIONS`, `GITHUB_OUTPUT` ...), which
/// `main` needs even when the inputs are invalid.
#[allow(
    clippy::disallowed_methods,
    reason = "the one place that reads the environment"
)]
pub fn process_github_env() -> GitHubEnv {
    GitHubEnv::read(&|k: &str| std::env::var(k).ok())
}

/// Why the configuration could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// `--help`, `--version`, or a malformed command line (clap prints it).
    Usage(clap::Error),
    /// Every invalid input, at once.
    Input(InputErrors),
}

#[cfg(test)]
mod tests;
