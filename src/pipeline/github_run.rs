//! Owns the glue between the run's [`Config`] and its GitHub reporting, so the pipeline wires it
//! with a few calls: [`GitHubRun::new`] once, [`GitHubRun::guard_release`] before any change,
//! [`publish_options`] for the report step (`crate::stages::publish`, which publishes), and
//! [`write_summary`] last. Nothing here writes to GitHub. Without a GitHub token or repository (a local CLI run) the GitHub parts
//! are skipped quietly and the summary goes wherever `GITHUB_STEP_SUMMARY` points, if anywhere.

use std::path::Path;

use crate::config::Config;
use crate::context::Trigger;
use crate::github::GitHub;
use crate::record::RunReport;
use crate::report::publish::PublishOptions;
use crate::report::summary::{append_summary, render_summary};
use crate::stages::release_guard::check_release;
use crate::workflow;

/// GitHub reporting for one run.
#[derive(Clone, Debug)]
pub struct GitHubRun {
    gh: Option<GitHub>,
}

impl GitHubRun {
    /// Builds the GitHub client from `github-token`, `GITHUB_API_URL` and `GITHUB_REPOSITORY`.
    pub fn new(cfg: &Config) -> Self {
        let gh = match (&cfg.github_token, &cfg.github.repository) {
            (Some(token), Some(repo)) => {
                match GitHub::new(&cfg.github.api_url, token, repo, cfg.timing) {
                    Ok(gh) => Some(gh),
                    Err(e) => {
                        workflow::warning(format!(
                            "{e:#}; nothing will be reported on GitHub (Deployment, comment, release guard)"
                        ));
                        None
                    }
                }
            }
            _ => None,
        };
        GitHubRun { gh }
    }

    /// For tests and the sandbox: an explicit client.
    pub fn with_client(gh: Option<GitHub>) -> Self {
        GitHubRun { gh }
    }

    pub fn client(&self) -> Option<&GitHub> {
        self.gh.as_ref()
    }

    /// The release guard, on tag and release deploys: `Err` is the input error (exit 2) for a
    /// refused downgrade. When GitHub cannot be read, a warning and `Ok` (see `release_guard`).
    pub async fn guard_release(&self, cfg: &Config, environment: &str) -> Result<(), String> {
        let tagged = matches!(
            cfg.trigger,
            Trigger::TagPush { .. } | Trigger::Release { .. }
        );
        let version = match &cfg.selection {
            crate::context::Selection::Deploy {
                version: Some(v), ..
            } if tagged => v.clone(),
            _ => return Ok(()),
        };
        let Some(gh) = &self.gh else {
            workflow::warning(
                "no GitHub token: the release guard cannot read the last release deployed, so a \
                 downgrade would not be noticed. Pass `github-token`",
            );
            return Ok(());
        };
        match check_release(gh, environment, &version, cfg.allow_downgrade).await {
            Ok(verdict) => {
                if let Some(msg) = verdict.refusal(environment, &version) {
                    return Err(msg);
                }
                if let Some(msg) = verdict.notice(environment, &version) {
                    workflow::notice(msg);
                }
                Ok(())
            }
            Err(e) => {
                workflow::warning(format!(
                    "the release guard could not read the last release of {environment} ({e}); \
                     deploying without the downgrade check. Grant `deployments: read` to enable it"
                ));
                Ok(())
            }
        }
    }

    /// The options for `Publisher::start` from the config and the resolved environment name.
    pub fn publish_options(&self, cfg: &Config, environment: &str) -> Option<PublishOptions> {
        publish_options(cfg, environment)
    }
}

/// The options for `Publisher::start` from the config and the resolved environment name.
pub fn publish_options(cfg: &Config, environment: &str) -> Option<PublishOptions> {
    let sha = cfg.sha.clone()?;
    let run_url = cfg.github.run_url();
    let event_pull = match cfg.trigger {
        Trigger::PullRequest { number } => Some(number),
        _ => cfg.event.pull_request.as_ref().map(|p| p.number),
    };
    let transient = cfg.command == crate::config::CommandKind::Preview;
    Some(PublishOptions {
        sha,
        environment: environment.to_string(),
        production: !transient && environment.eq_ignore_ascii_case(&cfg.production_environment),
        transient,
        run_url,
        event_pull,
        github_deployment: cfg.github_deployment,
        comment: cfg.comment,
    })
}

/// Appends the job summary to `GITHUB_STEP_SUMMARY` when set. A failure is a warning.
pub fn write_summary(cfg: &Config, report: &RunReport) {
    write_summary_to(cfg.github.summary_path.as_deref(), report);
}

/// Appends the job summary to `path` (`GITHUB_STEP_SUMMARY`) when set. A failure is a warning.
pub fn write_summary_to(path: Option<&str>, report: &RunReport) {
    let Some(path) = path else {
        return;
    };
    if let Err(e) = append_summary(Path::new(path), &render_summary(report)) {
        workflow::warning(format!(
            "could not write the job summary to {path}: {e}. The run's result is unchanged"
        ));
    }
}
