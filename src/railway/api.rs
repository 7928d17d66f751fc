//! Typed Railway operations: one function per `.graphql` file, with request and response structs.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::client::{RailwayClient, RailwayError};
use super::ops;
use super::status::DeploymentStatus;

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectTokenInfo {
    pub project_id: String,
    pub environment_id: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

/// A GraphQL connection's `edges { node }`, as Railway returns lists (every op module reads them
/// through this one type).
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Edges<T> {
    pub(crate) edges: Vec<Edge<T>>,
    /// Selected on connections read with `first:` (a page), absent on the others.
    #[serde(default, rename = "pageInfo")]
    pub(crate) page_info: Option<PageInfo>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageInfo {
    #[serde(default)]
    pub(crate) has_next_page: bool,
}

/// The most instances one connection page holds: Railway's CLI reads an environment's service
/// and volume instances 500 at a time (`controllers/project.rs` in railwayapp/cli 5.43.1).
pub(crate) const INSTANCE_PAGE: usize = 500;

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Edge<T> {
    pub(crate) node: T,
}

impl<T> Edges<T> {
    pub(crate) fn nodes(self) -> Vec<T> {
        self.edges.into_iter().map(|e| e.node).collect()
    }

    /// The nodes of a connection read as one page of [`INSTANCE_PAGE`]; an error when Railway
    /// says there are more (a partial list would hide a service or volume from the run).
    pub(crate) fn whole_page(self, operation: &str, what: &str) -> Result<Vec<T>, RailwayError> {
        if self.page_info.as_ref().is_some_and(|p| p.has_next_page) {
            return Err(RailwayError::Decode {
                operation: operation.to_string(),
                detail: format!(
                    "the environment holds more than {INSTANCE_PAGE} {what}, more than this action reads; open an issue with the run's trace"
                ),
            });
        }
        Ok(self.nodes())
    }
}

#[derive(Clone, Debug)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub environments: Vec<Named>,
    pub services: Vec<Named>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Domain {
    pub domain: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Domains {
    #[serde(default)]
    pub custom_domains: Vec<Domain>,
    #[serde(default)]
    pub service_domains: Vec<Domain>,
}

impl Domains {
    /// The public host users reach: a custom domain before the Railway one.
    pub fn primary(&self) -> Option<&str> {
        self.custom_domains
            .first()
            .or(self.service_domains.first())
            .map(|d| d.domain.as_str())
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct InstanceSource {
    pub image: Option<String>,
    pub repo: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceInstance {
    pub id: String,
    pub service_id: String,
    pub service_name: String,
    pub healthcheck_path: Option<String>,
    /// Railway stores it as JSON: a string or a list of strings.
    pub pre_deploy_command: Option<serde_json::Value>,
    /// The custom start command (`None`: the image's own); compared with `railway.json`.
    #[serde(default)]
    pub start_command: Option<String>,
    pub source: Option<InstanceSource>,
    #[serde(default)]
    pub domains: Domains,
    /// The directory Railway builds from (`None` or `/`: the repository root).
    #[serde(default)]
    pub root_directory: Option<String>,
    /// Gitignore-style patterns of the files whose change triggers a deploy in Railway.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub watch_patterns: Vec<String>,
    /// The instance's most recent deployment (`None`: never deployed in this environment).
    #[serde(default)]
    pub latest_deployment: Option<LatestDeployment>,
}

/// A service instance's most recent deployment, as the instance names it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct LatestDeployment {
    pub id: String,
    pub status: DeploymentStatus,
}

/// A list Railway may send as `null`.
fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub id: String,
    /// Railway's `DeploymentStatus`, parsed on arrival (an unknown value is `Unknown`).
    pub status: DeploymentStatus,
    pub created_at: Option<String>,
    pub service_id: Option<String>,
    pub environment_id: Option<String>,
    /// The build snapshot (null for image deploys): scopes the build logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<String>,
    pub static_url: Option<String>,
    pub url: Option<String>,
    #[serde(default)]
    pub can_rollback: bool,
    /// Free-form JSON: `commitHash`, `image`, `reason` ...
    pub meta: Option<serde_json::Value>,
}

impl Deployment {
    pub fn meta_str(&self, key: &str) -> Option<&str> {
        self.meta.as_ref()?.get(key)?.as_str()
    }
}

/// Filter for [`deployments`].
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentFilter {
    pub project_id: Option<String>,
    pub environment_id: Option<String>,
    pub service_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusFilter>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StatusFilter {
    #[serde(rename = "in")]
    pub any_of: Vec<DeploymentStatus>,
}

/// What one resolution request answers: the project, and the service instances of the
/// environments it read them for (every environment with an account token; the token's one with
/// a project token).
#[derive(Clone, Debug)]
pub struct ProjectRead {
    pub project: Project,
    /// (environment id, the instances of that environment).
    pub instances: Vec<(String, Vec<ServiceInstance>)>,
}

impl ProjectRead {
    /// The service instances of `environment_id` (empty when they were not read or there are none).
    pub fn instances_of(&self, environment_id: &str) -> &[ServiceInstance] {
        self.instances
            .iter()
            .find(|(id, _)| id == environment_id)
            .map(|(_, list)| list.as_slice())
            .unwrap_or(&[])
    }
}

#[derive(Deserialize)]
struct RawProject {
    id: String,
    name: String,
    environments: Edges<Named>,
    services: Edges<Named>,
}

impl RawProject {
    fn into_project(self) -> Project {
        Project {
            id: self.id,
            name: self.name,
            environments: self.environments.nodes(),
            services: self.services.nodes(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnvironmentInstances {
    id: String,
    service_instances: Edges<ServiceInstance>,
}

/// The project token's scope, project and the instances of its environment: one request.
pub async fn project_token(
    c: &RailwayClient,
) -> Result<(ProjectTokenInfo, ProjectRead), RailwayError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Raw {
        project_id: String,
        environment_id: String,
        project: RawProject,
        environment: EnvironmentInstances,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        project_token: Raw,
    }
    let d: Data = c.execute(&ops::PROJECT_TOKEN, &json!({})).await?;
    let t = d.project_token;
    let info = ProjectTokenInfo {
        project_id: t.project_id,
        environment_id: t.environment_id,
    };
    let read = ProjectRead {
        project: t.project.into_project(),
        instances: vec![(
            t.environment.id,
            t.environment
                .service_instances
                .whole_page(ops::PROJECT_TOKEN.name, "service instances")?,
        )],
    };
    Ok((info, read))
}

/// A project with its environments, services and every environment's instances: one request.
pub async fn project(c: &RailwayClient, id: &str) -> Result<ProjectRead, RailwayError> {
    #[derive(Deserialize)]
    struct Raw {
        id: String,
        name: String,
        environments: Edges<EnvironmentNode>,
        services: Edges<Named>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct EnvironmentNode {
        name: String,
        #[serde(flatten)]
        instances: EnvironmentInstances,
    }
    #[derive(Deserialize)]
    struct Data {
        project: Raw,
    }
    let d: Data = c.execute(&ops::PROJECT, &json!({ "id": id })).await?;
    let p = d.project;
    let mut environments = Vec::new();
    let mut instances = Vec::new();
    for e in p.environments.nodes() {
        environments.push(Named {
            id: e.instances.id.clone(),
            name: e.name,
        });
        let list = e
            .instances
            .service_instances
            .whole_page(ops::PROJECT.name, "service instances")?;
        instances.push((e.instances.id, list));
    }
    Ok(ProjectRead {
        project: Project {
            id: p.id,
            name: p.name,
            environments,
            services: p.services.nodes(),
        },
        instances,
    })
}

pub async fn service_instance(
    c: &RailwayClient,
    service_id: &str,
    environment_id: &str,
) -> Result<ServiceInstance, RailwayError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        service_instance: ServiceInstance,
    }
    let d: Data = c
        .execute(
            &ops::SERVICE_INSTANCE,
            &json!({ "serviceId": service_id, "environmentId": environment_id }),
        )
        .await?;
    Ok(d.service_instance)
}

/// Deployments matching `filter`, newest first (Railway's order), at most `first`.
pub async fn deployments(
    c: &RailwayClient,
    filter: &DeploymentFilter,
    first: u32,
) -> Result<Vec<Deployment>, RailwayError> {
    #[derive(Deserialize)]
    struct Data {
        deployments: Edges<Deployment>,
    }
    let d: Data = c
        .execute(
            &ops::DEPLOYMENTS,
            &json!({ "input": filter, "first": first }),
        )
        .await?;
    Ok(d.deployments.nodes())
}

pub async fn deployment(c: &RailwayClient, id: &str) -> Result<Deployment, RailwayError> {
    #[derive(Deserialize)]
    struct Data {
        deployment: Deployment,
    }
    let d: Data = c.execute(&ops::DEPLOYMENT, &json!({ "id": id })).await?;
    Ok(d.deployment)
}

/// Starts a deployment of the service instance: of `commit_sha` when given, else of its current
/// source (an image, or the branch's latest commit). Returns the new deployment's id.
pub async fn deploy_service_instance(
    c: &RailwayClient,
    service_id: &str,
    environment_id: &str,
    commit_sha: Option<&str>,
) -> Result<String, RailwayError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        service_instance_deploy_v2: String,
    }
    let vars = json!({ "serviceId": service_id, "environmentId": environment_id, "commitSha": commit_sha });
    let d: Data = c.execute(&ops::SERVICE_INSTANCE_DEPLOY, &vars).await?;
    Ok(d.service_instance_deploy_v2)
}

/// Starts a deployment of the service instance from its configured source: the latest commit of
/// its connected branch, or its image pulled again (`serviceInstanceDeploy(latestCommit: true)`,
/// as Railway's CLI sends it). The answer is a Boolean, not the deployment (schema): the caller
/// reads the deployment back.
pub async fn deploy_latest_commit(
    c: &RailwayClient,
    service_id: &str,
    environment_id: &str,
) -> Result<(), RailwayError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        service_instance_deploy: bool,
    }
    let vars = json!({ "serviceId": service_id, "environmentId": environment_id });
    let d: Data = c
        .execute(&ops::SERVICE_INSTANCE_DEPLOY_LATEST, &vars)
        .await?;
    if d.service_instance_deploy {
        Ok(())
    } else {
        Err(RailwayError::GraphQl {
            operation: ops::SERVICE_INSTANCE_DEPLOY_LATEST.name.into(),
            messages: vec![
                "serviceInstanceDeploy returned false: no deployment was started".into(),
            ],
        })
    }
}

/// Updates a service instance's settings; `input` is a `ServiceInstanceUpdateInput`.
pub async fn update_service_instance(
    c: &RailwayClient,
    service_id: &str,
    environment_id: &str,
    input: serde_json::Value,
) -> Result<(), RailwayError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        service_instance_update: bool,
    }
    let vars = json!({ "serviceId": service_id, "environmentId": environment_id, "input": input });
    let d: Data = c.execute(&ops::SERVICE_INSTANCE_UPDATE, &vars).await?;
    if d.service_instance_update {
        Ok(())
    } else {
        Err(RailwayError::GraphQl {
            operation: ops::SERVICE_INSTANCE_UPDATE.name.into(),
            messages: vec!["serviceInstanceUpdate returned false".into()],
        })
    }
}

/// One of a service's deployment triggers: Railway's GitHub autodeploy of `branch`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentTrigger {
    pub id: String,
    /// The service the trigger deploys.
    #[serde(default)]
    pub service_id: String,
    pub branch: Option<String>,
    /// "Wait for CI": Railway deploys only once the commit's GitHub check suites pass.
    #[serde(default)]
    pub check_suites: bool,
    pub repository: Option<String>,
}

/// The deployment triggers of every service in an environment (one request; each names its
/// service).
pub async fn deployment_triggers(
    c: &RailwayClient,
    project_id: &str,
    environment_id: &str,
) -> Result<Vec<DeploymentTrigger>, RailwayError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Env {
        deployment_triggers: Edges<DeploymentTrigger>,
    }
    #[derive(Deserialize)]
    struct Data {
        environment: Env,
    }
    let vars = json!({ "projectId": project_id, "environmentId": environment_id });
    let d: Data = c.execute(&ops::DEPLOYMENT_TRIGGERS, &vars).await?;
    Ok(d.environment.deployment_triggers.nodes())
}

/// The pre-deploy command as one line (Railway stores a string or a list of strings).
pub fn pre_deploy_command_text(instance: &ServiceInstance) -> Option<String> {
    match instance.pre_deploy_command.as_ref()? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Array(items) => {
            let parts: Vec<&str> = items.iter().filter_map(|v| v.as_str()).collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        }
        _ => None,
    }
}
