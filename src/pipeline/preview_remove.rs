//! Owns removing previews: a closed pull request's ([`teardown`]) and `preview-cleanup`'s
//! ([`cleanup`]: every ephemeral environment named by `preview-name` whose pull request GitHub
//! says is closed or missing). Each removal ([`Step::RemovePreview`]) deletes the environment
//! (only an ephemeral one), makes its GitHub Deployments inactive and, for a closed pull
//! request, edits its comment to say the preview is gone. A preview already gone is a success.

use chrono::Utc;

use super::dry_run;
use super::plan::Step;
use super::preview_plan::{self, RemoveRequest};
use crate::config::Config;
use crate::github::GitHub;
use crate::github::comments::StickyComments;
use crate::github::deployments::explain;
use crate::railway::RailwayClient;
use crate::railway::environments::ProjectEnvironments;
use crate::record::{Ending, PreviewReport, RunReport, RunStatus};
use crate::report::preview::gone_comment;
use crate::stages::preview::{self as stage, Deleted, PreviewError};
use crate::workflow;

/// A closed pull request: its preview `name` is removed.
pub async fn teardown(
    cfg: &Config,
    client: &RailwayClient,
    envs: &ProjectEnvironments,
    name: &str,
    pull: u64,
    mut report: RunReport,
) -> Ending {
    let step = match preview_plan::removal(cfg, envs, name, Some(pull)) {
        Ok(step) => step,
        Err(msg) => return Ending::InvalidInput(msg),
    };
    report.environment = Some(name.to_string());
    report.environment_id = envs.named(name).map(|e| e.id.clone());
    report.plan = step.describe(name);
    let mut preview = PreviewReport {
        name: Some(name.to_string()),
        teardown: true,
        ..Default::default()
    };
    if cfg.dry_run {
        return dry_run_end(report, preview, name);
    }
    let gh = github(cfg);
    let Step::RemovePreview(req) = &step else {
        return Ending::Broken("a closed pull request's step is not a removal".into());
    };
    if let Err(e) = remove(client, gh.as_ref(), req, &mut preview, &mut report).await {
        report.preview = Some(preview);
        return stopped(report, e);
    }
    report.preview = Some(preview);
    report.status = RunStatus::Success;
    Ending::Finished(Box::new(report))
}

/// `preview-cleanup`: asks GitHub about each preview's pull request, then removes those of
/// closed (or missing) pull requests; open ones and permanent environments are kept.
pub async fn cleanup(
    cfg: &Config,
    client: &RailwayClient,
    envs: &ProjectEnvironments,
    mut report: RunReport,
) -> Ending {
    let Some(gh) = github(cfg) else {
        return Ending::InvalidInput(
            "`command: preview-cleanup` asks GitHub whether each preview's pull request is closed: it needs `github-token` (with `pull-requests: read`) and GITHUB_REPOSITORY (set in GitHub Actions)".into(),
        );
    };
    let template = &cfg.preview.name_template;
    let (ask, kept) = preview_plan::candidates(template, envs);
    let mut answers = Vec::new();
    for (env, number) in ask {
        let state = gh.pull_state(number).await.map_err(|e| e.to_string());
        answers.push((env, number, state));
    }
    let (steps, kept) =
        preview_plan::cleanup(cfg.github_deployment, &envs.project.id, answers, kept);
    report.plan = steps.iter().flat_map(|s| s.describe(template)).collect();
    for k in &kept {
        workflow::info(format!("Keeping `{}`: {}", k.name, k.reason));
    }
    let mut preview = PreviewReport {
        kept,
        teardown: true,
        ..Default::default()
    };
    if cfg.dry_run {
        return dry_run_end(report, preview, &envs.project.name);
    }
    let mut failures = Vec::new();
    for step in &steps {
        if let Step::RemovePreview(req) = step {
            let r = remove(client, Some(&gh), req, &mut preview, &mut report);
            if let Err(e) = r.await {
                workflow::error(e.to_string());
                failures.push(e.to_string());
            }
        }
    }
    report.preview = Some(preview);
    report.status = if failures.is_empty() {
        RunStatus::Success
    } else {
        RunStatus::Failed
    };
    report.failure = failures.into_iter().next();
    Ending::Finished(Box::new(report))
}

/// The GitHub client, when a token and repository are known (a problem is a warning).
fn github(cfg: &Config) -> Option<GitHub> {
    super::github_run::GitHubRun::new(cfg).client().cloned()
}

/// A dry run of a removal: the plan is printed, nothing changes.
fn dry_run_end(mut report: RunReport, preview: PreviewReport, environment: &str) -> Ending {
    dry_run::print(&report.plan, environment);
    report.preview = Some(preview);
    report.status = RunStatus::Skipped;
    Ending::Finished(Box::new(report))
}

/// Runs one [`Step::RemovePreview`]: Railway first (a failure stops it), then GitHub (each
/// problem a warning).
async fn remove(
    c: &RailwayClient,
    gh: Option<&GitHub>,
    req: &RemoveRequest,
    preview: &mut PreviewReport,
    report: &mut RunReport,
) -> Result<(), PreviewError> {
    let deleted = match &req.environment {
        Some(env) => stage::delete_preview(c, &req.project_id, env).await?,
        None => Deleted::AlreadyGone,
    };
    let when = Utc::now();
    match deleted {
        Deleted::Deleted => {
            workflow::info(format!("Deleted the preview environment `{}`", req.name));
            preview.removed.push(req.name.clone());
            preview.removed_at = Some(when);
        }
        Deleted::AlreadyGone => {
            let notice = format!(
                "The preview environment `{}` was already gone: nothing to delete",
                req.name
            );
            workflow::notice(&notice);
            report.notices.push(notice);
            preview.already_gone = true;
        }
    }
    let Some(gh) = gh else {
        return Ok(());
    };
    if req.deactivate {
        match gh.deactivate_environment(&req.name).await {
            Ok(n) => workflow::info(format!(
                "Marked {n} GitHub Deployment(s) of `{}` inactive",
                req.name
            )),
            Err(e) => workflow::warning(explain(
                &format!("mark the GitHub Deployments of {} inactive", req.name),
                &e,
                "deployments: write",
            )),
        }
    }
    if let (Some(pull), Some(marker)) = (req.pull, &req.comment_marker) {
        let sha = req.sha.as_deref().unwrap_or_default();
        let mut comments = StickyComments::new(gh, marker, Some(pull), sha).await;
        comments.write(&gone_comment(&req.name, when, marker)).await;
    }
    Ok(())
}

/// The ending of a removal that stopped.
fn stopped(mut report: RunReport, e: PreviewError) -> Ending {
    match e {
        PreviewError::Input(msg) => Ending::InvalidInput(msg),
        PreviewError::Failed(why) => {
            workflow::error_titled("Preview not removed", &why);
            report.status = RunStatus::Failed;
            report.failure = Some(why);
            Ending::Finished(Box::new(report))
        }
    }
}
