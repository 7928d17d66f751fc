//! Owns the order of a run: the run's [`Context`] (built once) → resolve (reads) → plan (a pure
//! function of the configuration and what resolution read) → execute the plan's steps, or, on a
//! dry run, render them. Each stage records what it did in the [`RunReport`]; every stop is a
//! [`Stop`], turned into the [`Ending`] `main` maps to the exit status. Only this layer reads the
//! [`Config`]: the stages take the plan's typed requests. Nothing here changes Railway or GitHub:
//! the stages do, as the plan's steps.

pub mod check_plan;
pub mod dry_run;
pub mod execute;
pub mod github_run;
pub mod migration_safety;
pub mod order;
pub mod plan;
pub mod preview;
pub mod preview_checks;
pub mod preview_plan;
pub mod preview_remove;
pub mod resolve;
pub mod step;
pub mod supporting;
pub mod triggers;

use chrono::Utc;

use crate::config::{ChecksMode, CommandKind, Config};
use crate::context::Selection;
use crate::railway::RailwayClient;
use crate::railway::api::ServiceInstance;
use crate::railway::resolve::{ResolveError, Scope};
use crate::record::{Ending, RunReport, RunStatus, Stage, StageOutcome, StageTiming, Stop};
use crate::stages::ServiceTarget;
use crate::stages::context::Context;
use crate::stages::deploy::initial_report;
use crate::stages::guard::CancelGuard;
use crate::stages::rollback::{check_to, find_previous};
use crate::workflow;
use github_run::GitHubRun;

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

    let environment = match &cfg.selection {
        Selection::Skip { reason } if cfg.command == CommandKind::Check => {
            return Ending::InvalidInput(format!(
                "nothing to check: {reason}; run the check on a branch push, or set `environment`"
            ));
        }
        Selection::Skip { reason } => {
            workflow::notice(format!("Nothing deployed: {reason}"));
            report.status = RunStatus::Skipped;
            report.notices.push(reason.clone());
            return Ending::Finished(Box::new(report));
        }
        Selection::Deploy { environment, .. } if cfg.command.is_preview() => environment.clone(),
        Selection::Deploy {
            environment,
            reason,
            ..
        } => {
            workflow::info(format!("Environment `{environment}` ({reason})"));
            environment.clone()
        }
    };
    let mut cx = match Context::new(cfg, guard) {
        Ok(cx) => cx,
        Err(stop) => return stop.end(report),
    };
    if cfg.command.is_preview() {
        return preview::run(cfg, &mut cx, &environment, report).await;
    }
    // `command: check` reads only, so its plan runs on a dry run too.
    if cfg.command == CommandKind::Check {
        let plan = check_plan::build(&cx.client, cfg, &environment, &mut report).await;
        return execute::execute(&cx, &plan, report).await;
    }
    let plan = match resolve_and_plan(&mut cx, cfg, &environment, &mut report).await {
        Ok(plan) => plan,
        Err(stop) => return stop.end(report),
    };
    report.plan = plan.describe();
    if cfg.dry_run {
        return dry_run::run(&cx, &plan, report).await;
    }
    execute::execute(&cx, &plan, report).await
}

/// Resolution (reads only), the checks made before any change, and the plan. Records the
/// resolution in `report`, and where the run is in `cx`.
async fn resolve_and_plan(
    cx: &mut Context<'_>,
    cfg: &Config,
    environment: &str,
    report: &mut RunReport,
) -> Result<plan::Plan, Stop> {
    let (scope, services, _) = resolve_services(&cx.client, cfg, environment, report).await?;
    cx.scope = Some(scope.clone());
    plan_resolved(cx, cfg, scope, services, Vec::new(), report).await
}

/// Resolution's first reads: the project, the environment and each service (recorded in
/// `report`), with every service instance of the environment.
async fn resolve_services(
    client: &RailwayClient,
    cfg: &Config,
    environment: &str,
    report: &mut RunReport,
) -> Result<(Scope, Vec<ServiceTarget>, Vec<ServiceInstance>), Stop> {
    let resolve_started = std::time::Instant::now();
    let (scope, services, instances) = resolve::read(client, cfg, environment)
        .await
        .map_err(|e| resolve_failure(e, "the project"))?;
    record_resolution(
        report,
        &scope,
        &cfg.surroundings.released_image,
        &services,
        resolve_started,
    );
    Ok((scope, services, instances))
}

/// The rest of resolution (what migrations, `to`, promote and the order checks read, each
/// checked before any change) and the plan, over the services [`resolve_services`] read
/// (`supporting`: a preview's other services to deploy first).
async fn plan_resolved(
    cx: &Context<'_>,
    cfg: &Config,
    scope: Scope,
    services: Vec<ServiceTarget>,
    supporting: Vec<crate::stages::supporting::SupportingRequest>,
    report: &mut RunReport,
) -> Result<plan::Plan, Stop> {
    let client = &cx.client;
    // `source: upload`: an unreadable file of `path` is found now, before any write.
    resolve::upload_tree(cfg)
        .await
        .map_err(|e| resolve_failure(e, "the upload's files"))?;
    // What resolution reads for migrations and `to` is checked now, before any write.
    let database_url = resolve::database_url(client, cfg, &scope, &services)
        .await
        .map_err(|e| resolve_failure(e, "the variables for the database URL"))?;
    let backup = resolve::backup_volume(client, cfg, &scope, database_url.as_ref())
        .await
        .map_err(|e| resolve_failure(e, "the volumes to back up"))?;
    let rollback_to = rollback_targets(client, cfg, &scope, &services)
        .await
        .map_err(|e| resolve_failure(e, "the deployment to roll back to"))?;
    // Health-check settings are validated now, so a bad one stops the run before any change.
    let probes = plan::health_probes(cfg, &services).map_err(Stop::Input)?;
    needs_github(cfg, cx)?;
    // Release guard: a tag lower than the environment's last release is refused before any change.
    GitHubRun::with_client(cx.github.clone())
        .guard_release(cfg, &scope.environment.name)
        .await
        .map_err(Stop::Input)?;
    // Promote: each service deploys what passed in `from-environment` (its commit or image digest).
    let promotions = if cfg.command == CommandKind::Promote {
        resolve::promotions(client, cfg, &scope, &services).await?
    } else {
        Vec::new()
    };
    // Railway's own autodeploy: refused with `source: railway` when it cannot work, else a warning.
    triggers::check(client, cfg, &scope, &services).await?;
    // Order: a service is not moved back in history (one compare per served commit).
    let ordered = order::check(cx.github.as_ref(), cfg, &scope, &services, &promotions).await;
    let held = ordered.held;
    mark_held(report, &held);
    // Migration safety: `railway.json` settings no longer read, then the SQL about to be
    // migrated (`destructive-migrations`), both before any change (a preview's ran before its
    // environment was made: `preview::deploy`).
    if !cfg.command.is_preview() {
        migration_safety::cliff(cfg, &services, report)?;
        let reading = migration_safety::Reading {
            client,
            github: cx.github.as_ref(),
            scope: &scope,
            services: &services,
            promotions: &promotions,
            compared: &ordered.compared,
            database_url: database_url.as_ref(),
        };
        migration_safety::check(&reading, cfg, report).await?;
    }
    let plan = plan::build_ordered(
        cfg,
        scope,
        services,
        probes,
        &promotions,
        plan::Database {
            url: database_url,
            backup,
        },
        plan::Checked {
            held,
            rollback_to,
            supporting,
        },
    );
    Ok(plan)
}

/// `command: rollback`: `to` is checked for each service; without it, the deployment each
/// service goes back to is found now, so a service with nowhere to go stops the run before any
/// write. Returns `(service id, deployment id)` for the services going back to their previous
/// deployment (none for other commands, or with `to`).
async fn rollback_targets(
    client: &RailwayClient,
    cfg: &Config,
    scope: &Scope,
    services: &[ServiceTarget],
) -> Result<Vec<(String, String)>, ResolveError> {
    let mut found = Vec::new();
    if cfg.command != CommandKind::Rollback {
        return Ok(found);
    }
    for target in services {
        match &cfg.to {
            Some(to) => check_to(client, scope, target, to).await?,
            None => {
                let id = find_previous(client, scope, target).await?;
                found.push((target.service.id.clone(), id));
            }
        }
    }
    Ok(found)
}

/// The services the order checks hold back are `skipped` in the run record, with the reason.
fn mark_held(report: &mut RunReport, held: &[crate::stages::history::Held]) {
    for s in report.services.iter_mut() {
        if let Some(h) = held.iter().find(|h| h.service_id == s.service_id) {
            s.state = crate::record::ServiceState::Skipped;
            s.skipped = Some(h.reason.clone());
        }
    }
}

/// The stop of a run whose resolution failed: invalid input (exit 2), or Railway could not be
/// read (a failed run; `what` names what was being read). The cause is the log's last error
/// line, not only in the summary (issue 10, item 8).
fn resolve_failure(e: ResolveError, what: &str) -> Stop {
    match e {
        ResolveError::Input(msg) => Stop::Input(msg),
        ResolveError::Railway(e) if e.is_input_problem() => Stop::Input(e.to_string()),
        ResolveError::Railway(e) => Stop::failed(
            "Railway could not be reached",
            format!("could not read {what} from Railway: {e}"),
        ),
    }
}

/// What resolution read, in the run record and the log.
fn record_resolution(
    report: &mut RunReport,
    scope: &Scope,
    image: &str,
    services: &[ServiceTarget],
    started: std::time::Instant,
) {
    report.project_id = Some(scope.project.id.clone());
    report.project_name = Some(scope.project.name.clone());
    report.environment_id = Some(scope.environment.id.clone());
    report.environment = Some(scope.environment.name.clone());
    report.services = services
        .iter()
        .map(|sp| initial_report(scope, image, sp))
        .collect();
    report.stages.push(StageTiming {
        stage: Stage::Resolve,
        service: None,
        started_at: report.started_at,
        duration: started.elapsed(),
        outcome: StageOutcome::Passed,
    });
    for sp in services {
        let serving = sp.serving.as_ref().map(|d| d.id.as_str()).unwrap_or("none");
        workflow::info(format!(
            "Service `{}` ({}): serving deployment {serving}",
            sp.service.name, sp.service.id
        ));
    }
}

/// The gate needs the GitHub client unless it is off: without a token and repository, the run
/// is refused before any change.
fn needs_github(cfg: &Config, cx: &Context<'_>) -> Result<(), Stop> {
    let needs_gate = cfg.wait_for_checks != ChecksMode::Off
        && cfg.command != CommandKind::Rollback
        && !cfg.dry_run;
    if needs_gate && cx.github.is_none() {
        return Err(Stop::Input(
            "input `wait-for-checks`: the gate needs `github-token` and GITHUB_REPOSITORY (set in GitHub Actions); outside Actions set `wait-for-checks: false`".into(),
        ));
    }
    Ok(())
}
