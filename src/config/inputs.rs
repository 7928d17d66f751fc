//! The contract's inputs as one table (name, default, description), and reading their raw values:
//! a `--<name>` flag wins over `INPUT_<NAME>` (hyphens kept), which wins over the fallback variable
//! (`RAILWAY_TOKEN`, `RAILWAY_API_TOKEN`); an empty value means "not given". The same table
//! builds `--help` and is checked against `action.yml` by a test.

use std::collections::BTreeMap;

pub struct InputSpec {
    pub name: &'static str,
    /// The default as the contract states it (documentation; typed defaults live in `Config`).
    pub default: &'static str,
    pub description: &'static str,
    /// Environment variable read when neither the flag nor `INPUT_<NAME>` is given.
    pub fallback_env: Option<&'static str>,
}

const fn input(name: &'static str, default: &'static str, description: &'static str) -> InputSpec {
    InputSpec {
        name,
        default,
        description,
        fallback_env: None,
    }
}

pub const INPUTS: &[InputSpec] = &[
    input(
        "command",
        "deploy",
        "`deploy`, `promote`, `rollback`, `preview` (a pull request's preview environment) or `preview-cleanup` (delete the previews of closed pull requests) or `check` (check the setup: reads only, changes nothing)",
    ),
    InputSpec {
        name: "railway-token",
        default: "",
        description: "Railway project token, sent as `Project-Access-Token` (default: env `RAILWAY_TOKEN`)",
        fallback_env: Some("RAILWAY_TOKEN"),
    },
    InputSpec {
        name: "railway-api-token",
        default: "",
        description: "Railway account/workspace token, sent as `Authorization: Bearer` (default: env `RAILWAY_API_TOKEN`). Exactly one of the two tokens is required",
        fallback_env: Some("RAILWAY_API_TOKEN"),
    },
    input(
        "railway-api-url",
        "https://backboard.railway.com/graphql/v2",
        "Railway GraphQL endpoint; upload and websocket endpoints derive from its origin. Non-https only for loopback hosts",
    ),
    input(
        "project",
        "",
        "Railway project id (default: the project token's project)",
    ),
    input(
        "environment",
        "",
        "Railway environment name or id (default: chosen by the trigger)",
    ),
    input(
        "service",
        "",
        "One or more Railway service names (case-insensitive) or ids, comma- or newline-separated; several deploy concurrently. Required",
    ),
    input(
        "source",
        "upload",
        "`upload` (tar.gz of `path`), `commit` (Railway builds the commit via its GitHub integration), `image`, or `railway` (trigger nothing: follow the deployment Railway's own GitHub autodeploy makes of this commit)",
    ),
    input("path", ".", "Directory uploaded when `source: upload`"),
    input(
        "image",
        "",
        "Image reference when `source: image` (tag or `@sha256:` digest)",
    ),
    input(
        "production-environment",
        "production",
        "Environment for stable release tags",
    ),
    input(
        "staging-environment",
        "staging",
        "Environment for branch pushes and pre-release tags",
    ),
    input(
        "tag-prefix",
        "v",
        "Stripped from a tag before it is parsed as semver",
    ),
    input(
        "allow-downgrade",
        "false",
        "Allow a release lower than the last one deployed to that environment, and a commit older than the one a service serves",
    ),
    input(
        "only-changed",
        "false",
        "Deploy only the services with a file changed since the commit they serve (their Railway watch patterns, else their root directory); the others are reported as skipped",
    ),
    input(
        "wait-for-checks",
        "true",
        "`true`: every other check run and commit status must pass; `false`: no gate; otherwise a list of check names that must pass. A single value within two edits of `true`/`false` (`ture`, `flase`) or a yes/no word (`yes`, `no`, `on`, `off`, `0`, `1`, `enabled`, `disabled`, `all`, `none`) is refused as invalid input; to wait on a check really named so, add a comma (`ture,`)",
    ),
    input("ignore-checks", "", "Check names never waited on"),
    input(
        "checks-timeout",
        "30m",
        "How long the gate waits for pending checks",
    ),
    input(
        "migrate-command",
        "",
        "Command set as the service's Railway pre-deploy command (e.g. `npx prisma migrate deploy`)",
    ),
    input(
        "migrations",
        "",
        "Directory of SQL migrations the action applies itself, before deploying",
    ),
    input(
        "database-url",
        "",
        "Database URL for `migrations`: `postgres://`, `postgresql://`, `mysql://` or `mariadb://`, with a host and a database; checked before anything is written",
    ),
    input(
        "database-url-variable",
        "DATABASE_PUBLIC_URL",
        "Railway variable read for the database URL when `database-url` is empty",
    ),
    input(
        "destructive-migrations",
        "warn",
        "What a migration that removes, renames or retypes something does (read before any change, with squawk's rules): `warn` (a warning each), `refuse` (invalid input before any change) or `allow` (listed only; a failed release may then still be rolled back)",
    ),
    input(
        "migration-files",
        "**/migrations/**/*.sql, **/migration/**/*.sql, drizzle/**/*.sql",
        "With `migrate-command`: the files, among those changed since the commit a service serves, that hold its SQL migrations (gitignore-style globs from the repository root; down migrations are never read)",
    ),
    input(
        "backup",
        "auto",
        "Before migrating (`migrations` with pending files, or `migrate-command`): back up the database service's Railway volume. `auto`: when there is one; `true`: required (none found is invalid input); `false`: never",
    ),
    input("backup-timeout", "10m", "How long the backup may take"),
    input("health-url", "", "URL to probe after the deploy"),
    input(
        "health-path",
        "",
        "Path probed on the service's public domain when `health-url` is empty (default: the service's Railway healthcheck path, else `/`)",
    ),
    input(
        "health-expect-status",
        "200",
        "Status the probe must return",
    ),
    input(
        "health-expect-body",
        "",
        "Text the body must contain; `{sha}` and `{version}` are replaced first",
    ),
    input(
        "health-timeout",
        "2m",
        "How long the probe may take to pass",
    ),
    input(
        "deploy-timeout",
        "30m",
        "How long a deployment may take to reach a final state",
    ),
    input(
        "watch",
        "0s",
        "After the health check passes, keep watching the new deployments this long (`0s`: off): their instances, the health URL, and the HTTP 5xx share; a breach counts as a failed health check",
    ),
    input(
        "watch-max-error-rate",
        "5%",
        "The share of 5xx responses (`5%` or `0.05`) that is a breach during `watch`, judged once a service served at least 20 requests since going live",
    ),
    input(
        "rollback-on-failure",
        "true",
        "Roll back to the previously serving deployment when the new one fails after going live",
    ),
    input(
        "to",
        "",
        "`command: rollback`: the deployment id to roll back to, one of the service's in that environment (default: the previous successful deployment)",
    ),
    input(
        "from-environment",
        "",
        "`command: promote`: where the tested deployment is taken from (default: the staging environment)",
    ),
    input(
        "preview-from",
        "",
        "`command: preview`: the environment a pull request's preview is copied from (default: the staging environment)",
    ),
    input(
        "preview-name",
        "pr-{number}",
        "The name of a pull request's preview environment; `{number}` is the PR number",
    ),
    input(
        "github-token",
        "${{ github.token }}",
        "Token for the GitHub API",
    ),
    input(
        "github-deployment",
        "true",
        "Record a GitHub Deployment with its statuses",
    ),
    input(
        "comment",
        "true",
        "Keep one up-to-date comment on the pull request(s) of the commit",
    ),
    input(
        "notify-webhook",
        "",
        "A Slack or Discord webhook URL, or any URL taking JSON: one message with the outcome when the run ends (a secret)",
    ),
    input(
        "notify-on",
        "failure",
        "`failure` (failed or rolled back) or `always`",
    ),
    input(
        "dry-run",
        "false",
        "Resolve and validate everything, print the plan, change nothing",
    ),
];

/// `railway-token` → `INPUT_RAILWAY-TOKEN` (upper-cased, spaces to `_`, hyphens kept).
pub fn env_name(input: &str) -> String {
    format!("INPUT_{}", input.to_ascii_uppercase().replace(' ', "_"))
}

/// The raw, untyped value of every input that was given (non-empty).
#[derive(Clone, Debug, Default)]
pub struct RawInputs {
    values: BTreeMap<&'static str, String>,
}

impl RawInputs {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn set(&mut self, name: &'static str, value: impl Into<String>) {
        let value = value.into();
        if value.trim().is_empty() {
            self.values.remove(name);
        } else {
            self.values.insert(name, value);
        }
    }
}

/// `--help`'s text and the flag parser, built from [`INPUTS`].
pub fn command_line() -> clap::Command {
    let mut cmd = clap::Command::new("railway-deploy")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Gate on checks, deploy to Railway, migrate, health-check, roll back and report on GitHub.")
        .after_help(
            "Every flag is also read from INPUT_<NAME> (hyphens kept, e.g. INPUT_RAILWAY-TOKEN), \
             as GitHub passes action inputs; a flag wins. Durations: 90s, 5m, 1h30m or seconds. \
             Lists: commas or newlines.",
        );
    // Not an action input: where to write the exchange trace (`crate::trace`).
    cmd = cmd.arg(
        clap::Arg::new(TRACE_FLAG)
            .long(TRACE_FLAG)
            .value_name("FILE")
            .help("Write one JSON line per exchange with Railway and GitHub to FILE (names, shapes and statuses, never values), to attach to a bug report; also RAILWAY_DEPLOY_TRACE")
            .num_args(1),
    );
    for spec in INPUTS {
        let help = help_text(spec);
        cmd = cmd.arg(
            clap::Arg::new(spec.name)
                .long(spec.name)
                .value_name("VALUE")
                .help(help)
                .num_args(1),
        );
    }
    cmd
}

/// One flag's `--help` line: the description, with what the command line needs to know. The
/// required `service` says where it may come from; a default that is an Actions expression (the
/// `github-token`'s `${{ github.token }}`) says what it means instead of showing the expression.
fn help_text(spec: &InputSpec) -> String {
    let mut help = spec.description.to_string();
    if spec.name == "service" {
        let described = help
            .trim_end_matches("Required")
            .trim_end_matches(['.', ' ']);
        help = format!("{described}. Required: give --service, or set INPUT_SERVICE");
    }
    if spec.default.contains("${{") {
        help.push_str(" [default in Actions: the job's GITHUB_TOKEN; on the command line: none]");
    } else if !spec.default.is_empty() && spec.fallback_env.is_none() {
        help.push_str(&format!(" [default: {}]", spec.default));
    }
    help
}

/// The flag naming the trace file.
const TRACE_FLAG: &str = "trace";

/// Where the exchange trace goes: `--trace <file>`, else `RAILWAY_DEPLOY_TRACE`; `None`: off.
pub fn trace_path(
    args: impl IntoIterator<Item = String>,
    env: impl Fn(&str) -> Option<String>,
) -> Option<std::path::PathBuf> {
    let matches = command_line()
        .ignore_errors(true)
        .try_get_matches_from(args)
        .ok();
    matches
        .and_then(|m| m.get_one::<String>(TRACE_FLAG).cloned())
        .or_else(|| env("RAILWAY_DEPLOY_TRACE"))
        .filter(|p| !p.trim().is_empty())
        .map(std::path::PathBuf::from)
}

/// Reads flags (from `args`, program name first) and the environment (through `env`).
pub fn read_raw(
    args: impl IntoIterator<Item = String>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<RawInputs, clap::Error> {
    let matches = command_line().try_get_matches_from(args)?;
    let mut raw = RawInputs::default();
    for spec in INPUTS {
        let from_flag = matches
            .get_one::<String>(spec.name)
            .cloned()
            .filter(|v| !v.trim().is_empty());
        let from_input = || env(&env_name(spec.name)).filter(|v| !v.trim().is_empty());
        let from_fallback = || {
            spec.fallback_env
                .and_then(&env)
                .filter(|v| !v.trim().is_empty())
        };
        if let Some(v) = from_flag.or_else(from_input).or_else(from_fallback) {
            raw.set(spec.name, v);
        }
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn env_names_keep_hyphens() {
        assert_eq!(env_name("railway-token"), "INPUT_RAILWAY-TOKEN");
    }

    #[test]
    fn flags_win_over_inputs_which_win_over_fallbacks_and_empty_means_unset() {
        let env = env_of(&[
            ("INPUT_SERVICE", "web"),
            ("INPUT_SOURCE", "image"),
            ("INPUT_PATH", "  "),
            ("RAILWAY_TOKEN", "from-env"),
            ("INPUT_RAILWAY-API-TOKEN", ""),
            ("RAILWAY_API_TOKEN", "acct"),
        ]);
        let args = ["railway-deploy", "--source", "commit"].map(String::from);
        let raw = read_raw(args, env).unwrap();
        assert_eq!(raw.get("service"), Some("web"));
        assert_eq!(raw.get("source"), Some("commit"));
        assert_eq!(raw.get("path"), None);
        assert_eq!(raw.get("railway-token"), Some("from-env"));
        assert_eq!(raw.get("railway-api-token"), Some("acct"));
    }

    #[test]
    fn unknown_flags_are_refused() {
        let args = ["railway-deploy", "--servce", "x"].map(String::from);
        assert!(read_raw(args, |_| None).is_err());
    }

    #[test]
    fn a_typod_flag_gets_a_did_you_mean() {
        let args = ["railway-deploy", "--servce", "x"].map(String::from);
        let e = read_raw(args, |_| None).unwrap_err().render().to_string();
        assert!(e.contains("--service"), "{e}");
        let args = ["railway-deploy", "--wait-for-check", "false"].map(String::from);
        let e = read_raw(args, |_| None).unwrap_err().render().to_string();
        assert!(e.contains("--wait-for-checks"), "{e}");
    }

    #[test]
    fn help_says_where_service_comes_from_and_shows_no_actions_expression() {
        let help = command_line().render_long_help().to_string();
        assert!(!help.contains("${{"), "{help}");
        assert!(help.contains("GITHUB_TOKEN"), "{help}");
        assert!(
            help.contains("Required: give --service, or set INPUT_SERVICE"),
            "{help}"
        );
        assert!(!help.contains("Required."), "{help}");
    }
}
