//! Owns reading back a start whose answer was lost: the deploy mutation or the upload reached
//! Railway (a 5xx, a dropped connection, a timeout after sending), so a deployment may exist
//! although its id never arrived. Instead of sending again (never), the service's deployments are
//! read until the one this run caused appears: created after the request was sent (allowing for
//! clock skew), not one that served before, and matching the commit or image that was deployed.
//! A deploy whose answer carries no id at all (`super::latest`) is found the same way.
//! The wait is bounded ([`READBACK_WAIT`], scaled by `RAILWAY_DEPLOY_TIME_SCALE`) and goes
//! through the one wait primitive (`crate::wait`); each read through the client's retry policy.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::railway::api::{self, Deployment, DeploymentFilter};
use crate::railway::{RailwayClient, RailwayError};
use crate::wait::{Step, Waited, Waiter, poll};

/// How long a lost start is read back before the run gives up on it.
pub const READBACK_WAIT: Duration = Duration::from_secs(30);
/// Between two reads.
const READ_EVERY: Duration = Duration::from_secs(3);
/// Railway's clock and the runner's may disagree by this much.
const CLOCK_SKEW: chrono::TimeDelta = chrono::TimeDelta::seconds(30);
/// Newest deployments read each time.
pub(crate) const NEWEST: u32 = 10;

/// What the lost request should have created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect<'a> {
    /// A deployment of this commit (`meta.commitHash`).
    Commit(&'a str),
    /// A deployment of this image (`meta.image`).
    Image(&'a str),
    /// Any new deployment (an upload, or a deploy of the current source).
    New,
}

/// The lost request: which service, when it was sent, and what served before.
#[derive(Clone, Debug)]
pub struct Lost<'a> {
    pub project_id: &'a str,
    pub service_id: &'a str,
    pub environment_id: &'a str,
    pub sent_at: DateTime<Utc>,
    /// Deployments known to exist before the request (they are never the new one).
    pub known: Vec<&'a str>,
    pub expect: Expect<'a>,
}

impl Lost<'_> {
    /// True when `d` is the deployment this request created.
    pub fn caused(&self, d: &Deployment) -> bool {
        if self.known.contains(&d.id.as_str()) {
            return false;
        }
        let created = d
            .created_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
        // Without a readable creation time, the deployment cannot be told apart from older ones.
        let Some(created) = created else { return false };
        if created.with_timezone(&Utc) < self.sent_at - CLOCK_SKEW {
            return false;
        }
        match self.expect {
            Expect::Commit(sha) => d.meta_str("commitHash") == Some(sha),
            Expect::Image(image) => d.meta_str("image") == Some(image),
            Expect::New => true,
        }
    }
}

/// How a read-back ended without finding the deployment.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReadbackError {
    #[error("no new deployment of the service appeared in Railway within {0:?}")]
    NoneAppeared(Duration),
    #[error("reading the service's deployments back failed too: {0}")]
    Unreadable(RailwayError),
}

/// Reads the service's newest deployments until the one `lost` caused appears (the newest
/// match), within `READBACK_WAIT` (scaled).
pub async fn find_caused(c: &RailwayClient, lost: &Lost<'_>) -> Result<Deployment, ReadbackError> {
    let limit = c.timing().scaled(READBACK_WAIT);
    let until = tokio::time::Instant::now() + limit;
    let mut waiter = Waiter::until(until, *c.timing());
    // No read outlives the wait by more than one (real, unscaled) interval, whatever Railway
    // does; unscaled, so a slow answer is still read when tests shrink the wait.
    let read_bound = || until.saturating_duration_since(tokio::time::Instant::now()) + READ_EVERY;
    let filter = DeploymentFilter {
        project_id: Some(lost.project_id.to_string()),
        environment_id: Some(lost.environment_id.to_string()),
        service_id: Some(lost.service_id.to_string()),
        status: None,
    };
    let found = poll(
        &mut waiter,
        |_| READ_EVERY,
        |_, _| {},
        || async {
            let read = tokio::time::timeout(read_bound(), api::deployments(c, &filter, NEWEST));
            match read.await {
                // Taken as newest first, so the first match is the newest. The order is not
                // documented (Railway's CLI sorts by `createdAt` itself, `commands/logs.rs`).
                Ok(Ok(list)) => match list.into_iter().find(|d| lost.caused(d)) {
                    Some(d) => Step::Done(Ok(d)),
                    None => Step::Pending(()),
                },
                Ok(Err(e)) => Step::Done(Err(e)),
                // Unanswered: look again while time is left.
                Err(_) => Step::Pending(()),
            }
        },
    )
    .await;
    match found {
        Waited::Done(Ok(d)) => Ok(d),
        Waited::Done(Err(e)) => Err(ReadbackError::Unreadable(e)),
        Waited::StillRunning(()) => Err(ReadbackError::NoneAppeared(limit)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::railway::status::DeploymentStatus;

    fn dep(id: &str, created: &str, meta: serde_json::Value) -> Deployment {
        Deployment {
            id: id.into(),
            status: DeploymentStatus::Building,
            created_at: Some(created.into()),
            service_id: None,
            environment_id: None,
            static_url: None,
            url: None,
            can_rollback: false,
            snapshot_id: None,
            meta: Some(meta),
        }
    }

    fn lost(expect: Expect<'static>) -> Lost<'static> {
        Lost {
            project_id: "p",
            service_id: "s",
            environment_id: "e",
            sent_at: DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            known: vec!["dep-serving"],
            expect,
        }
    }

    #[test]
    fn only_a_new_deployment_of_what_was_sent_is_the_one_caused() {
        let sha = serde_json::json!({ "commitHash": "abc" });
        let l = lost(Expect::Commit("abc"));
        assert!(l.caused(&dep("d1", "2026-12-01T10:00:01Z", sha.clone())));
        // Within the clock skew allowance.
        assert!(l.caused(&dep("d1", "2026-12-01T09:59:40Z", sha.clone())));
        // Older than the request: an earlier deploy of the same commit.
        assert!(!l.caused(&dep("d0", "2026-12-01T09:50:00Z", sha.clone())));
        // What served before, another commit, no creation time.
        assert!(!l.caused(&dep("dep-serving", "2026-12-01T10:00:01Z", sha.clone())));
        let other = serde_json::json!({ "commitHash": "def" });
        assert!(!l.caused(&dep("d2", "2026-12-01T10:00:01Z", other)));
        let mut undated = dep("d3", "x", sha);
        undated.created_at = None;
        assert!(!l.caused(&undated));
    }

    #[test]
    fn images_and_uploads_match_on_what_they_can() {
        let img = serde_json::json!({ "image": "ghcr.io/acme/web:2" });
        assert!(lost(Expect::Image("ghcr.io/acme/web:2")).caused(&dep(
            "d",
            "2026-12-01T10:00:05Z",
            img.clone()
        )));
        assert!(!lost(Expect::Image("ghcr.io/acme/web:3")).caused(&dep(
            "d",
            "2026-12-01T10:00:05Z",
            img
        )));
        let up = serde_json::json!({});
        assert!(lost(Expect::New).caused(&dep("d", "2026-12-01T10:00:05Z", up.clone())));
        assert!(!lost(Expect::New).caused(&dep("dep-serving", "2026-12-01T10:00:05Z", up)));
    }
}
