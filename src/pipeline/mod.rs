//! Owns the order of the stages: resolve → (dry run stops here) → gate → migrate → deploy and
//! follow → health → report. Each stage records what it did in the [`RunReport`]; `main` turns the
//! returned [`Ending`] into the exit status.

pub mod deploy_stage;
pub mod plan;

use chrono::Utc;
use futures_util::future::join_all;

use crate::config::{Config, Source};
use crate::context::Selection;
use crate::exit::Ending;
use crate::railway::RailwayClient;
use crate::railway::resolve::ResolveError;
use crate::report::{RunReport, RunStatus, ServiceState};
use crate::workflow;

/// Runs the whole pipeline for `cfg`. Never panics on bad input; every failure ends in the report.
pub async fn run(cfg: &Config) -> Ending {
    let mut report = RunReport::new(
        cfg.command.as_str(),
        cfg.source.as_str(),
        cfg.dry_run,
        Utc::now(),
    );
    report.sha = cfg.sha.clone();
    report.version = cfg.version();

    let (environment, reason) = match &cfg.selection {
        Selection::Skip { reason } => {
            workflow::notice(format!("Nothing deployed: {reason}"));
            report.status = RunStatus::Skipped;
            report.notices.push(reason.clone());
            return Ending::Finished(Box::new(report));
        }
        Selection::Deploy {
            environment,
            reason,
            ..
        } => (environment.clone(), reason.clone()),
    };
    if matches!(cfg.source, Source::Upload { .. }) {
        return Ending::InvalidInput(
            "input `source`: `upload` is not supported yet by this build; use `source: commit` (Railway builds the commit through its GitHub integration) or `source: image`".into(),
        );
    }
    workflow::info(format!("Environment `{environment}` ({reason})"));

    let client = match RailwayClient::new(cfg.api_url.clone(), cfg.token.clone(), cfg.timing) {
        Ok(c) => c,
        Err(e) => return Ending::Broken(e.to_string()),
    };

    // Resolve: reads only.
    let resolve_started = std::time::Instant::now();
    let plan = match plan::build(&client, cfg, &environment).await {
        Ok(p) => p,
        Err(ResolveError::Input(msg)) => return Ending::InvalidInput(msg),
        Err(ResolveError::Railway(e)) if e.is_input_problem() => {
            return Ending::InvalidInput(e.to_string());
        }
        Err(ResolveError::Railway(e)) => {
            report.status = RunStatus::Failed;
            report.failure = Some(format!("could not read the project from Railway: {e}"));
            return Ending::Finished(Box::new(report));
        }
    };
    report.project_id = Some(plan.scope.project.id.clone());
    report.project_name = Some(plan.scope.project.name.clone());
    report.environment_id = Some(plan.scope.environment.id.clone());
    report.environment = Some(plan.scope.environment.name.clone());
    report.plan = plan.actions.clone();
    report.services = plan
        .services
        .iter()
        .map(|sp| deploy_stage::initial_report(&plan, sp))
        .collect();
    report.stages.push(crate::report::StageTiming {
        stage: crate::report::Stage::Resolve,
        service: None,
        started_at: report.started_at,
        duration: resolve_started.elapsed(),
        outcome: crate::report::StageOutcome::Passed,
    });
    for sp in &plan.services {
        let serving = sp.serving.as_ref().map(|d| d.id.as_str()).unwrap_or("none");
        workflow::info(format!(
            "Service `{}` ({}): serving deployment {serving}",
            sp.service.name, sp.service.id
        ));
    }

    if cfg.dry_run {
        workflow::group_start("Plan (dry run: nothing will be changed)");
        for a in &plan.actions {
            workflow::info(format!("- {}", a.description));
        }
        workflow::group_end();
        workflow::notice(format!(
            "Dry run: {} change(s) planned in `{}`; nothing was changed",
            plan.actions.len(),
            plan.scope.environment.name
        ));
        report.status = RunStatus::Skipped;
        return Ending::Finished(Box::new(report));
    }

    // Deploy and follow, all services concurrently.
    let outcomes = join_all(plan.services.iter().map(|sp| {
        let label = sp.service.name.clone();
        let client = &client;
        let plan = &plan;
        async move { deploy_stage::run(client, cfg, plan, sp, &label).await }
    }))
    .await;
    if let Some(msg) = outcomes.iter().find_map(|o| o.unsupported.clone()) {
        return Ending::InvalidInput(msg);
    }
    report.services.clear();
    for o in outcomes {
        report.stages.extend(o.stages);
        report.services.push(o.report);
    }

    report.status = if report
        .services
        .iter()
        .all(|s| s.state == ServiceState::Deployed)
    {
        RunStatus::Success
    } else {
        RunStatus::Failed
    };
    if report.status != RunStatus::Success {
        let failures: Vec<String> = report
            .services
            .iter()
            .filter_map(|s| s.failure.as_ref().map(|f| format!("{}: {f}", s.name)))
            .collect();
        for f in &failures {
            workflow::error(f);
        }
        report.failure = failures.into_iter().next();
    }
    Ending::Finished(Box::new(report))
}
