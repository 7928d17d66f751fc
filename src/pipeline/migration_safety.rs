//! Resolution's migration-safety checks (reads only, before any change): the SQL the run is
//! about to migrate, read and classified (`crate::migrate::lint`), with `destructive-migrations`
//! applied; and the `railway.json` / `railway.toml` cliff (`crate::migrate::cliff`). Both record
//! what they found in the run record; `Err` is invalid input (exit 2), before any write. With
//! `migrate-command`, the changed files come from the order checks' comparisons when they cover
//! the range (`super::order`), or from both commits' trees when that list may be cut short or
//! the checkout (`GITHUB_SHA`) holds another commit than the one deployed, and are read in the
//! dialect the database URL in
//! `database-url-variable` says. A preview runs them before its environment is made
//! (`super::preview_checks`); its shared-data check ([`shared_data`]) runs once it exists.

use crate::config::{CommandKind, Config, Source};
use crate::github::GitHub;
use crate::migrate::database::{DatabaseUrl, Engine};
use crate::migrate::lint::read::{self, Range};
use crate::migrate::lint::{Linted, policy};
use crate::railway::RailwayClient;
use crate::railway::resolve::Scope;
use crate::record::{RunReport, Stop};
use crate::secret::Secret;
use crate::stages::ServiceTarget;
use crate::stages::promote::Promotion;
use crate::workflow;

/// What the SQL check reads, beyond the configuration: where (`scope`, its `services`), what
/// each service is given (`promotions`, for `command: promote`), the comparisons the order
/// checks already read (`compared`), and the database URL of `migrations`.
pub struct Reading<'a> {
    pub client: &'a RailwayClient,
    pub github: Option<&'a GitHub>,
    pub scope: &'a Scope,
    pub services: &'a [ServiceTarget],
    pub promotions: &'a [Promotion],
    pub compared: &'a [Range],
    pub database_url: Option<&'a Secret>,
}

/// Reads the SQL about to be migrated and applies `destructive-migrations`.
pub async fn check(at: &Reading<'_>, cfg: &Config, report: &mut RunReport) -> Result<(), Stop> {
    if !matches!(
        cfg.command,
        CommandKind::Deploy | CommandKind::Promote | CommandKind::Preview
    ) {
        return Ok(());
    }
    // Repository-relative paths are read from the checkout, else the working directory.
    let root = (cfg.surroundings.checkout.clone()).unwrap_or_else(|| ".".into());
    let linted: Linted = match (&cfg.migrations, at.database_url, &cfg.migrate_command) {
        (Some(dir), Some(url), _) => read::pending(dir, url).await,
        (None, _, Some(_)) if !matches!(cfg.source, Source::Image { .. }) => {
            let ranges = ranges(cfg, at);
            let patterns = &cfg.migration_safety.files;
            let checkout = cfg.surroundings.checkout_commit.as_deref();
            let changed = read::changed_files(at.github, patterns, &ranges, checkout).await;
            let engine = match changed.any() {
                false => Engine::Postgres,
                true => engine(at, &cfg.database_url_variable).await,
            };
            read::lint_changed(changed, at.github, &root, checkout, engine).await
        }
        _ => return Ok(()),
    };
    judge(linted, cfg, report)
}

/// Applies `destructive-migrations` to what was read and records it; `Err` is the refusal.
pub fn judge(linted: Linted, cfg: &Config, report: &mut RunReport) -> Result<(), Stop> {
    let verdict = policy::judge(&linted, cfg.migration_safety.destructive);
    let record = &mut report.migration_safety;
    record.policy = Some(cfg.migration_safety.destructive.as_str().to_string());
    record.findings = linted.findings;
    record.warnings.extend(linted.warnings);
    record.warnings.extend(linted.unchecked);
    verdict.map_err(Stop::Input)
}

/// Each service's range of changed files: the one the order checks compared, else from the
/// commit its serving deployment carries to the one this run deploys to it (with `command:
/// promote`, the promoted commit, not the run's own).
fn ranges(cfg: &Config, at: &Reading<'_>) -> Vec<Range> {
    at.services
        .iter()
        .map(|t| {
            let name = &t.service.name;
            match at.compared.iter().find(|r| r.service == *name) {
                Some(r) => r.clone(),
                None => Range {
                    service: name.clone(),
                    base: (t.serving.as_ref())
                        .and_then(|d| d.meta_str("commitHash"))
                        .filter(|c| !c.is_empty())
                        .map(str::to_string),
                    head: super::order::new_commit(cfg, t, at.promotions),
                    known: None,
                },
            }
        })
        .collect()
}

/// The dialect of `migrate-command`'s SQL: the database's, as the URL in the Railway variable
/// `variable` (`database-url-variable`, found as for `migrations`: the first service's own,
/// then the other services') says: MySQL for `mysql:` and `mariadb:`; PostgreSQL otherwise,
/// and when no service has the variable (squawk's own dialect; the log says so).
async fn engine(at: &Reading<'_>, variable: &str) -> Engine {
    let Some(first) = at.services.first().map(|t| &t.service) else {
        return Engine::Postgres;
    };
    let others: Vec<(&str, &str)> = (at.scope.project.services.iter())
        .filter(|s| s.id != first.id)
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let found = crate::migrate::variable::find_database_url(
        at.client,
        &at.scope.project.id,
        &at.scope.environment.id,
        (&first.id, &first.name),
        &others,
        variable,
    )
    .await;
    let postgres = |why: String| {
        workflow::info(format!(
            "The migration files are read as PostgreSQL: {why}. For MySQL or MariaDB, set `database-url-variable` to the variable holding the database's mysql:// URL"
        ));
        Engine::Postgres
    };
    match found {
        Ok(Some(f)) => match DatabaseUrl::parse(&f.url) {
            Ok(url) => {
                workflow::info(format!(
                    "The migration files are read as {}: the database URL in `{variable}` of service `{}` says so",
                    url.engine.as_str(),
                    f.service_name
                ));
                url.engine
            }
            Err(_) => postgres(format!(
                "`{variable}` of service `{}` is not a database URL the run knows",
                f.service_name
            )),
        },
        Ok(None) => postgres(format!(
            "no service in `{}` has the variable `{variable}`",
            at.scope.environment.name
        )),
        Err(e) => postgres(format!(
            "the variable `{variable}` could not be read from Railway ({e})"
        )),
    }
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
/// migrating or deploying). `theirs`: the URL `preview-from` holds, when the checks before the
/// preview was made read it already. `Err` is a failed run (exit 1) that says how to give
/// previews their own database.
pub async fn shared_data(
    cx: &crate::stages::context::Context<'_>,
    cfg: &Config,
    plan: &super::plan::Plan,
    (source, theirs): (
        &crate::railway::environments::EnvironmentInfo,
        Option<&Secret>,
    ),
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
        (url, theirs),
    )
    .await
    .map_err(|why| Stop::failed("Preview failed", why))
}
