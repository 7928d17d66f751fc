//! The plan's `command: rollback` step (`Step::RollbackCommand`), from the configuration and what
//! the checks before any change decided ([`Checked`]: where each service goes back to when `to`
//! is empty, found at resolution so that a service with nowhere to go is refused before any write).

use crate::config::Config;
use crate::health::check::{Probe, probe_spec};
use crate::stages::ServiceTarget;
use crate::stages::history::Held;
use crate::stages::rollback::RollbackRequest;

/// What the checks before any change decided about the services, beyond what they are.
#[derive(Clone, Debug, Default)]
pub struct Checked {
    /// The services the order checks hold back.
    pub held: Vec<Held>,
    /// `command: rollback` without `to`: `(service id, deployment id)` each service goes back to.
    pub rollback_to: Vec<(String, String)>,
}

/// `command: rollback`: the check after going back is built without this run's commit or
/// version (a setting that needs them skips the check, with the reason). `previous`: where each
/// service goes back to when `to` is empty ([`Checked::rollback_to`]).
pub(super) fn rollback_requests(
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
