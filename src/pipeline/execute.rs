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
use crate::{setup_check, workflow};

/// Runs every step of `plan` in order, then settles the run's status from what they recorded;
/// `report` holds what resolution recorded.
pub async fn execute(cx: &Context<'_>, plan: &Plan, mut report: RunReport) -> Ending {
    match run_steps(cx, plan, &mut report).await {
        Ok(()) if !report.checks.is_empty() => {
            setup_check::settle(&mut report, cx.client.requests_sent());
            Ending::Finished(Box::new(report))
        }
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
        Step::Check(req) => setup_check::run(cx, req, report).await,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::token::RailwayToken;
    use crate::railway::RailwayClient;
    use crate::railway::api::{Named, Project};
    use crate::railway::resolve::Scope;
    use crate::record::{ServiceReport, ServiceState};
    use crate::secret::Secret;
    use crate::stages::guard::CancelGuard;
    use crate::stages::health::RollbackPolicy;
    use crate::timing::Timing;

    /// A signal during the rollback must show the record as the steps before left it: the guard
    /// is refreshed after every step, the rollback's included (it used to be skipped).
    #[tokio::test]
    async fn the_guard_sees_the_record_after_every_step() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let guard = CancelGuard::default();
        let url = "http://127.0.0.1:9/graphql".parse().unwrap();
        let token = RailwayToken::Project(Secret::new("tok"));
        let client = RailwayClient::new(url, token, Timing::default()).unwrap();
        let named = |id: &str| Named {
            id: id.into(),
            name: id.into(),
        };
        let project = Project {
            id: "proj-1".into(),
            name: "shop".into(),
            environments: vec![named("production")],
            services: vec![named("web")],
        };
        let cx = Context {
            client,
            github: None,
            http: reqwest::Client::new(),
            timing: Timing::default(),
            guard: &guard,
            scope: Some(Scope {
                environment: named("production"),
                project,
            }),
            released_image: String::new(),
            spool_dirs: Vec::new(),
        };
        let mut report = RunReport::new("deploy", "commit", false, chrono::Utc::now());
        let mut web = ServiceReport::planned("web", "web");
        web.state = ServiceState::FailedLive;
        web.failure = Some("the health check failed".into());
        report.services.push(web);
        let policy = RollbackPolicy {
            enabled: false,
            timeout: std::time::Duration::from_secs(1),
            probes: Vec::new(),
            after_destructive: false,
        };
        let plan = Plan::of("production", vec![Step::Rollback(policy)]);
        run_steps(&cx, &plan, &mut report).await.unwrap();
        let seen = guard.last_report().unwrap();
        let failure = seen.services[0].failure.clone().unwrap_or_default();
        assert!(
            failure.contains("`rollback-on-failure` is false"),
            "{failure}"
        );
    }
}
