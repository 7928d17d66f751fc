//! The executor: runs a plan's steps in order, each through its stage with the one signature
//! `(context, its request, the run record) -> Result<(), Stop>`, refreshes the cancel guard after
//! every step, and turns a stop into the run's [`Ending`] in one place ([`Stop::end`]).

use super::plan::{Plan, Step};
use crate::record::{Ending, RunReport, RunStatus, Stop};
use crate::stages::context::Context;
use crate::stages::{
    backup, deploy_all, gate, health, in_flight, migrate, preview, preview_remove, publish,
    rollback, supporting, watch,
};
use crate::workflow;

/// Runs every step of `plan` in order, then settles the run's status from what they recorded;
/// `report` holds what resolution recorded.
pub async fn execute(cx: &Context<'_>, plan: &Plan, mut report: RunReport) -> Ending {
    match run_steps(cx, plan, &mut report).await {
        Ok(()) => finish(report),
        Err(stop) => stop.end(report),
    }
}

/// Runs every step of `plan` in order (a preview's phase: the run goes on after it); the first
/// stop ends it. The cancel guard sees the record after every step.
pub async fn run_steps(cx: &Context<'_>, plan: &Plan, report: &mut RunReport) -> Result<(), Stop> {
    for step in &plan.steps {
        let done = run_step(cx, step, report).await;
        cx.guard.update(report);
        done?;
    }
    Ok(())
}

/// One step through its stage: one call per kind.
async fn run_step(cx: &Context<'_>, step: &Step, report: &mut RunReport) -> Result<(), Stop> {
    match step {
        Step::Gate(req) => gate::run(cx, req, report).await,
        Step::Report(opts) => publish::run(cx, opts, report).await,
        Step::SupportingDeploys(reqs) => supporting::run(cx, reqs, report).await,
        Step::Backup(req) => backup::run(cx, req, report).await,
        Step::SqlMigrations(req) => migrate::run_sql(cx, req, report).await,
        Step::PreDeployCommand(req) => migrate::ensure_pre_deploy(cx, req, report).await,
        Step::AwaitInFlight(reqs) => in_flight::run(cx, reqs, report).await,
        Step::Deploy(reqs) => deploy_all::run(cx, reqs, report).await,
        Step::PreDeployReport(cmd) => migrate::report_pre_deploy(cx, cmd, report).await,
        Step::Health(checks) => health::check_health(cx, checks, report).await,
        Step::Watch(req) => watch::watch_release(cx, req, report).await,
        Step::Rollback(policy) => health::roll_back_release(cx, policy, report).await,
        Step::RollbackCommand(reqs) => rollback::run(cx, reqs, report).await,
        Step::PreviewEnvironment(req) => preview::ensure(cx, req, report).await,
        Step::PreviewDomains(reqs) => preview::give_domains(cx, reqs, report).await,
        Step::RemovePreview(req) => preview_remove::run(cx, req, report).await,
    }
}

/// Sets the run's status from its services (and the previews it could not remove) and reports
/// the failures.
fn finish(mut report: RunReport) -> Ending {
    report.status = health::run_status(&report.services);
    let removal = report.preview.as_ref().and_then(|p| p.failures.first());
    if let Some(why) = removal {
        // Each was said in the log when it happened.
        report.failure = Some(why.clone());
        report.status = RunStatus::Failed;
        return Ending::Finished(Box::new(report));
    }
    if report.status != RunStatus::Success {
        let failures: Vec<String> = report
            .services
            .iter()
            .filter_map(|s| s.failure.as_ref().map(|f| format!("{}: {f}", s.name)))
            .collect();
        for f in &failures {
            workflow::error(f);
        }
        // After a watch's breach, the headline is the breaching service's evidence.
        let breached = report.watch.as_ref().and_then(|w| w.breach.as_ref());
        let culprit = breached.and_then(|b| {
            let s = report.services.iter().find(|s| s.name == b.service)?;
            Some(format!("{}: {}", s.name, s.failure.as_deref()?))
        });
        report.failure = culprit.or(failures.into_iter().next());
    }
    Ending::Finished(Box::new(report))
}
