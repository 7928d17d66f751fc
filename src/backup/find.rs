//! Finds the volume to back up, in resolution (reads only): the environment's volume instances
//! (one request), then the variables of each service a volume is mounted on (one request each,
//! usually one), to pick the database's: the service that defines `database-url-variable` (with
//! SQL migrations, the one whose value is the URL they apply to).

use crate::backup::{BackupTarget, Lookup};
use crate::config::BackupMode;
use crate::railway::RailwayClient;
use crate::railway::resolve::{ResolveError, Scope};
use crate::railway::variables::variables;
use crate::railway::volumes::{VolumeInstance, environment_volumes};
use crate::secret::Secret;
use crate::workflow;

/// What identifies the database: the variable's name, and the URL migrations use (when known).
pub struct Wanted<'a> {
    pub variable: &'a str,
    pub url: Option<&'a Secret>,
    pub mode: BackupMode,
}

/// The database's volume. `backup: true` with none (or with several candidates) is invalid
/// input; `auto` answers [`Lookup::Missing`] with the reason.
pub async fn find(
    c: &RailwayClient,
    scope: &Scope,
    wanted: &Wanted<'_>,
) -> Result<Lookup, ResolveError> {
    let volumes = environment_volumes(c, &scope.environment.id).await?;
    let mut found = Vec::new();
    for v in &volumes {
        let Some(service_id) = v.service_id.as_deref() else {
            continue;
        };
        if defines(c, scope, service_id, wanted).await? {
            found.push(target(scope, v, service_id));
        }
    }
    let env = &scope.environment.name;
    let reason = match found.len() {
        1 => return Ok(Lookup::Found(Box::new(found.remove(0)))),
        0 if volumes.is_empty() => format!("environment `{env}` has no Railway volume"),
        0 => match wanted.url {
            Some(_) => format!(
                "no service with a volume in `{env}` has `{}` set to the database URL the migrations use (an external database?)",
                wanted.variable
            ),
            None => format!(
                "no service with a volume in `{env}` defines `{}`",
                wanted.variable
            ),
        },
        _ => format!(
            "several services with a volume in `{env}` define `{}` ({}), so which one is the database is not clear",
            wanted.variable,
            found
                .iter()
                .map(|t| format!("`{}`", t.service_name))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    match wanted.mode {
        BackupMode::Required => Err(ResolveError::Input(format!(
            "input `backup`: `true` needs the database on a Railway volume to back up, but {reason}; point `database-url-variable` at the variable only the database service defines, or set `backup: auto` (skip when there is none) or `backup: false`"
        ))),
        _ => Ok(Lookup::Missing(format!(
            "no backup before migrating: {reason}"
        ))),
    }
}

/// Whether the service defines the variable (and, with a known URL, with that value). Every
/// value read is masked: they are someone's secrets.
async fn defines(
    c: &RailwayClient,
    scope: &Scope,
    service_id: &str,
    wanted: &Wanted<'_>,
) -> Result<bool, ResolveError> {
    let vars = variables(c, &scope.project.id, &scope.environment.id, service_id).await?;
    for value in vars.values() {
        if let Some(v) = value.as_str() {
            workflow::mask(v);
        }
    }
    let value = vars
        .get(wanted.variable)
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    Ok(match (value, wanted.url) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(v), Some(url)) => v == url.expose().trim(),
    })
}

fn target(scope: &Scope, v: &VolumeInstance, service_id: &str) -> BackupTarget {
    let service_name = scope
        .project
        .services
        .iter()
        .find(|s| s.id == service_id)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| service_id.to_string());
    BackupTarget {
        volume: v.clone(),
        service_id: service_id.to_string(),
        service_name,
        project_id: scope.project.id.clone(),
        environment_id: scope.environment.id.clone(),
        environment_name: scope.environment.name.clone(),
    }
}
