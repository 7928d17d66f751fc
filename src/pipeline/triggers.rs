//! Resolution's look at Railway's own GitHub autodeploy (its deployment triggers), read only
//! where it matters: with `source: railway` the run follows that autodeploy, so one that waits
//! for CI ("Wait for CI", `checkSuites`) would wait for this very job while the job waits for
//! Railway: refused before waiting (exit 2); none for the pushed branch is refused as well, since
//! nothing would come. With another source on a branch push, an autodeploy of that branch means
//! Railway deploys the commit a second time: a warning says so, and how to choose.

use crate::config::{Config, Source};
use crate::context::Trigger;
use crate::railway::RailwayClient;
use crate::railway::api;
use crate::railway::resolve::Scope;
use crate::record::Stop;
use crate::stages::ServiceTarget;
use crate::workflow;

pub use crate::deploy::autodeploy::{Autodeploy, judge};

/// Reads each service's triggers when they matter, and refuses or warns (see the module).
pub async fn check(
    c: &RailwayClient,
    cfg: &Config,
    scope: &Scope,
    services: &[ServiceTarget],
) -> Result<(), Stop> {
    let branch = match &cfg.trigger {
        Trigger::BranchPush { branch } => Some(branch.as_str()),
        _ => None,
    };
    let railway = cfg.source == Source::Railway;
    // Another source only warns, on branch pushes that change something.
    if !railway && (branch.is_none() || cfg.dry_run) {
        return Ok(());
    }
    let env = scope.environment.name.as_str();
    // One read for every service of the run.
    let all = match api::deployment_triggers(c, &scope.project.id, &scope.environment.id).await {
        Ok(all) => all,
        Err(e) if railway => {
            return Err(Stop::Broken(format!(
                "could not read the deployment triggers of `{env}`: {e}"
            )));
        }
        // Only a warning depended on them.
        Err(e) => {
            workflow::warning(format!(
                "could not read the deployment triggers of `{env}` ({e}); not checking whether Railway autodeploys this commit too"
            ));
            return Ok(());
        }
    };
    for t in services {
        let name = t.service.name.as_str();
        let triggers: Vec<_> = all
            .iter()
            .filter(|tr| tr.service_id == t.service.id)
            .cloned()
            .collect();
        let on = branch.unwrap_or("(not a branch push)");
        match judge(&cfg.source, branch, &triggers) {
            Autodeploy::Fine => {}
            Autodeploy::Twice => workflow::warning(format!(
                "Railway's own autodeploy is on for branch `{on}` of `{name}` in `{env}`, so Railway deploys this commit as well. Choose one: turn the autodeploy off in Railway (service Settings → Source → disconnect the branch), or set `source: railway` to follow Railway's deploy instead of starting one"
            )),
            Autodeploy::WaitsForCi => {
                return Err(Stop::Input(format!(
                    "`source: railway`: Railway's \"Wait for CI\" is on for branch `{on}` of `{name}` in `{env}`, so Railway waits for this job's checks while this job waits for Railway. Turn \"Wait for CI\" off in Railway (service Settings → Source): this action's own gate (`wait-for-checks`) replaces it"
                )));
            }
            Autodeploy::Off => {
                return Err(Stop::Input(format!(
                    "`source: railway`: Railway's autodeploy is not on for branch `{on}` of `{name}` in `{env}`, so Railway makes no deployment of this commit to follow. Connect the branch in Railway (service Settings → Source), or use `source: commit`"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::railway::api::DeploymentTrigger;

    fn trigger(branch: &str, check_suites: bool) -> DeploymentTrigger {
        DeploymentTrigger {
            id: "t".into(),
            service_id: "svc-web".into(),
            branch: Some(branch.into()),
            check_suites,
            repository: Some("acme/shop".into()),
        }
    }

    #[test]
    fn triggers_by_source_and_branch() {
        let main = [trigger("main", false)];
        let ci = [trigger("main", true)];
        let other = [trigger("release", true)];
        let commit = Source::Commit;
        let railway = Source::Railway;
        assert_eq!(judge(&commit, Some("main"), &main), Autodeploy::Twice);
        assert_eq!(judge(&commit, Some("main"), &other), Autodeploy::Fine);
        assert_eq!(judge(&commit, None, &main), Autodeploy::Fine);
        assert_eq!(judge(&commit, Some("main"), &[]), Autodeploy::Fine);
        assert_eq!(judge(&railway, Some("main"), &main), Autodeploy::Fine);
        assert_eq!(judge(&railway, Some("main"), &ci), Autodeploy::WaitsForCi);
        assert_eq!(judge(&railway, Some("main"), &other), Autodeploy::Off);
        assert_eq!(judge(&railway, None, &main), Autodeploy::Off);
    }
}
