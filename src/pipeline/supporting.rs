//! Owns a preview's supporting deploys as a plan step ([`Step::SupportingDeploys`]): which of the
//! preview's other services are deployed before anything else changes (pure: [`step`], placed by
//! [`insert`] right after the run is published on GitHub, before the backup, the migrations and
//! the run's deploys), how the dry run and the summary say it ([`describe`]), and how the
//! executor runs it ([`run`]): a service that does not go live stops the run (exit 1) before
//! anything is migrated or deployed.
//!
//! Why: the preview is created with `skipInitialDeploys: true`, so the run's own services are
//! deployed once, at the pull request's commit, instead of also being built from the source's
//! branch. That also leaves every other copied service (the database the migrations reach, a
//! cache, workers) undeployed; those are deployed here from their configured source, as Railway's
//! initial deploys would have, but only when they were never deployed in the preview (a fresh
//! copy, or a run that stopped between creating and deploying): a push to the pull request finds
//! them deployed and sends nothing.

use super::plan::{Plan, Step};
use crate::config::Config;
use crate::railway::RailwayClient;
use crate::railway::api::{Named, ServiceInstance};
use crate::railway::resolve::Scope;
use crate::record::{Ending, PlannedAction, RunReport, RunStatus};
use crate::stages::ServiceTarget;
use crate::stages::supporting::{self, SupportingRequest};
use crate::workflow;

/// The supporting deploys of a preview whose instances are `instances` (`fresh`: the preview
/// does not exist yet, a dry run read its source's), besides the run's `services`; `None` when
/// every other service was deployed there already.
pub fn step(
    cfg: &Config,
    instances: &[ServiceInstance],
    services: &[ServiceTarget],
    fresh: bool,
) -> Option<Step> {
    let run: Vec<&str> = services.iter().map(|s| s.service.id.as_str()).collect();
    let reqs: Vec<SupportingRequest> = supporting::needed(instances, &run, fresh)
        .into_iter()
        .map(|mut instance| {
            if fresh {
                // Railway does not copy domains.
                instance.domains = Default::default();
            }
            SupportingRequest {
                target: ServiceTarget {
                    service: Named {
                        id: instance.service_id.clone(),
                        name: instance.service_name.clone(),
                    },
                    instance,
                    serving: None,
                    in_flight: Vec::new(),
                },
                timeout: cfg.deploy_timeout,
            }
        })
        .collect();
    (!reqs.is_empty()).then_some(Step::SupportingDeploys(reqs))
}

/// Places `step` right after the run is published on GitHub (so a failure settles the GitHub
/// Deployment), before everything that migrates or deploys. A plan without steps (every service
/// held back) stays empty: the run changes nothing.
pub fn insert(plan: &mut Plan, step: Option<Step>) {
    let Some(step) = step else { return };
    if let Some(at) = plan.steps.iter().position(|s| matches!(s, Step::Report(_))) {
        plan.steps.insert(at + 1, step);
    }
}

/// The dry run's and the summary's sentences.
pub fn describe(reqs: &[SupportingRequest], environment: &str) -> Vec<PlannedAction> {
    reqs.iter()
        .map(|r| {
            let name = &r.target.service.name;
            PlannedAction {
                service: Some(name.clone()),
                description: format!(
                    "deploy `{name}` in `{environment}` as configured (never deployed there): {}",
                    r.what()
                ),
            }
        })
        .collect()
}

/// Runs [`Step::SupportingDeploys`], recording each in the preview's record; `Err` ends the run
/// (failed, before anything was migrated or deployed).
pub async fn run(
    c: &RailwayClient,
    scope: &Scope,
    reqs: &[SupportingRequest],
    released_image: &str,
    report: &mut RunReport,
) -> Result<(), Ending> {
    let names: Vec<&str> = reqs
        .iter()
        .map(|r| r.target.service.name.as_str())
        .collect();
    workflow::info(format!(
        "Deploying the preview's services never deployed there, as configured: {}",
        names.join(", ")
    ));
    let (done, failed) = supporting::deploy_all(c, scope, reqs, released_image).await;
    report
        .preview
        .get_or_insert_with(Default::default)
        .supporting = done;
    match failed {
        None => Ok(()),
        Some(why) => {
            workflow::error_titled("A preview service did not deploy", &why);
            report.status = RunStatus::Failed;
            report.failure = Some(why);
            Err(Ending::Finished(Box::new(report.clone())))
        }
    }
}
