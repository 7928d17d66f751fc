//! The run report: everything the pipeline learned, as plain data. Stages fill it in; reporters
//! (outputs, job summary, PR comment, GitHub Deployment) only read it, so they agree by design.

mod check;
mod ending;
mod migration_safety;
mod preview;
mod watch;

pub use check::{CheckResult, CheckVerdict};
pub use ending::{Ending, Signal, Stop};
pub use migration_safety::{Class, Finding, MigrationSafetyReport};
pub use preview::{KeptPreview, PreviewReport, SupportingDeploy};
pub use watch::{
    Breach, IntervalCount, MetricsWatch, ProbeTally, ServiceWatch, WatchReport, WatchSignal,
};

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The contract's `status` output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    Success,
    Failed,
    RolledBack,
    /// A dry run, or a trigger that deploys nothing (a deleted branch or tag).
    Skipped,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Success => "success",
            RunStatus::Failed => "failed",
            RunStatus::RolledBack => "rolled-back",
            RunStatus::Skipped => "skipped",
        }
    }
}

/// The stages of the pipeline, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Resolve,
    Gate,
    /// `command: preview`: its environment created or reused, and its other services deployed
    /// there for the first time (minutes on Railway).
    Preview,
    /// The database volume's backup before migrating.
    Backup,
    Migrate,
    Build,
    Deploy,
    Health,
    /// Watching the release after it went live (`watch`).
    Watch,
    Rollback,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Resolve => "resolve",
            Stage::Gate => "gate",
            Stage::Preview => "preview",
            Stage::Backup => "backup",
            Stage::Migrate => "migrate",
            Stage::Build => "build",
            Stage::Deploy => "deploy",
            Stage::Health => "health",
            Stage::Watch => "watch",
            Stage::Rollback => "rollback",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StageOutcome {
    Passed,
    Failed,
    Skipped,
}

/// One timed stage, for a whole run (`service: None`) or for one service.
#[derive(Clone, Debug, Serialize)]
pub struct StageTiming {
    pub stage: Stage,
    pub service: Option<String>,
    pub started_at: DateTime<Utc>,
    #[serde(with = "duration_secs")]
    pub duration: Duration,
    pub outcome: StageOutcome,
}

impl StageTiming {
    /// A stage that started at `started_at` (wall clock, for the timeline) / `started` (monotonic,
    /// for the duration) and ended now, passed or failed.
    pub fn ended(
        stage: Stage,
        service: Option<&str>,
        started_at: DateTime<Utc>,
        started: std::time::Instant,
        passed: bool,
    ) -> Self {
        StageTiming {
            stage,
            service: service.map(str::to_string),
            started_at,
            duration: started.elapsed(),
            outcome: if passed {
                StageOutcome::Passed
            } else {
                StageOutcome::Failed
            },
        }
    }
}

/// Where a service ended up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceState {
    /// Planned but not started (dry run, or stopped before this service's turn).
    Planned,
    /// Deployed (and healthy when a health check ran).
    Deployed,
    /// Failed before going live: the previous deployment is still serving.
    FailedBeforeLive,
    /// Went live, then failed (crash or health check) and was not rolled back.
    FailedLive,
    /// Went live, failed (or a sibling did) and was rolled back to the previous deployment.
    RolledBack,
    /// Not deployed on purpose (an older commit than it serves, or nothing of it changed);
    /// `ServiceReport::skipped` says why.
    Skipped,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct HealthReport {
    pub url: Option<String>,
    pub passed: bool,
    pub skipped_reason: Option<String>,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub body_excerpt: Option<String>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ServiceReport {
    pub service_id: String,
    pub name: String,
    pub state: ServiceState,
    pub deployment_id: Option<String>,
    pub previous_deployment_id: Option<String>,
    /// Railway's final status string of the new deployment (`SUCCESS`, `FAILED` ...).
    pub final_status: Option<String>,
    pub url: Option<String>,
    pub dashboard_url: Option<String>,
    pub previous_dashboard_url: Option<String>,
    pub rollback_command: Option<String>,
    /// After an automatic rollback: the deployment now serving (the one the rollback followed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serving_after_rollback: Option<String>,
    /// Why it failed, in a sentence that says what to do.
    pub failure: Option<String>,
    /// The last build/deploy log lines when it failed.
    pub log_tail: Vec<String>,
    pub health: Option<HealthReport>,
    /// Why it was skipped (state `skipped`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

impl ServiceReport {
    pub fn planned(service_id: &str, name: &str) -> Self {
        ServiceReport {
            service_id: service_id.to_string(),
            name: name.to_string(),
            state: ServiceState::Planned,
            deployment_id: None,
            previous_deployment_id: None,
            final_status: None,
            url: None,
            dashboard_url: None,
            previous_dashboard_url: None,
            rollback_command: None,
            serving_after_rollback: None,
            failure: None,
            log_tail: Vec::new(),
            health: None,
            skipped: None,
        }
    }
}

/// One check run or commit status the gate looked at.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    pub name: String,
    /// `check-run` or `status`.
    pub kind: String,
    /// success, failure, pending, neutral, skipped, cancelled, timed_out, error ...
    pub conclusion: String,
    pub url: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct GateReport {
    pub passed: bool,
    pub checks: Vec<CheckReport>,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct MigrationReport {
    /// `sql` (applied by the action) or `pre-deploy` (Railway's pre-deploy command).
    pub kind: String,
    pub applied: Vec<String>,
    pub pending: Vec<String>,
    pub error: Option<String>,
}

/// The backup of the database's volume taken before migrating.
#[derive(Clone, Debug, Serialize)]
pub struct BackupReport {
    /// The name it was given (the commit and the time).
    pub name: String,
    /// The volume's name and the service it is mounted on.
    pub volume: String,
    pub service: String,
    /// The service's Backups tab in the dashboard, where it is restored.
    pub restore_url: String,
    /// Railway's id of the backup, when it was read back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(with = "duration_secs")]
    pub duration: Duration,
}

/// One mutation the run makes (or, in a dry run, would make).
#[derive(Clone, Debug, Serialize)]
pub struct PlannedAction {
    pub service: Option<String>,
    pub description: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub status: RunStatus,
    /// `deploy`, `promote`, `rollback`, `preview` or `preview-cleanup`.
    pub command: String,
    pub dry_run: bool,
    pub project_id: Option<String>,
    pub project_name: Option<String>,
    pub environment_id: Option<String>,
    pub environment: Option<String>,
    pub version: Option<String>,
    pub sha: Option<String>,
    /// `upload`, `commit` or `image`.
    pub source: String,
    pub services: Vec<ServiceReport>,
    pub stages: Vec<StageTiming>,
    pub gate: Option<GateReport>,
    pub migrations: Option<MigrationReport>,
    /// What reading the migrations before any change found (`destructive-migrations`).
    pub migration_safety: MigrationSafetyReport,
    /// The watch after going live (`watch`), when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch: Option<WatchReport>,
    /// The backup taken (and reported complete) before migrating (`None`: none was taken).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackupReport>,
    /// The plan (every mutation, in order); printed and summarised on a dry run.
    pub plan: Vec<PlannedAction>,
    /// The headline reason when `status` is not success.
    pub failure: Option<String>,
    pub notices: Vec<String>,
    pub started_at: DateTime<Utc>,
    /// The Actions page of the repository's `rollback.yml`, when the checkout has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_workflow_url: Option<String>,
    /// `command: preview` and `preview-cleanup`: the preview environments made, reused or removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<PreviewReport>,
    /// `command: check`: one result per check, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckResult>,
}

impl RunReport {
    pub fn new(command: &str, source: &str, dry_run: bool, started_at: DateTime<Utc>) -> Self {
        RunReport {
            status: RunStatus::Skipped,
            command: command.to_string(),
            dry_run,
            project_id: None,
            project_name: None,
            environment_id: None,
            environment: None,
            version: None,
            sha: None,
            source: source.to_string(),
            services: Vec::new(),
            stages: Vec::new(),
            gate: None,
            migrations: None,
            migration_safety: MigrationSafetyReport::default(),
            watch: None,
            backup: None,
            plan: Vec::new(),
            failure: None,
            notices: Vec::new(),
            started_at,
            rollback_workflow_url: None,
            preview: None,
            checks: Vec::new(),
        }
    }
}

pub(crate) mod duration_secs {
    use serde::Serializer;
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64((d.as_millis() as f64) / 1000.0)
    }
}
