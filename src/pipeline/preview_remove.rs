//! Owns the order of removing previews, as plans of removal steps ([`Step::RemovePreview`], run
//! by the one executor; the stage is `crate::stages::preview_remove`): a closed pull request's
//! ([`teardown`]) and `preview-cleanup`'s ([`cleanup`]: every ephemeral environment named by
//! `preview-name` whose pull request GitHub says is closed or missing). A preview already gone
//! is a success.

use super::dry_run;
use super::execute;
use super::plan::{Plan, Step};
use super::preview_plan;
use crate::config::Config;
use crate::railway::environments::ProjectEnvironments;
use crate::record::{Ending, PreviewReport, RunReport, RunStatus};
use crate::stages::context::Context;
use crate::workflow;

/// A closed pull request: its preview `name` is removed.
pub async fn teardown(
    cfg: &Config,
    cx: &Context<'_>,
    envs: &ProjectEnvironments,
    name: &str,
    pull: u64,
    mut report: RunReport,
) -> Ending {
    let step = match preview_plan::removal(cfg, envs, name, Some(pull)) {
        Ok(step) => step,
        Err(msg) => return Ending::InvalidInput(msg),
    };
    let plan = Plan::of(name, vec![step]);
    report.environment = Some(name.to_string());
    report.environment_id = envs.named(name).map(|e| e.id.clone());
    report.plan = plan.describe();
    report.preview = Some(PreviewReport {
        name: Some(name.to_string()),
        teardown: true,
        ..Default::default()
    });
    if cfg.dry_run {
        return dry_run_end(report, name);
    }
    execute::execute(cx, &plan, report).await
}

/// `preview-cleanup`: asks GitHub about each preview's pull request, then removes those of
/// closed (or missing) pull requests; open ones and permanent environments are kept. A removal
/// that fails does not stop the others; the run then fails.
pub async fn cleanup(
    cfg: &Config,
    cx: &Context<'_>,
    envs: &ProjectEnvironments,
    mut report: RunReport,
) -> Ending {
    let Some(gh) = cx.github.as_ref() else {
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
    let (steps, kept): (Vec<Step>, _) =
        preview_plan::cleanup(cfg.github_deployment, &envs.project.id, answers, kept);
    let plan = Plan::of(template, steps);
    report.plan = plan.describe();
    for k in &kept {
        workflow::info(format!("Keeping `{}`: {}", k.name, k.reason));
    }
    report.preview = Some(PreviewReport {
        kept,
        teardown: true,
        ..Default::default()
    });
    if cfg.dry_run {
        return dry_run_end(report, &envs.project.name);
    }
    execute::execute(cx, &plan, report).await
}

/// A dry run of a removal: the plan is printed, nothing changes.
fn dry_run_end(mut report: RunReport, environment: &str) -> Ending {
    dry_run::print(&report.plan, environment);
    report.status = RunStatus::Skipped;
    Ending::Finished(Box::new(report))
}
