//! What the exchange trace (`crate::trace`) writes for one websocket subscription, one line when
//! it ends: the operation's name, the names of its variables, how it ended (`completed` by
//! Railway, refused with an `error`, socket `closed`, socket `failed`, `stopped` by this action
//! (it had what it needed, or gave up waiting), or `not started`), how many events it carried, the shape of the first event's payload, the
//! time from the subscription to its end and the error text (redacted by `crate::trace`). It only
//! watches what `railway::socket::Feed` hands on; it never changes a delivery. The line is written
//! when the trace is dropped, so a subscription abandoned before it started is traced too.

use std::time::Instant;

use serde_json::Value;

use super::subscription::{Event, SubscriptionError, messages};

/// One subscription's trace, kept while it lives (only when tracing is on).
pub struct SubTrace {
    operation: String,
    variables: Value,
    started: Instant,
    events: u64,
    first_shape: Option<Vec<String>>,
    ended: Option<(&'static str, Instant)>,
    error: Option<String>,
}

impl SubTrace {
    /// A trace for a subscription to `query` with `variables`, or `None` when tracing is off.
    pub fn start(query: &str, variables: &Value) -> Option<SubTrace> {
        crate::trace::on().then(|| SubTrace {
            operation: operation_name(query).to_string(),
            variables: names_only(variables),
            started: Instant::now(),
            events: 0,
            first_shape: None,
            ended: None,
            error: None,
        })
    }

    /// Notes one delivery to the feed (only the first ending counts).
    pub fn observe(&mut self, delivery: &Result<Option<Event>, SubscriptionError>) {
        if self.ended.is_some() {
            return;
        }
        let ended = match delivery {
            Ok(Some(Event::Next { payload, .. })) => {
                self.events += 1;
                if self.first_shape.is_none() {
                    self.first_shape = Some(crate::trace::shape(payload));
                }
                if let Some(errors) = payload.get("errors").filter(|e| !e.is_null())
                    && self.error.is_none()
                {
                    self.error = Some(messages(errors));
                }
                return;
            }
            Ok(Some(Event::Error { errors, .. })) => {
                self.error = Some(messages(errors));
                "error"
            }
            Ok(Some(Event::Complete { .. })) => "completed",
            Ok(None) => "closed",
            Err(e) => {
                self.error = Some(e.to_string());
                "failed"
            }
        };
        self.ended = Some((ended, Instant::now()));
    }

    /// Ends the trace of a subscription that never started (the socket did not open, or the
    /// `subscribe` message could not be sent); its line is written now.
    pub fn not_started(mut self, error: &SubscriptionError) {
        self.error = Some(error.to_string());
        self.ended = Some(("not started", Instant::now()));
    }

    /// How it ended: as observed, else this action stopped it (now).
    fn ending(&self) -> (&'static str, Instant) {
        self.ended.unwrap_or(("stopped", Instant::now()))
    }
}

impl Drop for SubTrace {
    fn drop(&mut self) {
        let (ended, at) = self.ending();
        crate::trace::record(&crate::trace::Exchange {
            system: "railway-ws",
            operation: &self.operation,
            variables: Some(&self.variables),
            shape: self.first_shape.as_deref(),
            duration: at.duration_since(self.started),
            error: self.error.take(),
            ended: Some(ended),
            events: Some(self.events),
            ..crate::trace::Exchange::default()
        });
    }
}

/// The name a GraphQL document gives its subscription (`subscription BuildLogs(...)` →
/// `BuildLogs`), `subscription` when it names none.
pub fn operation_name(query: &str) -> &str {
    query
        .lines()
        .map(str::trim_start)
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix("subscription"))
        .map(|rest| {
            let rest = rest.trim_start();
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .filter(|name| !name.is_empty())
        .unwrap_or("subscription")
}

/// `variables` with its keys only (values dropped at once: nothing of them is kept).
fn names_only(variables: &Value) -> Value {
    let keys = variables
        .as_object()
        .map(|m| m.keys().map(|k| (k.clone(), Value::Null)).collect())
        .unwrap_or_default();
    Value::Object(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::railway::ops::{
        BUILD_LOGS_SUBSCRIPTION, DEPLOYMENT_LOGS_SUBSCRIPTION, DEPLOYMENT_STATUS_SUBSCRIPTION,
    };

    fn trace() -> SubTrace {
        SubTrace {
            operation: "BuildLogs".into(),
            variables: names_only(&serde_json::json!({"deploymentId": "dep-secret"})),
            started: Instant::now(),
            events: 0,
            first_shape: None,
            ended: None,
            error: None,
        }
    }

    fn next(payload: Value) -> Result<Option<Event>, SubscriptionError> {
        Ok(Some(Event::Next {
            id: "1".into(),
            payload,
        }))
    }

    #[test]
    fn the_first_ending_counts_and_events_before_it_are_counted() {
        let cases: [(Result<Option<Event>, SubscriptionError>, &str); 4] = [
            (Ok(Some(Event::Complete { id: "1".into() })), "completed"),
            (
                Ok(Some(Event::Error {
                    id: "1".into(),
                    errors: serde_json::json!([{"message": "Not Authorized"}]),
                })),
                "error",
            ),
            (Ok(None), "closed"),
            (Err(SubscriptionError::Idle), "failed"),
        ];
        for (end, label) in cases {
            let mut t = trace();
            t.observe(&next(
                serde_json::json!({"data": {"buildLogs": [{"message": "x"}]}}),
            ));
            t.observe(&next(serde_json::json!({"data": {"other": 1}})));
            t.observe(&end);
            t.observe(&Ok(None));
            t.observe(&next(serde_json::json!({})));
            assert_eq!(t.ending().0, label);
            assert_eq!(t.events, 2, "{label}");
            assert_eq!(
                t.first_shape.as_deref().unwrap(),
                ["data.buildLogs: array", "data.buildLogs[].message: string"]
            );
        }
        let mut t = trace();
        assert_eq!(t.ending().0, "stopped");
        assert_eq!(t.variables, serde_json::json!({"deploymentId": null}));
        t.observe(&next(serde_json::json!({"errors": [{"message": "boom"}]})));
        assert_eq!(t.error.as_deref(), Some("boom"));
    }

    #[test]
    fn each_subscription_is_named_as_in_its_file() {
        assert_eq!(operation_name(BUILD_LOGS_SUBSCRIPTION), "BuildLogs");
        assert_eq!(
            operation_name(DEPLOYMENT_LOGS_SUBSCRIPTION),
            "DeploymentLogsStream"
        );
        // Its comment speaks of a subscription too; the document's own line names it.
        assert_eq!(
            operation_name(DEPLOYMENT_STATUS_SUBSCRIPTION),
            "DeploymentStatus"
        );
        assert_eq!(operation_name("subscription { x }"), "subscription");
    }
}
