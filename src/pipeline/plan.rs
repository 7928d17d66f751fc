//! Resolution and the plan: every read the run needs (project, environment, services, what each
//! service serves now), and the list of mutations it will make, built as data before anything
//! changes. A dry run stops after printing this.

use crate::config::{Config, Source};
use crate::railway::api::{
    self, Deployment, DeploymentFilter, Named, ServiceInstance, StatusFilter,
};
use crate::railway::resolve::{self, ResolveError, Scope};
use crate::railway::{RailwayClient, dashboard_url};
use crate::report::PlannedAction;

/// One service to deploy, with what Railway says about it now.
#[derive(Clone, Debug)]
pub struct ServicePlan {
    pub service: Named,
    pub instance: ServiceInstance,
    /// The deployment serving before this run (for outputs and rollback).
    pub serving: Option<Deployment>,
}

impl ServicePlan {
    /// `https://{domain}`, a custom domain before the Railway one.
    pub fn public_url(&self) -> Option<String> {
        self.instance
            .domains
            .primary()
            .map(|d| format!("https://{d}"))
    }
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub scope: Scope,
    pub services: Vec<ServicePlan>,
    pub actions: Vec<PlannedAction>,
    /// The image a hand-run rollback command names (from `Config::surroundings`).
    pub released_image: String,
}

impl Plan {
    pub fn dashboard(&self, service_id: &str, deployment_id: &str) -> String {
        dashboard_url(
            &self.scope.project.id,
            service_id,
            &self.scope.environment.id,
            deployment_id,
        )
    }
}

/// The deployment serving now: the newest one that went live.
pub async fn serving_deployment(
    c: &RailwayClient,
    scope: &Scope,
    service_id: &str,
) -> Result<Option<Deployment>, crate::railway::RailwayError> {
    let filter = DeploymentFilter {
        project_id: Some(scope.project.id.clone()),
        environment_id: Some(scope.environment.id.clone()),
        service_id: Some(service_id.to_string()),
        status: Some(StatusFilter {
            any_of: vec!["SUCCESS", "SLEEPING"],
        }),
    };
    Ok(api::deployments(c, &filter, 1).await?.into_iter().next())
}

/// Reads everything and lists the mutations, in order.
pub async fn build(
    c: &RailwayClient,
    cfg: &Config,
    environment: &str,
) -> Result<Plan, ResolveError> {
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
        let serving = serving_deployment(c, &scope, &service.id).await?;
        services.push(ServicePlan {
            service,
            instance,
            serving,
        });
    }
    let actions = plan_actions(cfg, &scope, &services);
    Ok(Plan {
        scope,
        services,
        actions,
        released_image: cfg.surroundings.released_image.clone(),
    })
}

/// The mutations, as sentences (pure).
pub fn plan_actions(cfg: &Config, scope: &Scope, services: &[ServicePlan]) -> Vec<PlannedAction> {
    let mut actions = Vec::new();
    for s in services {
        let name = &s.service.name;
        let mut push = |description: String| {
            actions.push(PlannedAction {
                service: Some(name.clone()),
                description,
            })
        };
        if let Some(cmd) = &cfg.migrate_command
            && crate::migrate::predeploy::needs_update(&s.instance, cmd)
        {
            push(format!(
                "set the pre-deploy command of `{name}` in `{}` to `{cmd}`",
                scope.environment.name
            ));
        }
        match &cfg.source {
            Source::Commit => match &cfg.sha {
                Some(sha) => push(format!(
                    "deploy commit {} to `{name}` in `{}`",
                    short(sha),
                    scope.environment.name
                )),
                None => push(format!(
                    "deploy the latest commit of `{name}`'s branch in `{}`",
                    scope.environment.name
                )),
            },
            Source::Image { reference } => {
                if s.instance.source.as_ref().and_then(|x| x.image.as_deref())
                    != Some(reference.as_str())
                {
                    push(format!(
                        "set the image of `{name}` in `{}` to `{reference}`",
                        scope.environment.name
                    ));
                }
                push(format!(
                    "deploy image `{reference}` to `{name}` in `{}`",
                    scope.environment.name
                ));
            }
            Source::Upload { path } => push(format!(
                "upload `{}` and deploy it to `{name}` in `{}`",
                path.display(),
                scope.environment.name
            )),
        }
    }
    actions
}

pub fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}
