//! A preview's migration-safety checks, run before its environment is made (contract:
//! `destructive-migrations: refuse` and a pre-deploy command only in `railway.json` are invalid
//! input "before any change"): the `railway.json` cliff and the SQL about to be migrated, read
//! where the preview's services come from. An existing preview whose services are all in it is
//! read itself; otherwise `preview-from`, which the copy takes its services' settings, variables
//! and serving commits from (reads only). With `migrations` on a new preview, the pending files
//! are those pending on `preview-from`'s database: what this pull request adds to what the
//! source runs. The shared-data check needs the preview's own variables, so it runs later
//! (`super::migration_safety::shared_data`, before anything is migrated or deployed).

use crate::config::Config;
use crate::railway::environments::EnvironmentInfo;
use crate::railway::resolve::{self, ResolveError, Scope};
use crate::record::{RunReport, Stop};
use crate::stages::ServiceTarget;
use crate::stages::context::Context;
use crate::stages::preview::EnsureRequest;

/// Runs the cliff and the SQL check for the preview `req` will make or reuse.
pub async fn before_change(
    cfg: &Config,
    cx: &Context<'_>,
    req: &EnsureRequest,
    report: &mut RunReport,
) -> Result<(), Stop> {
    let (scope, services) = read(cfg, cx, req)
        .await
        .map_err(|e| super::resolve_failure(e, "the services the preview is copied from"))?;
    super::migration_safety::cliff(cfg, &services, report)?;
    let database_url = super::resolve::database_url(&cx.client, cfg, &scope, &services)
        .await
        .map_err(|e| super::resolve_failure(e, "the variables for the database URL"))?;
    let reading = super::migration_safety::Reading {
        client: &cx.client,
        github: cx.github.as_ref(),
        scope: &scope,
        services: &services,
        promotions: &[],
        compared: &[],
        database_url: database_url.as_ref(),
    };
    super::migration_safety::check(&reading, cfg, report).await
}

/// The run's services where the checks read them: the existing preview when every one is in
/// it, else `preview-from`. Their serving deployments are read only for `migrate-command` (the
/// base of the changed files).
async fn read(
    cfg: &Config,
    cx: &Context<'_>,
    req: &EnsureRequest,
) -> Result<(Scope, Vec<ServiceTarget>), ResolveError> {
    if let Some(existing) = &req.existing
        && let Some(found) = read_in(cfg, cx, req, existing).await?
    {
        return Ok(found);
    }
    match read_in(cfg, cx, req, &req.source).await? {
        Some(found) => Ok(found),
        None => Err(ResolveError::Input(format!(
            "a service of `service` has no instance in `{}`, which previews are copied from; add it to that environment in Railway, or set `preview-from`",
            req.source.name
        ))),
    }
}

/// The services in `env` (`None`: one of them has no instance there, e.g. a copy in progress).
async fn read_in(
    cfg: &Config,
    cx: &Context<'_>,
    req: &EnsureRequest,
    env: &EnvironmentInfo,
) -> Result<Option<(Scope, Vec<ServiceTarget>)>, ResolveError> {
    let (scope, instances) = resolve::scope(&cx.client, Some(&req.project_id), &env.id).await?;
    let named =
        resolve::find_services(&scope.project, &cfg.services).map_err(ResolveError::Input)?;
    if named
        .iter()
        .any(|s| resolve::find_instance(&instances, s, &scope.environment).is_err())
    {
        return Ok(None);
    }
    if cfg.migrate_command.is_some() {
        let (scope, services, _) =
            super::resolve::read_services(&cx.client, cfg, scope, instances).await?;
        return Ok(Some((scope, services)));
    }
    let mut services = Vec::new();
    for service in named {
        let found = resolve::find_instance(&instances, &service, &scope.environment);
        let instance = found.map_err(ResolveError::Input)?.clone();
        services.push(ServiceTarget {
            service,
            instance,
            serving: None,
            in_flight: Vec::new(),
        });
    }
    Ok(Some((scope, services)))
}
