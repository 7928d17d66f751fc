//! Owns a preview's supporting deploys as a plan step (`Step::SupportingDeploys`): which of the
//! preview's other services are deployed before anything else changes (pure: [`requests`],
//! which the plan builder places right after the run is published on GitHub, before the backup,
//! the migrations and the run's deploys: `super::plan::Checked::supporting`), and how the dry run
//! and the summary say it ([`describe`]). The stage is `crate::stages::supporting`: a service
//! that does not go live stops the run (exit 1) before anything is migrated or deployed.
//!
//! Why: the preview is created with `skipInitialDeploys: true`, so the run's own services are
//! deployed once, at the pull request's commit, instead of also being built from the source's
//! branch. That also leaves every other copied service (the database the migrations reach, a
//! cache, workers) undeployed; those are deployed here from their configured source, as Railway's
//! initial deploys would have, but only when they were never deployed in the preview (a fresh
//! copy, or a run that stopped between creating and deploying): a push to the pull request finds
//! them deployed and sends nothing.

use crate::config::Config;
use crate::railway::api::{Named, ServiceInstance};
use crate::record::PlannedAction;
use crate::stages::ServiceTarget;
use crate::stages::supporting::{self, SupportingRequest};

/// The supporting deploys of a preview whose instances are `instances` (`fresh`: the preview
/// does not exist yet, a dry run read its source's), besides the run's `services`; none when
/// every other service was deployed there already.
pub fn requests(
    cfg: &Config,
    instances: &[ServiceInstance],
    services: &[ServiceTarget],
    fresh: bool,
) -> Vec<SupportingRequest> {
    let run: Vec<&str> = services.iter().map(|s| s.service.id.as_str()).collect();
    supporting::needed(instances, &run, fresh)
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
        .collect()
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
