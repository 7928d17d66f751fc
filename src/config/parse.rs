//! Reads each group of inputs from the raw values into its typed form (the command, the token,
//! the services, the source, health, migrations, rollback and promote), with the messages that
//! say how to fix a bad value. [`super::Config::from_parts`] calls these in order.

use std::path::PathBuf;

use super::inputs::RawInputs;
use super::values::{parse_bool, parse_duration, parse_list};
use super::{
    CommandKind, Errors, HealthConfig, InputError, Source, database_url, invalid, migrations,
};
use crate::config::token::RailwayToken;
use crate::context::Selection;
use crate::secret::Secret;

/// The raw inputs, trimmed, with the common parsers.
pub(super) struct Inputs<'a>(pub &'a RawInputs);

impl Inputs<'_> {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(str::trim)
    }

    pub fn string_or(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or(default).to_string()
    }

    pub fn boolean(&self, name: &str, default: bool) -> Result<bool, InputError> {
        self.get(name)
            .map(|v| parse_bool(v).map_err(|e| invalid(name, e)))
            .unwrap_or(Ok(default))
    }

    pub fn duration(&self, name: &str, default: &str) -> Result<std::time::Duration, InputError> {
        parse_duration(self.get(name).unwrap_or(default)).map_err(|e| invalid(name, e))
    }
}

pub(super) fn command(inputs: &Inputs) -> Result<CommandKind, InputError> {
    let get = |name: &str| inputs.get(name);
    Ok(
        match get("command")
            .unwrap_or("deploy")
            .to_ascii_lowercase()
            .as_str()
        {
            "deploy" => CommandKind::Deploy,
            "promote" => CommandKind::Promote,
            "rollback" => CommandKind::Rollback,
            "preview" => CommandKind::Preview,
            "preview-cleanup" => CommandKind::PreviewCleanup,
            "check" => CommandKind::Check,
            other => {
                return Err(invalid(
                    "command",
                    format!(
                        "`{other}` is not a command; use `deploy`, `promote`, `rollback`, `preview`, `preview-cleanup` or `check`"
                    ),
                ));
            }
        },
    )
}

pub(super) fn token(raw: &RawInputs) -> Result<RailwayToken, InputError> {
    Ok(
        match (raw.get("railway-token"), raw.get("railway-api-token")) {
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
        },
    )
}

pub(super) fn services(inputs: &Inputs) -> Result<Vec<String>, InputError> {
    let get = |name: &str| inputs.get(name);
    let services = parse_list(get("service").unwrap_or_default());
    if services.is_empty() {
        return Err(invalid(
            "service",
            "required: one or more Railway service names or ids, e.g. `service: web` or `service: web, worker` (on the command line: `--service web`, or INPUT_SERVICE)",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = services
        .iter()
        .find(|s| !seen.insert(s.to_ascii_lowercase()))
    {
        return Err(invalid("service", format!("`{dup}` is listed twice")));
    }
    Ok(services)
}

pub(super) fn source(inputs: &Inputs, command: CommandKind) -> Result<Source, InputError> {
    let get = |name: &str| inputs.get(name);
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
        "railway" if command == CommandKind::Promote => {
            return Err(invalid(
                "source",
                "`source: railway` follows the deployment Railway makes of a push; `command: promote` deploys what passed in `from-environment`: use `source: commit` or `image`",
            ));
        }
        "railway" => Source::Railway,
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
                format!("`{other}` is not a source; use `upload`, `commit`, `image` or `railway`"),
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
    Ok(source)
}

/// `health-*` except `health-timeout` (read last, with the other durations). Every bad setting is
/// recorded in `errs`; what could not be read takes its default.
pub(super) fn health_target(inputs: &Inputs, errs: &mut Errors) -> HealthConfig {
    let get = |name: &str| inputs.get(name);
    let expect_status = match get("health-expect-status") {
        None => Some(200),
        Some(v) => errs.take(
            v.parse::<u16>()
                .ok()
                .filter(|s| (100..=599).contains(s))
                .ok_or_else(|| {
                    invalid(
                        "health-expect-status",
                        format!(
                            "`{v}` is not an HTTP status; use a number from 100 to 599, e.g. 200"
                        ),
                    )
                }),
        ),
    };
    let url = get("health-url")
        .and_then(|u| errs.take(parse_health_url(u).map_err(|e| invalid("health-url", e))));
    let path = get("health-path").map(str::to_string);
    if let Some(p) = &path
        && !p.starts_with('/')
    {
        errs.push(invalid(
            "health-path",
            format!("`{p}` must start with `/`, e.g. `/api/health`"),
        ));
    }
    HealthConfig {
        url,
        path,
        expect_status: expect_status.unwrap_or(200),
        expect_body: get("health-expect-body").map(str::to_string),
        timeout: std::time::Duration::ZERO,
    }
}

/// How the run migrates: SQL files the action applies, or Railway's pre-deploy command.
pub(super) struct Migration {
    pub dir: Option<PathBuf>,
    pub database_url: Option<Secret>,
    pub command: Option<String>,
}

pub(super) fn migration(inputs: &Inputs, errs: &mut Errors) -> Migration {
    let get = |name: &str| inputs.get(name);
    let raw = inputs.0;
    let migrations = get("migrations").map(PathBuf::from);
    if let Some(dir) = &migrations
        && let Err(e) = migrations::scan(dir)
    {
        errs.push(invalid("migrations", e));
    }
    let database_url = raw.get("database-url").map(|v| Secret::new(v.trim()));
    if let Some(url) = &database_url {
        if migrations.is_none() {
            errs.push(invalid(
                "database-url",
                "is set but `migrations` is not; set `migrations` to the folder of SQL files to apply",
            ));
        } else if let Err(e) = database_url::check(url.expose()) {
            errs.push(invalid("database-url", e));
        }
    }
    let migrate_command = get("migrate-command").map(str::to_string);
    if migrate_command.is_some() && migrations.is_some() {
        errs.push(InputError("`migrate-command` and `migrations` are both set; choose one way to migrate: Railway's pre-deploy command, or SQL files the action applies".into()));
    }
    Migration {
        dir: migrations,
        database_url,
        command: migrate_command,
    }
}

/// `to` (only for `command: rollback`, with one service).
pub(super) fn rollback(
    inputs: &Inputs,
    command: CommandKind,
    service_count: usize,
) -> Result<Option<String>, InputError> {
    let get = |name: &str| inputs.get(name);
    let to = get("to").map(str::to_string);
    if to.is_some() && command != CommandKind::Rollback {
        return Err(invalid("to", "only applies to `command: rollback`"));
    }
    if to.is_some() && service_count > 1 {
        return Err(invalid(
            "to",
            "names one deployment, so it needs exactly one `service`",
        ));
    }
    Ok(to)
}

/// `from-environment`, and the check `command: promote` makes of the target. `source` is not
/// checked: its `action.yml` default `upload`, which the runner passes whenever a workflow leaves
/// `source` out, means for promote "what passed in `from-environment`", as no `source` does.
pub(super) fn from_environment(
    inputs: &Inputs,
    command: CommandKind,
    selection: &Selection,
    staging_environment: &str,
) -> Result<String, InputError> {
    let get = |name: &str| inputs.get(name);
    let from_environment = get("from-environment")
        .map(str::to_string)
        .unwrap_or_else(|| staging_environment.to_string());
    if command == CommandKind::Promote
        && let Selection::Deploy { environment, .. } = selection
        && environment == &from_environment
    {
        return Err(invalid(
            "from-environment",
            format!(
                "is `{from_environment}`, the same as the target environment; promote from another environment"
            ),
        ));
    }
    Ok(from_environment)
}

/// A health URL may be plain http (it carries no token), but must be http(s) with a host.
pub(super) fn parse_health_url(s: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(s).map_err(|e| {
        format!("`{s}` is not a URL ({e}); use e.g. `https://api.example.com/health`")
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("`{s}` must be an http(s) URL with a host"));
    }
    Ok(url)
}

/// An image reference: no whitespace, and a digest, when present, is `sha256:` + 64 hex digits.
pub(super) fn validate_image(reference: &str) -> Result<(), String> {
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
