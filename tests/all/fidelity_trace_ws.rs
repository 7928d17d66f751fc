//! The exchange trace's websocket side, through the built binary against the fake Railway: one
//! line per subscription (the deployment's status, its build and deploy logs) with the
//! operation's name, its variables' names, how it ended, how many events it carried, the shape of
//! the first event and the duration; a refusal's text redacted; a socket that never opens traced
//! as `not started`, the run going on as without the trace.

use std::fs;

use crate::support::cli::{Run, Runner};
use fakes::railway::ws::DeploymentScript;
use fakes::railway::{FakeRailway, RailwayWorld};
use serde_json::Value;

/// Runs a commit deploy of `web` against `rw` with the trace on; the run and the trace's lines.
async fn traced_run(rw: &FakeRailway) -> (Run, String, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.jsonl");
    let mut r = Runner::new(&rw.api_url());
    r.set("RAILWAY_DEPLOY_TRACE", trace.to_str().unwrap());
    let run = r.run().await;
    let text = fs::read_to_string(&trace).unwrap();
    let lines = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (run, text, lines)
}

fn subscriptions(lines: &[Value]) -> Vec<&Value> {
    lines
        .iter()
        .filter(|l| l["system"] == "railway-ws")
        .collect()
}

fn named<'a>(subs: &[&'a Value], operation: &str) -> Vec<&'a Value> {
    subs.iter()
        .copied()
        .filter(|l| l["operation"] == operation)
        .collect()
}

#[tokio::test]
async fn each_subscription_is_one_line_with_its_ending_events_and_first_shape() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    rw.world().script_logs(
        "svc-web",
        &["#1 building secret-free-line"],
        &["listening on :8080"],
    );
    let (run, text, lines) = traced_run(&rw).await;
    assert_eq!(run.code, 0, "{}", run.log());
    let subs = subscriptions(&lines);
    // One line per `subscribe` the fake received.
    assert_eq!(subs.len(), rw.subscriptions().len(), "{text}");
    let [status] = named(&subs, "DeploymentStatus")[..] else {
        panic!("one status subscription:\n{text}")
    };
    assert_eq!(status["variables"], serde_json::json!(["id"]));
    // The run stopped it once the deployment was final.
    assert_eq!(status["ended"], "stopped", "{status}");
    assert!(status["events"].as_u64().unwrap() >= 1, "{status}");
    assert!(status["ms"].is_u64());
    assert!(
        status["shape"]
            .as_array()
            .unwrap()
            .contains(&Value::from("data.deployment.status: string")),
        "{status}"
    );
    for op in ["BuildLogs", "DeploymentLogsStream"] {
        let logs = named(&subs, op);
        assert!(!logs.is_empty(), "no {op} line:\n{text}");
        let first = logs[0];
        assert_eq!(
            first["variables"],
            serde_json::json!(["deploymentId", "limit"]),
            "{first}"
        );
        assert!(first["ended"].is_string(), "{first}");
    }
    let build = named(&subs, "BuildLogs")[0];
    assert_eq!(
        build["events"], 1,
        "the fake replays its lines in one batch"
    );
    assert!(
        build["shape"]
            .as_array()
            .unwrap()
            .contains(&Value::from("data.buildLogs[].message: string")),
        "{build}"
    );
    for value in [
        "secret-free-line",
        "listening on",
        "dep-new-1",
        "tok-staging",
    ] {
        assert!(!text.contains(value), "{value} in the trace:\n{text}");
    }
}

#[tokio::test]
async fn a_refused_subscription_is_traced_as_an_error_with_its_text_redacted() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let first = format!("dep-new-{}", rw.world().next_seq);
    rw.ws.script(
        &first,
        DeploymentScript {
            // As a server quoting what it was sent would.
            status_error: Some("Not Authorized (token tok-staging)".into()),
            ..DeploymentScript::default()
        },
    );
    let (run, text, lines) = traced_run(&rw).await;
    // The status is polled instead: the run ends as it would without the trace.
    assert_eq!(run.code, 0, "{}", run.log());
    let subs = subscriptions(&lines);
    let refused = named(&subs, "DeploymentStatus");
    assert!(!refused.is_empty(), "{text}");
    for line in refused {
        assert_eq!(line["ended"], "error", "{line}");
        assert_eq!(line["events"], 0, "{line}");
        assert_eq!(
            line["error"], "Not Authorized (token ***)",
            "the text, redacted: {line}"
        );
    }
    assert!(!text.contains("tok-staging"), "{text}");
}

#[tokio::test]
async fn a_socket_that_never_opens_is_traced_as_not_started() {
    let mut world = RailwayWorld::standard();
    world.websockets = false;
    let rw = FakeRailway::start(world).await;
    let (run, text, lines) = traced_run(&rw).await;
    assert_eq!(run.code, 0, "{}", run.log());
    let subs = subscriptions(&lines);
    let status = named(&subs, "DeploymentStatus");
    assert!(!status.is_empty(), "{text}");
    for line in &subs {
        assert_eq!(line["ended"], "not started", "{line}");
        assert!(
            line["error"].as_str().unwrap().contains("503"),
            "the refusal says why: {line}"
        );
    }
    // Each subscription tried asked for a socket once: one refused upgrade, one line.
    assert_eq!(subs.len(), rw.upgrades().len(), "{text}");
}
