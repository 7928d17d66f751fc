//! Owns waiting for a preview's copy to be complete before anything is resolved or deployed in
//! it. Railway may list a new environment before it has copied the source's services into it
//! (railwayapp/cli PRs #663 and #784 moved away from one synchronous `environmentCreate`; issue
//! #923 shows an environment existing before its copy completed), and a run that stopped early
//! may find one in that state. So the run's services are looked for in the preview
//! (`EnvironmentServiceInstances`, one read per round) until each is listed.
//!
//! Decision: the wait is bounded by `deploy-timeout` (the time the run already grants a deploy
//! to reach a final state; how long a copy takes is not public), reading every
//! [`READ_EVERY`] through the one polling loop (`crate::wait::poll`, time-scaled in tests). When the
//! bound passes, the run fails (exit 1) naming the services still missing, before anything was
//! deployed; a re-run reuses the preview and waits again.

use std::time::Duration;

use crate::railway::RailwayClient;
use crate::railway::api::Named;
use crate::railway::environments::{self, EnvironmentInfo};
use crate::record::Stop;
use crate::wait::{Step, Waited, Waiter, poll};
use crate::workflow;

/// Between two reads of the preview's instances.
pub const READ_EVERY: Duration = Duration::from_secs(5);

/// What to wait for: the run's `services` listed in `environment`, within `timeout`.
#[derive(Clone, Copy, Debug)]
pub struct CopyWait<'a> {
    pub project_id: &'a str,
    pub environment: &'a EnvironmentInfo,
    /// The copy's source, for messages.
    pub source: &'a str,
    pub services: &'a [Named],
    /// `deploy-timeout`.
    pub timeout: Duration,
}

/// Returns once every service of `w.services` is listed in the preview; a failure (exit 1)
/// naming those still missing when `w.timeout` passes first, or when the instances cannot be
/// read.
pub async fn wait(c: &RailwayClient, w: &CopyWait<'_>) -> Result<(), Stop> {
    let name = &w.environment.name;
    let until = tokio::time::Instant::now() + w.timeout;
    let mut waiter = Waiter::until(until, *c.timing());
    let note = |missing: &String, wait: Duration| {
        workflow::info(format!(
            "Railway lists `{name}` but not yet {missing} in it (still copying `{}`); looking again in {wait:.0?}",
            w.source
        ));
    };
    let read = || async {
        match environments::service_ids_in(c, w.project_id, &w.environment.id).await {
            Err(e) => Step::Done(Err(e)),
            Ok(listed) => match missing(w.services, &listed) {
                none if none.is_empty() => Step::Done(Ok(())),
                some => Step::Pending(some),
            },
        }
    };
    match poll(&mut waiter, |_| READ_EVERY, note, read).await {
        Waited::Done(Ok(())) => Ok(()),
        Waited::Done(Err(e)) => Err(Stop::failed(
            super::preview::FAILED,
            format!(
                "could not read which services the preview `{name}` holds: {e}; nothing was deployed. Re-run the workflow"
            ),
        )),
        Waited::StillRunning(missing) => Err(Stop::failed(
            super::preview::FAILED,
            format!(
                "Railway lists the preview `{name}`, but not {missing} in it after {}s (`deploy-timeout`): its copy of `{}` is not complete, so nothing was deployed. Re-run the workflow in a few minutes (it reuses the preview and waits again); if they never appear, delete `{name}` in Railway's dashboard so the next run copies it anew",
                waiter.elapsed().as_secs(),
                w.source
            ),
        )),
    }
}

/// The run's services not among `listed` (service ids), as "`web`, `api`" (empty: none).
fn missing(services: &[Named], listed: &[String]) -> String {
    let names: Vec<String> = services
        .iter()
        .filter(|s| !listed.contains(&s.id))
        .map(|s| format!("`{}`", s.name))
        .collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_services_not_listed_are_named() {
        let svc = |id: &str, name: &str| Named {
            id: id.into(),
            name: name.into(),
        };
        let run = [svc("svc-web", "web"), svc("svc-api", "api")];
        assert_eq!(missing(&run, &[]), "`web`, `api`");
        assert_eq!(missing(&run, &["svc-api".into()]), "`web`");
        assert_eq!(missing(&run, &["svc-web".into(), "svc-api".into()]), "");
    }
}
