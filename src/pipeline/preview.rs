//! Owns the order of a preview run (`command: preview`, `preview-cleanup`): read the project's
//! environments (every check before any change), then one of three paths, each a plan run by the
//! one executor. A pull request's preview runs in phases: the gate and its environment, created
//! or reused (`Step::PreviewEnvironment`), after the migration-safety checks that must come
//! before any change (`super::preview_checks`); the usual resolution in it; a domain for each
//! deployed service without one (`Step::PreviewDomains`); then the usual plan, with the
//! preview's never-deployed other services deployed first (`Step::SupportingDeploys`). A
//! closed pull request, and `preview-cleanup`: plans of removals (`super::preview_remove`). On a
//! dry run every path renders its steps and changes nothing.

use super::dry_run;
use super::execute;
use super::plan::Plan;
use super::preview_plan;
use crate::config::{CommandKind, Config};
use crate::context::Trigger;
use crate::railway::RailwayClient;
use crate::railway::api::{Domain, Named, Project};
use crate::railway::environments::{self, EnvironmentInfo, ProjectEnvironments};
use crate::record::{Ending, PlannedAction, PreviewReport, RunReport, Stop};
use crate::secret::Secret;
use crate::stages::ServiceTarget;
use crate::stages::context::Context;
use crate::stages::preview::EnsureRequest;

/// Runs a preview command in the preview `name` (never a fork's pull request: the configuration
/// skipped it).
pub async fn run(cfg: &Config, cx: &mut Context<'_>, name: &str, mut report: RunReport) -> Ending {
    let Some(project_id) = cfg.project.as_deref() else {
        return Ending::InvalidInput(
            "input `project`: required with an account token (`railway-api-token`); set it to the project id (Project Settings → General)".into(),
        );
    };
    let envs = match read_environments(&cx.client, project_id).await {
        Ok(e) => e,
        Err(stop) => return stop.end(report),
    };
    report.project_id = Some(envs.project.id.clone());
    report.project_name = Some(envs.project.name.clone());
    match (cfg.command, &cfg.trigger) {
        (CommandKind::PreviewCleanup, _) => {
            super::preview_remove::cleanup(cfg, cx, &envs, report).await
        }
        (_, Trigger::PullRequest { number }) if cfg.event.action.as_deref() == Some("closed") => {
            super::preview_remove::teardown(cfg, cx, &envs, name, *number, report).await
        }
        _ => deploy(cfg, cx, &envs, name, report).await,
    }
}

/// The project's environments and services (one read).
async fn read_environments(
    client: &RailwayClient,
    project_id: &str,
) -> Result<ProjectEnvironments, Stop> {
    match environments::project_environments(client, project_id).await {
        Ok(e) => Ok(e),
        Err(e) if e.is_not_found() => Err(Stop::Input(format!(
            "project `{project_id}` not found, or this token cannot see it; check input `project`"
        ))),
        Err(e) if e.is_input_problem() => Err(Stop::Input(e.to_string())),
        Err(e) => Err(Stop::failed(
            "Preview failed",
            format!("could not read the project's environments from Railway: {e}"),
        )),
    }
}

/// A pull request's preview, phase by phase: gate and environment, resolution, domains, then
/// the usual plan.
async fn deploy(
    cfg: &Config,
    cx: &mut Context<'_>,
    envs: &ProjectEnvironments,
    name: &str,
    mut report: RunReport,
) -> Ending {
    let req = match preview_plan::setup(cfg, envs, name) {
        Ok(req) => req,
        Err(msg) => return Ending::InvalidInput(msg),
    };
    if let Err(msg) = check_services(cfg, envs) {
        return Ending::InvalidInput(msg);
    }
    if let Err(stop) = super::needs_github(cfg, cx) {
        return stop.end(report);
    }
    // Migration safety (the `railway.json` cliff, the SQL to migrate) before any change: read
    // where the preview's services come from, before the environment is made.
    let checked = match super::preview_checks::before_change(cfg, cx, envs, &req, &mut report).await
    {
        Ok(checked) => checked,
        Err(stop) => return stop.end(report),
    };
    let setup = preview_plan::setup_plan(cfg, &req);
    let planned = setup.describe();
    if cfg.dry_run && req.existing.is_none() {
        return dry_run_new(cfg, cx, &req, planned, report).await;
    }
    let source = (&req.source, checked.source_url.as_ref());
    match in_preview(cfg, cx, (&setup, source), name, planned, &mut report).await {
        Ok(plan) if cfg.dry_run => dry_run::run(cx, &plan, report).await,
        Ok(plan) => execute::execute(cx, &plan, report).await,
        Err(stop) => stop.end(report),
    }
}

/// Runs the first phase (`setup`), reads the preview, gives its services their domains, and
/// returns the plan of the rest of the run; `planned` (the first phase's changes) and the
/// plan's own are the run's plan. The preview's database is checked against `source`'s before
/// the plan runs: a preview never migrates or deploys over its source's data.
async fn in_preview(
    cfg: &Config,
    cx: &mut Context<'_>,
    (setup, source): (&Plan, (&EnvironmentInfo, Option<&Secret>)),
    name: &str,
    mut planned: Vec<PlannedAction>,
    report: &mut RunReport,
) -> Result<Plan, Stop> {
    execute::run_steps(cx, setup, report).await?;
    let (scope, mut services, instances) =
        super::resolve_services(&cx.client, cfg, name, report).await?;
    cx.scope = Some(scope.clone());
    if let Some(step) = preview_plan::domains(&services) {
        let domains = Plan::of(name, vec![step]);
        planned.extend(domains.describe());
        if !cfg.dry_run {
            execute::run_steps(cx, &domains, report).await?;
            adopt_domains(&mut services, report);
        }
    }
    let mut supporting = super::supporting::requests(cfg, &instances, &services, false);
    super::supporting::with_branches(&cx.client, &scope, &mut supporting).await;
    let plan = super::plan_resolved(cx, cfg, scope, services, supporting, report).await?;
    // Previews own their data: checked before migrating or deploying.
    super::migration_safety::shared_data(cx, cfg, &plan, source).await?;
    planned.extend(plan.describe());
    report.plan = planned;
    Ok(plan)
}

/// Every `service` is one of the project's (checked before the environment is made).
fn check_services(cfg: &Config, envs: &ProjectEnvironments) -> Result<(), String> {
    let project = Project {
        id: envs.project.id.clone(),
        name: envs.project.name.clone(),
        environments: Vec::new(),
        services: envs.services.clone(),
    };
    crate::railway::resolve::find_services(&project, &cfg.services).map(|_| ())
}

/// A dry run whose preview does not exist yet: the services, database URL and volumes are
/// resolved in the source environment (reads only; a copy has the same services, without
/// domains, and a fresh volume of each), and the plan is rendered as it would run in the preview.
async fn dry_run_new(
    cfg: &Config,
    cx: &Context<'_>,
    req: &EnsureRequest,
    mut planned: Vec<PlannedAction>,
    mut report: RunReport,
) -> Ending {
    let read = super::resolve_services(&cx.client, cfg, &req.source.id, &mut report).await;
    let (mut scope, mut services, instances) = match read {
        Ok(read) => read,
        Err(stop) => return stop.end(report),
    };
    for s in &mut services {
        // The source's domains are never the copy's: Railway's docs say a PR environment gets
        // Railway-provided domains of its own; whether a copy gets any is not documented.
        s.instance.domains = Default::default();
        s.serving = None;
        s.in_flight.clear();
    }
    // The preview's name, with the source's id: what resolution still reads (the database URL,
    // the volume to back up) is read from the source, which the copy takes them from. Reads
    // only: a dry run changes nothing.
    scope.environment = Named {
        id: req.source.id.clone(),
        name: req.name.clone(),
    };
    let image = &cfg.surroundings.released_image;
    report.services = services
        .iter()
        .map(|s| crate::stages::deploy::initial_report(&scope, image, s))
        .collect();
    report.environment = Some(req.name.clone());
    report.environment_id = None;
    if let Some(step) = preview_plan::domains(&services) {
        planned.extend(step.describe(&req.name));
    }
    let mut supporting = super::supporting::requests(cfg, &instances, &services, true);
    super::supporting::with_branches(&cx.client, &scope, &mut supporting).await;
    let plan = super::plan_resolved(cx, cfg, scope, services, supporting, &mut report).await;
    let plan = match plan {
        Ok(plan) => plan,
        Err(stop) => return stop.end(report),
    };
    planned.extend(plan.describe());
    report.plan = planned;
    report.preview = Some(PreviewReport {
        name: Some(req.name.clone()),
        source: Some(req.source.name.clone()),
        ..Default::default()
    });
    dry_run::run(cx, &plan, report).await
}

/// The domains the domains step gave (each service's URL in the run record, by id) written into
/// `services`, from which the health probes are built.
fn adopt_domains(services: &mut [ServiceTarget], report: &RunReport) {
    for s in services.iter_mut() {
        if s.instance.domains.primary().is_some() {
            continue;
        }
        let record = report
            .services
            .iter()
            .find(|r| r.service_id == s.service.id);
        let url = record.and_then(|r| r.url.as_deref());
        if let Some(domain) = url.and_then(|u| u.strip_prefix("https://")) {
            let domain = Domain {
                domain: domain.to_string(),
            };
            s.instance.domains.service_domains.push(domain);
        }
    }
}
