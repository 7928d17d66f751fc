//! `command: check`: tells a user, before the first deploy, what will work. The pipeline plans
//! the checks the inputs need (`plan::plan`, a pure function of the configuration) as steps
//! (`Step::Check`), each a typed [`CheckRequest`] with the reads several checks share, made once
//! before the first step ([`CheckReads`]); the one executor runs each through [`run`], the
//! signature of every stage. One function per kind of check makes the reads (never a write: no
//! Railway mutation, no GitHub POST/PATCH/PUT/DELETE, no notification) and says what it found
//! as [`CheckResult`]s, collected into the run record and rendered by `crate::report::checks`. A
//! refusal from Railway or GitHub is the finding, said in terms of the inputs it breaks.
//!
//! A failed check means a feature the inputs turn on will not work (exit 1); a warning, that it
//! works but not as the user probably expects. Invalid input stops before any check (exit 2).

pub mod config_file;
pub mod data;
pub mod github_reads;
pub mod permissions;
pub mod plan;
pub mod railway;

use std::sync::Arc;

use crate::github::GitHub;
use crate::health::check::Probe;
use crate::railway::api::{ProjectRead, ProjectTokenInfo, ServiceInstance};
use crate::railway::resolve::Scope;
use crate::railway::{RailwayClient, RailwayError};
use crate::record::{CheckResult, CheckVerdict, RunReport, RunStatus, Stop};
use crate::report::checks::line;
use crate::secret::Secret;
use crate::stages::ServiceTarget;
use crate::stages::context::Context;
use crate::workflow;

pub use plan::CheckRequest;

/// One check step: what to check, and the reads the checks share.
#[derive(Clone, Debug)]
pub struct CheckStep {
    pub check: CheckRequest,
    pub reads: Arc<CheckReads>,
}

/// What several checks share, read once before the first check (by the pipeline, with the
/// deploy's own resolution functions), and what they need of the configuration.
#[derive(Debug)]
pub struct CheckReads {
    /// The environment the trigger (or `environment`) selects.
    pub environment: String,
    /// Why it is selected (the trigger's reason).
    pub selected_by: String,
    /// Input `project`.
    pub project: Option<String>,
    /// A project token's project and environment (`None` with an account token), read once:
    /// the resolution below starts from this same read.
    pub token: ProjectTokenRead,
    /// The deploy's resolution; `Err` is the finding, said in the user's terms.
    pub resolved: Result<Resolved, String>,
    /// The database URL `migrations` applies to (`Ok(None)` without `migrations` or a backup).
    pub database_url: Result<Option<Secret>, String>,
    /// Each resolved service's health probe as the deploy builds it, by service id.
    pub probes: Vec<(String, Result<Vec<Probe>, String>)>,
    /// `health-url` and `health-path`.
    pub health_url: Option<url::Url>,
    pub health_path: Option<String>,
}

impl CheckReads {
    /// The health probe of service `id` (`Err`: the deploy would refuse its settings).
    pub fn probe(&self, id: &str) -> Result<&[Probe], &str> {
        match self.probes.iter().find(|(s, _)| s == id) {
            Some((_, Ok(p))) => Ok(p),
            Some((_, Err(msg))) => Err(msg),
            None => Ok(&[]),
        }
    }
}

/// What Railway says about a project token (`None` with an account token).
pub type ProjectTokenRead = Option<Result<(ProjectTokenInfo, ProjectRead), RailwayError>>;

/// The project, environment and services, as the deploy's resolution reads them.
#[derive(Debug)]
pub struct Resolved {
    pub scope: Scope,
    pub services: Vec<ServiceTarget>,
    pub instances: Vec<ServiceInstance>,
}

/// What every check reads with: the run's clients and the shared reads.
pub struct CheckContext<'a> {
    pub railway: &'a RailwayClient,
    /// `None` without `github-token` or `GITHUB_REPOSITORY`.
    pub github: Option<&'a GitHub>,
    pub environment: &'a str,
    pub reads: &'a CheckReads,
}

impl CheckContext<'_> {
    /// The project token's project and environment, read once.
    pub async fn project_token(&self) -> &ProjectTokenRead {
        &self.reads.token
    }

    /// The deploy's resolution, read once; `Err` is the finding, already said in the user's
    /// terms.
    pub async fn resolved(&self) -> Result<&Resolved, &str> {
        self.reads.resolved.as_ref().map_err(String::as_str)
    }

    /// The database URL `migrations` applies to, read once; `Ok(None)` without `migrations`.
    pub async fn database_url(&self) -> Result<Option<&Secret>, &str> {
        self.reads
            .database_url
            .as_ref()
            .map(Option::as_ref)
            .map_err(String::as_str)
    }
}

/// Runs one check (the one arm per kind of check).
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

/// The stage of a check step: runs it, prints each result as it comes and collects it into the
/// run record, whose status and failure say whether a check failed so far. A check never stops
/// the run: every planned check runs.
pub async fn run(cx: &Context<'_>, step: &CheckStep, report: &mut RunReport) -> Result<(), Stop> {
    let reads = &step.reads;
    let checks = CheckContext {
        railway: &cx.client,
        github: cx.github.as_ref(),
        environment: &reads.environment,
        reads,
    };
    for result in run_check(&checks, &step.check).await {
        print(&result);
        report.checks.push(result);
    }
    Ok(())
}

/// A check run's verdict from its checks (after the last one): `failed` when one failed, with
/// the headline as its failure, said in the log with the number of Railway requests made.
pub fn settle(report: &mut RunReport, railway_requests: u64) {
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
    workflow::info(format!("{headline} ({railway_requests} Railway requests)"));
    report.failure = failed.then_some(headline);
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
