//! Resolution: every read the plan needs, before anything changes: the project, environment and
//! each service's instance (one request), the deployment serving each service now (one each), and for `command: promote` what
//! passed in `from-environment`.

use crate::config::Config;
use crate::context::Trigger;
use crate::railway::api::{self, Deployment, DeploymentFilter, StatusFilter};
use crate::railway::resolve::{self, ResolveError, Scope};
use crate::railway::status::DeploymentStatus;
use crate::railway::{RailwayClient, RailwayError};
use crate::record::Ending;
use crate::stages::ServiceTarget;
use crate::stages::promote::{PromoteError, Want, plan_promotion};
use crate::workflow;

/// The deployment serving now: the newest one that went live.
pub async fn serving_deployment(
    c: &RailwayClient,
    scope: &Scope,
    service_id: &str,
) -> Result<Option<Deployment>, RailwayError> {
    let filter = DeploymentFilter {
        project_id: Some(scope.project.id.clone()),
        environment_id: Some(scope.environment.id.clone()),
        service_id: Some(service_id.to_string()),
        status: Some(StatusFilter {
            any_of: vec![DeploymentStatus::Success, DeploymentStatus::Sleeping],
        }),
    };
    Ok(api::deployments(c, &filter, 1).await?.into_iter().next())
}

/// Reads the scope and every service of the run, in the order of the `service` input.
pub async fn read(
    c: &RailwayClient,
    cfg: &Config,
    environment: &str,
) -> Result<(Scope, Vec<ServiceTarget>), ResolveError> {
    let (scope, instances) = resolve::scope(c, cfg.project.as_deref(), environment).await?;
    let named =
        resolve::find_services(&scope.project, &cfg.services).map_err(ResolveError::Input)?;
    let mut services = Vec::new();
    for service in named {
        let instance = resolve::find_instance(&instances, &service, &scope.environment)
            .map_err(ResolveError::Input)?
            .clone();
        let serving = serving_deployment(c, &scope, &service.id).await?;
        services.push(ServiceTarget {
            service,
            instance,
            serving,
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
