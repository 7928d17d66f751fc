//! The gate against the fake GitHub: failures stop at once, pending checks are waited for, this
//! run's own jobs are not, pagination, the deadline, and rate limits.

use std::time::{Duration, Instant};

use fakes::Server;
use fakes::github::checks::{Snapshot, actions_check_run, app_check_run, status};
use fakes::github::{GitHubState, router};
use railway_deploy::config::ChecksMode;
use railway_deploy::gate::{GateRequest, NOT_WAITED_ON, wait_for_checks};
use railway_deploy::github::GitHub;
use railway_deploy::record::GateReport;
use railway_deploy::secret::Secret;
use railway_deploy::timing::Timing;

const SHA: &str = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
const OUR_RUN: u64 = 5000;
const OTHER_RUN: u64 = 4000;

struct Fake {
    server: Server,
    state: GitHubState,
    gh: GitHub,
}

impl Fake {
    async fn start(polls: Vec<Snapshot>) -> Fake {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let state = GitHubState::default();
        state.world.lock().unwrap().checks.script(SHA, polls);
        let server = Server::start(router(state.clone())).await;
        let gh = GitHub::new(&server.url(), &Secret::new("t"), "o/r", fast()).unwrap();
        Fake { server, state, gh }
    }

    fn polls(&self) -> usize {
        self.state.world.lock().unwrap().checks.polls(SHA)
    }

    fn paths(&self) -> Vec<String> {
        self.state
            .recorder
            .all()
            .iter()
            .map(|r| match &r.query {
                Some(q) => format!("{} {}?{q}", r.method, r.path),
                None => format!("{} {}", r.method, r.path),
            })
            .collect()
    }

    /// The check-run requests made, in order.
    fn check_run_requests(&self) -> Vec<String> {
        self.paths()
            .into_iter()
            .filter(|p| p.contains("check-runs"))
            .collect()
    }

    async fn gate(&self, mode: ChecksMode, timeout: Duration) -> GateReport {
        self.gate_with(mode, vec![], timeout).await
    }

    async fn gate_with(
        &self,
        mode: ChecksMode,
        ignore: Vec<String>,
        timeout: Duration,
    ) -> GateReport {
        let req = GateRequest {
            sha: SHA.to_string(),
            run_id: Some(OUR_RUN),
            mode,
            ignore,
            timeout,
        };
        wait_for_checks(Some(&self.gh), &req, &fast()).await
    }
}

fn fast() -> Timing {
    Timing::from_env_value(Some("0.001"))
}

fn minute() -> Duration {
    Duration::from_secs(60)
}

fn ok(id: u64, name: &str) -> serde_json::Value {
    actions_check_run(id, name, OTHER_RUN, "completed", Some("success"))
}

fn reason(r: &GateReport) -> String {
    r.reason.clone().unwrap_or_default()
}

#[tokio::test]
async fn a_failure_stops_the_gate_at_once_naming_it_with_its_link() {
    let fake = Fake::start(vec![Snapshot::new(
        vec![
            ok(1, "build"),
            actions_check_run(2, "test", OTHER_RUN, "completed", Some("failure")),
            app_check_run(3, "slow-ci", "circleci", "in_progress", None),
        ],
        vec![status(
            1,
            "ci/legacy",
            "error",
            Some("https://legacy.example.com/9"),
        )],
    )])
    .await;
    let report = fake.gate(ChecksMode::All, minute()).await;
    assert!(!report.passed);
    let why = reason(&report);
    assert!(
        why.contains(&format!(
            "`test` (check-run) failure: https://github.com/o/r/actions/runs/{OTHER_RUN}/job/2"
        )),
        "{why}"
    );
    assert!(
        why.contains("`ci/legacy` (status) error: https://legacy.example.com/9"),
        "{why}"
    );
    assert_eq!(fake.polls(), 1, "fail fast: no second poll");
    let conclusions: Vec<(&str, &str)> = report
        .checks
        .iter()
        .map(|c| (c.name.as_str(), c.conclusion.as_str()))
        .collect();
    assert!(
        conclusions.contains(&("build", "success")),
        "{conclusions:?}"
    );
    assert!(
        conclusions.contains(&("slow-ci", "in_progress")),
        "{conclusions:?}"
    );
}

#[tokio::test]
async fn pending_checks_are_waited_for_until_they_pass() {
    let pending = || app_check_run(7, "e2e", "circleci", "in_progress", None);
    let fake = Fake::start(vec![
        Snapshot::new(
            vec![
                ok(1, "build"),
                app_check_run(7, "e2e", "circleci", "queued", None),
            ],
            vec![],
        ),
        Snapshot::new(vec![ok(1, "build"), pending()], vec![]),
        Snapshot::new(
            vec![
                ok(1, "build"),
                app_check_run(7, "e2e", "circleci", "completed", Some("success")),
            ],
            vec![],
        ),
    ])
    .await;
    let report = fake.gate(ChecksMode::All, minute()).await;
    assert!(report.passed, "{:?}", report.reason);
    assert_eq!(fake.polls(), 3);
    // At most two requests per poll: one page of check runs and the combined status.
    assert_eq!(fake.state.recorder.count(), 6, "{:?}", fake.paths());
    let first = &fake.paths()[0];
    assert!(
        first.contains("/repos/o/r/commits/") && first.contains("per_page=100"),
        "{first}"
    );
}

#[tokio::test]
async fn the_own_job_and_matrix_siblings_are_not_waited_on() {
    let fake = Fake::start(vec![Snapshot::new(
        vec![
            ok(1, "lint"),
            // This run: a finished `needs:` job, this job, and its matrix siblings still running.
            actions_check_run(10, "test", OUR_RUN, "completed", Some("success")),
            actions_check_run(11, "deploy (api)", OUR_RUN, "in_progress", None),
            actions_check_run(12, "deploy (web)", OUR_RUN, "queued", None),
            actions_check_run(13, "deploy (worker)", OUR_RUN, "in_progress", None),
        ],
        vec![],
    )])
    .await;
    let report = fake.gate(ChecksMode::All, minute()).await;
    assert!(report.passed, "{:?}", report.reason);
    assert_eq!(fake.polls(), 1);
    let skipped = report
        .checks
        .iter()
        .filter(|c| c.conclusion == NOT_WAITED_ON)
        .count();
    assert_eq!(skipped, 3);
}

#[tokio::test]
async fn another_workflows_job_with_our_jobs_name_is_still_waited_on() {
    // Our job (the newer check run, higher id) must not hide the other workflow's job.
    let fake = Fake::start(vec![
        Snapshot::new(
            vec![
                actions_check_run(31, "deploy", OUR_RUN, "in_progress", None),
                actions_check_run(20, "deploy", OTHER_RUN, "in_progress", None),
            ],
            vec![],
        ),
        Snapshot::new(
            vec![
                actions_check_run(31, "deploy", OUR_RUN, "in_progress", None),
                actions_check_run(20, "deploy", OTHER_RUN, "completed", Some("failure")),
            ],
            vec![],
        ),
    ])
    .await;
    let report = fake.gate(ChecksMode::All, minute()).await;
    assert!(!report.passed);
    assert!(
        reason(&report).contains("/actions/runs/4000/job/20"),
        "{}",
        reason(&report)
    );
    assert_eq!(fake.polls(), 2);
}

#[tokio::test]
async fn a_failed_job_of_the_same_run_still_stops_the_gate() {
    let fake = Fake::start(vec![Snapshot::new(
        vec![
            ok(1, "lint"),
            actions_check_run(10, "test (windows)", OUR_RUN, "completed", Some("failure")),
            actions_check_run(11, "deploy", OUR_RUN, "in_progress", None),
        ],
        vec![],
    )])
    .await;
    let report = fake.gate(ChecksMode::All, minute()).await;
    assert!(!report.passed);
    assert!(
        reason(&report).contains("`test (windows)` (check-run) failure"),
        "{}",
        reason(&report)
    );
    assert_eq!(fake.polls(), 1);
}

#[tokio::test]
async fn an_actions_check_run_without_a_run_url_is_recognised_through_the_jobs_api() {
    // An Actions check run whose URLs do not name the run (an older URL form): the gate asks the
    // jobs API of this run once, and does not wait on its own job.
    let mut own = app_check_run(77, "deploy", "github-actions", "in_progress", None);
    own["details_url"] = serde_json::json!("https://github.com/o/r/runs/77");
    let fake = Fake::start(vec![Snapshot::new(vec![ok(1, "build"), own], vec![])]).await;
    fake.state
        .world
        .lock()
        .unwrap()
        .checks
        .run_jobs
        .insert(OUR_RUN, vec![76, 77]);
    let report = fake.gate(ChecksMode::All, minute()).await;
    assert!(report.passed, "{:?}", report.reason);
    assert!(
        fake.paths()
            .iter()
            .any(|p| p.contains(&format!("/actions/runs/{OUR_RUN}/jobs"))),
        "{:?}",
        fake.paths()
    );
}

#[tokio::test]
async fn a_pending_status_is_waited_for_until_success() {
    let fake = Fake::start(vec![
        Snapshot::new(
            vec![ok(1, "build")],
            vec![status(1, "ci/jenkins", "pending", None)],
        ),
        Snapshot::new(
            vec![ok(1, "build")],
            vec![
                status(1, "ci/jenkins", "pending", None),
                status(
                    2,
                    "ci/jenkins",
                    "success",
                    Some("https://jenkins.example.com/1"),
                ),
            ],
        ),
    ])
    .await;
    let report = fake.gate(ChecksMode::All, minute()).await;
    assert!(report.passed, "{:?}", report.reason);
    assert_eq!(fake.polls(), 2);
    let jenkins = report
        .checks
        .iter()
        .find(|c| c.name == "ci/jenkins")
        .unwrap();
    assert_eq!(
        (jenkins.kind.as_str(), jenkins.conclusion.as_str()),
        ("status", "success")
    );
}

#[tokio::test]
async fn a_commit_without_statuses_is_not_pending() {
    // GitHub's combined state is `pending` when there are no statuses; the gate must not wait.
    let fake = Fake::start(vec![Snapshot::new(vec![ok(1, "build")], vec![])]).await;
    let report = fake.gate(ChecksMode::All, minute()).await;
    assert!(report.passed, "{:?}", report.reason);
    assert_eq!(fake.polls(), 1);
}

#[tokio::test]
async fn a_required_name_that_never_appears_fails_at_the_deadline() {
    let fake = Fake::start(vec![Snapshot::new(vec![ok(1, "build")], vec![])]).await;
    let timeout = Duration::from_millis(300);
    let started = Instant::now();
    let report = fake
        .gate(
            ChecksMode::Named(vec!["build".into(), "e2e".into()]),
            timeout,
        )
        .await;
    let elapsed = started.elapsed();
    assert!(!report.passed);
    let why = reason(&report);
    assert!(why.contains("never appeared on the commit: `e2e`"), "{why}");
    assert!(why.contains("checks seen: build"), "{why}");
    assert!(elapsed >= timeout, "gave up after {elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert!(fake.polls() > 2, "polled {} times", fake.polls());
}

#[tokio::test]
async fn named_checks_ignore_everything_else() {
    let fake = Fake::start(vec![Snapshot::new(
        vec![
            ok(1, "build"),
            actions_check_run(2, "flaky", OTHER_RUN, "completed", Some("failure")),
        ],
        vec![status(1, "ci/slow", "pending", None)],
    )])
    .await;
    let report = fake
        .gate(ChecksMode::Named(vec!["Build".into()]), minute())
        .await;
    assert!(report.passed, "{:?}", report.reason);
    assert_eq!(report.checks.len(), 1);
}

#[tokio::test]
async fn ignore_checks_are_never_waited_on() {
    let fake = Fake::start(vec![Snapshot::new(
        vec![
            ok(1, "build"),
            app_check_run(2, "codecov", "codecov", "in_progress", None),
        ],
        vec![],
    )])
    .await;
    let report = fake
        .gate_with(ChecksMode::All, vec!["codecov".into()], minute())
        .await;
    assert!(report.passed, "{:?}", report.reason);
}

#[tokio::test]
async fn false_makes_zero_requests() {
    let fake = Fake::start(vec![Snapshot::new(
        vec![actions_check_run(
            1,
            "test",
            OTHER_RUN,
            "completed",
            Some("failure"),
        )],
        vec![],
    )])
    .await;
    let report = fake.gate(ChecksMode::Off, minute()).await;
    assert!(report.passed);
    assert_eq!(fake.state.recorder.count(), 0);
    // Without a GitHub client at all, too.
    let req = GateRequest {
        sha: SHA.into(),
        run_id: None,
        mode: ChecksMode::Off,
        ignore: vec![],
        timeout: minute(),
    };
    assert!(wait_for_checks(None, &req, &fast()).await.passed);
}

/// 250 check runs: the one failure is on the third page.
fn failure_on_page_three() -> Snapshot {
    let mut runs: Vec<_> = (1..=250).map(|i| ok(i, &format!("job {i:03}"))).collect();
    runs[229] = actions_check_run(230, "job 230", OTHER_RUN, "completed", Some("timed_out"));
    Snapshot::new(runs, vec![])
}

#[tokio::test]
async fn every_page_of_more_than_100_check_runs_is_read() {
    let fake = Fake::start(vec![failure_on_page_three()]).await;
    let report = fake.gate(ChecksMode::All, minute()).await;
    assert!(!report.passed);
    assert!(
        reason(&report).contains("`job 230` (check-run) timed_out"),
        "{}",
        reason(&report)
    );
    assert_eq!(report.checks.len(), 250);
    let pages = fake.check_run_requests();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages[2].contains("page=3"), "{pages:?}");
}

/// GitHub Enterprise Server behind a proxy: the `Link` header names another host and path. The
/// gate asks for pages by number, so it still reads all three pages from the server it was given
/// (following the header would leave it, and the token with it).
#[tokio::test]
async fn pages_are_read_by_number_when_the_link_header_points_elsewhere() {
    let fake = Fake::start(vec![failure_on_page_three()]).await;
    fake.state.world.lock().unwrap().faults.link_base = Some("https://ghes.invalid/api/v3".into());
    let report = fake.gate(ChecksMode::All, minute()).await;
    assert!(
        reason(&report).contains("`job 230` (check-run) timed_out"),
        "{}",
        reason(&report)
    );
    assert_eq!(report.checks.len(), 250);
    let pages = fake.check_run_requests();
    assert_eq!(pages.len(), 3, "{pages:?}");
    for (i, page) in pages.iter().enumerate() {
        assert!(page.starts_with("GET /repos/o/r/commits/"), "{page}");
        assert!(page.contains(&format!("page={}", i + 1)), "{pages:?}");
    }
}

#[tokio::test]
async fn a_secondary_rate_limit_with_retry_after_is_waited_out() {
    let fake = Fake::start(vec![Snapshot::new(vec![ok(1, "build")], vec![])]).await;
    fake.state.world.lock().unwrap().checks.rate_limit_once = Some(1);
    let started = Instant::now();
    let report = fake.gate(ChecksMode::All, minute()).await;
    assert!(report.passed, "{:?}", report.reason);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retry-after not honoured"
    );
    let check_run_requests = fake
        .paths()
        .iter()
        .filter(|p| p.contains("check-runs"))
        .count();
    assert_eq!(check_run_requests, 2, "{:?}", fake.paths());
}

#[tokio::test]
async fn a_rate_limit_past_the_deadline_is_a_clear_error() {
    let fake = Fake::start(vec![Snapshot::new(vec![ok(1, "build")], vec![])]).await;
    fake.state.world.lock().unwrap().checks.rate_limit_once = Some(600);
    let started = Instant::now();
    let report = fake.gate(ChecksMode::All, Duration::from_secs(10)).await;
    assert!(!report.passed);
    assert!(started.elapsed() < Duration::from_secs(2));
    let why = reason(&report);
    assert!(why.contains("rate limit"), "{why}");
    assert!(why.contains("Nothing was deployed"), "{why}");
}

#[tokio::test]
async fn an_unknown_commit_says_what_to_check() {
    let fake = Fake::start(vec![]).await;
    let req = GateRequest {
        sha: "0000000000000000000000000000000000000001".into(),
        run_id: None,
        mode: ChecksMode::All,
        ignore: vec![],
        timeout: minute(),
    };
    let report = wait_for_checks(Some(&fake.gh), &req, &fast()).await;
    assert!(!report.passed);
    assert!(
        reason(&report).contains("pushed to o/r"),
        "{}",
        reason(&report)
    );
    drop(fake.server);
}

#[tokio::test]
async fn with_nothing_else_on_the_commit_the_gate_looks_twice() {
    // Another workflow registers its (failing) check just after this job started.
    let ours = || actions_check_run(11, "deploy", OUR_RUN, "in_progress", None);
    let fake = Fake::start(vec![
        Snapshot::new(vec![ours()], vec![]),
        Snapshot::new(
            vec![
                ours(),
                actions_check_run(30, "ci", OTHER_RUN, "completed", Some("failure")),
            ],
            vec![],
        ),
    ])
    .await;
    let report = fake.gate(ChecksMode::All, minute()).await;
    assert!(!report.passed);
    assert_eq!(fake.polls(), 2);
}

#[tokio::test]
async fn an_unrecognised_actions_check_run_is_waited_on_and_looked_up_once() {
    let other = |status: &str, conclusion: Option<&str>| {
        let mut c = app_check_run(88, "docs", "github-actions", status, conclusion);
        c["details_url"] = serde_json::json!("https://github.com/o/r/runs/88");
        c
    };
    let fake = Fake::start(vec![
        Snapshot::new(vec![other("queued", None)], vec![]),
        Snapshot::new(vec![other("in_progress", None)], vec![]),
        Snapshot::new(vec![other("completed", Some("success"))], vec![]),
    ])
    .await;
    fake.state
        .world
        .lock()
        .unwrap()
        .checks
        .run_jobs
        .insert(OUR_RUN, vec![11]);
    let report = fake.gate(ChecksMode::All, minute()).await;
    assert!(report.passed, "{:?}", report.reason);
    assert_eq!(fake.polls(), 3);
    let jobs = fake.paths().iter().filter(|p| p.contains("/jobs")).count();
    assert_eq!(jobs, 1, "{:?}", fake.paths());
}

#[tokio::test]
async fn an_enormous_timeout_does_not_panic() {
    let fake = Fake::start(vec![Snapshot::new(
        vec![actions_check_run(
            1,
            "test",
            OTHER_RUN,
            "completed",
            Some("failure"),
        )],
        vec![],
    )])
    .await;
    let report = fake.gate(ChecksMode::All, Duration::MAX).await;
    assert!(!report.passed);
}
