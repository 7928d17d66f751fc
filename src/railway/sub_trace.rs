//! What the exchange trace (`crate::trace`) writes for one websocket subscription, one line when
//! it ends: the operation's name, the names of its variables, how it ended (`completed` by
//! Railway, refused with an `error`, socket `closed`, socket `failed`, `stopped` by this action
//! (it had what it needed, or gave up waiting), or `not started`), how many events it carried, the shape of the first event's payload, the
//! time from the subscription to its end and the error text (redacted by `crate::trace`). It only
//! watches what `railway::socket::Feed` hands on; it never changes a delivery.

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

    /// Writes the line: the subscription ended as observed, or this action stopped it.
    pub fn finish(self) {
        let (ended, at) = self.ended.unwrap_or(("stopped", Instant::now()));
        crate::trace::record(&crate::trace::Exchange {
            system: "railway-ws",
            operation: &self.operation,
            variables: Some(&self.variables),
            shape: self.first_shape.as_deref(),
            duration: at.duration_since(self.started),
            error: self.error,
            ended: Some(ended),
            events: Some(self.events),
            ..crate::trace::Exchange::default()
        });
    }

    /// Writes the line of a subscription that never started (the socket did not open, or the
    /// `subscribe` message could not be sent).
    pub fn not_started(mut self, error: &SubscriptionError) {
        self.error = Some(error.to_string());
        self.ended = Some(("not started", Instant::now()));
        self.finish();
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
