//! The migrate stage: SQL migrations the action applies itself (before any deploy), or Railway's
//! pre-deploy command (set before the deploy, reported from the deployment's events after it).

use std::time::Instant;

use chrono::Utc;

use crate::config::Config;
use crate::migrate::{predeploy, sql, variable};
use crate::pipeline::plan::Plan;
use crate::railway::RailwayClient;
use crate::record::{MigrationReport, ServiceReport, Stage, StageTiming};
use crate::secret::Secret;
use crate::workflow;

/// Why the migrate stage stopped the run.
pub enum Stop {
    /// Bad input (folder, URL, variable not found): exit 2, nothing changed.
    Input(String),
    /// A migration failed, or Railway could not be asked: exit 1, nothing deployed.
    Failed(String),
}

/// The database URL: `database-url`, else the Railway variable `database-url-variable` (the first
/// service's own variables, then the environment's other services).
async fn database_url(c: &RailwayClient, cfg: &Config, plan: &Plan) -> Result<Secret, Stop> {
    if let Some(url) = &cfg.database_url {
        return Ok(url.clone());
    }
    let Some(first) = plan.services.first() else {
        return Err(Stop::Input(
            "no service to read the database URL from".into(),
        ));
    };
    let others: Vec<(&str, &str)> = plan
        .scope
        .project
        .services
        .iter()
        .filter(|s| s.id != first.service.id)
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let found = variable::find_database_url(
        c,
        &plan.scope.project.id,
        &plan.scope.environment.id,
        (&first.service.id, &first.service.name),
        &others,
        &cfg.database_url_variable,
    )
    .await
    .map_err(|e| {
        Stop::Failed(format!(
            "could not read Railway variables for the database URL: {e}"
        ))
    })?;
    match found {
        Some(f) => {
            workflow::info(format!(
                "Database URL from `{}` of service `{}`",
                cfg.database_url_variable, f.service_name
            ));
            Ok(f.url)
        }
        None => Err(Stop::Input(variable::not_found_message(
            &cfg.database_url_variable,
            &plan.scope.environment.name,
        ))),
    }
}

/// Applies (or, on a dry run, lists) the SQL migrations. Records the report and the stage timing.
pub async fn run_sql(
    c: &RailwayClient,
    cfg: &Config,
    plan: &Plan,
    migrations: &mut Option<MigrationReport>,
    stages: &mut Vec<StageTiming>,
) -> Result<(), Stop> {
    let Some(dir) = &cfg.migrations else {
        return Ok(());
    };
    let started_at = Utc::now();
    let started = Instant::now();
    let url = database_url(c, cfg, plan).await?;
    workflow::group_start(format!("Migrations from {}", dir.display()));
    let result = sql::run_sql_migrations(dir, &url, cfg.dry_run).await;
    workflow::group_end();
    match result {
        Ok(report) => {
            if cfg.dry_run {
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
            if e.is_input_error() {
                Err(Stop::Input(e.to_string()))
            } else {
                Err(Stop::Failed(format!("{e}; nothing was deployed")))
            }
        }
    }
}

/// Sets each service's pre-deploy command when it differs from `migrate-command`.
pub async fn ensure_pre_deploy(c: &RailwayClient, cfg: &Config, plan: &Plan) -> Result<(), Stop> {
    let Some(cmd) = &cfg.migrate_command else {
        return Ok(());
    };
    for sp in &plan.services {
        match predeploy::ensure_pre_deploy_command(c, &sp.instance, &plan.scope.environment.id, cmd)
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
                return Err(Stop::Failed(format!(
                    "could not set the pre-deploy command of `{}`: {e}; nothing was deployed",
                    sp.service.name
                )));
            }
        }
    }
    Ok(())
}

/// After the deploy: reads each deployment's `PRE_DEPLOY_COMMAND` step and reports it.
pub async fn report_pre_deploy(
    c: &RailwayClient,
    cfg: &Config,
    services: &mut [ServiceReport],
    migrations: &mut Option<MigrationReport>,
) {
    let Some(cmd) = &cfg.migrate_command else {
        return;
    };
    let mut combined = MigrationReport {
        kind: "pre-deploy".into(),
        ..Default::default()
    };
    for s in services.iter_mut() {
        let Some(id) = s.deployment_id.clone() else {
            continue;
        };
        let (report, failure, tail) = predeploy::report_pre_deploy(c, &id, cmd).await;
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
}
