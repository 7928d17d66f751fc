//! `command: check`'s plan: the reads several checks share, made once ([`CheckReads`]: the
//! project token, then the deploy's own resolution from that same read, the database URL when
//! a check needs it, each service's health probe), then one [`Step::Check`] per check the
//! inputs need (`setup_check::plan::plan`), run by the one executor. Nothing is changed: a read
//! that fails is a finding the checks say, never a stop.

use std::sync::Arc;

use super::plan::{Plan, health_probes};
use super::resolve;
use super::step::Step;
use crate::config::Config;
use crate::context::Selection;
use crate::railway::RailwayClient;
use crate::railway::api;
use crate::railway::auth::RailwayToken;
use crate::railway::resolve::{ResolveError, scope_from};
use crate::record::RunReport;
use crate::setup_check::plan::plan;
use crate::setup_check::railway::{refused_token, resolve_finding};
use crate::setup_check::{CheckReads, CheckRequest, CheckStep, ProjectTokenRead, Resolved};
use crate::workflow;

/// The check plan for `environment`; what resolution found is recorded in `report`.
pub async fn build(
    client: &RailwayClient,
    cfg: &Config,
    environment: &str,
    report: &mut RunReport,
) -> Plan {
    workflow::info(format!(
        "Checking the setup for environment `{environment}` (reads only: nothing is changed)"
    ));
    let checks = plan(cfg);
    let reads = Arc::new(read(client, cfg, environment, &checks).await);
    if let Ok(r) = &reads.resolved {
        report.project_id = Some(r.scope.project.id.clone());
        report.project_name = Some(r.scope.project.name.clone());
        report.environment_id = Some(r.scope.environment.id.clone());
        report.environment = Some(r.scope.environment.name.clone());
    }
    steps(environment, checks, reads)
}

/// The plan (pure): one [`Step::Check`] per check, in order, each with the shared reads.
pub fn steps(environment: &str, checks: Vec<CheckRequest>, reads: Arc<CheckReads>) -> Plan {
    let steps = checks
        .into_iter()
        .map(|check| {
            Step::Check(Box::new(CheckStep {
                check,
                reads: reads.clone(),
            }))
        })
        .collect();
    Plan::of(environment, steps)
}

/// The shared reads, each made once.
async fn read(
    client: &RailwayClient,
    cfg: &Config,
    environment: &str,
    checks: &[CheckRequest],
) -> CheckReads {
    let token: ProjectTokenRead = match client.token() {
        RailwayToken::Project(_) => Some(api::project_token(client).await),
        RailwayToken::Account(_) => None,
    };
    let resolved = resolve_from(client, cfg, environment, &token).await;
    let wants_url = checks
        .iter()
        .any(|c| matches!(c, CheckRequest::Backup(_) | CheckRequest::Migrations(_)));
    let database_url = match (&resolved, wants_url) {
        (_, false) => Ok(None),
        (Err(msg), true) => Err(msg.clone()),
        (Ok(r), true) => resolve::database_url(client, cfg, &r.scope, &r.services)
            .await
            .map_err(|e| match e {
                ResolveError::Input(msg) => msg,
                ResolveError::Railway(e) if e.is_refusal() => format!(
                    "Railway would not show this token the services' variables, so the database URL of `migrations` cannot be found ({e}); set `database-url`, or use a token that may read variables"
                ),
                ResolveError::Railway(e) => format!("could not read the variables: {e}"),
            }),
    };
    let probes = match &resolved {
        Ok(r) => r
            .services
            .iter()
            .map(|t| {
                let probe = health_probes(cfg, std::slice::from_ref(t));
                (t.service.id.clone(), probe)
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let selected_by = match &cfg.selection {
        Selection::Deploy { reason, .. } | Selection::Skip { reason } => reason.clone(),
    };
    CheckReads {
        environment: environment.to_string(),
        selected_by,
        project: cfg.project.clone(),
        token,
        resolved,
        database_url,
        probes,
        health_url: cfg.health.url.clone(),
        health_path: cfg.health.path.clone(),
    }
}

/// The deploy's resolution, starting from the token read already made.
async fn resolve_from(
    client: &RailwayClient,
    cfg: &Config,
    environment: &str,
    token: &ProjectTokenRead,
) -> Result<Resolved, String> {
    let token = match token {
        None => None,
        Some(Ok(read)) => Some(read.clone()),
        Some(Err(e)) => return Err(refused_token(e)),
    };
    let (scope, instances) = scope_from(client, token, cfg.project.as_deref(), environment)
        .await
        .map_err(|e| resolve_finding(&e))?;
    let (scope, services, instances) = resolve::read_services(client, cfg, scope, instances)
        .await
        .map_err(|e| resolve_finding(&e))?;
    Ok(Resolved {
        scope,
        services,
        instances,
    })
}
