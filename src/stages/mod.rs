//! Owns the stages of a run, each driven by a typed request that the plan (`crate::pipeline::plan`)
//! built: migrate, deploy (start, follow, logs), health, the watch after going live and automatic
//! rollback, `command: rollback`, promotion (what passed in `from-environment`) and the release
//! guard, a preview's environment, the wait for its copy to hold the run's services
//! (`preview_copy`) and its supporting services never deployed there (`supporting`). The gate is
//! the stage in `crate::gate`. Nothing here reads the configuration.

pub mod backup;
pub mod changed;
pub mod context;
pub mod deploy;
pub mod deploy_all;
pub mod gate;
pub mod guard;
pub mod health;
pub mod history;
pub mod in_flight;
pub mod migrate;
pub mod preview;
pub mod preview_copy;
pub mod preview_remove;
pub mod promote;
pub mod publish;
pub mod release_guard;
pub mod rollback;
pub mod supporting;
pub mod watch;

use crate::railway::api::{Deployment, Named, ServiceInstance};
use crate::railway::dashboard_url;
use crate::railway::resolve::Scope;
use crate::record::{RunReport, ServiceReport};

/// One service of the run, as resolution read it from Railway.
#[derive(Clone, Debug)]
pub struct ServiceTarget {
    pub service: Named,
    pub instance: ServiceInstance,
    /// The deployment serving before this run (for outputs and rollback).
    pub serving: Option<Deployment>,
    /// Deployments of it in the environment not final yet, newest first, as resolution read
    /// them (none of them this run's: it has started nothing yet).
    pub in_flight: Vec<Deployment>,
}

impl ServiceTarget {
    /// `https://{domain}`, a custom domain before the Railway one.
    pub fn public_url(&self) -> Option<String> {
        self.instance
            .domains
            .primary()
            .map(|d| format!("https://{d}"))
    }

    /// The image the service runs now, when it runs one.
    pub fn current_image(&self) -> Option<&str> {
        self.instance
            .source
            .as_ref()
            .and_then(|s| s.image.as_deref())
    }
}

/// The run record of `target`'s service, found by id (added as [`deploy::initial_report`] when
/// resolution did not record it).
pub fn record_of<'r>(
    report: &'r mut RunReport,
    scope: &Scope,
    image: &str,
    target: &ServiceTarget,
) -> &'r mut ServiceReport {
    let id = &target.service.id;
    let at = match report.services.iter().position(|s| &s.service_id == id) {
        Some(at) => at,
        None => {
            let initial = deploy::initial_report(scope, image, target);
            report.services.push(initial);
            report.services.len() - 1
        }
    };
    &mut report.services[at]
}

/// What serves the service of `r` now (`None`: nothing), and how to get back to it.
pub fn record_serving(
    scope: &Scope,
    image: &str,
    serving: Option<&Deployment>,
    r: &mut ServiceReport,
) {
    r.previous_deployment_id = serving.map(|d| d.id.clone());
    r.previous_dashboard_url = serving.map(|d| dashboard(scope, &r.service_id, &d.id));
    r.rollback_command = serving.map(|d| deploy::rollback_command(scope, image, &r.name, &d.id));
}

/// The dashboard page of a deployment of `service_id` in the run's project and environment.
pub fn dashboard(scope: &Scope, service_id: &str, deployment_id: &str) -> String {
    dashboard_url(
        &scope.project.id,
        service_id,
        &scope.environment.id,
        deployment_id,
    )
}
