//! `command: check`: tells a user, before the first deploy, what will work. A pure function of
//! the configuration ([`plan::plan`]) lists the checks the inputs need, each a typed
//! [`CheckRequest`]; one function per kind of check, all with the signature of [`run_check`],
//! makes the reads (never a write: no Railway mutation, no GitHub POST/PATCH/PUT/DELETE, no
//! notification) and says what it found as [`CheckResult`]s, collected into the run record and
//! rendered by `crate::report::checks`. A refusal from Railway or GitHub is the finding, said in
//! terms of the inputs it breaks.
//!
//! A failed check means a feature the inputs turn on will not work (exit 1); a warning, that it
//! works but not as the user probably expects. Invalid input stops before any check (exit 2).

pub mod config_file;
pub mod data;
pub mod github_reads;
pub mod permissions;
pub mod plan;
pub mod railway;

use tokio::sync::OnceCell;

use crate::config::Config;
use crate::github::GitHub;
use crate::railway::api::{ProjectRead, ProjectTokenInfo, ServiceInstance};
use crate::railway::resolve::{ResolveError, Scope};
use crate::railway::{RailwayClient, RailwayError};
use crate::record::{CheckResult, CheckVerdict, Ending, RunReport, RunStatus};
use crate::report::checks::line;
use crate::secret::Secret;
use crate::stages::ServiceTarget;
use crate::workflow;

pub use plan::CheckRequest;

/// What every check reads with: the clients, the configuration (for the resolution functions
/// the deploy uses), and what several checks share, read once.
pub struct CheckContext<'a> {
    pub cfg: &'a Config,
    pub railway: &'a RailwayClient,
    /// `None` without `github-token` or `GITHUB_REPOSITORY`.
    pub github: Option<&'a GitHub>,
    /// The environment the trigger (or `environment`) selects.
    pub environment: String,
    resolved: OnceCell<Result<Resolved, String>>,
    database_url: OnceCell<Result<Option<Secret>, String>>,
    project_token: OnceCell<ProjectTokenRead>,
}

/// What Railway says about a project token (`None` with an account token).
pub type ProjectTokenRead = Option<Result<(ProjectTokenInfo, ProjectRead), RailwayError>>;

/// The project, environment and services, as the deploy's resolution reads them.
pub struct Resolved {
    pub scope: Scope,
    pub services: Vec<ServiceTarget>,
    pub instances: Vec<ServiceInstance>,
}

impl<'a> CheckContext<'a> {
    pub fn new(
        cfg: &'a Config,
        railway: &'a RailwayClient,
        github: Option<&'a GitHub>,
        environment: String,
    ) -> Self {
        CheckContext {
            cfg,
            railway,
            github,
            environment,
            resolved: OnceCell::new(),
            database_url: OnceCell::new(),
            project_token: OnceCell::new(),
        }
    }

    /// The project token's project and environment, read once.
    pub async fn project_token(&self) -> &ProjectTokenRead {
        self.project_token
            .get_or_init(|| async {
                match self.railway.token() {
                    crate::railway::auth::RailwayToken::Project(_) => {
                        Some(crate::railway::api::project_token(self.railway).await)
                    }
                    crate::railway::auth::RailwayToken::Account(_) => None,
                }
            })
            .await
    }

    /// The deploy's resolution (`crate::pipeline::resolve::read`), read once; `Err` is the
    /// finding, already said in the user's terms.
    pub async fn resolved(&self) -> Result<&Resolved, &str> {
        let r = self
            .resolved
            .get_or_init(|| async {
                crate::pipeline::resolve::read(self.railway, self.cfg, &self.environment)
                    .await
                    .map(|(scope, services, instances)| Resolved {
                        scope,
                        services,
                        instances,
                    })
                    .map_err(|e| railway::resolve_finding(&e))
            })
            .await;
        r.as_ref().map_err(String::as_str)
    }

    /// The database URL `migrations` applies to (`crate::pipeline::resolve::database_url`), read
    /// once; `Ok(None)` without `migrations`.
    pub async fn database_url(&self) -> Result<Option<&Secret>, &str> {
        let r = self
            .database_url
            .get_or_init(|| async {
                let resolved = self.resolved().await.map_err(str::to_string)?;
                crate::pipeline::resolve::database_url(
                    self.railway,
                    self.cfg,
                    &resolved.scope,
                    &resolved.services,
                )
                .await
                .map_err(|e| match e {
                    ResolveError::Input(msg) => msg,
                    ResolveError::Railway(e) if e.is_refusal() => format!(
                        "Railway would not show this token the services' variables, so the database URL of `migrations` cannot be found ({e}); set `database-url`, or use a token that may read variables"
                    ),
                    ResolveError::Railway(e) => format!("could not read the variables: {e}"),
                })
            })
            .await;
        r.as_ref().map(Option::as_ref).map_err(String::as_str)
    }
}

/// Runs one check: the one arm per kind of check.
pub async fn run_check(cx: &CheckContext<'_>, req: &CheckRequest) -> Vec<CheckResult> {
    match req {
        CheckRequest::Token(r) => railway::token(cx, r).await,
        CheckRequest::Scope => railway::scope(cx).await,
        CheckRequest::Service(r) => railway::service(cx, r).await,
        CheckRequest::Autodeploy(r) => railway::autodeploy(cx, r).await,
        CheckRequest::AccountToken(r) => railway::account_token(cx, r).await,
        CheckRequest::ConfigFile(r) => config_file::check(cx, r).await,
        CheckRequest::Backup(r) => data::backup(cx, r).await,
        CheckRequest::Metrics => data::metrics(cx).await,
        CheckRequest::Migrations(r) => data::migrations(cx, r).await,
        CheckRequest::GitHubReads(r) => github_reads::check(cx, r).await,
        CheckRequest::Permissions(r) => permissions::check(r),
    }
}

/// `command: check` from start to end: the checks the inputs need, each run in order, each
/// result printed as it comes, all collected into the run record.
pub async fn run(cfg: &Config, mut report: RunReport) -> Ending {
    let environment = match &cfg.selection {
        crate::context::Selection::Deploy { environment, .. } => environment.clone(),
        crate::context::Selection::Skip { reason } => {
            return Ending::InvalidInput(format!(
                "nothing to check: {reason}; run the check on a branch push, or set `environment`"
            ));
        }
    };
    let railway = match RailwayClient::new(cfg.api_url.clone(), cfg.token.clone(), cfg.timing) {
        Ok(c) => c,
        Err(e) => return Ending::Broken(e.to_string()),
    };
    let github = match (&cfg.github_token, &cfg.github.repository) {
        (Some(token), Some(repo)) => match GitHub::new(&cfg.github.api_url, token, repo) {
            Ok(gh) => Some(gh),
            Err(e) => return Ending::InvalidInput(format!("{e:#}")),
        },
        _ => None,
    };
    let cx = CheckContext::new(cfg, &railway, github.as_ref(), environment);
    workflow::info(format!(
        "Checking the setup for environment `{}` (reads only: nothing is changed)",
        cx.environment
    ));
    for req in plan::plan(cfg) {
        for result in run_check(&cx, &req).await {
            print(&result);
            report.checks.push(result);
        }
    }
    if let Ok(r) = cx.resolved().await {
        report.project_id = Some(r.scope.project.id.clone());
        report.project_name = Some(r.scope.project.name.clone());
        report.environment_id = Some(r.scope.environment.id.clone());
        report.environment = Some(r.scope.environment.name.clone());
    }
    let failed = report
        .checks
        .iter()
        .any(|c| c.result == CheckVerdict::Failed);
    report.status = if failed {
        RunStatus::Failed
    } else {
        RunStatus::Success
    };
    let headline = crate::report::checks::headline(&report.checks);
    workflow::info(format!(
        "{headline} ({} Railway requests)",
        railway.requests_sent()
    ));
    if failed {
        report.failure = Some(headline);
    }
    Ending::Finished(Box::new(report))
}

/// One line in the log; in Actions, a warning or a failure is also an annotation (that line).
fn print(c: &CheckResult) {
    let text = line(c);
    match c.result {
        CheckVerdict::Ok => workflow::info(text),
        _ if !workflow::in_actions() => workflow::info(text),
        CheckVerdict::Warning => workflow::warning(text),
        CheckVerdict::Failed => workflow::error(text),
    }
}
