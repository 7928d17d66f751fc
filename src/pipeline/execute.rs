//! The executor: runs a plan's steps in order, each through its stage, and records what they did
//! in the run record. A step that stops the run returns the [`Ending`] at once.

use chrono::Utc;
use futures_util::future::join_all;

use super::guard::CancelGuard;
use super::plan::{Plan, Step};
use crate::gate::GateRequest;
use crate::github::GitHub;
use crate::railway::RailwayClient;
use crate::record::{Ending, RunReport, RunStatus, Stage, StageTiming};
use crate::report::publish::{PublishOptions, Publisher};
use crate::stages::backup::{self, BackupStop};
use crate::stages::deploy::{self, DeployRequest};
use crate::stages::in_flight::{self, Settled};
use crate::stages::{health, migrate, rollback, watch};
use crate::timing::Timing;
use crate::upload::source::ArchiveCache;
use crate::workflow;

/// What the steps run with: the clients and the run's timing.
pub struct Context<'a> {
    pub client: &'a RailwayClient,
    pub github: Option<&'a GitHub>,
    pub timing: &'a Timing,
    /// What is published on GitHub is armed here; main settles it however the run ends.
    pub guard: &'a CancelGuard,
}

/// Runs every step of `plan` in order; `report` holds what resolution recorded.
pub async fn execute(cx: &Context<'_>, plan: &Plan, mut report: RunReport) -> Ending {
    let http = match crate::health::probe::probe_client() {
        Ok(h) => h,
        Err(e) => return Ending::Broken(format!("could not build the health-check client: {e}")),
    };
    let (c, scope, timing) = (cx.client, &plan.scope, cx.timing);
    // What waiting for the deployments in flight found, by service id (read by the deploy step).
    let mut settled: Vec<(String, Settled)> = Vec::new();
    for step in &plan.steps {
        match step {
            Step::Gate(req) => {
                if let Err(ending) = gate(cx, req, &mut report).await {
                    return ending;
                }
            }
            Step::Report(opts) => {
                cx.guard.arm(publish(cx, opts.as_ref(), &report).await);
                cx.guard.update(&report);
            }
            Step::SupportingDeploys(reqs) => {
                let run = super::supporting::run(c, scope, reqs, &plan.released_image, &mut report);
                if let Err(ending) = run.await {
                    return ending;
                }
                cx.guard.update(&report);
            }
            Step::Backup(req) => {
                let sql = plan.steps.iter().find_map(|s| match s {
                    Step::SqlMigrations(sql) => Some(sql),
                    _ => None,
                });
                if let Err(stop) = backup::run(c, req, sql, &mut report).await {
                    return backup_stopped(report, stop);
                }
                cx.guard.update(&report);
            }
            Step::SqlMigrations(req) => {
                let r = migrate::run_sql(req, &mut report.migrations, &mut report.stages);
                if let Err(stop) = r.await {
                    return stopped(report, stop);
                }
            }
            Step::PreDeployCommand(req) => {
                if let Err(stop) = migrate::ensure_pre_deploy(c, scope, req).await {
                    return stopped(report, stop);
                }
            }
            Step::AwaitInFlight(reqs) => settled = settle_all(c, scope, reqs, timing).await,
            Step::Deploy(reqs) => {
                deploy_all(c, plan, reqs, &settled, cx.guard.started(), &mut report).await;
                cx.guard.update(&report);
            }
            Step::PreDeployReport(cmd) => {
                let services = &mut report.services;
                let warnings = &mut report.migration_safety.warnings;
                migrate::report_pre_deploy(c, cmd, services, &mut report.migrations, warnings)
                    .await;
                cx.guard.update(&report);
            }
            Step::Health(checks) => {
                let (services, stages) = (&mut report.services, &mut report.stages);
                health::check_health(c, &http, timing, checks, services, stages).await;
            }
            Step::Watch(req) => {
                watch::watch_release(c, &http, timing, scope, req, &mut report).await;
                cx.guard.update(&report);
            }
            Step::Rollback(policy) => {
                // Migration safety: no rollback into a schema the old release cannot read.
                if crate::migrate::schema_hold::hold(&mut report, policy.after_destructive) {
                    continue;
                }
                let (services, stages) = (&mut report.services, &mut report.stages);
                health::roll_back_release(c, &http, timing, scope, policy, services, stages).await;
            }
            // Preview steps run around resolution, in `super::preview`: never in this plan.
            Step::PreviewEnvironment(_) | Step::PreviewDomains(_) | Step::RemovePreview(_) => {}
            Step::RollbackCommand(reqs) => {
                report.services = roll_back_all(c, &http, timing, plan, reqs).await;
            }
        }
    }
    finish(report)
}

/// Waits for the deployments in flight of every service at once: what each wait found, by
/// service id.
async fn settle_all(
    c: &RailwayClient,
    scope: &crate::railway::resolve::Scope,
    reqs: &[in_flight::InFlightRequest],
    timing: &Timing,
) -> Vec<(String, Settled)> {
    let work = reqs.iter().map(|req| async {
        let s = in_flight::settle(c, scope, req, timing).await;
        (req.target.service.id.clone(), s)
    });
    join_all(work).await
}

/// `command: rollback`: every service put back at once; their reports, in order.
async fn roll_back_all(
    c: &RailwayClient,
    http: &reqwest::Client,
    timing: &Timing,
    plan: &Plan,
    reqs: &[rollback::RollbackRequest],
) -> Vec<crate::record::ServiceReport> {
    let scope = &plan.scope;
    let work = reqs.iter().map(|req| {
        let initial = deploy::initial_report(scope, &plan.released_image, &req.target);
        rollback::rollback_service(c, http, timing, scope, req, initial)
    });
    join_all(work).await
}

/// Starts the GitHub Deployment and the "deploying" comment, when there is a client and options.
/// Within [`START_BUDGET`] in all: a GitHub that stalls must not hold the deploy back (each
/// request is bounded too); the run then goes on unreported on GitHub, with a warning.
async fn publish(cx: &Context<'_>, opts: Option<&PublishOptions>, report: &RunReport) -> Publisher {
    match (cx.github, opts) {
        (Some(gh), Some(opts)) => {
            let start = Publisher::start(gh, cx.timing, opts, report);
            match tokio::time::timeout(START_BUDGET, start).await {
                Ok(publisher) => publisher,
                Err(_) => {
                    workflow::warning(format!(
                        "GitHub did not answer within {}s: the run goes on without a GitHub Deployment or PR comment",
                        START_BUDGET.as_secs()
                    ));
                    Publisher::disabled()
                }
            }
        }
        _ => Publisher::disabled(),
    }
}

/// How long publishing the start (the GitHub Deployment, the "deploying" comment) may take in
/// all. With the gate's 2 s past `checks-timeout` and `crate::cancel::SETTLE_BUDGET` for the final
/// writes, a GitHub that stalls everywhere adds under a minute to the run's own deadlines.
pub const START_BUDGET: std::time::Duration = std::time::Duration::from_secs(25);

/// Deploys and follows every service at once (services sharing a `path` share one archive),
/// each over what serves it after the wait for deployments in flight (`settled`); a service
/// whose wait did not end is not deployed.
async fn deploy_all(
    c: &RailwayClient,
    plan: &Plan,
    reqs: &[DeployRequest],
    settled: &[(String, Settled)],
    started: &crate::deploy::started::StartedDeployments,
    report: &mut RunReport,
) {
    let archives = ArchiveCache::spooling_in(Default::default(), plan.spool_dirs.clone());
    // One log group per service; lines carry the service name when several deploy.
    let printer = crate::deploy::logs::LogPrinter::new(reqs.len() > 1);
    let outcomes = join_all(reqs.iter().map(|req| {
        let found = settled.iter().find(|(id, _)| *id == req.target.service.id);
        let (archives, printer) = (&archives, &printer);
        async move {
            match found.map(|(_, s)| s) {
                Some(Settled::Blocked(why)) => blocked(&plan.scope, &plan.released_image, req, why),
                Some(Settled::Ready { serving }) => {
                    let mut req = req.clone();
                    req.target.serving = serving.clone();
                    deploy::run(c, &plan.scope, &req, archives, printer, started).await
                }
                None => deploy::run(c, &plan.scope, req, archives, printer, started).await,
            }
        }
    }))
    .await;
    // The services held back keep their `skipped` record, after those deployed (the health and
    // rollback steps read the deployed ones in the plan's order).
    let held: Vec<_> = report
        .services
        .drain(..)
        .filter(|s| s.state == crate::record::ServiceState::Skipped)
        .collect();
    for o in outcomes {
        report.stages.extend(o.stages);
        report.services.push(o.report);
    }
    report.services.extend(held);
}

/// The outcome of a service not deployed because a deployment in flight did not end.
fn blocked(
    scope: &crate::railway::resolve::Scope,
    image: &str,
    req: &DeployRequest,
    why: &str,
) -> deploy::ServiceOutcome {
    let mut report = deploy::initial_report(scope, image, &req.target);
    report.state = crate::record::ServiceState::FailedBeforeLive;
    report.failure = Some(why.to_string());
    deploy::ServiceOutcome {
        report,
        stages: Vec::new(),
        deployment: None,
    }
}

/// The gate stage: `Err` ends the run (failed, nothing changed).
pub(super) async fn gate(
    cx: &Context<'_>,
    request: &GateRequest,
    report: &mut RunReport,
) -> Result<(), Ending> {
    let started_at = Utc::now();
    let started = std::time::Instant::now();
    workflow::group_start("Checks");
    let gate = crate::gate::wait_for_checks(cx.github, request, cx.timing).await;
    workflow::group_end();
    let passed = gate.passed;
    report.stages.push(StageTiming::ended(
        Stage::Gate,
        None,
        started_at,
        started,
        passed,
    ));
    let reason = gate.reason.clone();
    report.gate = Some(gate);
    if !passed {
        let why = reason.unwrap_or_else(|| "the commit's checks did not pass".into());
        workflow::error_titled("Checks did not pass", &why);
        report.status = RunStatus::Failed;
        // The gate's reasons already say "Nothing was deployed"; don't say it twice.
        report.failure = Some(
            if why.to_ascii_lowercase().contains("nothing was deployed") {
                why
            } else {
                format!("{why}; nothing was deployed")
            },
        );
        return Err(Ending::Finished(Box::new(report.clone())));
    }
    Ok(())
}

/// Sets the run's status from its services and reports the failures.
fn finish(mut report: RunReport) -> Ending {
    report.status = health::run_status(&report.services);
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

/// The ending of a run the migrate stage stopped.
pub fn stopped(mut report: RunReport, stop: migrate::Stop) -> Ending {
    match stop {
        migrate::Stop::Input(msg) => Ending::InvalidInput(msg),
        migrate::Stop::Failed(msg) => {
            workflow::error_titled("Migration failed", &msg);
            report.status = RunStatus::Failed;
            report.failure = Some(msg);
            Ending::Finished(Box::new(report))
        }
    }
}

/// The ending of a run the backup stage stopped (nothing migrated or deployed).
fn backup_stopped(mut report: RunReport, stop: BackupStop) -> Ending {
    match stop {
        BackupStop::Migrate(stop) => stopped(report, stop),
        BackupStop::Failed(msg) => {
            workflow::error_titled("Backup failed", &msg);
            report.status = RunStatus::Failed;
            report.failure = Some(msg);
            Ending::Finished(Box::new(report))
        }
    }
}
