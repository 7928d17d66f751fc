//! Owns the health and rollback stages of a deploy run, for all services at once: probe every
//! service that went live; when one fails after going live (health check failed, or CRASHED after
//! SUCCESS) and `rollback-on-failure` is true, roll back every service of the run that went live,
//! because an app's services are released together.

use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::future::join_all;

use super::context::Context;
use crate::health::check::{ServiceHealth, verify_live};
use crate::health::rollback::{RollbackResult, RollbackScope, roll_back};
use crate::railway::RailwayClient;
use crate::record::{RunReport, RunStatus, ServiceReport, ServiceState, Stage, StageTiming, Stop};
use crate::timing::Timing;

/// What happens when a service fails after going live.
#[derive(Clone, Debug)]
pub struct RollbackPolicy {
    /// `rollback-on-failure`.
    pub enabled: bool,
    /// `deploy-timeout`: the time the whole rollback may take.
    pub timeout: Duration,
    /// Each service's check after its rollback (no body expectation: the old release is back),
    /// matched to its record by service id.
    pub probes: Vec<ServiceHealth>,
    /// `destructive-migrations: allow`: roll back even after this run applied a destructive
    /// migration (otherwise `crate::migrate::schema_hold` keeps the release serving).
    pub after_destructive: bool,
}

/// The probe of the service `service_id` among `checks` (matched by id, never by position);
/// `Err` says why there is none.
pub fn probe_of<'p>(
    checks: &'p [ServiceHealth],
    service_id: &str,
) -> Result<&'p crate::health::probe::ProbeSpec, &'p str> {
    match checks.iter().find(|c| c.service_id == service_id) {
        Some(check) => check.probe.as_result(),
        None => Err("the service is not in the plan"),
    }
}

/// Which services to roll back: when any failed after going live, every one that went live
/// (deployed, or failed live). Services that failed before going live are left alone: their
/// previous deployment is still serving. Pure; indexes into `states`.
pub fn to_roll_back(states: &[ServiceState]) -> Vec<usize> {
    if !states.contains(&ServiceState::FailedLive) {
        return Vec::new();
    }
    states
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, ServiceState::Deployed | ServiceState::FailedLive))
        .map(|(i, _)| i)
        .collect()
}

/// The run's `status` from its services: success when all deployed; rolled-back when something
/// failed and every service that went live was rolled back; failed otherwise.
pub fn run_status(services: &[ServiceReport]) -> RunStatus {
    // Skipped services (held back on purpose) do not count; all of them skipped is `skipped`.
    let states: Vec<ServiceState> = services
        .iter()
        .map(|s| s.state)
        .filter(|s| *s != ServiceState::Skipped)
        .collect();
    if states.is_empty() && !services.is_empty() {
        RunStatus::Skipped
    } else if states.iter().all(|s| *s == ServiceState::Deployed) {
        RunStatus::Success
    } else if states.contains(&ServiceState::RolledBack)
        && !states.contains(&ServiceState::FailedLive)
        && !states.contains(&ServiceState::Deployed)
    {
        RunStatus::RolledBack
    } else {
        RunStatus::Failed
    }
}

/// Runs the health step on every `Deployed` service that has a check (matched by service id).
/// Updates each service's state, health and failure, and appends the stage timings.
pub async fn check_health(
    cx: &Context<'_>,
    checks: &[ServiceHealth],
    report: &mut RunReport,
) -> Result<(), Stop> {
    let (c, http, timing) = (&cx.client, &cx.http, &cx.timing);
    let (services, stages) = (&mut report.services, &mut report.stages);
    let work = services.iter().map(|s| {
        let deployment = s.deployment_id.clone();
        let check = checks.iter().find(|c| c.service_id == s.service_id);
        let live = s.state == ServiceState::Deployed;
        let name = s.name.clone();
        async move {
            let (Some(id), true, Some(check)) = (deployment, live, check) else {
                return None;
            };
            let started_at = Utc::now();
            let started = Instant::now();
            let (health, problem) =
                verify_live(c, http, check.probe.as_result(), &id, &name, timing).await;
            let ran = health.skipped_reason.is_none();
            let timing = ran.then(|| {
                StageTiming::ended(
                    Stage::Health,
                    Some(&name),
                    started_at,
                    started,
                    problem.is_none(),
                )
            });
            Some((health, problem, timing))
        }
    });
    let results = join_all(work).await;
    for (s, r) in services.iter_mut().zip(results) {
        let Some((health, problem, timing)) = r else {
            continue;
        };
        s.health = Some(health);
        stages.extend(timing);
        if let Some(why) = problem {
            s.state = ServiceState::FailedLive;
            s.failure = Some(why);
        }
    }
    Ok(())
}

/// The services that failed after going live, for messages: "`web`, `worker`".
fn culprits(services: &[ServiceReport]) -> String {
    let names: Vec<String> = services
        .iter()
        .filter(|s| s.state == ServiceState::FailedLive)
        .map(|s| format!("`{}`", s.name))
        .collect();
    names.join(", ")
}

/// The rollback step: when a service failed after going live, rolls back every service that
/// went live (or, with `rollback-on-failure: false`, says how to), each checked with its own
/// probe (by service id).
pub async fn roll_back_release(
    cx: &Context<'_>,
    policy: &RollbackPolicy,
    report: &mut RunReport,
) -> Result<(), Stop> {
    // Migration safety: no rollback into a schema the old release cannot read.
    if crate::migrate::schema_hold::hold(report, policy.after_destructive) {
        return Ok(());
    }
    let (c, http, timing, scope) = (&cx.client, &cx.http, &cx.timing, cx.scope()?);
    let (services, stages) = (&mut report.services, &mut report.stages);
    let states: Vec<ServiceState> = services.iter().map(|s| s.state).collect();
    let indexes = to_roll_back(&states);
    if indexes.is_empty() {
        return Ok(());
    }
    let culprits = culprits(services);
    if !policy.enabled {
        for i in indexes {
            leave_serving(&mut services[i], &culprits);
        }
        return Ok(());
    }
    let deadline = Instant::now() + policy.timeout;
    let work = indexes.iter().map(|&i| {
        let s = &services[i];
        let probe = probe_of(&policy.probes, &s.service_id);
        let scope = RollbackScope {
            project_id: &scope.project.id,
            environment_id: &scope.environment.id,
            service_id: &s.service_id,
            label: &s.name,
        };
        roll_back_one(
            c,
            http,
            timing,
            scope,
            s.previous_deployment_id.clone(),
            probe,
            deadline,
        )
    });
    let results = join_all(work).await;
    for (&i, (result, timing)) in indexes.iter().zip(results) {
        stages.extend(timing);
        record_rollback(&mut services[i], result, &culprits);
    }
    Ok(())
}

/// `rollback-on-failure: false`: the failed release keeps serving; the failure says how to roll back.
fn leave_serving(s: &mut ServiceReport, culprits: &str) {
    let serving = s.deployment_id.clone().unwrap_or_default();
    let note = format!(
        "`rollback-on-failure` is false, so deployment {serving} is still serving; roll back with: {}",
        s.rollback_command
            .clone()
            .unwrap_or_else(|| "(no previous deployment)".into())
    );
    s.failure = Some(match s.failure.take() {
        Some(f) => format!("{f}; {note}"),
        None => format!("{culprits} failed after going live; {note}"),
    });
    s.state = ServiceState::FailedLive;
}

/// Rolls one service back to `previous`, timed as the rollback stage.
async fn roll_back_one(
    c: &RailwayClient,
    http: &reqwest::Client,
    timing: &Timing,
    scope: RollbackScope<'_>,
    previous: Option<String>,
    probe: Result<&crate::health::probe::ProbeSpec, &str>,
    deadline: Instant,
) -> (RollbackResult, Option<StageTiming>) {
    let started_at = Utc::now();
    let started = Instant::now();
    let Some(previous) = previous else {
        return (
            RollbackResult::NotPossible("there was no earlier deployment to roll back to".into()),
            None,
        );
    };
    let label = scope.label.to_string();
    let r = roll_back(c, http, scope, &previous, probe, deadline, timing).await;
    let ok = matches!(r, RollbackResult::Done { .. });
    let stage = StageTiming::ended(Stage::Rollback, Some(&label), started_at, started, ok);
    (r, Some(stage))
}

/// Records a service's rollback in its report.
fn record_rollback(s: &mut ServiceReport, result: RollbackResult, culprits: &str) {
    let why = s.failure.take().unwrap_or_else(|| {
        format!("rolled back with the release because {culprits} failed after going live")
    });
    match result {
        RollbackResult::Done {
            deployment_id,
            health,
        } => {
            s.state = ServiceState::RolledBack;
            s.failure = Some(format!(
                "{why}; rolled back to deployment {} (now serving as {deployment_id})",
                s.previous_deployment_id.clone().unwrap_or_default()
            ));
            s.serving_after_rollback = Some(deployment_id);
            if s.health.is_none() {
                s.health = Some(health);
            }
        }
        RollbackResult::NotPossible(reason) | RollbackResult::Failed { reason, .. } => {
            s.state = ServiceState::FailedLive;
            s.failure = Some(format!("{why}; rollback failed: {reason}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::check::Probe;
    use ServiceState::*;

    #[test]
    fn one_live_failure_rolls_back_every_service_that_went_live() {
        assert_eq!(
            to_roll_back(&[Deployed, FailedLive, FailedBeforeLive]),
            vec![0, 1]
        );
        assert_eq!(to_roll_back(&[Deployed, Deployed]), Vec::<usize>::new());
        assert_eq!(
            to_roll_back(&[FailedBeforeLive, Deployed]),
            Vec::<usize>::new()
        );
        assert_eq!(to_roll_back(&[FailedLive]), vec![0]);
    }

    /// The record may list the services in another order than the plan: each still gets its
    /// own probe after the rollback (matched by id, never by position).
    #[test]
    fn each_service_gets_its_own_rollback_probe_whatever_the_order() {
        let check = |id: &str| ServiceHealth {
            service_id: id.into(),
            service_name: id.into(),
            probe: Probe::Skip(format!("{id}'s probe")),
        };
        let plan_order = [check("svc-web"), check("svc-worker")];
        let record_order = ["svc-worker", "svc-web"];
        let got: Vec<&str> = record_order
            .iter()
            .map(|id| probe_of(&plan_order, id).unwrap_err())
            .collect();
        assert_eq!(got, ["svc-worker's probe", "svc-web's probe"]);
        assert_eq!(
            probe_of(&plan_order, "svc-db").unwrap_err(),
            "the service is not in the plan"
        );
    }

    #[test]
    fn run_status_from_services() {
        let mk = |state| {
            let mut r = ServiceReport::planned("s", "s");
            r.state = state;
            r
        };
        assert_eq!(
            run_status(&[mk(Deployed), mk(Deployed)]),
            RunStatus::Success
        );
        assert_eq!(
            run_status(&[mk(RolledBack), mk(RolledBack)]),
            RunStatus::RolledBack
        );
        assert_eq!(
            run_status(&[mk(RolledBack), mk(FailedBeforeLive)]),
            RunStatus::RolledBack
        );
        assert_eq!(
            run_status(&[mk(RolledBack), mk(FailedLive)]),
            RunStatus::Failed
        );
        assert_eq!(run_status(&[mk(FailedBeforeLive)]), RunStatus::Failed);
        assert_eq!(run_status(&[mk(Skipped), mk(Deployed)]), RunStatus::Success);
        assert_eq!(run_status(&[mk(Skipped), mk(Skipped)]), RunStatus::Skipped);
        assert_eq!(
            run_status(&[mk(Skipped), mk(FailedBeforeLive)]),
            RunStatus::Failed
        );
    }
}
