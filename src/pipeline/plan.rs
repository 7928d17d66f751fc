//! The plan is the program: a pure function of the [`Config`] and what resolution read builds the
//! whole run as data, ordered [`Step`]s that each carry the typed request their stage executes.
//! The executor (`super::execute`) runs them in order; the dry run, the summary's plan list and
//! the logs render the same steps through [`Step::describe`].

use super::backup_plan::backup_request;
pub use super::backup_plan::{Database, wants_backup};
use super::preview_plan::RemoveRequest;
pub use super::rollback_plan::Checked;
use super::rollback_plan::rollback_requests;
use crate::backup::{BackupRequest, Lookup};
use crate::config::{ChecksMode, CommandKind, Config, Source};
use crate::gate::GateRequest;
use crate::health::check::{Probe, probe_spec};
use crate::railway::resolve::Scope;
use crate::record::PlannedAction;
use crate::report::publish::PublishOptions;
use crate::secret::Secret;
use crate::stages::ServiceTarget;
use crate::stages::deploy::DeployRequest;
use crate::stages::health::{RollbackPolicy, ServiceHealth};
use crate::stages::history::Held;
use crate::stages::in_flight::InFlightRequest;
use crate::stages::migrate::{PreDeployRequest, SqlRequest};
use crate::stages::preview::{DomainRequest, EnsureRequest};
use crate::stages::promote::Promotion;
use crate::stages::rollback::RollbackRequest;
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
    Backup(Box<BackupRequest>),
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
    /// Probe every service that went live (in the order of the run's services).
    Health(Vec<ServiceHealth>),
    /// Watch the services that went live for the `watch` window (only when `watch` is on); a
    /// breach fails the service after going live, so the rollback step that follows acts on it.
    Watch(WatchRequest),
    /// Roll back the release when a service failed after going live.
    Rollback(RollbackPolicy),
    /// `command: rollback`: put each service back on an earlier deployment.
    RollbackCommand(Vec<RollbackRequest>),
    /// `command: preview`: create the pull request's environment as an ephemeral copy of
    /// `preview-from`, or reuse it (run before resolution, which reads it: `super::preview`).
    PreviewEnvironment(EnsureRequest),
    /// `command: preview`: deploy the preview's other services that were never deployed there
    /// (its database, workers) from their configured source, and follow each to a final state,
    /// before the backup, the migrations and the run's deploys (`super::supporting`).
    SupportingDeploys(Vec<crate::stages::supporting::SupportingRequest>),
    /// `command: preview`: give each deployed service without one a Railway domain (run before
    /// the health probes are built from the domains: `super::preview`).
    PreviewDomains(Vec<DomainRequest>),
    /// A closed pull request or `preview-cleanup`: delete a preview environment, make its GitHub
    /// Deployments inactive and say so in its comment (`super::preview`).
    RemovePreview(RemoveRequest),
}

impl Step {
    /// The changes this step makes, as sentences (`environment`: where). Steps that only read or
    /// wait, and the reserved slots, describe nothing.
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
            Step::Backup(req) => req
                .describe(environment)
                .map(|d| PlannedAction {
                    service: req.target.as_ref().map(|t| t.service_name.clone()),
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
                short(sha)
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
            r.commit_sha.as_deref().map(short).unwrap_or("?")
        ),
        (Source::Upload { path }, _) => format!(
            "upload `{}` and deploy it to `{name}` in `{environment}`",
            path.display()
        ),
    });
    lines.into_iter().map(|l| (name.clone(), l)).collect()
}

/// The run as data: where, which services, and the steps in the order they execute.
#[derive(Clone, Debug)]
pub struct Plan {
    pub scope: Scope,
    pub services: Vec<ServiceTarget>,
    pub steps: Vec<Step>,
    /// Services not deployed, with the reason (reported `skipped`).
    pub held: Vec<Held>,
    /// The image a hand-run rollback command names (from `Config::surroundings`).
    pub released_image: String,
    /// Where `source: upload` may spool its archive, in order (from `Config::surroundings`).
    pub spool_dirs: Vec<std::path::PathBuf>,
}

impl Plan {
    /// Every step's changes, in order: the dry run, the summary's plan list and the logs.
    pub fn describe(&self) -> Vec<PlannedAction> {
        let environment = &self.scope.environment.name;
        let held = self.held.iter().map(|h| PlannedAction {
            service: Some(h.service_name.clone()),
            description: format!("skip `{}`: {}", h.service_name, h.reason),
        });
        held.chain(self.steps.iter().flat_map(|s| s.describe(environment)))
            .collect()
    }
}

/// Each service's health check (in order), built once from `health-*`. Err is invalid input: a
/// bad setting stops the run before any change.
pub fn health_probes(cfg: &Config, services: &[ServiceTarget]) -> Result<Vec<Probe>, String> {
    let version = cfg.version();
    services
        .iter()
        .map(|s| {
            probe_spec(
                &cfg.health,
                &s.instance,
                cfg.sha.as_deref(),
                version.as_deref(),
            )
        })
        .collect()
}

/// Builds the run (pure). `probes` are [`health_probes`]; `promotions` what `command: promote`
/// deploys (empty otherwise); `database_url` the one resolution read and checked for
/// `migrations` (`None` without them). No backup volume is looked up: see [`build_ordered`].
pub fn build(
    cfg: &Config,
    scope: Scope,
    services: Vec<ServiceTarget>,
    probes: Vec<Probe>,
    promotions: &[Promotion],
    database_url: Option<Secret>,
) -> Plan {
    build_ordered(
        cfg,
        scope,
        services,
        probes,
        promotions,
        Database {
            url: database_url,
            backup: Lookup::NotNeeded,
        },
        Checked::default(),
    )
}

/// [`build`], with what the checks before any change decided (`checked`): the services the order
/// checks hold back (never moved back in history, or unchanged with `only-changed`) get no step;
/// when every service is held, the plan has no step at all and the run ends `skipped`.
pub fn build_ordered(
    cfg: &Config,
    scope: Scope,
    services: Vec<ServiceTarget>,
    probes: Vec<Probe>,
    promotions: &[Promotion],
    database: Database,
    checked: Checked,
) -> Plan {
    let Checked { held, rollback_to } = checked;
    let is_held = |t: &ServiceTarget| held.iter().any(|h| h.service_id == t.service.id);
    let (active, probes): (Vec<ServiceTarget>, Vec<Probe>) = services
        .iter()
        .cloned()
        .zip(probes)
        .filter(|(t, _)| !is_held(t))
        .unzip();
    let report = Step::Report(super::github_run::publish_options(
        cfg,
        &scope.environment.name,
    ));
    let steps = if cfg.command == CommandKind::Rollback {
        vec![
            report,
            Step::RollbackCommand(rollback_requests(cfg, &services, &rollback_to)),
        ]
    } else if active.is_empty() {
        Vec::new()
    } else {
        let mut steps = Vec::new();
        if cfg.wait_for_checks != ChecksMode::Off {
            steps.push(Step::Gate(gate_request(cfg)));
        }
        steps.push(report);
        steps.extend(release_steps(cfg, &active, probes, promotions, database));
        steps
    };
    Plan {
        scope,
        services,
        steps,
        held,
        released_image: cfg.surroundings.released_image.clone(),
        spool_dirs: cfg.surroundings.spool_dirs.clone(),
    }
}

pub(super) fn gate_request(cfg: &Config) -> GateRequest {
    GateRequest {
        sha: cfg.sha.clone().unwrap_or_default(),
        run_id: cfg.github.run_id,
        mode: cfg.wait_for_checks.clone(),
        ignore: cfg.ignore_checks.clone(),
        timeout: cfg.checks_timeout,
    }
}

/// Migrate, deploy, health and rollback (`command: deploy` and `promote`).
fn release_steps(
    cfg: &Config,
    services: &[ServiceTarget],
    probes: Vec<Probe>,
    promotions: &[Promotion],
    database: Database,
) -> Vec<Step> {
    let mut steps = Vec::new();
    if wants_backup(cfg) {
        steps.push(Step::Backup(Box::new(backup_request(cfg, database.backup))));
    }
    if let Some(dir) = &cfg.migrations {
        steps.push(Step::SqlMigrations(SqlRequest {
            dir: dir.clone(),
            database_url: database.url,
            dry_run: cfg.dry_run,
        }));
    }
    if let Some(command) = &cfg.migrate_command {
        steps.push(Step::PreDeployCommand(PreDeployRequest {
            command: command.clone(),
            services: services.to_vec(),
        }));
    }
    let in_flight: Vec<InFlightRequest> = services
        .iter()
        .map(|t| InFlightRequest {
            target: others_in_flight(cfg, t),
            timeout: cfg.deploy_timeout,
        })
        .filter(|r| !r.target.in_flight.is_empty())
        .collect();
    if !in_flight.is_empty() {
        steps.push(Step::AwaitInFlight(in_flight));
    }
    let deploys = services.iter().map(|t| deploy_request(cfg, t, promotions));
    steps.push(Step::Deploy(deploys.collect()));
    if let Some(command) = &cfg.migrate_command {
        steps.push(Step::PreDeployReport(command.clone()));
    }
    let rollback_probes = probes.iter().map(Probe::without_body).collect();
    let checks: Vec<ServiceHealth> = services
        .iter()
        .zip(probes)
        .map(|(t, probe)| ServiceHealth {
            service_id: t.service.id.clone(),
            service_name: t.service.name.clone(),
            probe,
        })
        .collect();
    let watch = cfg
        .watch
        .enabled()
        .then(|| WatchRequest::new(&cfg.watch, checks.clone()));
    steps.push(Step::Health(checks));
    steps.extend(watch.map(Step::Watch));
    steps.push(Step::Rollback(RollbackPolicy {
        enabled: cfg.rollback_on_failure,
        timeout: cfg.deploy_timeout,
        probes: rollback_probes,
        after_destructive: cfg.migration_safety.destructive
            == crate::config::migration_safety::DestructivePolicy::Allow,
    }));
    steps
}

/// The service with the deployments in flight to wait for: with `source: railway`, the one of
/// this commit is the one the deploy adopts, not one to wait for.
fn others_in_flight(cfg: &Config, target: &ServiceTarget) -> ServiceTarget {
    let mut t = target.clone();
    if cfg.source == Source::Railway {
        t.in_flight.retain(|d| {
            d.meta_str("commitHash").is_none() || d.meta_str("commitHash") != cfg.sha.as_deref()
        });
    }
    t
}

/// One service's deploy: its promotion when `command: promote` resolved one, else the inputs.
fn deploy_request(cfg: &Config, target: &ServiceTarget, promotions: &[Promotion]) -> DeployRequest {
    let promoted = promotions
        .iter()
        .find(|p| p.service_id == target.service.id);
    let (source, commit_sha) = match promoted {
        Some(p) => (p.source.clone(), p.commit_sha.clone()),
        None => (cfg.source.clone(), cfg.sha.clone()),
    };
    DeployRequest {
        target: target.clone(),
        source,
        commit_sha,
        timeout: cfg.deploy_timeout,
        released_image: cfg.surroundings.released_image.clone(),
    }
}

pub fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}
