//! Resolution: every read the plan needs, before anything changes: the project, environment and
//! each service's instance (one request), the deployments serving and in flight for each service
//! (one request each), the database URL of `migrations` (checked like `database-url`), for
//! `command: rollback` the `to` deployment (it must exist and be the service's), and for
//! `command: promote` what passed in `from-environment`, the database's volume to back up
//! before migrating (`crate::backup::find`), and for `source: upload` that every file of `path`
//! the archive takes can be read (`crate::upload::preflight`, no Railway read).

use crate::backup::{Lookup, find};
use crate::config::{BackupMode, CommandKind, Config, Source, database_url};
use crate::context::Trigger;
use crate::migrate::variable;
use crate::railway::RailwayClient;
use crate::railway::api::ServiceInstance;
use crate::railway::resolve::{self, ResolveError, Scope};
use crate::record::Stop;
use crate::secret::Secret;
use crate::stages::ServiceTarget;
use crate::stages::in_flight;
use crate::stages::promote::{PromoteError, Want, plan_promotion};
use crate::upload::preflight;
use crate::workflow;

/// Reads the scope and every service of the run, in the order of the `service` input, with
/// every service instance of the environment (a preview's supporting deploys read the others).
pub async fn read(
    c: &RailwayClient,
    cfg: &Config,
    environment: &str,
) -> Result<(Scope, Vec<ServiceTarget>, Vec<ServiceInstance>), ResolveError> {
    let (scope, instances) = resolve::scope(c, cfg.project.as_deref(), environment).await?;
    read_services(c, cfg, scope, instances).await
}

/// The services of the run in `scope` (the rest of [`read`]), with `instances`.
pub async fn read_services(
    c: &RailwayClient,
    cfg: &Config,
    scope: Scope,
    instances: Vec<ServiceInstance>,
) -> Result<(Scope, Vec<ServiceTarget>, Vec<ServiceInstance>), ResolveError> {
    let named =
        resolve::find_services(&scope.project, &cfg.services).map_err(ResolveError::Input)?;
    let mut services = Vec::new();
    for service in named {
        let instance = resolve::find_instance(&instances, &service, &scope.environment)
            .map_err(ResolveError::Input)?
            .clone();
        // One request: the serving deployment and the ones in flight.
        let current = in_flight::read_current(c, &scope, &service.id).await?;
        services.push(ServiceTarget {
            service,
            instance,
            serving: current.serving,
            in_flight: current.in_flight,
        });
    }
    Ok((scope, services, instances))
}

/// `command: promote`: what each service deploys (what passed in `from-environment`: its commit
/// or image digest). A refusal is invalid input: nothing has changed yet.
pub async fn promotions(
    client: &RailwayClient,
    cfg: &Config,
    scope: &Scope,
    services: &[ServiceTarget],
) -> Result<Vec<crate::stages::promote::Promotion>, Stop> {
    let from = resolve::find_environment(&scope.project, &cfg.from_environment)
        .map_err(|e| Stop::Input(format!("input `from-environment`: {e}")))?
        .clone();
    let tagged = matches!(
        cfg.trigger,
        Trigger::TagPush { .. } | Trigger::Release { .. }
    );
    let commit = if tagged { cfg.sha.as_deref() } else { None };
    let named: Vec<_> = services.iter().map(|s| s.service.clone()).collect();
    let want = Want::from_source(&cfg.source);
    let promotions = plan_promotion(client, &scope.project.id, &from, &named, commit, want)
        .await
        .map_err(|e| match e {
            PromoteError::Refused(msg) => Stop::Input(msg),
            PromoteError::Railway(e) => Stop::Broken(format!(
                "could not read the deployments of `{}` to promote: {e}",
                from.name
            )),
        })?;
    for p in &promotions {
        workflow::info(format!(
            "Promoting `{}`: deployment {} from `{}`",
            p.service_name, p.from_deployment_id, from.name
        ));
    }
    Ok(promotions)
}

/// The database URL `migrations` applies to: `database-url`, else the Railway variable named by
/// `database-url-variable` (the first service's own variables, then the environment's other
/// services), checked as `database-url` is, so a bad value stops the run before any write.
/// `Ok(None)` when the run has no SQL migrations.
pub async fn database_url(
    c: &RailwayClient,
    cfg: &Config,
    scope: &Scope,
    services: &[ServiceTarget],
) -> Result<Option<Secret>, ResolveError> {
    if cfg.migrations.is_none() {
        return Ok(None);
    }
    if let Some(url) = &cfg.database_url {
        return Ok(Some(url.clone()));
    }
    let name = &cfg.database_url_variable;
    let Some(first) = services.first().map(|s| &s.service) else {
        return Err(ResolveError::Input(
            "no service to read the database URL from".into(),
        ));
    };
    let others: Vec<(&str, &str)> = scope
        .project
        .services
        .iter()
        .filter(|s| s.id != first.id)
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let (project, environment) = (&scope.project.id, &scope.environment.id);
    let first_pair = (first.id.as_str(), first.name.as_str());
    let found =
        variable::find_database_url(c, project, environment, first_pair, &others, name).await?;
    let Some(found) = found else {
        let env_name = &scope.environment.name;
        return Err(ResolveError::Input(variable::not_found_message(
            name, env_name,
        )));
    };
    if let Err(problem) = database_url::check(found.url.expose()) {
        return Err(ResolveError::Input(format!(
            "the Railway variable `{name}` of service `{}` (read because `database-url` is empty) {problem}; fix the variable, point `database-url-variable` at the one holding the database's public URL, or set `database-url`",
            found.service_name
        )));
    }
    workflow::info(format!(
        "Database URL from `{name}` of service `{}`",
        found.service_name
    ));
    Ok(Some(found.url))
}

/// The database's volume to back up before migrating ([`Lookup::NotNeeded`] when nothing may be
/// migrated or `backup: false`). `url`: the database URL of `migrations`, when there are some.
pub async fn backup_volume(
    c: &RailwayClient,
    cfg: &Config,
    scope: &Scope,
    url: Option<&Secret>,
) -> Result<Lookup, ResolveError> {
    if !super::plan::wants_backup(cfg) {
        return Ok(Lookup::NotNeeded);
    }
    let wanted = find::Wanted {
        variable: &cfg.database_url_variable,
        url,
        mode: cfg.backup.mode,
    };
    let found = match find::find(c, scope, &wanted).await {
        Err(ResolveError::Railway(e)) if e.is_refusal() => refused_lookup(cfg.backup.mode, &e)?,
        other => other?,
    };
    if let Lookup::Found(t) = &found {
        workflow::info(format!(
            "Backup before migrating: volume `{}` of `{}`",
            t.volume.volume.name, t.service_name
        ));
    }
    Ok(found)
}

/// Railway would not show the volumes or the variables to this token. `auto` did not require a
/// backup: a warning, and the run goes on without one. `true` did: invalid input (exit 2),
/// before any change.
fn refused_lookup(
    mode: BackupMode,
    e: &crate::railway::RailwayError,
) -> Result<Lookup, ResolveError> {
    let what = "Railway would not show this token the environment's volumes or the database service's variables";
    match mode {
        BackupMode::Required => Err(ResolveError::Input(format!(
            "input `backup`: `true` needs the database's Railway volume, but {what} ({e}); give the token access to them, or set `backup: auto` (go on without a backup) or `backup: false`"
        ))),
        _ => Ok(Lookup::Unreadable(format!(
            "no backup before migrating: {what} ({e}); with `backup: auto` the run goes on without one. Give the token access to them, set `backup: true` to stop instead, or `backup: false`"
        ))),
    }
}

/// `source: upload` (a deploy or a preview): every entry of `path` the archive takes can be read,
/// checked by one walk that opens the files and reads none (`crate::upload::preflight`), so an
/// unreadable one is invalid input before any write rather than a failure midway through the
/// upload. Other sources and commands read nothing here.
pub async fn upload_tree(cfg: &Config) -> Result<(), ResolveError> {
    let Source::Upload { path } = &cfg.source else {
        return Ok(());
    };
    if !matches!(cfg.command, CommandKind::Deploy | CommandKind::Preview) {
        return Ok(());
    }
    let path = path.clone();
    match tokio::task::spawn_blocking(move || preflight::check(&path)).await {
        Ok(checked) => checked.map_err(|e| ResolveError::Input(e.to_string())),
        Err(e) => Err(ResolveError::Input(format!(
            "the check that `path` can be read stopped: {e}"
        ))),
    }
}
