//! A preview's migration-safety checks, run before its environment is made (contract:
//! `destructive-migrations: refuse` and a pre-deploy command only in `railway.json` are invalid
//! input "before any change"), read where the preview's services come from: an existing preview
//! whose services are all in it is read itself, else `preview-from`, which a new copy takes its
//! services' settings, variables and serving commits from (reads only).
//!
//! - The `railway.json` cliff and `migrate-command`'s changed files need the services' settings
//!   (and, for the files, the commits they serve): read only when the checkout holds a
//!   `railway.json`/`railway.toml` or `migrate-command` is given.
//! - `migrations`: with `database-url`, the files pending on it; on an existing preview, those
//!   pending on its database; on a new one, every file of the folder, as the copy's database is
//!   new (a shared one is refused by the shared-data check before anything is migrated), in the
//!   dialect of the URL the copy takes from `preview-from` (that read is handed to the
//!   shared-data check, which compares the preview's URL with it once the preview exists).

use crate::config::{Config, Source};
use crate::migrate::database::{DatabaseUrl, Engine};
use crate::migrate::lint::read;
use crate::railway::environments::{EnvironmentInfo, ProjectEnvironments};
use crate::railway::resolve::{self, ResolveError, Scope};
use crate::record::{RunReport, Stop};
use crate::secret::Secret;
use crate::stages::ServiceTarget;
use crate::stages::context::Context;
use crate::stages::preview::EnsureRequest;

/// What the checks read that the rest of the run uses again.
#[derive(Default)]
pub struct Checked {
    /// The database URL `preview-from` holds in `database-url-variable` (read for a new
    /// preview's `migrations`), for the shared-data check.
    pub source_url: Option<Secret>,
}

/// Runs the cliff and the SQL check for the preview `req` will make or reuse.
pub async fn before_change(
    cfg: &Config,
    cx: &Context<'_>,
    envs: &ProjectEnvironments,
    req: &EnsureRequest,
    report: &mut RunReport,
) -> Result<Checked, Stop> {
    let checkout = (cfg.surroundings.checkout.clone()).unwrap_or_else(|| ".".into());
    let cliff_may_apply = match &cfg.source {
        Source::Image { .. } => false,
        Source::Upload { path } => ["railway.json", "railway.toml"]
            .iter()
            .any(|name| path.join(name).exists()),
        _ => crate::migrate::cliff::any_below(&checkout),
    };
    let read_failure = |e| super::resolve_failure(e, "the services the preview is copied from");
    if cliff_may_apply || cfg.migrate_command.is_some() {
        let (scope, services) = read(cfg, cx, req).await.map_err(read_failure)?;
        super::migration_safety::cliff(cfg, &services, report)?;
        let reading = super::migration_safety::Reading {
            client: &cx.client,
            github: cx.github.as_ref(),
            scope: &scope,
            services: &services,
            promotions: &[],
            compared: &[],
            database_url: None,
        };
        super::migration_safety::check(&reading, cfg, report).await?;
    }
    let Some(dir) = &cfg.migrations else {
        return Ok(Checked::default());
    };
    let mut checked = Checked::default();
    let linted = match (&cfg.database_url, &req.existing) {
        (Some(url), _) => read::pending(dir, url).await,
        (None, Some(existing)) => match variable(cfg, cx, envs, existing).await? {
            Some(url) => read::pending(dir, &url).await,
            None => new_database(cfg, cx, envs, req, dir, &mut checked).await?,
        },
        (None, None) => new_database(cfg, cx, envs, req, dir, &mut checked).await?,
    };
    super::migration_safety::judge(linted, cfg, report)?;
    Ok(checked)
}

/// `migrations` on a preview whose database is new: every file, in the dialect of the URL
/// `preview-from` holds (which the copy takes); no such variable is invalid input now, before
/// the copy is made without it.
async fn new_database(
    cfg: &Config,
    cx: &Context<'_>,
    envs: &ProjectEnvironments,
    req: &EnsureRequest,
    dir: &std::path::Path,
    checked: &mut Checked,
) -> Result<crate::migrate::lint::Linted, Stop> {
    let Some(url) = variable(cfg, cx, envs, &req.source).await? else {
        let name = &cfg.database_url_variable;
        let message = crate::migrate::variable::not_found_message(name, &req.source.name);
        return Err(Stop::Input(message));
    };
    let engine = DatabaseUrl::parse(&url).map_or(Engine::Postgres, |u| u.engine);
    checked.source_url = Some(url);
    Ok(read::every_file(dir, engine))
}

/// The value of `database-url-variable` in `env`: the run's services first, then the project's
/// others (the shared-data check's order). Masked as soon as it is read.
async fn variable(
    cfg: &Config,
    cx: &Context<'_>,
    envs: &ProjectEnvironments,
    env: &EnvironmentInfo,
) -> Result<Option<Secret>, Stop> {
    let project = crate::railway::api::Project {
        id: envs.project.id.clone(),
        name: envs.project.name.clone(),
        environments: Vec::new(),
        services: envs.services.clone(),
    };
    let named = resolve::find_services(&project, &cfg.services).map_err(Stop::Input)?;
    let mut order: Vec<(&str, &str)> = named
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    for s in &envs.services {
        if !order.iter().any(|(id, _)| *id == s.id) {
            order.push((s.id.as_str(), s.name.as_str()));
        }
    }
    let Some((first, others)) = order.split_first() else {
        return Ok(None);
    };
    let found = crate::migrate::variable::find_database_url(
        &cx.client,
        &envs.project.id,
        &env.id,
        *first,
        others,
        &cfg.database_url_variable,
    )
    .await
    .map_err(|e| super::resolve_failure(ResolveError::Railway(e), "the database URL"))?;
    Ok(found.map(|f| f.url))
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
        let read = super::resolve::read_services(&cx.client, cfg, scope, instances).await?;
        return Ok(Some((read.0, read.1)));
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
