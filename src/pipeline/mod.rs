//! Owns the order of the stages: resolve → (dry run stops here) → gate → migrate → deploy and
//! follow → health → report. Each stage records what it did in the [`RunReport`]; `main` turns the
//! returned [`Ending`] into the exit status.

pub mod deploy_stage;
pub mod migrate_stage;
pub mod plan;

use chrono::Utc;
use futures_util::future::join_all;

use crate::config::{ChecksMode, CommandKind, Config};
use crate::context::Selection;
use crate::exit::Ending;
use crate::github::GitHub;
use crate::railway::RailwayClient;
use crate::railway::resolve::ResolveError;
use crate::report::cancel::CancelGuard;
use crate::report::github_run::GitHubRun;
use crate::report::{RunReport, RunStatus, Stage, StageOutcome, StageTiming};
use crate::workflow;

/// Runs the whole pipeline for `cfg`. Never panics on bad input; every failure ends in the report.
/// What it publishes on GitHub is armed in `guard`, which main settles however the run ends.
pub async fn run(cfg: &Config, guard: &CancelGuard) -> Ending {
    let mut report = RunReport::new(
        cfg.command.as_str(),
        cfg.source.as_str(),
        cfg.dry_run,
        Utc::now(),
    );
    report.sha = cfg.sha.clone();
    report.version = cfg.version();
    report.rollback_workflow_url = cfg.surroundings.rollback_workflow_url.clone();

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
    workflow::info(format!("Environment `{environment}` ({reason})"));

    let client = match RailwayClient::new(cfg.api_url.clone(), cfg.token.clone(), cfg.timing) {
        Ok(c) => c,
        Err(e) => return Ending::Broken(e.to_string()),
    };

    // Resolve: reads only.
    let resolve_started = std::time::Instant::now();
    let mut plan = match plan::build(&client, cfg, &environment).await {
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
    report.stages.push(StageTiming {
        stage: Stage::Resolve,
        service: None,
        started_at: report.started_at,
        duration: resolve_started.elapsed(),
        outcome: StageOutcome::Passed,
    });
    for sp in &plan.services {
        let serving = sp.serving.as_ref().map(|d| d.id.as_str()).unwrap_or("none");
        workflow::info(format!(
            "Service `{}` ({}): serving deployment {serving}",
            sp.service.name, sp.service.id
        ));
    }

    // Health-check settings are validated now, so a bad one stops the run before any change.
    for sp in &plan.services {
        if let Err(msg) = crate::health::check::probe_spec(
            &cfg.health,
            &sp.instance,
            cfg.sha.as_deref(),
            report.version.as_deref(),
        ) {
            return Ending::InvalidInput(msg);
        }
    }
    let github = match github_client(cfg) {
        Ok(g) => g,
        Err(msg) => return Ending::InvalidInput(msg),
    };
    // Release guard: a tag lower than the environment's last release is refused before any change.
    let reporting = GitHubRun::with_client(github.clone());
    if let Err(msg) = reporting
        .guard_release(cfg, &plan.scope.environment.name)
        .await
    {
        return Ending::InvalidInput(msg);
    }
    // Promote: each service deploys what passed in `from-environment` (its commit or image digest).
    let promoted = if cfg.command == CommandKind::Promote {
        match promote_configs(&client, cfg, &plan).await {
            Ok(configs) => configs,
            Err(ending) => return ending,
        }
    } else {
        Vec::new()
    };
    if !promoted.is_empty() {
        plan.actions = plan
            .services
            .iter()
            .zip(&promoted)
            .flat_map(|(sp, c)| plan::plan_actions(c, &plan.scope, std::slice::from_ref(sp)))
            .collect();
        report.plan = plan.actions.clone();
    }

    if cfg.dry_run {
        return dry_run(&client, cfg, &mut plan, report).await;
    }

    // Gate: nothing changes until the commit's other checks pass.
    if cfg.wait_for_checks != ChecksMode::Off
        && cfg.command != CommandKind::Rollback
        && let Err(ending) = gate_stage(cfg, github.as_ref(), &mut report).await
    {
        return ending;
    }

    // From here on the run changes things: GitHub Deployment `in_progress` and "deploying" comment.
    guard.arm(reporting.start(cfg, &report).await);
    guard.update(&report);

    let http = match crate::health::probe::probe_client() {
        Ok(h) => h,
        Err(e) => return Ending::Broken(format!("could not build the health-check client: {e}")),
    };

    if cfg.command == CommandKind::Rollback {
        let rolled = join_all(plan.services.iter().map(|sp| {
            crate::health::command::rollback_service(
                &client,
                &http,
                cfg,
                &plan,
                sp,
                deploy_stage::initial_report(&plan, sp),
            )
        }))
        .await;
        report.services = rolled;
        return finish(report);
    }

    // Migrate: SQL migrations before anything is deployed; the pre-deploy command is set now and
    // runs inside Railway between build and deploy.
    if let Err(stop) = migrate_stage::run_sql(
        &client,
        cfg,
        &plan,
        &mut report.migrations,
        &mut report.stages,
    )
    .await
    {
        return stopped(report, stop);
    }
    if let Err(stop) = migrate_stage::ensure_pre_deploy(&client, cfg, &plan).await {
        return stopped(report, stop);
    }

    // Deploy and follow, all services concurrently (services sharing a `path` share one archive).
    let archives = crate::upload::source::ArchiveCache::spooling_in(
        Default::default(),
        cfg.surroundings.spool_dirs.clone(),
    );
    // One log group per service; lines carry the service name when several deploy.
    let printer = crate::deploy::logs::LogPrinter::new(plan.services.len() > 1);
    let outcomes = join_all(plan.services.iter().enumerate().map(|(i, sp)| {
        let cfg = promoted.get(i).unwrap_or(cfg);
        let label = sp.service.name.clone();
        let client = &client;
        let plan = &plan;
        let archives = &archives;
        let printer = &printer;
        async move { deploy_stage::run(client, cfg, plan, sp, &label, archives, printer).await }
    }))
    .await;
    report.services.clear();
    for o in outcomes {
        report.stages.extend(o.stages);
        report.services.push(o.report);
    }
    migrate_stage::report_pre_deploy(&client, cfg, &mut report.services, &mut report.migrations)
        .await;
    guard.update(&report);

    // Health, and rollback of every service that went live when one of them fails after going live.
    crate::health::stage::health_and_rollback(
        &client,
        &http,
        cfg,
        &plan,
        &mut report.services,
        &mut report.stages,
    )
    .await;
    finish(report)
}

/// A dry run: SQL migrations only listed, the upload archive built but not sent, the plan printed.
async fn dry_run(
    client: &RailwayClient,
    cfg: &Config,
    plan: &mut plan::Plan,
    mut report: RunReport,
) -> Ending {
    if let Err(stop) = migrate_stage::run_sql(
        client,
        cfg,
        plan,
        &mut report.migrations,
        &mut report.stages,
    )
    .await
    {
        return stopped(report, stop);
    }
    // `source: upload`: build the archive (nothing is sent) and say what it would hold.
    if let crate::config::Source::Upload { path } = &cfg.source {
        let archives = crate::upload::source::ArchiveCache::spooling_in(
            Default::default(),
            cfg.surroundings.spool_dirs.clone(),
        );
        match crate::upload::describe(&archives, path).await {
            Ok(description) => {
                plan.actions.push(crate::report::PlannedAction {
                    service: None,
                    description,
                });
                report.plan = plan.actions.clone();
            }
            Err(e) => {
                return Ending::InvalidInput(format!(
                    "`path` {} cannot be uploaded: {e}",
                    path.display()
                ));
            }
        }
    }
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
    Ending::Finished(Box::new(report))
}

/// The gate stage: `Err` ends the run (failed, nothing changed).
async fn gate_stage(
    cfg: &Config,
    github: Option<&GitHub>,
    report: &mut RunReport,
) -> Result<(), Ending> {
    let started_at = Utc::now();
    let started = std::time::Instant::now();
    let request = crate::gate::GateRequest {
        sha: cfg.sha.clone().unwrap_or_default(),
        run_id: cfg.github.run_id,
        mode: cfg.wait_for_checks.clone(),
        ignore: cfg.ignore_checks.clone(),
        timeout: cfg.checks_timeout,
    };
    workflow::group_start("Checks");
    let gate = crate::gate::wait_for_checks(github, &request, &cfg.timing).await;
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
    report.status = crate::health::stage::run_status(&report.services);
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

fn stopped(mut report: RunReport, stop: migrate_stage::Stop) -> Ending {
    match stop {
        migrate_stage::Stop::Input(msg) => Ending::InvalidInput(msg),
        migrate_stage::Stop::Failed(msg) => {
            workflow::error_titled("Migration failed", &msg);
            report.status = RunStatus::Failed;
            report.failure = Some(msg);
            Ending::Finished(Box::new(report))
        }
    }
}

/// `command: promote`: one config per service (in plan order) whose source and commit are what
/// passed in `from-environment`. A refusal is invalid input: nothing has changed yet.
async fn promote_configs(
    client: &RailwayClient,
    cfg: &Config,
    plan: &plan::Plan,
) -> Result<Vec<Config>, Ending> {
    use crate::report::promote::{PromoteError, Want, plan_promotion};
    let from =
        crate::railway::resolve::find_environment(&plan.scope.project, &cfg.from_environment)
            .map_err(|e| Ending::InvalidInput(format!("input `from-environment`: {e}")))?
            .clone();
    let tagged = matches!(
        cfg.trigger,
        crate::context::Trigger::TagPush { .. } | crate::context::Trigger::Release { .. }
    );
    let commit = if tagged { cfg.sha.as_deref() } else { None };
    let services: Vec<_> = plan.services.iter().map(|s| s.service.clone()).collect();
    let want = Want::from_source(&cfg.source);
    let promotions = plan_promotion(
        client,
        &plan.scope.project.id,
        &from,
        &services,
        commit,
        want,
    )
    .await
    .map_err(|e| match e {
        PromoteError::Refused(msg) => Ending::InvalidInput(msg),
        PromoteError::Railway(e) => Ending::Broken(format!(
            "could not read the deployments of `{}` to promote: {e}",
            from.name
        )),
    })?;
    Ok(promotions
        .into_iter()
        .map(|p| {
            workflow::info(format!(
                "Promoting `{}`: deployment {} from `{}`",
                p.service_name, p.from_deployment_id, from.name
            ));
            let mut c = cfg.clone();
            c.source = p.source;
            c.sha = p.commit_sha;
            c
        })
        .collect())
}

/// The GitHub client, when a token and repository are known. The gate needs one unless it is off.
fn github_client(cfg: &Config) -> Result<Option<GitHub>, String> {
    let needs_gate = cfg.wait_for_checks != ChecksMode::Off
        && cfg.command != CommandKind::Rollback
        && !cfg.dry_run;
    match (&cfg.github_token, &cfg.github.repository) {
        (Some(token), Some(repo)) => GitHub::new(&cfg.github.api_url, token, repo).map(Some).map_err(|e| format!("{e:#}")),
        _ if needs_gate => Err(
            "input `wait-for-checks`: the gate needs `github-token` and GITHUB_REPOSITORY (set in GitHub Actions); outside Actions set `wait-for-checks: false`".into(),
        ),
        _ => Ok(None),
    }
}
