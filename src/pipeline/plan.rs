//! The plan is the program: a pure function of the [`Config`] and what resolution read builds the
//! whole run as data, ordered [`Step`]s that each carry the typed request their stage executes.
//! The executor (`super::execute`) runs them in order; the dry run, the summary's plan list and
//! the logs render the same steps through [`Step::describe`].

pub use super::step::Step;
use crate::backup::{BackupRequest, Lookup};
use crate::config::{ChecksMode, CommandKind, Config, Source};
use crate::gate::GateRequest;
use crate::health::check::ServiceHealth;
use crate::health::check::{Probe, probe_spec};
use crate::railway::resolve::Scope;
use crate::record::PlannedAction;
use crate::secret::Secret;
use crate::stages::ServiceTarget;
use crate::stages::backup::BackupStep;
use crate::stages::deploy::DeployRequest;
use crate::stages::health::RollbackPolicy;
use crate::stages::history::Held;
use crate::stages::in_flight::InFlightRequest;
use crate::stages::migrate::{PreDeployRequest, SqlRequest};
use crate::stages::promote::Promotion;
use crate::stages::rollback::RollbackRequest;
use crate::stages::supporting::SupportingRequest;
use crate::watch::WatchRequest;

/// The run (or one phase of a preview) as data: where, which services, and the steps in the
/// order they execute.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Where the steps change things, as the sentences name it.
    pub environment: String,
    pub services: Vec<ServiceTarget>,
    pub steps: Vec<Step>,
    /// Services not deployed, with the reason (reported `skipped`).
    pub held: Vec<Held>,
}

impl Plan {
    /// A plan of `steps` alone in `environment` (a preview's phase, the removal of previews).
    pub fn of(environment: &str, steps: Vec<Step>) -> Self {
        Plan {
            environment: environment.to_string(),
            services: Vec::new(),
            steps,
            held: Vec::new(),
        }
    }

    /// Each step's name and sentences, one line each (`name: sentence`, or the name alone for
    /// a step that changes nothing): what the plan's snapshot tests compare.
    pub fn outline(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .held
            .iter()
            .map(|h| format!("held: skip `{}`: {}", h.service_name, h.reason))
            .collect();
        for step in &self.steps {
            let said = step.describe(&self.environment);
            if said.is_empty() {
                lines.push(step.name().to_string());
            }
            lines.extend(
                said.into_iter()
                    .map(|a| format!("{}: {}", step.name(), a.description)),
            );
        }
        lines
    }

    /// Every step's changes, in order: the dry run, the summary's plan list and the logs.
    pub fn describe(&self) -> Vec<PlannedAction> {
        let environment = &self.environment;
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
/// when every service is held, the plan has no step at all and the run ends `skipped`. A
/// preview's supporting deploys ([`Checked::supporting`]) come right after the run is
/// published; its gate ran in its first phase (`super::preview`), so its plan has none.
pub fn build_ordered(
    cfg: &Config,
    scope: Scope,
    services: Vec<ServiceTarget>,
    probes: Vec<Probe>,
    promotions: &[Promotion],
    database: Database,
    checked: Checked,
) -> Plan {
    let Checked {
        held,
        rollback_to,
        supporting,
    } = checked;
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
        if cfg.wait_for_checks != ChecksMode::Off && !cfg.command.is_preview() {
            steps.push(Step::Gate(gate_request(cfg)));
        }
        steps.push(report);
        if !supporting.is_empty() {
            steps.push(Step::SupportingDeploys(supporting));
        }
        steps.extend(release_steps(cfg, &active, probes, promotions, database));
        steps
    };
    Plan {
        environment: scope.environment.name,
        services,
        steps,
        held,
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
    let sql = cfg.migrations.as_ref().map(|dir| SqlRequest {
        dir: dir.clone(),
        database_url: database.url,
        dry_run: cfg.dry_run,
    });
    if wants_backup(cfg) {
        steps.push(Step::Backup(Box::new(BackupStep {
            backup: backup_request(cfg, database.backup),
            sql: sql.clone(),
        })));
    }
    steps.extend(sql.map(Step::SqlMigrations));
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
    let rollback_probes = checks
        .iter()
        .map(|c| ServiceHealth {
            probe: c.probe.without_body(),
            ..c.clone()
        })
        .collect();
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

/// What resolution read about the database: the URL of `migrations` and the volume to back up.
#[derive(Clone, Debug)]
pub struct Database {
    /// Read and checked for `migrations` (`None` without them).
    pub url: Option<Secret>,
    /// The volume found for the backup ([`Lookup::NotNeeded`]: not looked up).
    pub backup: Lookup,
}

/// Whether the run backs the database up before migrating: something may be migrated (SQL
/// migrations, or a `migrate-command`) and `backup` is not `false`.
pub fn wants_backup(cfg: &Config) -> bool {
    cfg.wants_backup()
}

/// The backup step from what resolution found.
fn backup_request(cfg: &Config, lookup: Lookup) -> BackupRequest {
    let skipped_warns = matches!(lookup, Lookup::Unreadable(_));
    let (target, skipped) = match lookup {
        Lookup::Found(t) => (Some(*t), None),
        Lookup::Missing(why) | Lookup::Unreadable(why) => (None, Some(why)),
        Lookup::NotNeeded => (None, None),
    };
    BackupRequest {
        target,
        skipped,
        skipped_warns,
        timeout: cfg.backup.timeout,
        sha: cfg.sha.clone(),
        only_when_pending: cfg.migrate_command.is_none(),
    }
}

/// What the checks before any change decided about the services, beyond what they are.
#[derive(Clone, Debug, Default)]
pub struct Checked {
    /// The services the order checks hold back.
    pub held: Vec<Held>,
    /// `command: rollback` without `to`: `(service id, deployment id)` each service goes back to.
    pub rollback_to: Vec<(String, String)>,
    /// `command: preview`: the preview's other services to deploy first (`super::supporting`).
    pub supporting: Vec<SupportingRequest>,
}

/// `command: rollback`: the check after going back is built without this run's commit or
/// version (a setting that needs them skips the check, with the reason). `previous`: where each
/// service goes back to when `to` is empty ([`Checked::rollback_to`]).
fn rollback_requests(
    cfg: &Config,
    services: &[ServiceTarget],
    previous: &[(String, String)],
) -> Vec<RollbackRequest> {
    services
        .iter()
        .map(|t| {
            let probe =
                probe_spec(&cfg.health, &t.instance, None, None).unwrap_or_else(Probe::Skip);
            RollbackRequest {
                target: t.clone(),
                to: cfg.to.clone(),
                previous: previous
                    .iter()
                    .find(|(service, _)| *service == t.service.id)
                    .map(|(_, deployment)| deployment.clone()),
                probe: probe.without_body(),
                timeout: cfg.deploy_timeout,
            }
        })
        .collect()
}
