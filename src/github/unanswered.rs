//! Owns ending a GitHub Deployment whose create was sent but whose answer never came back (the
//! run was cancelled while waiting, the answer was lost, or it timed out): GitHub may have
//! created it, and a Deployment without any status shows as pending for ever. Every create
//! carries a key naming that one request in its payload (`payload.create_key`, [`create_key`]);
//! to end it the run lists the Deployments of the sha, environment and task it sent (filters
//! GitHub documents for "List deployments"; the order is not documented, so every listed one is
//! looked at) and takes the one with its key, created no earlier than the send minus
//! [`CLOCK_SKEW`]. Another run's Deployment of the same commit never has the key: untouched.
//!
//! [`RunDeployment`] is the run's Deployment either way: known by id, or still unanswered (then
//! looked up when the run ends it). When to end it is the caller's decision (the cancel guard).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::github::GitHub;
use crate::github::deployment_list::{Deployment, DeploymentQuery};
use crate::github::deployments::{
    DESCRIPTION_MAX, DeploymentFinal, DeploymentOpening, DeploymentStart, DeploymentTracker,
    explain,
};
use crate::github::request::GitHubError;
use crate::text::truncate;
use crate::workflow;

/// The payload field holding the key of the request that created the Deployment.
pub const CREATE_KEY: &str = "create_key";
/// How far GitHub's clock may be behind the runner's when its `created_at` is compared with the
/// moment the create was sent.
pub const CLOCK_SKEW: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// Deployments listed a page, and pages read at most, when looking for the unanswered one.
const PER_PAGE: u32 = 100;
const MAX_PAGES: u32 = 3;

/// A fresh key for one create request: 128 bits from the standard library's randomly seeded
/// hasher, the process id and the clock.
pub fn create_key() -> String {
    use std::hash::BuildHasher;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let half = |salt: u8| {
        std::collections::hash_map::RandomState::new().hash_one((salt, std::process::id(), nanos))
    };
    format!("{:016x}{:016x}", half(1), half(2))
}

/// Whether listed Deployment `d` is the one created by the request with `key`, sent at `sent_at`.
pub fn is_ours(d: &Deployment, key: &str, sent_at: DateTime<Utc>) -> bool {
    // GitHub returns the payload as created: an object, or the string it was created as.
    let payload = match &d.payload {
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
        other => other.clone(),
    };
    let created = d
        .created_at
        .as_deref()
        .and_then(|c| DateTime::parse_from_rfc3339(c).ok());
    payload[CREATE_KEY].as_str() == Some(key)
        && created.is_some_and(|c| c.with_timezone(&Utc) >= sent_at - CLOCK_SKEW)
}

/// A create request, from before it is sent until its answer comes back.
#[derive(Clone, Debug)]
pub struct UnansweredCreate {
    gh: GitHub,
    start: DeploymentStart,
    task: String,
    key: String,
    sent_at: DateTime<Utc>,
    body: Value,
}

impl UnansweredCreate {
    /// The request to create the Deployment, keyed, as sent now.
    pub fn new(gh: &GitHub, start: &DeploymentStart, opening: &DeploymentOpening) -> Self {
        let key = create_key();
        let mut payload = opening.payload.clone();
        if let Some(fields) = payload.as_object_mut() {
            fields.insert(CREATE_KEY.to_string(), json!(key));
        }
        let body = json!({
            "ref": start.sha,
            "task": opening.task,
            "environment": start.environment,
            "auto_merge": false,
            "required_contexts": [],
            "production_environment": start.production,
            "transient_environment": start.transient,
            "payload": payload,
            "description": truncate(&opening.description, DESCRIPTION_MAX),
        });
        UnansweredCreate {
            gh: gh.clone(),
            start: start.clone(),
            task: opening.task.clone(),
            key,
            sent_at: Utc::now(),
            body,
        }
    }

    pub fn gh(&self) -> &GitHub {
        &self.gh
    }

    pub fn start(&self) -> &DeploymentStart {
        &self.start
    }

    pub fn task(&self) -> &str {
        &self.task
    }

    /// The body of `POST /repos/{o}/{r}/deployments`.
    pub fn body(&self) -> &Value {
        &self.body
    }

    /// The id of the Deployment this request created, if GitHub lists one.
    pub async fn find(&self) -> Result<Option<u64>, GitHubError> {
        let query = DeploymentQuery::environment(&self.start.environment)
            .task(&self.task)
            .sha(&self.start.sha);
        let mut pages = self.gh.deployments(&query, PER_PAGE, MAX_PAGES);
        while let Some(page) = pages.next().await? {
            if let Some(d) = page.iter().find(|d| is_ours(d, &self.key, self.sent_at)) {
                return Ok(Some(d.id));
            }
        }
        Ok(None)
    }

    /// The Deployment this request created, to end it: `None` (after a line in the log) when
    /// GitHub lists none, or a warning when the list cannot be read.
    pub async fn look_up(&self) -> Option<DeploymentTracker> {
        match self.find().await {
            Ok(Some(id)) => {
                workflow::info(format!(
                    "found GitHub Deployment {id}, whose creation GitHub never answered; ending it"
                ));
                Some(DeploymentTracker::known(self, id))
            }
            Ok(None) => {
                workflow::info(
                    "GitHub lists no Deployment from the create request it never answered; \
                     nothing to end",
                );
                None
            }
            Err(e) => {
                workflow::warning(explain(
                    "find the GitHub Deployment whose creation GitHub never answered (it may \
                     show as pending on the environment's page)",
                    &e,
                    "deployments: read",
                ));
                None
            }
        }
    }
}

/// The run's GitHub Deployment: known by id, or created by a request never answered.
#[derive(Clone, Debug)]
pub enum RunDeployment {
    Known(DeploymentTracker),
    Unanswered(UnansweredCreate),
}

impl RunDeployment {
    /// The id, when GitHub answered the create.
    pub fn id(&self) -> Option<u64> {
        match self {
            RunDeployment::Known(t) => Some(t.id()),
            RunDeployment::Unanswered(_) => None,
        }
    }

    async fn tracker(&self) -> Option<DeploymentTracker> {
        match self {
            RunDeployment::Known(t) => Some(t.clone()),
            RunDeployment::Unanswered(u) => u.look_up().await,
        }
    }

    /// [`DeploymentTracker::finish`], after finding an unanswered Deployment.
    pub async fn finish(&self, fin: &DeploymentFinal) {
        if let Some(t) = self.tracker().await {
            t.finish(fin).await;
        }
    }

    /// [`DeploymentTracker::finish_error`], after finding an unanswered Deployment.
    pub async fn finish_error(&self, reason: &str) {
        if let Some(t) = self.tracker().await {
            t.finish_error(reason).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(payload: Value, created_at: &str) -> Deployment {
        serde_json::from_value(json!({
            "id": 7, "sha": "abc", "payload": payload, "created_at": created_at,
        }))
        .unwrap()
    }

    #[test]
    fn only_the_deployment_with_the_key_created_after_the_send_is_ours() {
        let sent: DateTime<Utc> = "2026-12-07T08:00:00Z".parse().unwrap();
        let ours = json!({"tool": "railway-deploy", "create_key": "k1"});
        assert!(is_ours(
            &listed(ours.clone(), "2026-12-07T08:00:01Z"),
            "k1",
            sent
        ));
        // GitHub's clock a little behind ours.
        assert!(is_ours(
            &listed(ours.clone(), "2026-12-07T07:58:00Z"),
            "k1",
            sent
        ));
        // Created long before the send: not from this request.
        assert!(!is_ours(
            &listed(ours.clone(), "2026-12-07T07:00:00Z"),
            "k1",
            sent
        ));
        assert!(!is_ours(&listed(ours.clone(), "not a time"), "k1", sent));
        let other = json!({"tool": "railway-deploy", "create_key": "k2"});
        assert!(!is_ours(&listed(other, "2026-12-07T08:00:01Z"), "k1", sent));
        let as_string = json!(ours.to_string());
        assert!(is_ours(
            &listed(as_string, "2026-12-07T08:00:01Z"),
            "k1",
            sent
        ));
        assert!(!is_ours(
            &listed(json!({}), "2026-12-07T08:00:01Z"),
            "k1",
            sent
        ));
    }

    #[test]
    fn keys_differ() {
        assert_ne!(create_key(), create_key());
        assert_eq!(create_key().len(), 32);
    }
}
