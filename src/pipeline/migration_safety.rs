//! Resolution's migration-safety checks (reads only, before any change): the SQL the run is
//! about to migrate, read and classified (`crate::migrate::lint`), with `destructive-migrations`
//! applied; and the `railway.json` / `railway.toml` cliff (`crate::migrate::cliff`). Both record
//! what they found in the run record; `Err` is invalid input (exit 2), before any write.

use crate::config::{CommandKind, Config, Source};
use crate::github::GitHub;
use crate::migrate::lint::{Linted, policy, read};
use crate::record::{RunReport, Stop};
use crate::secret::Secret;
use crate::stages::ServiceTarget;

/// Reads the SQL about to be migrated and applies `destructive-migrations`.
pub async fn check(
    github: Option<&GitHub>,
    cfg: &Config,
    services: &[ServiceTarget],
    database_url: Option<&Secret>,
    report: &mut RunReport,
) -> Result<(), Stop> {
    if !matches!(
        cfg.command,
        CommandKind::Deploy | CommandKind::Promote | CommandKind::Preview
    ) {
        return Ok(());
    }
    // Repository-relative paths are read from the checkout, else the working directory.
    let root = (cfg.surroundings.checkout.clone()).unwrap_or_else(|| ".".into());
    let source = match (&cfg.migrations, database_url, &cfg.migrate_command) {
        (Some(dir), Some(url), _) => read::SqlSource::Pending { dir, url },
        (None, _, Some(_)) if !matches!(cfg.source, Source::Image { .. }) => {
            read::SqlSource::Changed {
                github,
                patterns: &cfg.migration_safety.files,
                served: services
                    .iter()
                    .map(|t| {
                        let served = t.serving.as_ref().and_then(|d| d.meta_str("commitHash"));
                        (t.service.name.clone(), served.map(str::to_string))
                    })
                    .collect(),
                new: cfg.sha.as_deref(),
                root,
            }
        }
        _ => return Ok(()),
    };
    let linted: Linted = read::read(source).await;
    let verdict = policy::judge(&linted, cfg.migration_safety.destructive);
    let record = &mut report.migration_safety;
    record.policy = Some(cfg.migration_safety.destructive.as_str().to_string());
    record.findings = linted.findings;
    record.warnings.extend(linted.warnings);
    verdict.map_err(Stop::Input)
}

/// The `railway.json` / `railway.toml` cliff, for each service: the file in the deployed path
/// (`path` with `source: upload`, else the service's root directory) against its live settings.
pub fn cliff(cfg: &Config, services: &[ServiceTarget], report: &mut RunReport) -> Result<(), Stop> {
    if !matches!(
        cfg.command,
        CommandKind::Deploy | CommandKind::Promote | CommandKind::Preview
    ) {
        return Ok(());
    }
    let mut errors = Vec::new();
    for t in services {
        let dir = match &cfg.source {
            Source::Upload { path } => path.clone(),
            Source::Image { .. } => continue,
            _ => (cfg.surroundings.checkout.clone())
                .unwrap_or_else(|| ".".into())
                .join(
                    t.instance
                        .root_directory
                        .as_deref()
                        .unwrap_or_default()
                        .trim_start_matches('/'),
                ),
        };
        let (declared, problems) = crate::migrate::cliff::read_dir(&dir);
        let mut warnings = problems;
        for d in &declared {
            let v = crate::migrate::cliff::judge(
                d,
                &t.service.name,
                &t.instance,
                cfg.migrate_command.as_deref(),
            );
            warnings.extend(v.warnings);
            errors.extend(v.error);
        }
        for w in warnings {
            crate::workflow::warning(&w);
            report.migration_safety.warnings.push(w);
        }
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(Stop::Input(errors.join("\n"))),
    }
}

/// `command: preview`: the preview's database must not be `preview-from`'s (checked before
/// migrating or deploying). `Err` is a failed run (exit 1) that says how to give previews their
/// own database.
pub async fn shared_data(
    cx: &crate::stages::context::Context<'_>,
    cfg: &Config,
    plan: &super::plan::Plan,
    source: &crate::railway::environments::EnvironmentInfo,
) -> Result<(), Stop> {
    if cfg.migrations.is_none() && cfg.migrate_command.is_none() {
        return Ok(());
    }
    let url = plan.steps.iter().find_map(|s| match s {
        super::plan::Step::SqlMigrations(req) => req.database_url.as_ref(),
        _ => None,
    });
    // The deployed services first, then the project's others (the database's own service).
    let mut services: Vec<(String, String)> = plan
        .services
        .iter()
        .map(|t| (t.service.id.clone(), t.service.name.clone()))
        .collect();
    let scope = cx.scope()?;
    for s in &scope.project.services {
        if !services.iter().any(|(id, _)| *id == s.id) {
            services.push((s.id.clone(), s.name.clone()));
        }
    }
    let at = crate::migrate::shared_data::Lookup {
        project_id: &scope.project.id,
        services: &services,
        variable: &cfg.database_url_variable,
    };
    let env = &scope.environment;
    crate::migrate::shared_data::check(
        &cx.client,
        &at,
        (&env.id, &env.name),
        (&source.id, &source.name),
        url,
    )
    .await
    .map_err(|why| Stop::failed("Preview failed", why))
}
