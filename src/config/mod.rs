//! Owns the run's inputs: reads `INPUT_*` variables, flags and the GitHub context once, and
//! validates them into a plain typed [`Config`] before any network call. Every decision later is a
//! function of this value.

pub mod action_yml;
pub mod inputs;
pub mod runtime;
pub mod values;

use std::path::PathBuf;
use std::time::Duration;

use crate::context::{self, Event, GitHubEnv, Selection, Trigger};
pub use crate::gate::ChecksMode;
use crate::railway::auth::RailwayToken;
use crate::secret::Secret;
use crate::timing::Timing;
use inputs::RawInputs;
use values::{parse_bool, parse_duration, parse_list, parse_secure_url};

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
}

impl Source {
    pub fn as_str(&self) -> &'static str {
        match self {
            Source::Upload { .. } => "upload",
            Source::Commit => "commit",
            Source::Image { .. } => "image",
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
        let get = |name: &str| raw.get(name).map(str::trim);
        let string_or = |name: &str, default: &str| get(name).unwrap_or(default).to_string();
        let boolean = |name: &str, default: bool| {
            get(name)
                .map(|v| parse_bool(v).map_err(|e| invalid(name, e)))
                .unwrap_or(Ok(default))
        };
        let duration = |name: &str, default: &str| {
            parse_duration(get(name).unwrap_or(default)).map_err(|e| invalid(name, e))
        };

        let command = match get("command")
            .unwrap_or("deploy")
            .to_ascii_lowercase()
            .as_str()
        {
            "deploy" => CommandKind::Deploy,
            "promote" => CommandKind::Promote,
            "rollback" => CommandKind::Rollback,
            other => {
                return Err(invalid(
                    "command",
                    format!("`{other}` is not a command; use `deploy`, `promote` or `rollback`"),
                ));
            }
        };

        let token = match (raw.get("railway-token"), raw.get("railway-api-token")) {
            (Some(t), None) => RailwayToken::Project(Secret::new(t.trim())),
            (None, Some(t)) => RailwayToken::Account(Secret::new(t.trim())),
            (None, None) => {
                return Err(InputError(
                    "no Railway token: set `railway-token` (a project token, or env RAILWAY_TOKEN) or `railway-api-token` (an account token, or env RAILWAY_API_TOKEN), e.g. `railway-token: ${{ secrets.RAILWAY_TOKEN }}`".into(),
                ));
            }
            (Some(_), Some(_)) => {
                return Err(InputError(
                    "both `railway-token` (RAILWAY_TOKEN) and `railway-api-token` (RAILWAY_API_TOKEN) are set; give exactly one: a project token for one project, or an account token".into(),
                ));
            }
        };

        let api_url = parse_secure_url(
            get("railway-api-url").unwrap_or("https://backboard.railway.com/graphql/v2"),
        )
        .map_err(|e| invalid("railway-api-url", e))?;

        let services = parse_list(get("service").unwrap_or_default());
        if services.is_empty() {
            return Err(invalid(
                "service",
                "required: one or more Railway service names or ids, e.g. `service: web` or `service: web, worker`",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = services
            .iter()
            .find(|s| !seen.insert(s.to_ascii_lowercase()))
        {
            return Err(invalid("service", format!("`{dup}` is listed twice")));
        }

        let image = get("image").map(str::to_string);
        let source = match get("source")
            .unwrap_or("upload")
            .to_ascii_lowercase()
            .as_str()
        {
            "upload" => {
                let path = PathBuf::from(get("path").unwrap_or("."));
                if !path.is_dir() {
                    return Err(invalid(
                        "path",
                        format!(
                            "`{}` is not a directory; point it at the folder to upload (default `.`, the checkout)",
                            path.display()
                        ),
                    ));
                }
                Source::Upload { path }
            }
            "commit" => Source::Commit,
            "image" => match image.clone() {
                Some(_) if command == CommandKind::Promote => {
                    return Err(invalid(
                        "image",
                        "`command: promote` deploys the image digest that passed in `from-environment`; remove `image`",
                    ));
                }
                // Promote fills the reference in from `from-environment`'s deployment.
                None if command == CommandKind::Promote => Source::Image {
                    reference: String::new(),
                },
                Some(reference) => {
                    validate_image(&reference).map_err(|e| invalid("image", e))?;
                    Source::Image { reference }
                }
                None => {
                    return Err(invalid(
                        "image",
                        "required with `source: image`, e.g. `ghcr.io/acme/api:1.2.3` or `ghcr.io/acme/api@sha256:…`",
                    ));
                }
            },
            other => {
                return Err(invalid(
                    "source",
                    format!("`{other}` is not a source; use `upload`, `commit` or `image`"),
                ));
            }
        };
        if image.is_some() && !matches!(source, Source::Image { .. }) {
            return Err(invalid(
                "image",
                format!(
                    "is set but `source` is `{}`; set `source: image` to deploy the image",
                    source.as_str()
                ),
            ));
        }

        let production_environment = string_or("production-environment", "production");
        let staging_environment = string_or("staging-environment", "staging");
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

        let expect_status = match get("health-expect-status") {
            None => 200,
            Some(v) => v
                .parse::<u16>()
                .ok()
                .filter(|s| (100..=599).contains(s))
                .ok_or_else(|| {
                    invalid(
                        "health-expect-status",
                        format!(
                            "`{v}` is not an HTTP status; use a number from 100 to 599, e.g. 200"
                        ),
                    )
                })?,
        };
        let health_url = get("health-url")
            .map(|u| parse_health_url(u).map_err(|e| invalid("health-url", e)))
            .transpose()?;
        let health_path = get("health-path").map(str::to_string);
        if let Some(p) = &health_path
            && !p.starts_with('/')
        {
            return Err(invalid(
                "health-path",
                format!("`{p}` must start with `/`, e.g. `/api/health`"),
            ));
        }

        let migrations = get("migrations").map(PathBuf::from);
        if let Some(dir) = &migrations
            && !dir.is_dir()
        {
            return Err(invalid(
                "migrations",
                format!("`{}` is not a directory of SQL migrations", dir.display()),
            ));
        }
        let database_url = raw.get("database-url").map(|v| Secret::new(v.trim()));
        if database_url.is_some() && migrations.is_none() {
            return Err(invalid(
                "database-url",
                "is set but `migrations` is not; set `migrations` to the folder of SQL files to apply",
            ));
        }
        let migrate_command = get("migrate-command").map(str::to_string);
        if migrate_command.is_some() && migrations.is_some() {
            return Err(InputError("`migrate-command` and `migrations` are both set; choose one way to migrate: Railway's pre-deploy command, or SQL files the action applies".into()));
        }

        let to = get("to").map(str::to_string);
        if to.is_some() && command != CommandKind::Rollback {
            return Err(invalid("to", "only applies to `command: rollback`"));
        }
        if to.is_some() && services.len() > 1 {
            return Err(invalid(
                "to",
                "names one deployment, so it needs exactly one `service`",
            ));
        }
        let from_environment = get("from-environment")
            .map(str::to_string)
            .unwrap_or_else(|| staging_environment.clone());
        if command == CommandKind::Promote {
            if let Selection::Deploy { environment, .. } = &selection
                && environment == &from_environment
            {
                return Err(invalid(
                    "from-environment",
                    format!(
                        "is `{from_environment}`, the same as the target environment; promote from another environment"
                    ),
                ));
            }
            if matches!(source, Source::Upload { .. }) && get("source").is_some() {
                return Err(invalid(
                    "source",
                    "`command: promote` redeploys what ran in `from-environment`; use `source: commit` or `source: image`, or leave `source` unset",
                ));
            }
        }

        let sha = context::commit_sha(&github, &event);
        let config = Config {
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
            allow_downgrade: boolean("allow-downgrade", false)?,
            wait_for_checks: ChecksMode::parse(get("wait-for-checks").unwrap_or("true"))
                .map_err(|e| invalid("wait-for-checks", e))?,
            ignore_checks: crate::gate::parse_names(get("ignore-checks").unwrap_or_default()),
            checks_timeout: duration("checks-timeout", "30m")?,
            migrate_command,
            migrations,
            database_url,
            database_url_variable: string_or("database-url-variable", "DATABASE_PUBLIC_URL"),
            health: HealthConfig {
                url: health_url,
                path: health_path,
                expect_status,
                expect_body: get("health-expect-body").map(str::to_string),
                timeout: duration("health-timeout", "2m")?,
            },
            deploy_timeout: duration("deploy-timeout", "30m")?,
            rollback_on_failure: boolean("rollback-on-failure", true)?,
            to,
            from_environment,
            github_token: raw.get("github-token").map(|v| Secret::new(v.trim())),
            github_deployment: boolean("github-deployment", true)?,
            comment: boolean("comment", true)?,
            dry_run: boolean("dry-run", false)?,
            github,
            event,
            trigger,
            sha,
            timing,
            surroundings: runtime::Surroundings::default(),
        };
        Ok(config)
    }
}

/// A health URL may be plain http (it carries no token), but must be http(s) with a host.
fn parse_health_url(s: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(s).map_err(|e| {
        format!("`{s}` is not a URL ({e}); use e.g. `https://api.example.com/health`")
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("`{s}` must be an http(s) URL with a host"));
    }
    Ok(url)
}

/// An image reference: no whitespace, and a digest, when present, is `sha256:` + 64 hex digits.
fn validate_image(reference: &str) -> Result<(), String> {
    if reference.chars().any(char::is_whitespace) || reference.starts_with(['-', ':', '@']) {
        return Err(format!(
            "`{reference}` is not an image reference; use e.g. `ghcr.io/acme/api:1.2.3`"
        ));
    }
    if let Some((_, digest)) = reference.split_once('@') {
        let hex = digest.strip_prefix("sha256:").unwrap_or_default();
        if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!(
                "`{reference}` has a malformed digest; a digest is `@sha256:` followed by 64 hex digits"
            ));
        }
    }
    Ok(())
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
