//! Resolves what the user named to Railway ids: the project (from the project token, or the
//! `project` input), the environment (by id or exact name) and services (by id or case-insensitive
//! name). A miss says what exists, so the fix is obvious. The project, the environment and the
//! environment's service instances come from one request (`ProjectToken` with a project token,
//! `Project` with an account token).

use super::api::{self, Named, Project, ServiceInstance};
use super::auth::RailwayToken;
use super::client::{RailwayClient, RailwayError};

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The user named something that does not exist or cannot be used (exit 2).
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Railway(#[from] RailwayError),
}

/// The project and environment this run works in.
#[derive(Clone, Debug)]
pub struct Scope {
    pub project: Project,
    pub environment: Named,
}

fn list(names: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = names.collect();
    if v.is_empty() {
        "none".to_string()
    } else {
        v.join(", ")
    }
}

/// Finds an environment by id, else by exact name.
pub fn find_environment<'a>(project: &'a Project, wanted: &str) -> Result<&'a Named, String> {
    project.environments.iter().find(|e| e.id == wanted).or_else(|| project.environments.iter().find(|e| e.name == wanted)).ok_or_else(|| {
        format!(
            "environment `{wanted}` not found in project `{}`; environments: {}. Set `environment` (or `staging-environment` / `production-environment`) to one of them",
            project.name,
            list(project.environments.iter().map(|e| e.name.clone()))
        )
    })
}

/// Finds each service by id, else by case-insensitive name; every miss is reported at once.
pub fn find_services(project: &Project, wanted: &[String]) -> Result<Vec<Named>, String> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for w in wanted {
        match project.services.iter().find(|s| s.id == *w).or_else(|| {
            project
                .services
                .iter()
                .find(|s| s.name.eq_ignore_ascii_case(w))
        }) {
            Some(s) => found.push(s.clone()),
            None => missing.push(format!("`{w}`")),
        }
    }
    if missing.is_empty() {
        return Ok(found);
    }
    Err(format!(
        "service {} not found in project `{}`; services: {}",
        missing.join(", "),
        project.name,
        list(project.services.iter().map(|s| s.name.clone()))
    ))
}

/// Resolves the project and the environment named `environment` (name or id), with that
/// environment's service instances.
pub async fn scope(
    c: &RailwayClient,
    project_input: Option<&str>,
    environment: &str,
) -> Result<(Scope, Vec<ServiceInstance>), ResolveError> {
    let token = match c.token() {
        RailwayToken::Project(_) => Some(api::project_token(c).await?),
        RailwayToken::Account(_) => None,
    };
    scope_from(c, token, project_input, environment).await
}

/// [`scope`] from a project token's read already made (`None`: an account token), so a caller
/// that needs that read itself (`command: check`) makes it once.
pub async fn scope_from(
    c: &RailwayClient,
    token: Option<(api::ProjectTokenInfo, api::ProjectRead)>,
    project_input: Option<&str>,
    environment: &str,
) -> Result<(Scope, Vec<ServiceInstance>), ResolveError> {
    let (token_scope, mut read) = match token {
        Some((info, read)) => (Some(info), Some(read)),
        None => (None, None),
    };
    let project_id = match (&token_scope, project_input) {
        (Some(t), Some(p)) if t.project_id != p => {
            return Err(ResolveError::Input(format!(
                "input `project` is `{p}` but the project token belongs to project `{}`; remove `project` or use a token of that project",
                t.project_id
            )));
        }
        (Some(t), _) => t.project_id.clone(),
        (None, Some(p)) => p.to_string(),
        (None, None) => {
            return Err(ResolveError::Input(
                "input `project`: required with an account token (`railway-api-token`); set it to the project id (Project Settings → General), or use a project token (`railway-token`)".into(),
            ));
        }
    };
    let read = match read.take() {
        Some(r) => r,
        None => match api::project(c, &project_id).await {
            Ok(p) => p,
            Err(e) if e.is_not_found() => {
                return Err(ResolveError::Input(format!(
                    "project `{project_id}` not found, or this token cannot see it; check input `project`"
                )));
            }
            Err(e) => return Err(e.into()),
        },
    };
    let project = &read.project;
    let env = find_environment(project, environment)
        .map_err(ResolveError::Input)?
        .clone();
    if let Some(t) = &token_scope
        && t.environment_id != env.id
    {
        let token_env = project
            .environments
            .iter()
            .find(|e| e.id == t.environment_id)
            .map(|e| e.name.clone())
            .unwrap_or_else(|| t.environment_id.clone());
        return Err(ResolveError::Input(format!(
            "the project token is for environment `{token_env}`, but this run deploys to `{}`; project tokens are scoped to one environment: use that environment's token (e.g. a `RAILWAY_TOKEN` secret per GitHub environment) or an account token",
            env.name
        )));
    }
    let instances = read.instances_of(&env.id).to_vec();
    Ok((
        Scope {
            project: read.project,
            environment: env,
        },
        instances,
    ))
}

/// The instance of `service` among `instances` (those of the run's environment).
pub fn find_instance<'a>(
    instances: &'a [ServiceInstance],
    service: &Named,
    environment: &Named,
) -> Result<&'a ServiceInstance, String> {
    instances
        .iter()
        .find(|i| i.service_id == service.id)
        .ok_or_else(|| {
            format!(
                "service `{}` has no instance in environment `{}`; add it to that environment in Railway first",
                service.name, environment.name
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> Project {
        let n = |id: &str, name: &str| Named {
            id: id.into(),
            name: name.into(),
        };
        Project {
            id: "p1".into(),
            name: "shop".into(),
            environments: vec![n("e1", "production"), n("e2", "staging")],
            services: vec![n("s1", "web"), n("s2", "worker")],
        }
    }

    #[test]
    fn services_by_id_or_case_insensitive_name() {
        let p = project();
        let got = find_services(&p, &["WEB".into(), "s2".into()]).unwrap();
        assert_eq!(
            got.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            vec!["s1", "s2"]
        );
        let err = find_services(&p, &["api".into(), "web".into(), "db".into()]).unwrap_err();
        assert_eq!(
            err,
            "service `api`, `db` not found in project `shop`; services: web, worker"
        );
    }

    #[test]
    fn environments_by_id_or_exact_name() {
        let p = project();
        assert_eq!(find_environment(&p, "e2").unwrap().name, "staging");
        assert_eq!(find_environment(&p, "production").unwrap().id, "e1");
        assert!(
            find_environment(&p, "Production")
                .unwrap_err()
                .contains("environments: production, staging")
        );
    }
}
