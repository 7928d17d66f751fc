//! Owns the warning that migrations may not have run (contract: Migration safety): with
//! `migrate-command`, a deployment that went live while its deployment events show no completed
//! `PRE_DEPLOY_COMMAND` step (none, skipped, still running, or the events unreadable).

use crate::record::ServiceState;

/// The warning for one service, when its deployment went live and the step did not complete
/// (`ran`: Railway's events show the step passed, or it failed and the failure is reported).
pub fn not_run(service: &str, deployment: &str, state: ServiceState, ran: bool) -> Option<String> {
    let live = matches!(state, ServiceState::Deployed | ServiceState::FailedLive);
    (live && !ran).then(|| {
        format!(
            "`{service}`: deployment {deployment} went live, but its deployment events show no completed pre-deploy step, so the migrations (`migrate-command`) may not have run; check the deployment's Pre-deploy logs in Railway, and that the service's Settings → Deploy → Pre-deploy command is set"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_only_for_a_live_deployment_without_the_step() {
        assert!(not_run("web", "d1", ServiceState::Deployed, false).is_some());
        assert!(not_run("web", "d1", ServiceState::FailedLive, false).is_some());
        assert!(not_run("web", "d1", ServiceState::Deployed, true).is_none());
        assert!(not_run("web", "d1", ServiceState::FailedBeforeLive, false).is_none());
    }
}
