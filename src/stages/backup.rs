//! The backup stage: before the first migration, backs up the database's Railway volume (the
//! target resolution found) and records it; with SQL migrations, only when some are pending
//! (read from the database first). A backup that fails or times out stops the run.
//! [`BackupStep`] is the request: the backup and the run's SQL migrations, put beside it by the
//! plan.

use std::time::Instant;

use chrono::Utc;

use super::context::Context;
use super::migrate::{self, SqlRequest};
use crate::backup::{BackupRequest, backup_name, take};
use crate::record::{BackupReport, RunReport, Stage, StageTiming, Stop};
use crate::workflow;

/// The backup step's request.
#[derive(Clone, Debug)]
pub struct BackupStep {
    pub backup: BackupRequest,
    /// The run's SQL migrations, when it has some: whether any is pending decides (with
    /// [`BackupRequest::only_when_pending`]).
    pub sql: Option<SqlRequest>,
}

/// Runs the backup step.
pub async fn run(cx: &Context<'_>, step: &BackupStep, report: &mut RunReport) -> Result<(), Stop> {
    let (req, sql) = (&step.backup, step.sql.as_ref());
    let Some(target) = &req.target else {
        if let Some(why) = &req.skipped {
            if req.skipped_warns {
                workflow::warning(why);
            } else {
                workflow::notice(why);
            }
            report.notices.push(why.clone());
        }
        return Ok(());
    };
    if let (true, Some(sql)) = (req.only_when_pending, sql) {
        let pending = migrate::pending_sql(sql, &mut report.migrations, &mut report.stages).await?;
        if pending.is_empty() {
            workflow::info("No migration pending: no backup needed");
            return Ok(());
        }
    }
    let name = backup_name(req.sha.as_deref(), Utc::now());
    let (started_at, started) = (Utc::now(), Instant::now());
    workflow::group_start(format!(
        "Backup of volume `{}` of `{}`",
        target.volume.volume.name, target.service_name
    ));
    let taken = take::take(&cx.client, target, &name, req.timeout).await;
    workflow::group_end();
    let passed = taken.is_ok();
    report.stages.push(StageTiming::ended(
        Stage::Backup,
        None,
        started_at,
        started,
        passed,
    ));
    let taken = taken.map_err(|why| Stop::failed("Backup failed", why))?;
    workflow::info(format!(
        "Backup `{name}` of volume `{}` complete; restore it from the Backups tab of `{}`: {}",
        target.volume.volume.name,
        target.service_name,
        target.restore_url()
    ));
    report.backup = Some(BackupReport {
        name,
        volume: target.volume.volume.name.clone(),
        service: target.service_name.clone(),
        restore_url: target.restore_url(),
        id: taken.id,
        duration: started.elapsed(),
    });
    Ok(())
}
