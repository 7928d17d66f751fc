//! Snapshots (insta) of the summary's watch picture (the verdict with the breach's evidence, a
//! row per service, the mermaid `xychart-beta` of requests and 5xx per interval) for fixed
//! watches, and the PR comment's watch line. Update with `INSTA_UPDATE=always`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use railway_deploy::record::{
    Breach, IntervalCount, MetricsWatch, ProbeTally, RunReport, RunStatus, ServiceReport,
    ServiceState, ServiceWatch, WatchReport, WatchSignal,
};
use railway_deploy::report::comment::{Phase, render_comment};
use railway_deploy::report::summary::render_summary;
use railway_deploy::report::watch::section;

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T08:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
        + chrono::Duration::seconds(secs)
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Per 30 s: (requests, 5xx).
fn intervals(counts: &[(u64, u64)]) -> Vec<IntervalCount> {
    counts
        .iter()
        .enumerate()
        .map(|(i, &(requests, errors))| IntervalCount {
            offset: secs(30 * i as u64),
            requests,
            errors,
        })
        .collect()
}

fn metrics(counts: &[(u64, u64)]) -> MetricsWatch {
    let intervals = intervals(counts);
    MetricsWatch::Read {
        requests: intervals.iter().map(|i| i.requests).sum(),
        errors: intervals.iter().map(|i| i.errors).sum(),
        intervals,
    }
}

fn watched(service: &str, probes: Option<(u32, u32)>, metrics: MetricsWatch) -> ServiceWatch {
    ServiceWatch {
        service: service.into(),
        deployment_id: format!("dep-{service}-2"),
        instances: vec![
            (format!("{service}-i1"), "RUNNING".into()),
            (format!("{service}-i2"), "RUNNING".into()),
        ],
        instance_reads: 5,
        read_errors: 0,
        probes: probes.map(|(made, failed)| ProbeTally { made, failed }),
        metrics,
    }
}

fn watch(services: Vec<ServiceWatch>, rounds: u32, breach: Option<Breach>) -> WatchReport {
    WatchReport {
        window: secs(300),
        interval: secs(30),
        max_error_rate: 0.05,
        min_requests: 20,
        failures_to_breach: 3,
        started_at: at(120),
        duration: secs(30 * u64::from(rounds)),
        rounds,
        services,
        breach,
    }
}

fn breached() -> WatchReport {
    let web = watched(
        "web",
        Some((5, 0)),
        metrics(&[(120, 0), (131, 1), (118, 2), (125, 9), (140, 31)]),
    );
    let mut worker = watched(
        "worker",
        None,
        MetricsWatch::Unavailable {
            reason: "Railway answered \"Not Authorized\" to HttpMetricsByStatus for this token"
                .into(),
        },
    );
    worker.read_errors = 1;
    let breach = Breach {
        service: "web".into(),
        signal: WatchSignal::ErrorRate,
        at: at(270),
        after: secs(150),
        detail: "43 of 634 requests (6.8%) answered 5xx since going live; the limit is 5%".into(),
    };
    watch(vec![web, worker], 5, Some(breach))
}

#[test]
fn the_watch_picture_of_a_breach() {
    let mut r = RunReport::new("deploy", "commit", false, at(0));
    r.watch = Some(breached());
    let mut out = String::new();
    section(&mut out, &r);
    insta::assert_snapshot!(out);
}

#[test]
fn the_watch_picture_of_a_clean_watch() {
    let web = watched(
        "web",
        Some((10, 1)),
        metrics(&[
            (12, 0),
            (30, 0),
            (28, 1),
            (33, 0),
            (40, 0),
            (38, 0),
            (41, 2),
            (39, 0),
            (35, 0),
            (36, 0),
        ]),
    );
    let mut r = RunReport::new("deploy", "commit", false, at(0));
    r.watch = Some(watch(vec![web], 10, None));
    let mut out = String::new();
    section(&mut out, &r);
    insta::assert_snapshot!(out);
}

#[test]
fn the_summary_and_the_comment_carry_the_evidence() {
    let mut r = RunReport::new("deploy", "commit", false, at(0));
    r.status = RunStatus::RolledBack;
    r.environment = Some("production".into());
    let mut s = ServiceReport::planned("svc-web", "web");
    s.state = ServiceState::RolledBack;
    r.services.push(s);
    r.watch = Some(breached());
    let evidence = "43 of 634 requests (6.8%) answered 5xx since going live; the limit is 5%";
    let summary = render_summary(&r);
    assert!(summary.contains("### Watch"), "{summary}");
    assert!(summary.contains(evidence), "{summary}");
    let comment = render_comment(&r, Phase::Finished, None);
    assert!(
        comment.contains(&format!(
            "**Watch breach:** `web` (error rate) at 08:04:30 UTC, 2m 30s into the 5m watch: {evidence}."
        )),
        "{comment}"
    );
    // No watch, no section and no line.
    r.watch = None;
    assert!(!render_summary(&r).contains("### Watch"));
    assert!(!render_comment(&r, Phase::Finished, None).contains("Watch"));
}
