//! Owns the run's inputs: reads `INPUT_*` variables, flags and the GitHub context once, and
//! validates them into a plain typed [`Config`] before any network call. Every decision later is a
//! function of this value.

pub mod action_yml;
pub mod checks;
pub mod inputs;
pub mod outputs;
mod parse;
pub mod runtime;
pub mod values;

use std::path::PathBuf;
use std::time::Duration;

use crate::context::{self, Event, GitHubEnv, Selection, Trigger};
use crate::railway::auth::RailwayToken;
use crate::secret::Secret;
use crate::timing::Timing;
pub use checks::ChecksMode;
use inputs::RawInputs;
use values::parse_secure_url;

/// An input the user must fix; the run stops before any change with exit status 2.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

fn invalid(input: &str, problem: impl std::fmt::Display) -> InputError {
    InputError(format!("input `{input}`: {problem}"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandKind {
    Deploy,
    Promote,
    Rollback,
}

impl CommandKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CommandKind::Deploy => "deploy",
            CommandKind::Promote => "promote",
            CommandKind::Rollback => "rollback",
        }
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
    pub health: HealthConfig,
    pub deploy_timeout: Duration,
    pub rollback_on_failure: bool,
    pub to: Option<String>,
    pub from_environment: String,
    pub github_token: Option<Secret>,
    pub github_deployment: bool,
    pub comment: bool,
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
        s
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

    /// [`Config::load`] from this process's arguments and environment.
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
                    LoadError::Input(InputError(format!(
                        "GITHUB_EVENT_PATH `{path}` could not be read: {e}"
                    )))
                })?;
                Event::parse(&bytes).map_err(|e| {
                    LoadError::Input(InputError(format!("GITHUB_EVENT_PATH `{path}`: {e}")))
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

    pub fn from_parts(
        raw: &RawInputs,
        github: GitHubEnv,
        event: Event,
        timing: Timing,
    ) -> Result<Config, InputError> {
        let inputs = parse::Inputs(raw);
        let get = |name: &str| inputs.get(name);
        let command = parse::command(&inputs)?;
        let token = parse::token(raw)?;
        let api_url = parse_secure_url(
            get("railway-api-url").unwrap_or("https://backboard.railway.com/graphql/v2"),
        )
        .map_err(|e| invalid("railway-api-url", e))?;
        let services = parse::services(&inputs)?;
        let source = parse::source(&inputs, command)?;
        let production_environment = inputs.string_or("production-environment", "production");
        let staging_environment = inputs.string_or("staging-environment", "staging");
        let tag_prefix = raw.get("tag-prefix").unwrap_or("v").to_string();
        let trigger = Trigger::from_context(
            github.event_name.as_deref(),
            github.git_ref.as_deref(),
            &event,
        );
        let selection = context::trigger::select(
            &trigger,
            &context::trigger::SelectionInputs {
                environment: get("environment"),
                production: &production_environment,
                staging: &staging_environment,
                tag_prefix: &tag_prefix,
            },
        )
        .map_err(InputError)?;
        let health = parse::health_target(&inputs)?;
        let migration = parse::migration(&inputs)?;
        let rollback = parse::rollback(&inputs, command, services.len())?;
        let from_environment =
            parse::from_environment(&inputs, command, &selection, &source, &staging_environment)?;
        let sha = context::commit_sha(&github, &event);
        if source == Source::Railway && sha.is_none() {
            return Err(InputError(
                "input `source`: `railway` follows Railway's deployment of the pushed commit, and no commit is known (GITHUB_SHA); use another source outside GitHub Actions".into(),
            ));
        }
        Ok(Config {
            command,
            token,
            api_url,
            project: get("project").map(str::to_string),
            selection,
            services,
            source,
            production_environment,
            staging_environment,
            tag_prefix,
            allow_downgrade: inputs.boolean("allow-downgrade", false)?,
            only_changed: inputs.boolean("only-changed", false)?,
            wait_for_checks: ChecksMode::parse(get("wait-for-checks").unwrap_or("true"))
                .map_err(|e| invalid("wait-for-checks", e))?,
            ignore_checks: checks::parse_names(get("ignore-checks").unwrap_or_default()),
            checks_timeout: inputs.duration("checks-timeout", "30m")?,
            migrate_command: migration.command,
            migrations: migration.dir,
            database_url: migration.database_url,
            database_url_variable: inputs.string_or("database-url-variable", "DATABASE_PUBLIC_URL"),
            health: HealthConfig {
                timeout: inputs.duration("health-timeout", "2m")?,
                ..health
            },
            deploy_timeout: inputs.duration("deploy-timeout", "30m")?,
            rollback_on_failure: inputs.boolean("rollback-on-failure", true)?,
            to: rollback,
            from_environment,
            github_token: raw.get("github-token").map(|v| Secret::new(v.trim())),
            github_deployment: inputs.boolean("github-deployment", true)?,
            comment: inputs.boolean("comment", true)?,
            dry_run: inputs.boolean("dry-run", false)?,
            github,
            event,
            trigger,
            sha,
            timing,
            surroundings: runtime::Surroundings::default(),
        })
    }
}

/// The GitHub Actions context of this process (`GITHUB_ACTIONS`, `GITHUB_OUTPUT` ...), which
/// `main` needs even when the inputs are invalid.
pub fn process_github_env() -> GitHubEnv {
    GitHubEnv::read(&|k: &str| std::env::var(k).ok())
}

/// Why the configuration could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// `--help`, `--version`, or a malformed command line (clap prints it).
    Usage(clap::Error),
    Input(InputError),
}

#[cfg(test)]
mod tests;
