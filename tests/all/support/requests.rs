//! Lookups on the requests a fake recorded: the GraphQL operations, by name.

use fakes::Recorded;
use serde_json::Value;

/// The `operationName` of every GraphQL request, in order.
pub fn operation_names(requests: &[Recorded]) -> Vec<String> {
    requests
        .iter()
        .filter_map(|r| r.body_json()?["operationName"].as_str().map(str::to_string))
        .collect()
}

/// The JSON body of every request of operation `op`, in order.
pub fn operation_bodies(requests: &[Recorded], op: &str) -> Vec<Value> {
    requests
        .iter()
        .filter_map(Recorded::body_json)
        .filter(|b| b["operationName"] == op)
        .collect()
}

/// The first request of operation `op`; fails the test when there is none.
pub fn first_operation(requests: &[Recorded], op: &str) -> Recorded {
    requests
        .iter()
        .find(|r| r.body_json().is_some_and(|b| b["operationName"] == op))
        .cloned()
        .unwrap_or_else(|| panic!("no {op} request among {:?}", operation_names(requests)))
}
