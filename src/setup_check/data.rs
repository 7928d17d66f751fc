//! The database and metrics checks of a setup: with `backup`, that the database's Railway volume
//! and its backups can be read (the deploy's own lookup, `crate::backup::find`); with `watch`,
//! that the services' HTTP metrics can be read; with `migrations`, that the database URL is found
//! (the deploy's resolution), accepts a connection, and which migrations are pending (sqlx's
//! migrator in its listing mode: no table created, no lock taken).

use chrono::Utc;

use crate::backup::{Lookup, find};
use crate::config::BackupMode;
use crate::migrate::sql::pending_migrations;
use crate::railway::RailwayError;
use crate::railway::observe::{HttpQuery, http_by_status};
use crate::railway::resolve::ResolveError;
use crate::railway::volumes::backups;
use crate::record::CheckResult;

use super::CheckContext;
use super::plan::{BackupRequest, MigrationsRequest};

const BACKUP: &str = "backup";

/// What a refusal to show volumes or backups means for `backup`.
fn backup_refused(mode: BackupMode, what: &str, e: &RailwayError) -> CheckResult {
    match mode {
        BackupMode::Required => CheckResult::failed(
            BACKUP,
            format!(
                "this token may not read {what} ({}): `backup: true` will stop every deploy that migrates; use `backup: auto` (migrate without a backup) or an account token (`railway-api-token`)",
                brief(e)
            ),
        ),
        _ => CheckResult::warning(
            BACKUP,
            format!(
                "this token may not read {what} ({}): with `backup: auto` every migration runs without a backup; use an account token (`railway-api-token`) to get one",
                brief(e)
            ),
        ),
    }
}

/// What Railway said, short: the refusal is the finding, not the raw error.
fn brief(e: &RailwayError) -> String {
    match e {
        RailwayError::GraphQl { messages, .. } => format!("Railway said: {}", messages.join("; ")),
        RailwayError::Unauthorized { operation, .. } => {
            format!("Railway answered \"Not Authorized\" to {operation}")
        }
        other => other.to_string(),
    }
}

/// The database's volume, and that its backups can be listed.
pub async fn backup(cx: &CheckContext<'_>, req: &BackupRequest) -> Vec<CheckResult> {
    let Ok(r) = cx.resolved().await else {
        return Vec::new();
    };
    // Unfound, the migrations check reports it; the volume is then found by the variable alone.
    let url: Option<&crate::secret::Secret> = cx.database_url().await.unwrap_or_default();
    let wanted = find::Wanted {
        variable: &req.variable,
        url,
        mode: req.mode,
    };
    let target = match find::find(cx.railway, &r.scope, &wanted).await {
        Ok(Lookup::Found(t)) => t,
        Ok(Lookup::Missing(why) | Lookup::Unreadable(why)) => {
            return vec![CheckResult::warning(
                BACKUP,
                format!("{why}; with `backup: auto` the run migrates without one"),
            )];
        }
        Ok(Lookup::NotNeeded) => return Vec::new(),
        Err(ResolveError::Input(msg)) => return vec![CheckResult::failed(BACKUP, msg)],
        Err(ResolveError::Railway(e)) if e.is_refusal() => {
            return vec![backup_refused(
                req.mode,
                "the environment's volumes or the database service's variables",
                &e,
            )];
        }
        Err(ResolveError::Railway(e)) => {
            return vec![CheckResult::failed(
                BACKUP,
                format!("the volumes could not be read from Railway: {e}"),
            )];
        }
    };
    let v = &target.volume;
    let listed = match backups(cx.railway, &v.id).await {
        Ok(list) => list,
        Err(e) if e.is_refusal() => {
            return vec![backup_refused(req.mode, "the volume's backups", &e)];
        }
        Err(e) => {
            return vec![CheckResult::failed(
                BACKUP,
                format!(
                    "the backups of volume `{}` could not be read: {e}",
                    v.volume.name
                ),
            )];
        }
    };
    let what = format!(
        "volume `{}` of `{}` ({} backups listed)",
        v.volume.name,
        target.service_name,
        listed.len()
    );
    if let Some(state) = target.not_ready() {
        return vec![CheckResult::warning(
            BACKUP,
            format!("{what} is `{state}`, not ready: no backup can start until it is"),
        )];
    }
    if v.size_mb > 0 && v.current_size_mb > v.size_mb as f64 / 2.0 {
        return vec![CheckResult::failed(
            BACKUP,
            format!(
                "{what} holds {:.0} MB of {} MB: Railway backs up only volumes at most half full, so the backup before migrating would be refused; grow the volume (service Settings → Volume), or set `backup: false`",
                v.current_size_mb, v.size_mb
            ),
        )];
    }
    vec![CheckResult::ok(BACKUP, what)]
}

/// `watch`: each service's HTTP requests per status code over the last ten minutes.
pub async fn metrics(cx: &CheckContext<'_>) -> Vec<CheckResult> {
    let Ok(r) = cx.resolved().await else {
        return Vec::new();
    };
    let end = Utc::now();
    let mut out = Vec::new();
    for t in &r.services {
        let name = format!("service `{}` metrics", t.service.name);
        let q = HttpQuery {
            environment_id: &r.scope.environment.id,
            service_id: &t.service.id,
            start: end - chrono::Duration::minutes(10),
            end,
            step_seconds: 60,
        };
        out.push(match http_by_status(cx.railway, &q).await {
            Ok(series) => CheckResult::ok(
                name,
                format!(
                    "HTTP metrics readable ({} status codes in the last 10 minutes)",
                    series.len()
                ),
            ),
            Err(e) if e.is_refusal() => CheckResult::warning(
                name,
                format!(
                    "this token may not read HTTP metrics ({}): `watch` will judge only the instances and the health probe, not the share of 5xx answers; use an account token (`railway-api-token`)",
                    brief(&e)
                ),
            ),
            Err(e) => CheckResult::warning(
                name,
                format!("HTTP metrics could not be read ({e}); `watch` notes it and goes on without them"),
            ),
        });
    }
    out
}

/// `migrations`: the database URL, a connection, and the pending files.
pub async fn migrations(cx: &CheckContext<'_>, req: &MigrationsRequest) -> Vec<CheckResult> {
    const NAME: &str = "migrations";
    if cx.resolved().await.is_err() {
        return Vec::new();
    }
    let url = match cx.database_url().await {
        Ok(Some(url)) => url,
        Ok(None) => return Vec::new(),
        Err(msg) => return vec![CheckResult::failed(NAME, msg)],
    };
    match pending_migrations(&req.dir, url).await {
        Ok(pending) if pending.is_empty() => vec![CheckResult::ok(
            NAME,
            "the database accepts a connection; no migration is pending",
        )],
        Ok(pending) => vec![CheckResult::ok(
            NAME,
            format!(
                "the database accepts a connection; {} pending: {}",
                pending.len(),
                pending.join(", ")
            ),
        )],
        Err(e) => vec![CheckResult::failed(NAME, e.to_string())],
    }
}
