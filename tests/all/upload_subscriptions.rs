//! The subscription budget through the built binary: a deploy costs three websocket
//! subscriptions per service (the status, and the build and deploy log streams the way Railway's
//! CLI reads them; issue 20 `fidelity:` made it three, issue 14 had two), every one on the run's single socket, for one service and for three; and the user still
//! sees both kinds of lines in the service's group.

use std::fs;

use crate::support::cli::Runner;
use crate::support::secrets::assert_no_token;
use fakes::railway::{FakeRailway, RailwayWorld};

const BUILD: &[&str] = &["#5 [2/4] RUN npm ci", "#7 exporting to image"];
const DEPLOY: &[&str] = &["listening on :8080"];

/// The standard world plus a third service, `api`, in staging; every service logs.
async fn fake() -> FakeRailway {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    {
        let mut w = rw.world();
        w.services.push(("svc-api".into(), "api".into()));
        let web = ("svc-web".to_string(), "env-stg".to_string());
        let instance = w.instances[&web].clone();
        w.instances
            .insert(("svc-api".into(), "env-stg".into()), instance);
        w.add_deployment("dep-old-api-stg", "svc-api", "env-stg", "SUCCESS");
        for svc in ["svc-web", "svc-worker", "svc-api"] {
            w.script_logs(svc, BUILD, DEPLOY);
        }
    }
    rw
}

fn runner(rw: &FakeRailway, dir: &std::path::Path, services: &str) -> Runner {
    fs::write(dir.join("index.js"), "console.log(1)\n").unwrap();
    let mut r = Runner::new(&rw.api_url());
    r.unset("INPUT_SOURCE")
        .input("path", dir.to_str().unwrap())
        .input("service", services);
    r
}

/// The lines between `::group::{title}` and the next `::endgroup::`.
fn group<'a>(stdout: &'a str, title: &str) -> Vec<&'a str> {
    let opener = format!("::group::{title}");
    stdout
        .lines()
        .skip_while(|l| *l != opener)
        .skip(1)
        .take_while(|l| *l != "::endgroup::")
        .collect()
}

#[tokio::test]
async fn one_service_costs_three_subscriptions_on_one_socket_and_shows_both_logs() {
    let rw = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let run = runner(&rw, dir.path(), "web").run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(rw.upgrades().len(), 1, "one websocket connection");
    // Issue 20 (`fidelity:`): the status and the CLI's two log streams (was 2: one
    // `environmentLogs` stream on a filter no public client uses).
    let mut subs = rw.subscriptions();
    subs.sort();
    assert_eq!(subs, ["buildLogs", "deployment", "deploymentLogs"]);
    let http = rw.requests().len() - rw.upgrades().len();
    assert!(http <= 5, "{http} HTTP requests: {:?}", rw.operations());
    let logs = group(&run.stdout, "Railway logs: web");
    for l in BUILD.iter().chain(DEPLOY) {
        assert_eq!(
            logs.iter().filter(|x| *x == l).count(),
            1,
            "{l} once in the group:\n{}",
            run.stdout
        );
    }
    assert_no_token(&run);
}

#[tokio::test]
async fn three_services_cost_nine_subscriptions_on_one_socket() {
    let rw = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let run = runner(&rw, dir.path(), "web\nworker\napi").run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(rw.uploads().len(), 3);
    assert_eq!(
        rw.upgrades().len(),
        1,
        "one websocket connection for all three"
    );
    let subs = rw.subscriptions();
    // Issue 20 (`fidelity:`): three per service (was two).
    assert_eq!(subs.len(), 3 * 3, "{subs:?}");
    for field in ["deployment", "buildLogs", "deploymentLogs"] {
        assert_eq!(subs.iter().filter(|s| *s == field).count(), 3, "{subs:?}");
    }
    // Proportionally: one resolution and one trigger read for all, then per service the
    // serving deployment, the upload and the read after the health check.
    let http = rw.requests().len() - rw.upgrades().len();
    assert!(
        http <= 2 + 3 * 3,
        "{http} HTTP requests: {:?}",
        rw.operations()
    );
    for svc in ["web", "worker", "api"] {
        let logs = group(&run.stdout, &format!("Railway logs: {svc}"));
        for l in BUILD.iter().chain(DEPLOY) {
            let line = format!("[{svc}] {l}");
            assert!(logs.contains(&line.as_str()), "{line}:\n{}", run.stdout);
        }
    }
    assert_no_token(&run);
}
