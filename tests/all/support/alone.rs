//! Runs one test of this binary alone, in a child process of its own: for a test that signals its
//! own process (SIGTERM would otherwise reach every test running beside it).

use std::time::Duration;

/// Set in the child: the test runs its body instead of spawning itself again.
const ALONE: &str = "RAILWAY_DEPLOY_TEST_ALONE";

/// `true` in the child process [`run_alone`] starts.
pub fn is_alone() -> bool {
    std::env::var_os(ALONE).is_some()
}

/// Runs the test `module::name` (its path inside this binary, e.g. from `module_path!()`) in a
/// child process and fails unless exactly that test ran there and passed.
pub async fn run_alone(module: &str, name: &str) {
    let module = module.split_once("::").map_or(module, |(_, rest)| rest);
    let test = format!("{module}::{name}");
    let exe = std::env::current_exe().expect("the test binary's path");
    let run = tokio::process::Command::new(exe)
        .args([test.as_str(), "--exact", "--test-threads=1"])
        .env(ALONE, "1")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the child test finished within 60s")
        .expect("start the child test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let log = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{test} failed alone:\n{log}");
    assert!(
        stdout.contains("1 passed"),
        "{test} did not run alone:\n{log}"
    );
}
