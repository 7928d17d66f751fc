//! Resolution: every read the plan needs, before anything changes: the project and environment,
//! each service's instance and the deployment serving it now, and for `command: promote` what
//! passed in `from-environment`.

use crate::config::Config;
use crate::context::Trigger;
use crate::railway::RailwayClient;
use crate::railway::api;
use crate::railway::resolve::{self, ResolveError, Scope};
use crate::record::Ending;
use crate::stages::ServiceTarget;
use crate::stages::in_flight;
use crate::stages::promote::{PromoteError, Want, plan_promotion};
use crate::workflow;

/// Reads the scope and every service of the run, in the order of the `service` input.
pub async fn read(
    c: &RailwayClient,
    cfg: &Config,
    environment: &str,
) -> Result<(Scope, Vec<ServiceTarget>), ResolveError> {
    let scope = resolve::scope(c, cfg.project.as_deref(), environment).await?;
    let named =
        resolve::find_services(&scope.project, &cfg.services).map_err(ResolveError::Input)?;
    let mut services = Vec::new();
    for service in named {
        let instance = api::service_instance(c, &service.id, &scope.environment.id).await.map_err(|e| {
            if e.is_not_found() {
                ResolveError::Input(format!("service `{}` has no instance in environment `{}`; add it to that environment in Railway first", service.name, scope.environment.name))
            } else {
                e.into()
            }
        })?;
        // One request: the serving deployment and the ones in flight.
        let current = in_flight::read_current(c, &scope, &service.id).await?;
        services.push(ServiceTarget {
            service,
            instance,
            serving: current.serving,
            in_flight: current.in_flight,
        });
    }
    Ok((scope, services))
}

/// `command: promote`: what each service deploys (what passed in `from-environment`: its commit
/// or image digest). A refusal is invalid input: nothing has changed yet.
pub async fn promotions(
    client: &RailwayClient,
    cfg: &Config,
    scope: &Scope,
    services: &[ServiceTarget],
) -> Result<Vec<crate::stages::promote::Promotion>, Ending> {
    let from = resolve::find_environment(&scope.project, &cfg.from_environment)
        .map_err(|e| Ending::InvalidInput(format!("input `from-environment`: {e}")))?
        .clone();
    let tagged = matches!(
        cfg.trigger,
        Trigger::TagPush { .. } | Trigger::Release { .. }
    );
    let commit = if tagged { cfg.sha.as_deref() } else { None };
    let named: Vec<_> = services.iter().map(|s| s.service.clone()).collect();
    let want = Want::from_source(&cfg.source);
    let promotions = plan_promotion(client, &scope.project.id, &from, &named, commit, want)
        .await
        .map_err(|e| match e {
            PromoteError::Refused(msg) => Ending::InvalidInput(msg),
            PromoteError::Railway(e) => Ending::Broken(format!(
                "could not read the deployments of `{}` to promote: {e}",
                from.name
            )),
        })?;
    for p in &promotions {
        workflow::info(format!(
            "Promoting `{}`: deployment {} from `{}`",
            p.service_name, p.from_deployment_id, from.name
        ));
    }
    Ok(promotions)
}
