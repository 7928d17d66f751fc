//! Owns assembling the [`Config`] from the raw inputs: every group is read even when an earlier one
//! is invalid, so that every input error of the run is reported in one go ([`InputErrors`]).

use super::inputs::RawInputs;
use super::parse::{self, Inputs};
use super::values::parse_secure_url;
use super::{ChecksMode, Config, Errors, HealthConfig, InputError, InputErrors, checks, invalid};
use super::{CommandKind, Source, preview, protect, runtime};
use crate::context::{self, Event, GitHubEnv, Selection, Trigger};
use crate::secret::Secret;
use crate::timing::Timing;

const DEFAULT_API_URL: &str = "https://backboard.railway.com/graphql/v2";

/// Where the run deploys: the trigger, and the environment it selects with the inputs.
struct Target {
    trigger: Trigger,
    selection: Option<Selection>,
    production: String,
    staging: String,
    tag_prefix: String,
}

impl Target {
    fn read(
        inputs: &Inputs,
        github: &GitHubEnv,
        event: &Event,
        command: Option<CommandKind>,
        preview: Option<&protect::PreviewConfig>,
        errs: &mut Errors,
    ) -> Target {
        let production = inputs.string_or("production-environment", "production");
        let staging = inputs.string_or("staging-environment", "staging");
        let tag_prefix = inputs.0.get("tag-prefix").unwrap_or("v").to_string();
        let trigger = Trigger::from_context(
            github.event_name.as_deref(),
            github.git_ref.as_deref(),
            event,
        );
        let fork_skip = preview::fork_skip(command, event, has_token(inputs.0));
        let selection = match (command, preview) {
            _ if fork_skip.is_some() => fork_skip.ok_or_else(|| InputError(String::new())),
            (Some(c), Some(p)) if c.is_preview() => {
                preview::selection(c, &trigger, event, inputs.get("environment"), p)
            }
            // An invalid `preview-name` is reported by itself.
            (Some(c), None) if c.is_preview() => Err(InputError(String::new())),
            _ => context::trigger::select(
                &trigger,
                &context::trigger::SelectionInputs {
                    environment: inputs.get("environment"),
                    production: &production,
                    staging: &staging,
                    tag_prefix: &tag_prefix,
                },
            )
            .map_err(InputError),
        };
        let selection = match selection {
            Err(InputError(msg)) if msg.is_empty() => None,
            other => errs.take(other),
        };
        Target {
            trigger,
            selection,
            production,
            staging,
            tag_prefix,
        }
    }
}

/// `from-environment`, checked only when what it depends on could be read.
fn from_environment(
    inputs: &Inputs,
    command: Option<CommandKind>,
    target: &Target,
    errs: &mut Errors,
) -> Option<String> {
    let (command, selection) = (command?, target.selection.as_ref()?);
    errs.take(parse::from_environment(
        inputs,
        command,
        selection,
        &target.staging,
    ))
}

/// The typed values of the simple inputs (booleans, durations, the gate), each recorded in `errs`
/// when invalid.
struct Simple {
    allow_downgrade: Option<bool>,
    only_changed: Option<bool>,
    wait_for_checks: Option<ChecksMode>,
    checks_timeout: Option<std::time::Duration>,
    health_timeout: Option<std::time::Duration>,
    deploy_timeout: Option<std::time::Duration>,
    rollback_on_failure: Option<bool>,
    github_deployment: Option<bool>,
    comment: Option<bool>,
    dry_run: Option<bool>,
}

impl Simple {
    fn read(inputs: &Inputs, errs: &mut Errors) -> Simple {
        let checks = ChecksMode::parse(inputs.get("wait-for-checks").unwrap_or("true"))
            .map_err(|e| invalid("wait-for-checks", e));
        Simple {
            allow_downgrade: errs.take(inputs.boolean("allow-downgrade", false)),
            only_changed: errs.take(inputs.boolean("only-changed", false)),
            wait_for_checks: errs.take(checks),
            checks_timeout: errs.take(inputs.duration("checks-timeout", "30m")),
            health_timeout: errs.take(inputs.duration("health-timeout", "2m")),
            deploy_timeout: errs.take(inputs.duration("deploy-timeout", "30m")),
            rollback_on_failure: errs.take(inputs.boolean("rollback-on-failure", true)),
            github_deployment: errs.take(inputs.boolean("github-deployment", true)),
            comment: errs.take(inputs.boolean("comment", true)),
            dry_run: errs.take(inputs.boolean("dry-run", false)),
        }
    }
}

/// `source: railway` follows Railway's deployment of a commit: one must be known.
fn railway_needs_sha(source: Option<&Source>, sha: Option<&str>, errs: &mut Errors) {
    if source == Some(&Source::Railway) && sha.is_none() {
        errs.push(InputError(
            "input `source`: `railway` follows Railway's deployment of the pushed commit, and no commit is known (GITHUB_SHA); use another source outside GitHub Actions".into(),
        ));
    }
}

/// Whether the run got a Railway token at all (input or env fallback).
fn has_token(raw: &RawInputs) -> bool {
    raw.get("railway-token").is_some() || raw.get("railway-api-token").is_some()
}

/// `railway-api-url`: https, or http to a loopback host.
fn api_url(inputs: &Inputs) -> Result<url::Url, InputError> {
    parse_secure_url(inputs.get("railway-api-url").unwrap_or(DEFAULT_API_URL))
        .map_err(|e| invalid("railway-api-url", e))
}

impl Config {
    /// Reads and validates every input. Err lists every invalid input, not only the first.
    pub fn from_parts(
        raw: &RawInputs,
        github: GitHubEnv,
        event: Event,
        timing: Timing,
    ) -> Result<Config, InputErrors> {
        let inputs = Inputs(raw);
        let get = |name: &str| inputs.get(name);
        let mut errs = Errors::default();
        let command = errs.take(parse::command(&inputs));
        let skipped = preview::fork_skip(command, &event, has_token(raw)).is_some();
        let token = errs.take(preview::token(raw, command, skipped));
        let api_url = errs.take(api_url(&inputs));
        let services = errs.take(preview::services(&inputs, command));
        let source = command.and_then(|c| errs.take(parse::source(&inputs, c)));
        let preview = protect::preview(&inputs, &mut errs);
        let p = preview.as_ref();
        let target = Target::read(&inputs, &github, &event, command, p, &mut errs);
        let health = parse::health_target(&inputs, &mut errs);
        let migration = parse::migration(&inputs, &mut errs);
        let migration_safety = errs.take(super::migration_safety::read(&inputs));
        let count = services.as_ref().map_or(0, Vec::len);
        let to = command.and_then(|c| errs.take(parse::rollback(&inputs, c, count)));
        let from_environment = from_environment(&inputs, command, &target, &mut errs);
        let simple = Simple::read(&inputs, &mut errs);
        let guard = protect::Protect::read(&inputs, &mut errs);
        let sha = context::commit_sha(&github, &event);
        railway_needs_sha(source.as_ref(), sha.as_deref(), &mut errs);
        let config = (|| {
            let guard = guard?;
            Some(Config {
                command: command?,
                token: token?,
                api_url: api_url?,
                project: get("project").map(str::to_string),
                selection: target.selection?,
                services: services?,
                source: source?,
                production_environment: target.production,
                staging_environment: target.staging,
                tag_prefix: target.tag_prefix,
                allow_downgrade: simple.allow_downgrade?,
                only_changed: simple.only_changed?,
                wait_for_checks: simple.wait_for_checks?,
                ignore_checks: checks::parse_names(get("ignore-checks").unwrap_or_default()),
                checks_timeout: simple.checks_timeout?,
                migrate_command: migration.command,
                migrations: migration.dir,
                database_url: migration.database_url,
                database_url_variable: inputs
                    .string_or("database-url-variable", "DATABASE_PUBLIC_URL"),
                migration_safety: migration_safety?,
                backup: guard.backup,
                health: HealthConfig {
                    timeout: simple.health_timeout?,
                    ..health
                },
                deploy_timeout: simple.deploy_timeout?,
                watch: guard.watch,
                rollback_on_failure: simple.rollback_on_failure?,
                to: to?,
                from_environment: from_environment?,
                from_environment_given: get("from-environment").is_some(),
                preview: preview?,
                github_token: raw.get("github-token").map(|v| Secret::new(v.trim())),
                github_deployment: simple.github_deployment?,
                comment: simple.comment?,
                notify: guard.notify,
                dry_run: simple.dry_run?,
                github,
                event,
                trigger: target.trigger,
                sha,
                timing,
                surroundings: runtime::Surroundings::default(),
            })
        })();
        match (config, errs.0.is_empty()) {
            (Some(config), true) => Ok(config),
            // Every `None` above comes with its error; the fallback message is for safety only.
            _ if errs.0.is_empty() => Err(InputError("the inputs could not be read".into()).into()),
            _ => Err(InputErrors(errs.0)),
        }
    }
}
