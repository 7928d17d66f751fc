//! The vocabulary of every plan: one [`Step`] per thing a run does, each carrying the request its
//! stage executes, with its [`Step::name`] and the changes it makes as sentences
//! ([`Step::describe`]). The dry run, the executor (`super::execute::run_step`) and the tests
//! read the same list. Adding a step kind: its request and stage function (`crate::stages`), a
//! variant here (name and sentences), where the plan puts it (`super::plan` or
//! `super::preview_plan`), and one arm in `super::execute::run_step`.

use crate::config::Source;
use crate::gate::GateRequest;
use crate::health::check::ServiceHealth;
use crate::record::PlannedAction;
use crate::report::publish::PublishOptions;
use crate::setup_check::CheckStep;
use crate::stages::backup::BackupStep;
use crate::stages::deploy::DeployRequest;
use crate::stages::health::RollbackPolicy;
use crate::stages::in_flight::InFlightRequest;
use crate::stages::migrate::{PreDeployRequest, SqlRequest};
use crate::stages::preview::{DomainRequest, EnsureRequest};
use crate::stages::preview_remove::RemoveRequest;
use crate::stages::rollback::RollbackRequest;
use crate::stages::supporting::SupportingRequest;
use crate::text::short_sha;
use crate::watch::WatchRequest;

/// One step of the run, with the request its stage executes.
#[derive(Clone, Debug)]
pub enum Step {
    /// Wait until the commit's other checks pass; nothing changes before.
    Gate(GateRequest),
    /// Publish the run on GitHub: the Deployment `in_progress` and the "deploying" comment
    /// (`None`: nothing to publish). `main` settles them however the run ends.
    Report(Option<PublishOptions>),
    /// Back up the database's Railway volume before anything is migrated (present when something
    /// may be migrated and `backup` is not `false`; with no volume found it only says so).
    Backup(Box<BackupStep>),
    /// SQL migrations the action applies itself, before any deploy.
    SqlMigrations(SqlRequest),
    /// Set Railway's pre-deploy command on every service.
    PreDeployCommand(PreDeployRequest),
    /// Wait for the deployments in flight of these services (that this run did not start), then
    /// read what serves them again; present only when resolution saw some.
    AwaitInFlight(Vec<InFlightRequest>),
    /// Deploy every service at once: set its image when it changes, start the deployment of its
    /// source, and follow it to a final state.
    Deploy(Vec<DeployRequest>),
    /// Read what Railway's pre-deploy command did in each new deployment.
    PreDeployReport(String),
    /// Probe every service that went live (each with its own check, by service id).
    Health(Vec<ServiceHealth>),
    /// Watch the services that went live for the `watch` window (only when `watch` is on); a
    /// breach fails the service after going live, so the rollback step that follows acts on it.
    Watch(WatchRequest),
    /// Roll back the release when a service failed after going live.
    Rollback(RollbackPolicy),
    /// `command: rollback`: put each service back on an earlier deployment.
    RollbackCommand(Vec<RollbackRequest>),
    /// `command: preview`: create the pull request's environment as an ephemeral copy of
    /// `preview-from`, or reuse it (the preview's first phase, before resolution reads it).
    PreviewEnvironment(EnsureRequest),
    /// `command: preview`: deploy the preview's other services that were never deployed there
    /// (its database, workers) from their configured source, and follow each to a final state,
    /// before the backup, the migrations and the run's deploys.
    SupportingDeploys(Vec<SupportingRequest>),
    /// `command: preview`: give each deployed service without one a Railway domain (its own
    /// phase, before the health probes are built from the domains).
    PreviewDomains(Vec<DomainRequest>),
    /// A closed pull request or `preview-cleanup`: delete a preview environment, make its GitHub
    /// Deployments inactive and say so in its comment.
    RemovePreview(RemoveRequest),
    /// `command: check`: one check of the setup (reads only, changes nothing).
    Check(Box<CheckStep>),
}

impl Step {
    /// The step kind's name, as the plan's snapshots and the logs call it.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Gate(_) => "gate",
            Step::Report(_) => "report",
            Step::Backup(_) => "backup",
            Step::SqlMigrations(_) => "sql",
            Step::PreDeployCommand(_) => "pre-deploy",
            Step::AwaitInFlight(_) => "in-flight",
            Step::Deploy(_) => "deploy",
            Step::PreDeployReport(_) => "pre-deploy-report",
            Step::Health(_) => "health",
            Step::Watch(_) => "watch",
            Step::Rollback(_) => "rollback",
            Step::RollbackCommand(_) => "rollback-command",
            Step::PreviewEnvironment(_) => "preview-environment",
            Step::SupportingDeploys(_) => "supporting-deploys",
            Step::PreviewDomains(_) => "preview-domains",
            Step::RemovePreview(_) => "remove-preview",
            Step::Check(_) => "check",
        }
    }

    /// The changes this step makes, as sentences (`environment`: where). Steps that only read or
    /// wait describe nothing.
    pub fn describe(&self, environment: &str) -> Vec<PlannedAction> {
        let line = |service: &str, description: String| PlannedAction {
            service: Some(service.to_string()),
            description,
        };
        match self {
            Step::PreDeployCommand(req) => req
                .changes()
                .map(|s| {
                    let name = &s.service.name;
                    let set = format!(
                        "set the pre-deploy command of `{name}` in `{environment}` to `{}`",
                        req.command
                    );
                    line(name, set)
                })
                .collect(),
            Step::Deploy(reqs) => reqs
                .iter()
                .flat_map(|r| deploy_lines(r, environment))
                .map(|d| line(&d.0, d.1))
                .collect(),
            Step::Backup(step) => step
                .backup
                .describe(environment)
                .map(|d| PlannedAction {
                    service: step.backup.target.as_ref().map(|t| t.service_name.clone()),
                    description: d,
                })
                .into_iter()
                .collect(),
            Step::RollbackCommand(reqs) => reqs
                .iter()
                .map(|r| line(&r.target.service.name, r.describe(environment)))
                .collect(),
            Step::Watch(req) => vec![PlannedAction {
                service: None,
                description: req.describe(environment),
            }],
            Step::PreviewEnvironment(_) | Step::PreviewDomains(_) | Step::RemovePreview(_) => {
                super::preview_plan::describe(self, environment)
            }
            Step::SupportingDeploys(reqs) => super::supporting::describe(reqs, environment),
            // A check changes nothing: its line says what it reads, so the plan lists the checks.
            Step::Check(step) => vec![PlannedAction {
                service: None,
                description: step.check.describe(environment),
            }],
            Step::Gate(_)
            | Step::Report(_)
            | Step::AwaitInFlight(_)
            | Step::SqlMigrations(_)
            | Step::PreDeployReport(_)
            | Step::Health(_)
            | Step::Rollback(_) => Vec::new(),
        }
    }
}

/// A deploy's sentences: the image change, if any, then the deploy of its source.
fn deploy_lines(r: &DeployRequest, environment: &str) -> Vec<(String, String)> {
    let name = r.target.service.name.clone();
    let mut lines = Vec::new();
    if let Some(reference) = r.image_change() {
        lines.push(format!(
            "set the image of `{name}` in `{environment}` to `{reference}`"
        ));
    }
    lines.push(match (&r.source, &r.commit_sha) {
        (Source::Commit, Some(sha)) => {
            format!(
                "deploy commit {} to `{name}` in `{environment}`",
                short_sha(sha)
            )
        }
        (Source::Commit, None) => {
            format!("deploy the latest commit of `{name}`'s branch in `{environment}`")
        }
        (Source::Image { reference }, _) => {
            format!("deploy image `{reference}` to `{name}` in `{environment}`")
        }
        (Source::Railway, _) => format!(
            "follow the deployment Railway's autodeploy makes of commit {} for `{name}` in `{environment}` (nothing is triggered)",
            r.commit_sha.as_deref().map(short_sha).unwrap_or("?")
        ),
        (Source::Upload { path }, _) => format!(
            "upload `{}` and deploy it to `{name}` in `{environment}`",
            path.display()
        ),
    });
    lines.into_iter().map(|l| (name.clone(), l)).collect()
}
