//! Owns the Railway operations previews use: the project's environments with their ephemeral
//! flag, creating an environment as an ephemeral copy of another, which services an environment
//! lists an instance of (a copy may be listed before it is complete), deleting one, and giving a
//! service a Railway domain. Each call is one request (the listing: one per page of
//! environments, bounded); what to do when an answer is lost (read back, never send blindly
//! again) is the caller's (`crate::stages::preview`). An environment listed with `deletedAt` set
//! is left out: it is gone.

use serde::Deserialize;
use serde_json::json;

use super::api::{Edge, Edges, Named};
use super::client::{RailwayClient, RailwayError};
use super::ops;

/// One environment of the project, as previews see it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentInfo {
    pub id: String,
    pub name: String,
    /// Railway's ephemeral flag: a preview, which Railway (and this action) may delete.
    #[serde(default)]
    pub is_ephemeral: bool,
}

/// A listed environment node: Railway may list a deleted one with `deletedAt` set.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListedEnvironment {
    #[serde(flatten)]
    info: EnvironmentInfo,
    #[serde(default)]
    deleted_at: Option<String>,
}

/// The project's name, environments and services (one request).
#[derive(Clone, Debug)]
pub struct ProjectEnvironments {
    pub project: Named,
    pub environments: Vec<EnvironmentInfo>,
    pub services: Vec<Named>,
}

impl ProjectEnvironments {
    /// The environment with this exact name (Railway's names are unique in a project).
    pub fn named(&self, name: &str) -> Option<&EnvironmentInfo> {
        self.environments.iter().find(|e| e.name == name)
    }

    /// The environment with this id, else this exact name.
    pub fn find(&self, wanted: &str) -> Option<&EnvironmentInfo> {
        self.environments
            .iter()
            .find(|e| e.id == wanted)
            .or_else(|| self.named(wanted))
    }

    /// The names of every environment, for messages.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.environments.iter().map(|e| e.name.as_str()).collect();
        if names.is_empty() {
            "none".into()
        } else {
            names.join(", ")
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

/// One page of a connection: its nodes and where the next page starts.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page<T> {
    edges: Vec<Edge<T>>,
    page_info: PageInfo,
}

/// Environments asked for per page.
const PAGE_SIZE: u32 = 100;
/// Pages read at most (5,000 environments): the listing is bounded even if Railway kept
/// answering `hasNextPage` with the same cursor.
const MAX_PAGES: usize = 50;

/// The project's environments (with `isEphemeral`, every page) and services.
pub async fn project_environments(
    c: &RailwayClient,
    project_id: &str,
) -> Result<ProjectEnvironments, RailwayError> {
    #[derive(Deserialize)]
    struct Raw {
        id: String,
        name: String,
        environments: Page<ListedEnvironment>,
        services: Edges<Named>,
    }
    #[derive(Deserialize)]
    struct Data {
        project: Raw,
    }
    let mut after: Option<String> = None;
    let mut environments = Vec::new();
    for _ in 0..MAX_PAGES {
        let vars = json!({ "id": project_id, "first": PAGE_SIZE, "after": after });
        let d: Data = c.execute(&ops::PROJECT_ENVIRONMENTS, &vars).await?;
        let page = d.project.environments;
        // A deleted environment is gone, whatever the listing still shows of it.
        environments.extend(
            page.edges
                .into_iter()
                .map(|e| e.node)
                .filter(|n| n.deleted_at.is_none())
                .map(|n| n.info),
        );
        let next = page
            .page_info
            .end_cursor
            .filter(|_| page.page_info.has_next_page);
        if next.is_none() {
            return Ok(ProjectEnvironments {
                project: Named {
                    id: d.project.id,
                    name: d.project.name,
                },
                environments,
                services: d.project.services.nodes(),
            });
        }
        if next == after {
            // The same page again would be read forever: stop (the error below).
            break;
        }
        after = next;
    }
    Err(RailwayError::GraphQl {
        operation: ops::PROJECT_ENVIRONMENTS.name.into(),
        messages: vec![format!(
            "the project's environments did not end within {MAX_PAGES} pages of {PAGE_SIZE} (or Railway repeated a page); delete old previews in Railway's dashboard, then re-run"
        )],
    })
}

/// Creates `name` as an ephemeral copy of `source_id` (its services, variables, configuration
/// and volumes). Decisions: the copy is committed at once (`stageInitialChanges: false`) and
/// waited for (`applyChangesInBackground: false`), so its service instances exist when this
/// returns; and the copy's initial deploys are skipped (`skipInitialDeploys: true`), so Railway
/// does not start deploying the source's services there by itself: the action deploys the pull
/// request's commit.
pub async fn create_ephemeral(
    c: &RailwayClient,
    project_id: &str,
    name: &str,
    source_id: &str,
) -> Result<EnvironmentInfo, RailwayError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        environment_create: EnvironmentInfo,
    }
    let input = json!({
        "projectId": project_id,
        "name": name,
        "sourceEnvironmentId": source_id,
        "ephemeral": true,
        "skipInitialDeploys": true,
        "stageInitialChanges": false,
        "applyChangesInBackground": false,
    });
    let d: Data = c
        .execute(&ops::ENVIRONMENT_CREATE, &json!({ "input": input }))
        .await?;
    Ok(d.environment_create)
}

/// The ids of the services `environment_id` lists an instance of (one request, 500 at most: an
/// environment with more is an error rather than a partial list).
pub async fn service_ids_in(
    c: &RailwayClient,
    project_id: &str,
    environment_id: &str,
) -> Result<Vec<String>, RailwayError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Node {
        service_id: String,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Environment {
        service_instances: Edges<Node>,
    }
    #[derive(Deserialize)]
    struct Data {
        environment: Environment,
    }
    let vars = json!({ "environmentId": environment_id, "projectId": project_id });
    let d: Data = c
        .execute(&ops::ENVIRONMENT_SERVICE_INSTANCES, &vars)
        .await?;
    let nodes = d
        .environment
        .service_instances
        .whole_page(ops::ENVIRONMENT_SERVICE_INSTANCES.name, "service instances")?;
    Ok(nodes.into_iter().map(|n| n.service_id).collect())
}

/// Deletes the environment `id`.
pub async fn delete_environment(c: &RailwayClient, id: &str) -> Result<(), RailwayError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        environment_delete: bool,
    }
    let d: Data = c
        .execute(&ops::ENVIRONMENT_DELETE, &json!({ "id": id }))
        .await?;
    if d.environment_delete {
        Ok(())
    } else {
        Err(RailwayError::GraphQl {
            operation: ops::ENVIRONMENT_DELETE.name.into(),
            messages: vec!["environmentDelete returned false".into()],
        })
    }
}

/// Gives the service a Railway domain in the environment; returns the domain (a host name).
pub async fn create_service_domain(
    c: &RailwayClient,
    service_id: &str,
    environment_id: &str,
) -> Result<String, RailwayError> {
    #[derive(Deserialize)]
    struct Domain {
        domain: String,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        service_domain_create: Domain,
    }
    let input = json!({ "serviceId": service_id, "environmentId": environment_id });
    let d: Data = c
        .execute(&ops::SERVICE_DOMAIN_CREATE, &json!({ "input": input }))
        .await?;
    Ok(d.service_domain_create.domain)
}

/// Railway refused a create because the name is taken ("An environment with that name already
/// exists"): another run created it first, so it is read back by name.
pub fn is_name_taken(e: &RailwayError) -> bool {
    match e {
        RailwayError::GraphQl { messages, .. } => messages.iter().any(|m| {
            let m = m.to_ascii_lowercase();
            m.contains("already exists") || m.contains("already taken") || m.contains("conflict")
        }),
        RailwayError::Http { status, .. } => *status == 409,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_name_is_told_from_other_errors() {
        let gql = |m: &str| RailwayError::GraphQl {
            operation: "EnvironmentCreate".into(),
            messages: vec![m.into()],
        };
        assert!(is_name_taken(&gql(
            "An environment with that name already exists"
        )));
        assert!(!is_name_taken(&gql("Not Authorized")));
        assert!(!is_name_taken(&RailwayError::NoData {
            operation: "EnvironmentCreate".into()
        }));
    }

    #[test]
    fn environments_are_found_by_id_then_name() {
        let e = |id: &str, name: &str, eph: bool| EnvironmentInfo {
            id: id.into(),
            name: name.into(),
            is_ephemeral: eph,
        };
        let p = ProjectEnvironments {
            project: Named {
                id: "p".into(),
                name: "shop".into(),
            },
            environments: vec![e("env-stg", "staging", false), e("env-7", "pr-7", true)],
            services: vec![],
        };
        assert_eq!(p.find("env-7").map(|e| e.name.as_str()), Some("pr-7"));
        assert_eq!(p.find("staging").map(|e| e.id.as_str()), Some("env-stg"));
        assert!(p.named("pr-8").is_none());
        assert_eq!(p.names(), "staging, pr-7");
    }
}
