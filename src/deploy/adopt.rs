//! Owns `source: railway`'s start: nothing is triggered; the deployment Railway's own GitHub
//! autodeploy makes of the commit (its `meta.commitHash` equals the sha) is awaited until it
//! appears, within `deploy-timeout`, and its id handed back to be followed like any other.

use std::time::Duration;

use tokio::time::Instant;

use crate::railway::api::{self, Deployment, DeploymentFilter};
use crate::railway::{RailwayClient, RailwayError};
use crate::timing::Backoff;
use crate::wait::{self, Waited, Waiter};

/// A service's newest deployments read per look (the commit's is among the newest).
const NEWEST: u32 = 5;

/// The newest of `deployments` made of `sha` (pure).
pub fn of_commit<'a>(deployments: &'a [Deployment], sha: &str) -> Option<&'a Deployment> {
    deployments
        .iter()
        .find(|d| d.meta_str("commitHash") == Some(sha))
}

/// Why no deployment could be adopted.
#[derive(Debug, thiserror::Error)]
pub enum AdoptError {
    #[error("{0}")]
    Railway(#[from] RailwayError),
    #[error(
        "Railway made no deployment of commit {sha} within `deploy-timeout` ({}s): check that the service's autodeploy is on for this branch in Railway (Settings → Source), or use another `source`",
        waited.as_secs()
    )]
    NotMade { sha: String, waited: Duration },
}

/// Waits for Railway's deployment of `sha` to appear; returns its id.
pub async fn await_deployment(
    c: &RailwayClient,
    filter: &DeploymentFilter,
    sha: &str,
    label: &str,
    timeout: Duration,
) -> Result<String, AdoptError> {
    let mut waiter = Waiter::until(Instant::now() + timeout, *c.timing());
    let mut backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(10));
    let short = sha.get(..7).unwrap_or(sha);
    let found = wait::poll(
        &mut waiter,
        |_| backoff.next_delay(),
        |_: &(), _| {
            super::printer::progress(format!(
                "{label}: waiting for Railway's autodeploy to make a deployment of commit {short}"
            ))
        },
        || async {
            match api::deployments(c, filter, NEWEST).await {
                Ok(list) => match of_commit(&list, sha) {
                    Some(d) => wait::Step::Done(Ok(d.id.clone())),
                    None => wait::Step::Pending(()),
                },
                Err(e) => wait::Step::Done(Err(e)),
            }
        },
    )
    .await;
    match found {
        Waited::Done(r) => Ok(r?),
        Waited::StillRunning(()) => Err(AdoptError::NotMade {
            sha: sha.to_string(),
            waited: waiter.elapsed(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_deployment_of_the_commit_is_the_newest_with_its_hash() {
        let dep = |id: &str, meta| -> Deployment {
            serde_json::from_value(json!({"id": id, "status": "BUILDING", "meta": meta})).unwrap()
        };
        let list = vec![
            dep("d3", json!({"commitHash": "bbb"})),
            dep("d2", json!({})),
            dep("d1", json!({"commitHash": "aaa"})),
        ];
        assert_eq!(of_commit(&list, "aaa").map(|d| d.id.as_str()), Some("d1"));
        assert_eq!(of_commit(&list, "ccc"), None);
    }
}
