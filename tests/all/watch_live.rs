//! The watch after going live (`watch`), run as the Actions runner runs the binary against the
//! fake Railway: a clean watch passes and costs a few dozen requests; an instance that crashes,
//! a 5xx share over the limit or a health probe failing in a row is a breach that rolls the
//! release back (`rolled-back`, exit 1, the evidence in the summary); too few requests are not
//! judged; metrics Railway refuses are a notice and the watch goes on.

use std::time::Instant;

use crate::support::cli::{Run, Runner};
use crate::support::secrets::assert_no_token;
use fakes::railway::{FakeRailway, RailwayWorld};

async fn fake() -> FakeRailway {
    FakeRailway::start(RailwayWorld::standard()).await
}

/// A 5-minute watch of `services` (at the runner's time scale of 0.001: 0.3 s of waiting).
async fn watched(rw: &FakeRailway, services: &str) -> (Run, std::time::Duration) {
    let mut r = Runner::new(&rw.api_url());
    r.input("watch", "5m").input("service", services);
    let started = Instant::now();
    let run = r.run().await;
    (run, started.elapsed())
}

fn count(rw: &FakeRailway, op: &str) -> usize {
    rw.operations().iter().filter(|o| *o == op).count()
}

/// Every step of a steady, healthy service: 48 answers of 200 and one 404 per 30 s.
const STEADY: &[(u16, f64)] = &[(200, 48.0), (404, 1.0)];

#[tokio::test]
async fn a_clean_watch_passes_in_ten_rounds_of_two_reads() {
    let rw = fake().await;
    rw.world().script_http("svc-web", &[STEADY; 10]);
    let before_watch = {
        // What the same run costs without a watch.
        let run = Runner::new(&rw.api_url()).run().await;
        assert_eq!(run.code, 0, "{}", run.log());
        rw.operations().len()
    };
    let (run, took) = watched(&rw, "web").await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "success");
    // A 5-minute watch: 10 rounds, each one instances read and one metrics read.
    assert_eq!(count(&rw, "DeploymentInstances"), 10);
    assert_eq!(count(&rw, "HttpMetricsByStatus"), 10);
    assert_eq!(rw.operations().len() - before_watch, before_watch + 20);
    assert!(took.as_secs_f64() < 5.0, "a scaled 5m watch took {took:?}");
    assert!(run.summary.contains("### Watch"), "{}", run.summary);
    assert!(
        run.summary
            .contains("✅ No breach in 5m (10 rounds, every 30s)."),
        "{}",
        run.summary
    );
    assert!(
        run.summary
            .contains("| web | RUNNING ×1 | 10 of 10 passed | 490 | 0 (0%) |"),
        "{}",
        run.summary
    );
    assert!(run.summary.contains("xychart-beta"), "{}", run.summary);
    assert!(run.summary.contains("    bar [49, 49"), "{}", run.summary);
    assert!(
        run.summary.contains("    watch "),
        "the timeline lacks the watch:\n{}",
        run.summary
    );
    assert!(
        run.stdout.contains("watch 10/10: web 1 running"),
        "{}",
        run.log()
    );
    assert!(rw.mutations().iter().all(|m| m != "DeploymentRollback"));
    // The metrics are asked for the service since it went live, one sample per interval.
    let body = crate::support::requests::operation_bodies(&rw.requests(), "HttpMetricsByStatus");
    let vars = &body[0]["variables"];
    assert_eq!(vars["serviceId"], "svc-web");
    assert_eq!(vars["environmentId"], "env-stg");
    assert_eq!(vars["stepSeconds"], 30);
    assert!(vars["startDate"].as_str().unwrap() <= vars["endDate"].as_str().unwrap());
    assert_no_token(&run);
}

#[tokio::test]
async fn an_instance_that_crashes_after_going_live_rolls_back_the_release() {
    let rw = fake().await;
    rw.world()
        .script_instances("svc-worker", &["RUNNING", "RUNNING", "CRASHED"]);
    let (run, _) = watched(&rw, "web, worker").await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "rolled-back");
    // Both services went live; the release is rolled back together.
    let rollbacks = rw
        .mutations()
        .iter()
        .filter(|m| *m == "DeploymentRollback")
        .count();
    assert_eq!(rollbacks, 2, "{:?}", rw.mutations());
    // The watch stopped at the third round.
    assert_eq!(count(&rw, "DeploymentInstances"), 6);
    assert!(
        run.summary
            .contains("❌ **Breach** of `worker` (instances) at "),
        "{}",
        run.summary
    );
    assert!(
        run.summary
            .contains("1m 30s into the 5m watch: instance dep-new-"),
        "{}",
        run.summary
    );
    assert!(
        run.summary.contains("-inst-1 of deployment dep-new-"),
        "{}",
        run.summary
    );
    assert!(
        run.summary
            .contains("is CRASHED (0 of 1 instances running)"),
        "{}",
        run.summary
    );
    // The headline is the breaching service's evidence, not its sibling's rollback.
    assert!(
        run.summary.contains(
            "> **Failed at `watch`:** worker: the watch after going live found a breach (instances)"
        ),
        "{}",
        run.summary
    );
    assert!(
        run.stdout
            .contains("the watch after going live found a breach (instances)"),
        "{}",
        run.log()
    );
}

#[tokio::test]
async fn a_5xx_share_over_the_limit_rolls_back() {
    let rw = fake().await;
    // 10 requests in the first 30 s (too few to judge), then 10 more and 5 of them 503.
    rw.world()
        .script_http("svc-web", &[&[(200, 10.0)], &[(200, 10.0), (503, 5.0)]]);
    let (run, _) = watched(&rw, "web").await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "rolled-back");
    assert_eq!(count(&rw, "HttpMetricsByStatus"), 2);
    assert!(run.summary.contains("(error rate) at "), "{}", run.summary);
    assert!(
        run.summary.contains(
            "1m into the 5m watch: 5 of 25 requests (20%) answered 5xx since going live; the limit is 5%"
        ),
        "{}",
        run.summary
    );
    assert!(run.summary.contains("    line [0, 5]"), "{}", run.summary);
    assert!(rw.mutations().contains(&"DeploymentRollback".to_string()));
}

#[tokio::test]
async fn without_rollback_on_failure_a_breach_fails_and_says_how_to_roll_back() {
    let rw = fake().await;
    rw.world().script_instances("svc-web", &["RESTARTING"]);
    let mut r = Runner::new(&rw.api_url());
    r.input("watch", "5m").input("rollback-on-failure", "false");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "failed");
    assert!(!rw.mutations().contains(&"DeploymentRollback".to_string()));
    assert!(run.summary.contains("is RESTARTING"), "{}", run.summary);
    assert!(
        run.summary
            .contains("`rollback-on-failure` is false, so deployment dep-new-"),
        "{}",
        run.summary
    );
}

#[tokio::test]
async fn too_few_requests_are_not_judged() {
    let rw = fake().await;
    // Every request fails, but only 10 in the whole watch: fewer than the 20 needed to judge.
    const FAILING: &[(u16, f64)] = &[(502, 1.0)];
    rw.world().script_http("svc-web", &[FAILING; 10]);
    let (run, _) = watched(&rw, "web").await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "success");
    assert!(
        run.summary.contains("| 10 | 10 (100%) |"),
        "{}",
        run.summary
    );
    assert!(
        run.summary
            .contains("at least 20 requests since going live (limit 5%)"),
        "{}",
        run.summary
    );
}

#[tokio::test]
async fn metrics_railway_refuses_are_a_notice_and_the_watch_goes_on() {
    let rw = fake().await;
    rw.world().observe.metrics_error = Some("Not Authorized".into());
    rw.world()
        .script_instances("svc-web", &["RUNNING", "RUNNING", "RUNNING", "EXITED"]);
    let (run, _) = watched(&rw, "web").await;
    // Asked once; the instances are still read, and their breach still found.
    assert_eq!(count(&rw, "HttpMetricsByStatus"), 1);
    assert_eq!(count(&rw, "DeploymentInstances"), 4);
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "rolled-back");
    assert!(
        run.stdout.contains(
            "::notice::`web`: Railway did not give the HTTP metrics (Railway answered \"Not Authorized\" to HttpMetricsByStatus for this token); the watch went on"
        ),
        "{}",
        run.log()
    );
    assert!(
        run.summary.contains("unavailable: Railway answered"),
        "{}",
        run.summary
    );
    assert!(run.summary.contains("is EXITED"), "{}", run.summary);
    assert!(!run.summary.contains("xychart-beta"), "{}", run.summary);
    assert_no_token(&run);
}

#[tokio::test]
async fn metrics_refused_on_a_healthy_release_still_pass() {
    let rw = fake().await;
    rw.world().observe.metrics_error = Some("Not Authorized".into());
    let (run, _) = watched(&rw, "web").await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "success");
    assert_eq!(count(&rw, "DeploymentInstances"), 10);
    assert!(run.summary.contains("No breach in 5m"), "{}", run.summary);
}

#[tokio::test]
async fn instance_reads_railway_does_not_answer_are_counted_not_a_breach() {
    let rw = fake().await;
    rw.world().observe.instances_error = Some("Problem processing request".into());
    rw.world().script_http("svc-web", &[STEADY; 10]);
    let (run, _) = watched(&rw, "web").await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "success");
    assert_eq!(count(&rw, "DeploymentInstances"), 10);
    assert_eq!(count(&rw, "HttpMetricsByStatus"), 10);
    assert!(
        run.stdout.contains(
            "::notice::`web`: Railway did not answer 10 of 10 reads of the deployment's instances during the watch (last: Railway answered DeploymentInstances with errors: Problem processing request)"
        ),
        "{}",
        run.log()
    );
    assert!(
        run.summary
            .contains("| web | none seen (10 of 10 reads unanswered) | 10 of 10 passed | 490 |"),
        "{}",
        run.summary
    );
}

#[tokio::test]
async fn health_failing_three_times_in_a_row_during_the_watch_rolls_back() {
    let rw = fake().await;
    // The health stage passes at once; the watch's probes: ok, 503, ok, then 503 three times.
    rw.world()
        .script_app_health(&[200, 200, 503, 200, 503, 503, 503]);
    let (run, _) = watched(&rw, "web").await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "rolled-back");
    assert!(run.summary.contains("(health) at "), "{}", run.summary);
    assert!(
        run.summary.contains(
            "3m into the 5m watch: 3 health probes in a row failed (last: answered 503, expected 200)"
        ),
        "{}",
        run.summary
    );
    assert!(
        run.summary
            .contains("4 of 6 failed (3 in a row is a breach)"),
        "{}",
        run.summary
    );
    assert_eq!(count(&rw, "DeploymentInstances"), 6);
    assert!(rw.mutations().contains(&"DeploymentRollback".to_string()));
}

#[tokio::test]
async fn a_dry_run_says_a_watch_would_run_and_for_how_long() {
    let rw = fake().await;
    let mut r = Runner::new(&rw.api_url());
    r.input("watch", "10m").input("dry-run", "true");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stdout.contains(
            "watch `web` in `staging` for 10m after the health check (instances, health probe and 5xx share every 1m)"
        ),
        "{}",
        run.log()
    );
    assert_eq!(count(&rw, "DeploymentInstances"), 0);
}

#[tokio::test]
async fn sigterm_during_the_watch_ends_the_run_promptly_with_github_settled() {
    use crate::robust_cancel::{cancel_when, github, github_states};
    let rw = fake().await;
    let (gh, gh_server) = github().await;
    let mut r = Runner::new(&rw.api_url());
    // An hour's watch (3.6 s at the runner's time scale): the signal comes in its first rounds.
    r.with_github(&gh_server.url())
        .input("wait-for-checks", "false")
        .input("comment", "false")
        .input("watch", "1h");
    let (code, took) =
        cancel_when(&r, &rw, |rw| !rw.world().observe.instance_reads.is_empty()).await;
    assert_eq!(code, Some(1));
    assert!(took < std::time::Duration::from_secs(5), "took {took:?}");
    // The release is live and stays so: nothing cancelled, nothing rolled back.
    assert!(
        !rw.mutations()
            .iter()
            .any(|m| m == "DeploymentCancel" || m == "DeploymentRollback"),
        "{:?}",
        rw.mutations()
    );
    assert_eq!(github_states(&gh), vec![vec!["in_progress", "error"]]);
}
