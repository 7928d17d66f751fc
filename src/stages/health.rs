//! Owns the health and rollback stages of a deploy run, for all services at once: probe every
//! service that went live; when one fails after going live (health check failed, or CRASHED after
//! SUCCESS) and `rollback-on-failure` is true, roll back every service of the run that went live,
//! because an app's services are released together.

use std::time::Instant;

use chrono::Utc;
use futures_util::future::join_all;

use crate::config::Config;
use crate::health::check::{probe_spec, verify_live};
use crate::health::rollback::{RollbackResult, RollbackScope, roll_back};
use crate::pipeline::plan::{Plan, ServicePlan};
use crate::railway::RailwayClient;
use crate::record::{RunStatus, ServiceReport, ServiceState, Stage, StageTiming};

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
    let states: Vec<ServiceState> = services.iter().map(|s| s.state).collect();
    if states.iter().all(|s| *s == ServiceState::Deployed) {
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

fn plan_of<'a>(plan: &'a Plan, service_id: &str) -> Option<&'a ServicePlan> {
    plan.services.iter().find(|s| s.service.id == service_id)
}

/// Runs the health stage on every `Deployed` service, then the rollback stage when needed.
/// Updates each service's state, health and failure, and appends the stage timings.
pub async fn health_and_rollback(
    c: &RailwayClient,
    http: &reqwest::Client,
    cfg: &Config,
    plan: &Plan,
    services: &mut [ServiceReport],
    stages: &mut Vec<StageTiming>,
) {
    let version = cfg.version();
    let checks = services.iter().map(|s| {
        let sp = plan_of(plan, &s.service_id);
        let deployment = s.deployment_id.clone();
        let live = s.state == ServiceState::Deployed;
        let name = s.name.clone();
        let version = version.clone();
        async move {
            let (Some(sp), Some(id), true) = (sp, deployment, live) else {
                return None;
            };
            let started_at = Utc::now();
            let started = Instant::now();
            let spec = probe_spec(
                &cfg.health,
                &sp.instance,
                cfg.sha.as_deref(),
                version.as_deref(),
            );
            let (health, problem) = match &spec {
                Ok(spec) => {
                    let spec = spec.as_ref().map_err(String::as_str);
                    verify_live(c, http, spec, &id, &name, &cfg.timing).await
                }
                Err(input) => (
                    crate::record::HealthReport {
                        error: Some(input.clone()),
                        ..Default::default()
                    },
                    Some(input.clone()),
                ),
            };
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
    let results = join_all(checks).await;
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

    let states: Vec<ServiceState> = services.iter().map(|s| s.state).collect();
    let indexes = to_roll_back(&states);
    if indexes.is_empty() {
        return;
    }
    let culprits: Vec<String> = services
        .iter()
        .filter(|s| s.state == ServiceState::FailedLive)
        .map(|s| format!("`{}`", s.name))
        .collect();
    let culprits = culprits.join(", ");
    if !cfg.rollback_on_failure {
        for i in indexes {
            let s = &mut services[i];
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
        return;
    }

    let deadline = Instant::now() + cfg.deploy_timeout;
    let work = indexes.iter().map(|&i| {
        let s = &services[i];
        let sp = plan_of(plan, &s.service_id);
        let previous = s.previous_deployment_id.clone();
        let name = s.name.clone();
        let service_id = s.service_id.clone();
        let version = version.clone();
        async move {
            let started_at = Utc::now();
            let started = Instant::now();
            let Some(previous) = previous else {
                return (
                    RollbackResult::NotPossible(
                        "there was no earlier deployment to roll back to".into(),
                    ),
                    None,
                );
            };
            let scope = RollbackScope {
                project_id: &plan.scope.project.id,
                environment_id: &plan.scope.environment.id,
                service_id: &service_id,
                label: &name,
            };
            let spec = sp.map(|sp| {
                probe_spec(
                    &cfg.health,
                    &sp.instance,
                    cfg.sha.as_deref(),
                    version.as_deref(),
                )
            });
            // The rolled-back release is the old one: a body that names the new sha cannot match.
            let spec = match spec {
                Some(Ok(Ok(mut p))) => {
                    p.expect_body = None;
                    Ok(p)
                }
                Some(Ok(Err(reason))) => Err(reason),
                Some(Err(e)) => Err(e),
                None => Err("the service is not in the plan".to_string()),
            };
            let r = roll_back(
                c,
                http,
                scope,
                &previous,
                spec.as_ref().map_err(String::as_str),
                deadline,
                &cfg.timing,
            )
            .await;
            let ok = matches!(r, RollbackResult::Done { .. });
            (
                r,
                Some(StageTiming::ended(
                    Stage::Rollback,
                    Some(&name),
                    started_at,
                    started,
                    ok,
                )),
            )
        }
    });
    let results = join_all(work).await;
    for (&i, (result, timing)) in indexes.iter().zip(results) {
        stages.extend(timing);
        let s = &mut services[i];
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
}

#[cfg(test)]
mod tests {
    use super::*;
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
    }
}
