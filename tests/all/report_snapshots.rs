//! Snapshots (insta) of the PR comment and the job summary for fixed, representative runs: a
//! success with checks, migrations and health; a failure with log lines; a rollback; a dry run;
//! and the deploying and cancelled comments. Update with `INSTA_UPDATE=always`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use railway_deploy::record::{
    CheckReport, GateReport, HealthReport, MigrationReport, PlannedAction, RunReport, RunStatus,
    ServiceReport, ServiceState, Stage, StageOutcome, StageTiming,
};
use railway_deploy::report::comment::{Phase, render_comment};
use railway_deploy::report::summary::render_summary;

const RUN_URL: &str = "https://github.com/acme/shop/actions/runs/42";

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T08:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
        + chrono::Duration::seconds(secs)
}

fn stage(
    stage: Stage,
    service: Option<&str>,
    start: i64,
    secs: u64,
    o: StageOutcome,
) -> StageTiming {
    StageTiming {
        stage,
        service: service.map(str::to_string),
        started_at: at(start),
        duration: Duration::from_secs(secs),
        outcome: o,
    }
}

fn service(name: &str, n: u32) -> ServiceReport {
    let mut s = ServiceReport::planned(&format!("svc-{name}"), name);
    s.state = ServiceState::Deployed;
    s.deployment_id = Some(format!("dep-{name}-{n}"));
    s.previous_deployment_id = Some(format!("dep-{name}-{}", n - 1));
    s.final_status = Some("SUCCESS".into());
    s.url = Some(format!("https://{name}.up.railway.app"));
    let dash = |d: u32| {
        format!(
            "https://railway.com/project/prj-1/service/svc-{name}?environmentId=env-1&id=dep-{name}-{d}"
        )
    };
    s.dashboard_url = Some(dash(n));
    s.previous_dashboard_url = Some(dash(n - 1));
    s.rollback_command = Some(format!(
        "docker run --rm -e RAILWAY_TOKEN ghcr.io/acme/railway-deploy:v1.4.0 --command rollback --project prj-1 --environment production --service {name} --to dep-{name}-{}",
        n - 1
    ));
    s.health = Some(HealthReport {
        url: Some(format!("https://{name}.up.railway.app/healthz")),
        passed: true,
        attempts: 2,
        last_status: Some(200),
        ..HealthReport::default()
    });
    s
}

fn success() -> RunReport {
    let mut r = RunReport::new("deploy", "commit", false, at(0));
    r.status = RunStatus::Success;
    r.project_id = Some("prj-1".into());
    r.project_name = Some("shop".into());
    r.environment_id = Some("env-1".into());
    r.environment = Some("production".into());
    r.version = Some("1.4.0".into());
    r.sha = Some("0123456789abcdef0123456789abcdef01234567".into());
    r.services = vec![service("web", 8), service("worker", 5)];
    r.rollback_workflow_url =
        Some("https://github.com/acme/shop/actions/workflows/rollback.yml".into());
    r.stages = vec![
        stage(Stage::Resolve, None, 0, 1, StageOutcome::Passed),
        stage(Stage::Gate, None, 1, 95, StageOutcome::Passed),
        stage(Stage::Migrate, None, 96, 4, StageOutcome::Passed),
        stage(Stage::Build, Some("web"), 100, 80, StageOutcome::Passed),
        stage(Stage::Build, Some("worker"), 100, 60, StageOutcome::Passed),
        stage(Stage::Deploy, Some("web"), 180, 40, StageOutcome::Passed),
        stage(Stage::Deploy, Some("worker"), 160, 30, StageOutcome::Passed),
        stage(Stage::Health, Some("web"), 220, 5, StageOutcome::Passed),
    ];
    r.gate = Some(GateReport {
        passed: true,
        checks: vec![
            CheckReport {
                name: "test (ubuntu)".into(),
                kind: "check-run".into(),
                conclusion: "success".into(),
                url: Some("https://github.com/acme/shop/runs/1".into()),
            },
            CheckReport {
                name: "ci/lint".into(),
                kind: "status".into(),
                conclusion: "success".into(),
                url: None,
            },
        ],
        reason: None,
    });
    r.migrations = Some(MigrationReport {
        kind: "sql".into(),
        applied: vec!["0007_add_orders.sql".into(), "0008_index_orders.sql".into()],
        pending: vec![],
        error: None,
    });
    r
}

fn failure() -> RunReport {
    let mut r = success();
    r.status = RunStatus::Failed;
    r.failure = Some("web crashed while starting (CRASHED): check the deploy logs below".into());
    r.gate = None;
    r.migrations = None;
    let web = &mut r.services[0];
    web.state = ServiceState::FailedLive;
    web.final_status = Some("CRASHED".into());
    web.failure = Some("the new deployment crashed; the previous one was not restored (rollback-on-failure is false)".into());
    web.health = None;
    web.log_tail = (1..=45)
        .map(|i| format!("line {i}: connecting to postgres://app:hunter2@db.internal:5432/shop"))
        .chain(["Error: ``` unexpected token".to_string()])
        .collect();
    r.stages[5].outcome = StageOutcome::Failed;
    r.stages.truncate(7);
    r
}

fn rolled_back() -> RunReport {
    let mut r = failure();
    r.status = RunStatus::RolledBack;
    r.services[0].state = ServiceState::RolledBack;
    r.services[1].state = ServiceState::RolledBack;
    r.stages
        .push(stage(Stage::Rollback, None, 225, 12, StageOutcome::Passed));
    r
}

fn dry_run() -> RunReport {
    let mut r = RunReport::new("deploy", "image", true, at(0));
    r.environment = Some("staging".into());
    r.sha = Some("0123456789abcdef0123456789abcdef01234567".into());
    r.services = vec![ServiceReport::planned("svc-web", "web")];
    r.plan = vec![
        PlannedAction {
            service: Some("web".into()),
            description: "set the image source to ghcr.io/acme/web@sha256:abc".into(),
        },
        PlannedAction {
            service: Some("web".into()),
            description: "deploy the service instance (serviceInstanceDeployV2)".into(),
        },
    ];
    r.stages = vec![stage(Stage::Resolve, None, 0, 2, StageOutcome::Passed)];
    r
}

#[test]
fn comment_success() {
    insta::assert_snapshot!(render_comment(&success(), Phase::Finished, Some(RUN_URL)));
}

#[test]
fn comment_failure() {
    let text = render_comment(&failure(), Phase::Finished, Some(RUN_URL));
    assert!(!text.contains("hunter2"));
    insta::assert_snapshot!(text);
}

#[test]
fn comment_rolled_back() {
    insta::assert_snapshot!(render_comment(
        &rolled_back(),
        Phase::Finished,
        Some(RUN_URL)
    ));
}

#[test]
fn comment_deploying() {
    let mut r = success();
    r.status = RunStatus::Skipped;
    r.stages.truncate(3);
    insta::assert_snapshot!(render_comment(&r, Phase::Deploying, Some(RUN_URL)));
}

#[test]
fn comment_cancelled() {
    let mut r = success();
    r.stages.truncate(3);
    insta::assert_snapshot!(render_comment(&r, Phase::Cancelled, None));
}

#[test]
fn summary_success() {
    insta::assert_snapshot!(render_summary(&success()));
}

#[test]
fn summary_failure() {
    let text = render_summary(&failure());
    assert!(!text.contains("hunter2"));
    insta::assert_snapshot!(text);
}

#[test]
fn summary_rolled_back() {
    insta::assert_snapshot!(render_summary(&rolled_back()));
}

#[test]
fn summary_dry_run() {
    insta::assert_snapshot!(render_summary(&dry_run()));
}
