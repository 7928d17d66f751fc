//! The migrate stage: SQL migrations the action applies itself (before any deploy), or Railway's
//! pre-deploy command (set before the deploy, reported from the deployment's events after it).

use std::path::PathBuf;
use std::time::Instant;

use chrono::Utc;

use super::ServiceTarget;
use super::context::Context;
use crate::migrate::{predeploy, sql};
use crate::record::{MigrationReport, RunReport, Stage, StageTiming, Stop};
use crate::secret::Secret;
use crate::workflow;

/// The SQL migrations the action applies itself, before any deploy.
#[derive(Clone, Debug)]
pub struct SqlRequest {
    /// `migrations`: the folder of SQL files.
    pub dir: PathBuf,
    /// The database URL, as resolution read and checked it (`database-url`, else the Railway
    /// variable `database-url-variable`); `None` stops the stage as invalid input.
    pub database_url: Option<Secret>,
    /// List the pending migrations without applying them.
    pub dry_run: bool,
}

/// Railway's pre-deploy command, set on every service before any deploy.
#[derive(Clone, Debug)]
pub struct PreDeployRequest {
    /// `migrate-command`.
    pub command: String,
    pub services: Vec<ServiceTarget>,
}

impl PreDeployRequest {
    /// The services whose pre-deploy command this run changes.
    pub fn changes(&self) -> impl Iterator<Item = &ServiceTarget> {
        self.services
            .iter()
            .filter(|s| predeploy::needs_update(&s.instance, &self.command))
    }
}

/// The log's headline of a migration that stopped the run.
const FAILED: &str = "Migration failed";

/// Runs the SQL migrations step: applies (or, on a dry run, lists) them. Records the report and
/// the stage timing. Bad input (folder, URL) stops the run with exit 2, a failed migration
/// with exit 1 (nothing deployed).
pub async fn run_sql(
    _cx: &Context<'_>,
    req: &SqlRequest,
    report: &mut RunReport,
) -> Result<(), Stop> {
    let (migrations, stages) = (&mut report.migrations, &mut report.stages);
    let dir = &req.dir;
    let started_at = Utc::now();
    let started = Instant::now();
    let Some(url) = &req.database_url else {
        return Err(no_url());
    };
    workflow::group_start(format!("Migrations from {}", dir.display()));
    let result = sql::run_sql_migrations(dir, url, req.dry_run).await;
    workflow::group_end();
    match result {
        Ok(report) => {
            if req.dry_run {
                workflow::info(format!(
                    "{} pending migration(s) would be applied: {}",
                    report.pending.len(),
                    report.pending.join(", ")
                ));
            } else {
                workflow::info(format!("{} migration(s) applied", report.applied.len()));
            }
            *migrations = Some(report);
            stages.push(StageTiming::ended(
                Stage::Migrate,
                None,
                started_at,
                started,
                true,
            ));
            Ok(())
        }
        Err(e) => {
            *migrations = Some(e.report());
            stages.push(StageTiming::ended(
                Stage::Migrate,
                None,
                started_at,
                started,
                false,
            ));
            Err(stop_for(&e))
        }
    }
}

/// The pending SQL migrations (file names), read without changing anything: whether a backup
/// is needed. A failure stops the run as a failed migration would (recorded the same way).
pub async fn pending_sql(
    req: &SqlRequest,
    migrations: &mut Option<MigrationReport>,
    stages: &mut Vec<StageTiming>,
) -> Result<Vec<String>, Stop> {
    let Some(url) = &req.database_url else {
        return Err(no_url());
    };
    let (started_at, started) = (Utc::now(), Instant::now());
    match sql::pending_migrations(&req.dir, url).await {
        Ok(pending) => Ok(pending),
        Err(e) => {
            *migrations = Some(e.report());
            stages.push(StageTiming::ended(
                Stage::Migrate,
                None,
                started_at,
                started,
                false,
            ));
            Err(stop_for(&e))
        }
    }
}

fn no_url() -> Stop {
    Stop::Input(
        "no database URL for `migrations`: set `database-url` or `database-url-variable`".into(),
    )
}

fn stop_for(e: &crate::migrate::error::MigrationError) -> Stop {
    if e.is_input_error() {
        Stop::Input(e.to_string())
    } else {
        Stop::failed(FAILED, format!("{e}; nothing was deployed"))
    }
}

/// Runs the step that sets each service's pre-deploy command when it differs from
/// `migrate-command`; one Railway refuses stops the run (nothing deployed).
pub async fn ensure_pre_deploy(
    cx: &Context<'_>,
    req: &PreDeployRequest,
    _report: &mut RunReport,
) -> Result<(), Stop> {
    let (c, scope) = (&cx.client, cx.scope()?);
    let cmd = &req.command;
    for sp in &req.services {
        match predeploy::ensure_pre_deploy_command(c, &sp.instance, &scope.environment.id, cmd)
            .await
        {
            Ok(true) => workflow::info(format!(
                "{}: pre-deploy command set to `{cmd}`",
                sp.service.name
            )),
            Ok(false) => workflow::info(format!(
                "{}: pre-deploy command already `{cmd}`",
                sp.service.name
            )),
            Err(e) => {
                return Err(Stop::failed(
                    FAILED,
                    format!(
                        "could not set the pre-deploy command of `{}`: {e}; nothing was deployed",
                        sp.service.name
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Runs the step after the deploy that reads each deployment's `PRE_DEPLOY_COMMAND` step and
/// reports it. Never stops the run: a failed migration fails its service. A deployment that went
/// live without a completed step adds a sentence to the record's migration-safety warnings.
pub async fn report_pre_deploy(
    cx: &Context<'_>,
    cmd: &str,
    report: &mut RunReport,
) -> Result<(), Stop> {
    let c = &cx.client;
    let (services, migrations) = (&mut report.services, &mut report.migrations);
    let warnings = &mut report.migration_safety.warnings;
    let mut combined = MigrationReport {
        kind: "pre-deploy".into(),
        ..Default::default()
    };
    for s in services.iter_mut() {
        let Some(id) = s.deployment_id.clone() else {
            continue;
        };
        let (report, failure, tail) = predeploy::report_pre_deploy(c, &id, cmd).await;
        // Migration safety: live without a completed pre-deploy step.
        let ran = !report.applied.is_empty() || failure.is_some();
        if let Some(w) = crate::migrate::predeploy_check::not_run(&s.name, &id, s.state, ran) {
            workflow::warning(&w);
            warnings.push(w);
        }
        combined.applied.extend(
            report
                .applied
                .into_iter()
                .map(|a| format!("{}: {a}", s.name)),
        );
        combined.pending.extend(
            report
                .pending
                .into_iter()
                .map(|p| format!("{}: {p}", s.name)),
        );
        if let Some(e) = report.error {
            combined.error.get_or_insert(format!("{}: {e}", s.name));
        }
        if let Some(f) = failure {
            workflow::error_titled(&format!("{}: migration failed", s.name), &f);
            s.failure = Some(f);
            if !tail.is_empty() {
                s.log_tail = tail;
            }
        }
    }
    *migrations = Some(combined);
    Ok(())
}
