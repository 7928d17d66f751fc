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
//! cache, workers) undeployed; those are deployed from their configured source (the latest
//! commit of their branch, or their image: `crate::deploy::latest`), as Railway's initial deploys
//! would have, but only when they were never deployed in the preview (a fresh copy, or a run that
//! stopped between creating and deploying): a push to the pull request finds them deployed and
//! sends nothing. The plan names what each deploys: the image, or the branch the environment's
//! deployment trigger names ([`with_branches`], one read).

use crate::config::Config;
use crate::railway::RailwayClient;
use crate::railway::api::{self, Named, ServiceInstance};
use crate::railway::resolve::Scope;
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
                // The source's domains are never the copy's: Railway's docs say a PR environment gets
                // Railway-provided domains of its own; whether a copy gets any is not documented.
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
                branch: None,
            }
        })
        .collect()
}

/// Names the branch each repository-sourced request deploys the latest commit of, from the
/// deployment triggers of `scope`'s environment (one read, only when a request has a repository
/// source). For the plan's and report's sentences only: when the read fails or no trigger names
/// a branch, the sentence says "the branch it is connected to", and the deployment read back
/// says which commit was deployed.
pub async fn with_branches(c: &RailwayClient, scope: &Scope, reqs: &mut [SupportingRequest]) {
    let from_repo = |r: &SupportingRequest| r.target.current_image().is_none();
    if !reqs.iter().any(from_repo) {
        return;
    }
    let Ok(triggers) = api::deployment_triggers(c, &scope.project.id, &scope.environment.id).await
    else {
        return;
    };
    for r in reqs.iter_mut().filter(|r| from_repo(r)) {
        r.branch = triggers
            .iter()
            .filter(|t| t.service_id == r.target.service.id)
            .find_map(|t| t.branch.clone());
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
