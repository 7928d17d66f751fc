//! Owns where a deployment's logs live ([`LogScope`]: its environment and build snapshot) and
//! how that reaches its log follower: the status subscription's first event (or the first poll)
//! carries it, [`offer_scope`] hands it on once, and `logs::LogFollower` subscribes with it.

use serde_json::Value;
use tokio::sync::watch;

/// Where a deployment's logs live: its environment, and its build snapshot (none for an image
/// deploy, which has no build).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogScope {
    pub environment_id: String,
    pub snapshot_id: Option<String>,
}

impl LogScope {
    /// The scope of a deployment as Railway serves it (`environmentId`, `snapshotId`).
    pub fn of(deployment: &Value) -> Option<LogScope> {
        let text = |k: &str| {
            deployment
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        Some(LogScope {
            environment_id: text("environmentId")?,
            snapshot_id: text("snapshotId"),
        })
    }

    /// `environmentLogs`' filter for `deployment_id`: its build lines and its deploy lines.
    pub fn filter(&self, deployment_id: &str) -> String {
        match &self.snapshot_id {
            Some(s) => format!("@snapshot:{s} OR @deployment:{deployment_id}"),
            None => format!("@deployment:{deployment_id}"),
        }
    }
}

/// Hands a deployment's [`LogScope`] from whoever sees it first (status event, poll) to its
/// [`LogFollower`].
pub type ScopeSender = watch::Sender<Option<LogScope>>;

/// Offers `scope`; only the first one counts.
pub fn offer_scope(tx: &ScopeSender, scope: Option<LogScope>) {
    if let Some(scope) = scope {
        tx.send_if_modified(|s| {
            if s.is_none() {
                *s = Some(scope);
                true
            } else {
                false
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_filter_names_the_build_snapshot_and_the_deployment() {
        let s = LogScope::of(&json!({"environmentId": "env-1", "snapshotId": "snap-1"})).unwrap();
        assert_eq!(s.filter("dep-1"), "@snapshot:snap-1 OR @deployment:dep-1");
        let image = LogScope::of(&json!({"environmentId": "env-1", "snapshotId": null})).unwrap();
        assert_eq!(image.filter("dep-1"), "@deployment:dep-1");
        assert_eq!(LogScope::of(&json!({"id": "dep-1"})), None);
    }

    #[test]
    fn only_the_first_scope_counts() {
        let (tx, rx) = watch::channel(None);
        let scope = |e: &str| LogScope {
            environment_id: e.into(),
            snapshot_id: None,
        };
        offer_scope(&tx, None);
        assert_eq!(*rx.borrow(), None);
        offer_scope(&tx, Some(scope("a")));
        offer_scope(&tx, Some(scope("b")));
        assert_eq!(*rx.borrow(), Some(scope("a")));
    }
}
