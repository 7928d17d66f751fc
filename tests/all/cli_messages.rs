//! What the binary tells a person, outside the happy path: invalid input in Actions leaves a job
//! summary saying what to fix (the run page is not blank); on a terminal, runtime errors and
//! warnings go to stderr, and a retry names Railway's operation once.

use crate::support::cli::Runner;
use fakes::railway::{FakeRailway, RailwayWorld};

#[tokio::test]
async fn invalid_input_in_actions_writes_the_job_summary() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let mut r = Runner::new(&rw.api_url());
    r.input("health-timeout", "soon").input("service", "");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(run.summary.contains("invalid input"), "{}", run.summary);
    assert!(run.summary.contains("health-timeout"), "{}", run.summary);
    assert!(run.summary.contains("`service`"), "{}", run.summary);
    assert!(
        run.summary.contains("Nothing was deployed"),
        "{}",
        run.summary
    );
}

#[tokio::test]
async fn on_a_terminal_runtime_errors_go_to_stderr_and_retries_name_the_operation_once() {
    // Nothing listens on this loopback port: every request fails to connect, and is retried.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut r = Runner::new(&format!("http://127.0.0.1:{port}/graphql/v2"));
    r.unset("GITHUB_ACTIONS");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    let error = run.stderr.lines().find(|l| l.starts_with("error: "));
    assert!(error.is_some(), "no error on stderr:\n{}", run.log());
    assert!(
        !run.stdout.lines().any(|l| l.starts_with("error: ")),
        "an error on stdout:\n{}",
        run.stdout
    );
    let retry = run
        .log()
        .lines()
        .find(|l| l.contains("retrying in"))
        .map(str::to_string);
    let retry = retry.unwrap_or_else(|| panic!("no retry line:\n{}", run.log()));
    assert_eq!(retry.matches("ProjectToken").count(), 1, "{retry}");
}

#[tokio::test]
async fn a_dry_runs_count_is_the_number_of_lines_it_lists() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.js"), "ok").unwrap();
    let mut r = Runner::new(&rw.api_url());
    r.input("dry-run", "true")
        .input("source", "upload")
        .input("path", dir.path().to_str().unwrap());
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let listed = run.stdout.lines().filter(|l| l.starts_with("- ")).count();
    let notice = run
        .stdout
        .lines()
        .find(|l| l.contains("Dry run: "))
        .unwrap_or_default();
    assert!(listed > 1, "{}", run.stdout);
    assert!(
        notice.contains(&format!("Dry run: {listed} steps listed above")),
        "{notice}\n{}",
        run.stdout
    );
}
