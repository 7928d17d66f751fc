//! Owns what previews ask of GitHub besides the usual reporting: whether a pull request is still
//! open (`GET /repos/{o}/{r}/pulls/{n}`, for `preview-cleanup`), and making every GitHub
//! Deployment of a deleted preview's environment `inactive`, so the pull request no longer
//! links to a URL that is gone.

use serde::Deserialize;
use serde_json::json;

use crate::github::GitHub;
use crate::github::deployment_list::DeploymentQuery;
use crate::github::deployments::DESCRIPTION_MAX;
use crate::github::request::{GitHubError, Method, send};
use crate::text::truncate;

/// Deployments of one preview environment made inactive at most (one request each, plus a page
/// read): a preview gets one per push to its pull request.
const MAX_DEACTIVATIONS: u32 = 100;

/// A pull request's state, as `preview-cleanup` needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullState {
    Open,
    Closed,
    /// GitHub answers 404: no such pull request (or not visible to the token).
    Missing,
}

impl GitHub {
    /// Whether pull request `number` is open, closed, or missing
    /// (https://docs.github.com/rest/pulls/pulls#get-a-pull-request).
    pub async fn pull_state(&self, number: u64) -> Result<PullState, GitHubError> {
        #[derive(Deserialize)]
        struct Pull {
            state: String,
        }
        let route = self.route(&format!("/pulls/{number}"));
        let reply = send(self, Method::Get, &route, None, |s| s == 404).await?;
        if reply.status == 404 {
            return Ok(PullState::Missing);
        }
        let pull: Pull = reply.json(&route)?;
        Ok(if pull.state == "open" {
            PullState::Open
        } else {
            PullState::Closed
        })
    }

    /// Marks every GitHub Deployment of `environment` inactive (newest first, at most
    /// [`MAX_DEACTIVATIONS`]); returns how many. An `inactive` status twice is the same as once,
    /// so each write may be repeated after a lost answer.
    ///
    /// Decision: Deployments already inactive (each older success of a set, `keyed::
    /// deactivate_older`) get `inactive` again. The listing does not carry a Deployment's state;
    /// learning it is one `GET .../statuses?per_page=1` per Deployment, as many requests as the
    /// writes it would save, and a repeated `inactive` changes nothing GitHub shows.
    pub async fn deactivate_environment(&self, environment: &str) -> Result<usize, GitHubError> {
        let query = DeploymentQuery::environment(environment);
        let listed = self
            .deployments(&query, MAX_DEACTIVATIONS, 1)
            .all()
            .await?
            .items;
        let body = json!({
            "state": "inactive",
            "description": truncate(&format!("The preview {environment} was deleted"), DESCRIPTION_MAX),
            "auto_inactive": false,
        });
        for d in &listed {
            self.create_deployment_status(d.id, &body).await?;
        }
        Ok(listed.len())
    }
}
