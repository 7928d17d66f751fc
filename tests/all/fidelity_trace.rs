//! The exchange trace (`RAILWAY_DEPLOY_TRACE=<file>`, `--trace <file>`): one JSON line per
//! exchange with Railway and GitHub, with names, shapes and statuses, never values or tokens.
//! Also the figure the report quotes: what a single-service upload deploy costs.

use std::fs;

use crate::support::cli::Runner;
use fakes::railway::{FakeRailway, RailwayWorld};

fn lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn an_upload_deploy_traces_every_exchange_without_values() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    rw.world()
        .script_logs("svc-web", &["#1 building"], &["listening on :8080"]);
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("package.json"), "{}").unwrap();
    let trace = dir.path().join("trace.jsonl");
    let mut r = Runner::new(&rw.api_url());
    r.unset("INPUT_SOURCE")
        .input("path", dir.path().to_str().unwrap())
        .set("RAILWAY_DEPLOY_TRACE", trace.to_str().unwrap());
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let text = fs::read_to_string(&trace).unwrap();
    assert!(!text.contains("tok-staging"), "{text}");
    assert!(!text.contains("svc-web"), "values never appear: {text}");
    let traced = lines(&trace);
    let graphql = rw.operations();
    let railway: Vec<&str> = traced
        .iter()
        .filter(|l| l["system"] == "railway")
        .map(|l| l["operation"].as_str().unwrap())
        .collect();
    assert_eq!(railway, graphql);
    assert_eq!(
        traced
            .iter()
            .filter(|l| l["system"] == "railway-upload")
            .count(),
        rw.uploads().len()
    );
    let first = traced.iter().find(|l| l["system"] == "railway").unwrap();
    assert!(
        first["shape"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str().unwrap().ends_with(": string"))
    );
    eprintln!(
        "single-service upload deploy: {} HTTP requests ({} GraphQL: {:?}; {} upload; {} websocket upgrade), subscriptions {:?}",
        rw.requests().len(),
        graphql.len(),
        graphql,
        rw.uploads().len(),
        rw.upgrades().len(),
        rw.subscriptions()
    );
}

#[tokio::test]
async fn the_trace_flag_names_the_file_too() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut r = Runner::new(&rw.api_url());
    r.arg("--trace").arg(trace.to_str().unwrap());
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(!lines(&trace).is_empty());
}

#[tokio::test]
async fn a_trace_file_that_cannot_be_created_is_a_warning_and_the_run_goes_on() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("no-such-dir").join("t.jsonl");
    let mut r = Runner::new(&rw.api_url());
    r.set("RAILWAY_DEPLOY_TRACE", trace.to_str().unwrap());
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let warnings: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("::warning") && l.contains("no trace"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", run.log());
    assert!(!trace.exists());
}

#[tokio::test]
async fn a_trace_write_that_fails_is_one_warning_and_the_run_goes_on() {
    // Writing to /dev/full fails with "no space left on device" (Linux).
    let full = std::path::Path::new("/dev/full");
    if !full.exists() {
        eprintln!("skipped: this system has no /dev/full");
        return;
    }
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let mut r = Runner::new(&rw.api_url());
    r.set("RAILWAY_DEPLOY_TRACE", "/dev/full");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "success");
    let warnings: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("::warning") && l.contains("trace"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", run.log());
    assert!(warnings[0].contains("the trace stopped"), "{}", run.log());
}
