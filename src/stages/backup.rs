//! The backup stage: before the first migration, backs up the database's Railway volume (the
//! target resolution found) and records it; with SQL migrations, only when some are pending
//! (read from the database first). A backup that fails or times out stops the run.

use std::time::Instant;

use chrono::Utc;

use super::migrate::{self, SqlRequest, Stop};
use crate::backup::{BackupRequest, backup_name, take};
use crate::railway::RailwayClient;
use crate::record::{BackupReport, RunReport, Stage, StageTiming};
use crate::workflow;

/// Why the backup stage stopped the run.
pub enum BackupStop {
    /// Reading the pending migrations failed (as the migrate stage reports it).
    Migrate(Stop),
    /// The backup failed or timed out: the message says what Railway reported.
    Failed(String),
}

/// Runs the backup step. `sql`: the run's SQL migrations (their pending files decide).
pub async fn run(
    c: &RailwayClient,
    req: &BackupRequest,
    sql: Option<&SqlRequest>,
    report: &mut RunReport,
) -> Result<(), BackupStop> {
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
        let pending = migrate::pending_sql(sql, &mut report.migrations, &mut report.stages)
            .await
            .map_err(BackupStop::Migrate)?;
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
    let taken = take::take(c, target, &name, req.timeout).await;
    workflow::group_end();
    let passed = taken.is_ok();
    report.stages.push(StageTiming::ended(
        Stage::Backup,
        None,
        started_at,
        started,
        passed,
    ));
    let taken = taken.map_err(BackupStop::Failed)?;
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
