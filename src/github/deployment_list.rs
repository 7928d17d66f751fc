//! Owns reading and writing GitHub Deployments by id for everything that looks back at them
//! (the release guard, the served commit, making older ones inactive): the Deployments of an
//! environment (`GET /repos/{o}/{r}/deployments?environment=&task=&sha=`, newest first, paged by
//! number; GitHub documents the `sha`, `ref`, `task` and `environment` filters, not the order), a Deployment's statuses (`GET .../deployments/{id}/statuses`, newest first, one
//! page) and writing a status (`POST .../deployments/{id}/statuses`, safe to repeat: a
//! Deployment's state is its newest status, so a duplicate changes nothing).
//! Reference: https://docs.github.com/rest/deployments/deployments and
//! https://docs.github.com/rest/deployments/statuses (`per_page` at most 100).

use serde::Deserialize;
use serde_json::Value;

use super::GitHub;
use super::client::query_value;
use super::pages::{Pages, array};
use super::request::{GitHubError, Method, get_json, send_repeatable};

/// Which Deployments to list.
#[derive(Clone, Debug)]
pub struct DeploymentQuery {
    pub environment: String,
    /// Only those with this `task` (see `github::keyed`).
    pub task: Option<String>,
    /// Only those created for this commit.
    pub sha: Option<String>,
}

impl DeploymentQuery {
    pub fn environment(environment: &str) -> Self {
        DeploymentQuery {
            environment: environment.to_string(),
            task: None,
            sha: None,
        }
    }

    pub fn sha(mut self, sha: &str) -> Self {
        self.sha = Some(sha.to_string());
        self
    }

    pub fn task(mut self, task: &str) -> Self {
        self.task = Some(task.to_string());
        self
    }
}

/// One listed Deployment.
#[derive(Clone, Debug, Deserialize)]
pub struct Deployment {
    pub id: u64,
    #[serde(default)]
    pub sha: String,
    /// As created: an object, or the string it was created as.
    #[serde(default)]
    pub payload: Value,
    /// When GitHub created it (RFC 3339).
    #[serde(default)]
    pub created_at: Option<String>,
}

/// One status of a Deployment.
#[derive(Clone, Debug, Deserialize)]
pub struct DeploymentStatus {
    pub state: String,
    #[serde(default)]
    pub log_url: Option<String>,
}

impl GitHub {
    /// The Deployments matching `query`, newest first, `per_page` a page, at most `max_pages`.
    pub fn deployments(
        &self,
        query: &DeploymentQuery,
        per_page: u32,
        max_pages: u32,
    ) -> Pages<'_, Deployment> {
        let mut route = self.route(&format!(
            "/deployments?environment={}",
            query_value(&query.environment)
        ));
        if let Some(task) = &query.task {
            route.push_str(&format!("&task={}", query_value(task)));
        }
        if let Some(sha) = &query.sha {
            route.push_str(&format!("&sha={}", query_value(sha)));
        }
        Pages::new(self, route, per_page, max_pages, array)
    }

    /// The newest `per_page` statuses of Deployment `id`, newest first.
    pub async fn deployment_statuses(
        &self,
        id: u64,
        per_page: u32,
    ) -> Result<Vec<DeploymentStatus>, GitHubError> {
        let route = self.route(&format!("/deployments/{id}/statuses?per_page={per_page}"));
        get_json(self, &route).await
    }

    /// Writes a status on Deployment `id` (`body` as GitHub's "Create a deployment status"
    /// takes it). Repeated after a lost answer: a duplicate status changes nothing.
    pub async fn create_deployment_status(&self, id: u64, body: &Value) -> Result<(), GitHubError> {
        let route = self.route(&format!("/deployments/{id}/statuses"));
        send_repeatable(self, Method::Post, &route, Some(body), |_| false)
            .await
            .map(|_| ())
    }
}
