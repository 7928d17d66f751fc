//! Owns the order of a preview run (`command: preview`, `preview-cleanup`): read the project's
//! environments (every check before any change), then one of three paths. A pull request's
//! preview: the gate, its environment created or reused ([`Step::PreviewEnvironment`]), the
//! usual resolution in it, a domain for each deployed service without one
//! ([`Step::PreviewDomains`]), then the usual plan, with the preview's never-deployed other
//! services deployed first ([`Step::SupportingDeploys`], `super::supporting`). A closed pull request: its preview removed
//! ([`Step::RemovePreview`]). `preview-cleanup`: every preview of a closed pull request removed.
//! On a dry run every path renders its steps and changes nothing.

use super::dry_run;
use super::execute::{self, Context};
use super::guard::CancelGuard;
use super::plan::Step;
use super::preview_plan;
use crate::config::{ChecksMode, CommandKind, Config};
use crate::context::{Selection, Trigger};
use crate::railway::RailwayClient;
use crate::railway::api::{Named, Project};
use crate::railway::environments::{self, ProjectEnvironments};
use crate::record::{Ending, PlannedAction, PreviewReport, RunReport, RunStatus};
use crate::stages::ServiceTarget;
use crate::stages::preview::{self as stage, PreviewError};
use crate::workflow;

/// Runs a preview command (never a fork's pull request: the configuration skipped it).
pub async fn run(cfg: &Config, guard: &CancelGuard, mut report: RunReport) -> Ending {
    let client = match RailwayClient::new(cfg.api_url.clone(), cfg.token.clone(), cfg.timing) {
        Ok(c) => c,
        Err(e) => return Ending::Broken(e.to_string()),
    };
    let Some(project_id) = cfg.project.as_deref() else {
        return Ending::InvalidInput(
            "input `project`: required with an account token (`railway-api-token`); set it to the project id (Project Settings → General)".into(),
        );
    };
    let envs = match environments::project_environments(&client, project_id).await {
        Ok(e) => e,
        Err(e) if e.is_not_found() => {
            return Ending::InvalidInput(format!(
                "project `{project_id}` not found, or this token cannot see it; check input `project`"
            ));
        }
        Err(e) if e.is_input_problem() => return Ending::InvalidInput(e.to_string()),
        Err(e) => {
            let why = format!("could not read the project's environments from Railway: {e}");
            return failed(report, why);
        }
    };
    report.project_id = Some(envs.project.id.clone());
    report.project_name = Some(envs.project.name.clone());
    let name = match &cfg.selection {
        Selection::Deploy { environment, .. } => environment.clone(),
        Selection::Skip { .. } => String::new(),
    };
    match (cfg.command, &cfg.trigger) {
        (CommandKind::PreviewCleanup, _) => {
            super::preview_remove::cleanup(cfg, &client, &envs, report).await
        }
        (_, Trigger::PullRequest { number }) if cfg.event.action.as_deref() == Some("closed") => {
            super::preview_remove::teardown(cfg, &client, &envs, &name, *number, report).await
        }
        _ => deploy(cfg, &client, guard, &envs, &name, report).await,
    }
}

/// A pull request's preview: gate, environment, resolution, domains, then the usual plan.
async fn deploy(
    cfg: &Config,
    client: &RailwayClient,
    guard: &CancelGuard,
    envs: &ProjectEnvironments,
    name: &str,
    mut report: RunReport,
) -> Ending {
    let setup = match preview_plan::setup(cfg, envs, name) {
        Ok(step) => step,
        Err(msg) => return Ending::InvalidInput(msg),
    };
    let Step::PreviewEnvironment(req) = &setup else {
        return Ending::Broken("the preview's first step is not its environment".into());
    };
    if let Err(msg) = check_services(cfg, envs) {
        return Ending::InvalidInput(msg);
    }
    let mut planned = setup.describe(name);
    let github = match super::github_client(cfg) {
        Ok(gh) => gh,
        Err(msg) => return Ending::InvalidInput(msg),
    };
    if cfg.dry_run && req.existing.is_none() {
        return dry_run_new(cfg, client, req, planned, report).await;
    }
    let cx = Context {
        client,
        github: github.as_ref(),
        timing: &cfg.timing,
        guard,
    };
    let mut preview = match gate_and_ensure(&cx, cfg, req, &mut report).await {
        Ok(preview) => preview,
        Err(ending) => return ending,
    };
    let (scope, mut services, instances) =
        match super::resolve_services(client, cfg, name, &mut report).await {
            Ok(read) => read,
            Err(ending) => return ending,
        };
    if let Some(step) = preview_plan::domains(&services) {
        planned.extend(step.describe(name));
        if !cfg.dry_run {
            give_domains(
                client,
                &scope.environment.id,
                &step,
                &mut services,
                &mut preview,
            )
            .await;
            refresh_urls(&services, &mut report);
        }
    }
    report.preview = Some(preview);
    let (mut plan, github) =
        match super::plan_resolved(client, cfg, scope, services, &mut report).await {
            Ok(planned) => planned,
            Err(ending) => return ending,
        };
    // Previews own their data: the database is checked before migrating or deploying.
    if let Err(why) = super::migration_safety::shared_data(client, cfg, &plan, &req.source).await {
        return failed(report, why);
    }
    // The gate already ran, before the environment was made.
    plan.steps.retain(|s| !matches!(s, Step::Gate(_)));
    let others = super::supporting::step(cfg, &instances, &plan.services, false);
    super::supporting::insert(&mut plan, others);
    planned.extend(plan.describe());
    report.plan = planned;
    if cfg.dry_run {
        return dry_run::run(&plan, report).await;
    }
    let cx = Context {
        github: github.as_ref(),
        ..cx
    };
    execute::execute(&cx, &plan, report).await
}

/// The gate (before the first change: no environment is made for a failing commit), then the
/// preview environment, created or reused ([`Step::PreviewEnvironment`]).
async fn gate_and_ensure(
    cx: &Context<'_>,
    cfg: &Config,
    req: &stage::EnsureRequest,
    report: &mut RunReport,
) -> Result<PreviewReport, Ending> {
    if cfg.wait_for_checks != ChecksMode::Off && !cfg.dry_run {
        let request = super::plan::gate_request(cfg);
        execute::gate(cx, &request, report).await?;
    }
    let name = &req.name;
    let ensured = stage::ensure_environment(cx.client, req)
        .await
        .map_err(|e| preview_failed(report.clone(), e))?;
    let verb = if ensured.created {
        "Created"
    } else {
        "Reusing"
    };
    workflow::info(format!("{verb} the preview environment `{name}`"));
    Ok(PreviewReport {
        name: Some(name.clone()),
        created: ensured.created,
        source: ensured.created.then(|| req.source.name.clone()),
        ..Default::default()
    })
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
    client: &RailwayClient,
    req: &stage::EnsureRequest,
    mut planned: Vec<PlannedAction>,
    mut report: RunReport,
) -> Ending {
    let (mut scope, mut services, instances) =
        match super::resolve_services(client, cfg, &req.source.id, &mut report).await {
            Ok(read) => read,
            Err(ending) => return ending,
        };
    for s in &mut services {
        // Railway does not copy domains.
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
    let (mut plan, _) = match super::plan_resolved(client, cfg, scope, services, &mut report).await
    {
        Ok(planned) => planned,
        Err(ending) => return ending,
    };
    let others = super::supporting::step(cfg, &instances, &plan.services, true);
    super::supporting::insert(&mut plan, others);
    planned.extend(plan.describe());
    report.plan = planned;
    report.preview = Some(PreviewReport {
        name: Some(req.name.clone()),
        source: Some(req.source.name.clone()),
        ..Default::default()
    });
    dry_run::run(&plan, report).await
}

/// Runs [`Step::PreviewDomains`]: each service gets its domain (a failure is a warning: the
/// service is deployed without a URL), written into `services` for the health probes.
async fn give_domains(
    client: &RailwayClient,
    environment_id: &str,
    step: &Step,
    services: &mut [ServiceTarget],
    preview: &mut PreviewReport,
) {
    let Step::PreviewDomains(reqs) = step else {
        return;
    };
    for req in reqs {
        match stage::ensure_domain(client, environment_id, req).await {
            Ok(domain) => {
                workflow::info(format!(
                    "Gave `{}` the Railway domain {domain}",
                    req.service_name
                ));
                preview
                    .domains_created
                    .push(format!("{}: {domain}", req.service_name));
                if let Some(s) = services.iter_mut().find(|s| s.service.id == req.service_id) {
                    let domains = &mut s.instance.domains.service_domains;
                    domains.push(crate::railway::api::Domain { domain });
                }
            }
            Err(why) => workflow::warning(why),
        }
    }
}

/// The services' URLs in the run record, after they got their domains.
fn refresh_urls(services: &[ServiceTarget], report: &mut RunReport) {
    for s in services {
        if let Some(r) = report
            .services
            .iter_mut()
            .find(|r| r.service_id == s.service.id)
        {
            r.url = s.public_url();
        }
    }
}

/// The ending of a run that could not read or change Railway (recorded in `report`).
fn failed(mut report: RunReport, why: String) -> Ending {
    workflow::error_titled("Preview failed", &why);
    report.status = RunStatus::Failed;
    report.failure = Some(why);
    Ending::Finished(Box::new(report))
}

/// The ending of a preview step that stopped the run.
fn preview_failed(report: RunReport, e: PreviewError) -> Ending {
    match e {
        PreviewError::Input(msg) => Ending::InvalidInput(msg),
        PreviewError::Failed(why) => failed(report, why),
    }
}
