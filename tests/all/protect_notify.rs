//! `notify-webhook`: one POST when the run ends (when `notify-on` says so) to a loopback
//! receiver, retried on 5xx and 429 (honouring `Retry-After`), a warning when it cannot be sent
//! (the exit status unchanged), the URL never shown; and snapshots (insta) of the Slack, Discord
//! and JSON bodies for a fixed rolled-back run. Update with `INSTA_UPDATE=always`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use fakes::railway::{FakeRailway, RailwayWorld};
use fakes::webhook::{FakeWebhook, Reply};
use railway_deploy::notify::format::{self, Notice};
use railway_deploy::record::{
    BackupReport, HealthReport, RunReport, RunStatus, ServiceReport, ServiceState, Stage,
    StageOutcome, StageTiming,
};

use crate::support::cli::{Run, Runner};
use crate::support::secrets::{assert_not_shown, run_places};

async fn run_with(world: RailwayWorld, hook: &FakeWebhook, inputs: &[(&str, &str)]) -> Run {
    let rw = FakeRailway::start(world).await;
    let mut r = Runner::new(&rw.api_url());
    r.input("notify-webhook", &hook.url());
    for (k, v) in inputs {
        r.input(k, v);
    }
    r.run().await
}

fn failing_world() -> RailwayWorld {
    let mut w = RailwayWorld::standard();
    w.script("svc-web", &["QUEUED", "BUILDING", "FAILED"]);
    w
}

fn assert_url_hidden(run: &Run, hook: &FakeWebhook) {
    assert_not_shown(&[&hook.url(), "T0KEN-s3cret-path"], &run_places(run));
}

#[tokio::test]
async fn a_failed_run_posts_the_contracts_json_once() {
    let hook = FakeWebhook::start().await;
    let run = run_with(failing_world(), &hook, &[]).await;
    assert_eq!(run.code, 1, "{}", run.log());
    let posts = hook.requests();
    assert_eq!(posts.len(), 1, "one POST");
    assert_eq!(posts[0].method, "POST");
    let body = posts[0].body_json().unwrap();
    assert_eq!(body["status"], "failed");
    assert_eq!(body["environment"], "staging");
    assert_eq!(body["repository"], "acme/shop");
    assert_eq!(body["sha"], "abc1234def5678abc1234def5678abc1234def56");
    assert_eq!(
        body["run_url"],
        "https://github.com/acme/shop/actions/runs/4242"
    );
    assert_eq!(body["deployments"][0]["service"], "web");
    assert_eq!(body["deployments"][0]["state"], "failed-before-live");
    let output: serde_json::Value = serde_json::from_str(run.output("deployments")).unwrap();
    assert_eq!(body["deployments"], output, "as the output");
    assert!(run.stdout.contains("Notification sent"), "{}", run.log());
    assert_url_hidden(&run, &hook);
}

#[tokio::test]
async fn a_success_is_sent_only_with_notify_on_always() {
    let hook = FakeWebhook::start().await;
    let quiet = run_with(RailwayWorld::standard(), &hook, &[]).await;
    assert_eq!(quiet.code, 0, "{}", quiet.log());
    assert!(hook.requests().is_empty(), "`failure` is the default");

    let always = run_with(RailwayWorld::standard(), &hook, &[("notify-on", "always")]).await;
    assert_eq!(always.code, 0, "{}", always.log());
    let posts = hook.requests();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].body_json().unwrap()["status"], "success");
    assert_url_hidden(&always, &hook);
}

#[tokio::test]
async fn a_webhook_that_keeps_failing_is_a_warning_and_the_exit_status_stays() {
    let hook = FakeWebhook::start().await;
    let err = Reply {
        status: 500,
        retry_after: None,
    };
    hook.reply_next(&[err, err, err, err]);
    let run = run_with(RailwayWorld::standard(), &hook, &[("notify-on", "always")]).await;
    assert_eq!(run.code, 0, "the deploy succeeded: {}", run.log());
    assert_eq!(run.output("status"), "success");
    assert_eq!(hook.requests().len(), 3, "a few attempts, then give up");
    assert!(
        run.stdout.contains(
            "::warning::the notification to `notify-webhook` could not be sent: the webhook answered HTTP 500"
        ),
        "{}",
        run.log()
    );
    assert_url_hidden(&run, &hook);

    // A failed run stays exit 1 (not 0, not 2) when its notification fails too.
    let hook = FakeWebhook::start().await;
    hook.reply_next(&[err, err, err]);
    let failed = run_with(failing_world(), &hook, &[]).await;
    assert_eq!(failed.code, 1, "{}", failed.log());
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let hook = FakeWebhook::start().await;
    hook.reply_next(&[Reply {
        status: 429,
        retry_after: Some(1),
    }]);
    let started = std::time::Instant::now();
    let run = run_with(failing_world(), &hook, &[]).await;
    assert_eq!(run.code, 1, "{}", run.log());
    let posts = hook.requests();
    assert_eq!(posts.len(), 2, "asked again after the wait");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as asked"
    );
    assert!(run.stdout.contains("Notification sent"), "{}", run.log());
}

#[tokio::test]
async fn a_non_retryable_refusal_is_tried_once() {
    let hook = FakeWebhook::start().await;
    hook.reply_next(&[Reply {
        status: 404,
        retry_after: None,
    }]);
    let run = run_with(failing_world(), &hook, &[]).await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(hook.requests().len(), 1);
    assert!(run.stdout.contains("HTTP 404"), "{}", run.log());
    assert_url_hidden(&run, &hook);
}

#[tokio::test]
async fn a_cancelled_run_still_notifies() {
    let mut world = RailwayWorld::standard();
    // The build never finishes on its own.
    world.script("svc-web", &["BUILDING"]);
    let rw = FakeRailway::start(world).await;
    let hook = FakeWebhook::start().await;
    let mut r = Runner::new(&rw.api_url());
    r.input("notify-webhook", &hook.url());
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_railway-deploy"))
        .env_clear()
        .envs(&r.env)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !rw
        .mutations()
        .iter()
        .any(|m| m == "ServiceInstanceDeployV2")
    {
        assert!(std::time::Instant::now() < deadline, "never deployed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits within the runner's grace period")
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let posts = hook.requests();
    assert_eq!(posts.len(), 1);
    let body = posts[0].body_json().unwrap();
    assert_eq!(body["status"], "failed");
    assert_eq!(body["failure"], "cancelled by SIGTERM");
    assert_eq!(body["environment"], "staging");
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T08:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
        + chrono::Duration::seconds(secs)
}

fn service(name: &str, state: ServiceState) -> ServiceReport {
    let mut s = ServiceReport::planned(&format!("svc-{name}"), name);
    s.state = state;
    s.deployment_id = Some(format!("dep-{name}-2"));
    s.previous_deployment_id = Some(format!("dep-{name}-1"));
    s.url = Some(format!("https://{name}.up.railway.app"));
    s.dashboard_url = Some(format!(
        "https://railway.com/project/prj-1/service/svc-{name}?environmentId=env-1&id=dep-{name}-2"
    ));
    s
}

/// A fixed run: `web` failed its health check after going live, both services rolled back.
pub(crate) fn rolled_back() -> Notice {
    let mut r = RunReport::new("deploy", "commit", false, at(0));
    r.status = RunStatus::RolledBack;
    r.environment = Some("production".into());
    r.sha = Some("abc1234def5678abc1234def5678abc1234def56".into());
    r.version = Some("v1.4.0".into());
    let mut web = service("web", ServiceState::RolledBack);
    web.failure = Some("health check failed: HTTP 503 from /healthz after 5 attempts".into());
    web.health = Some(HealthReport {
        url: Some("https://web.up.railway.app/healthz".into()),
        passed: false,
        attempts: 5,
        last_status: Some(503),
        ..Default::default()
    });
    r.services = vec![web, service("worker", ServiceState::RolledBack)];
    r.failure = Some("web: health check failed: HTTP 503 from /healthz after 5 attempts".into());
    r.stages = vec![
        StageTiming {
            stage: Stage::Deploy,
            service: Some("web".into()),
            started_at: at(10),
            duration: Duration::from_secs(60),
            outcome: StageOutcome::Passed,
        },
        StageTiming {
            stage: Stage::Health,
            service: Some("web".into()),
            started_at: at(70),
            duration: Duration::from_secs(20),
            outcome: StageOutcome::Failed,
        },
    ];
    r.backup = Some(BackupReport {
        name: "railway-deploy-abc1234-20261122T080000Z".into(),
        volume: "pg-data".into(),
        service: "Postgres".into(),
        restore_url: "https://railway.com/project/prj-1/service/svc-pg/backups?environmentId=env-1"
            .into(),
        id: None,
        duration: Duration::from_secs(12),
    });
    Notice {
        report: r,
        repository: Some("acme/shop".into()),
        run_url: Some("https://github.com/acme/shop/actions/runs/42".into()),
    }
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap()
}

#[test]
fn slack_body() {
    insta::assert_snapshot!(pretty(&format::slack(&rolled_back())));
}

#[test]
fn discord_body() {
    insta::assert_snapshot!(pretty(&format::discord(&rolled_back())));
}

#[test]
fn json_body() {
    insta::assert_snapshot!(pretty(&format::generic(&rolled_back())));
}

#[tokio::test]
async fn a_watch_breach_is_notified_as_the_failed_stage_with_its_evidence() {
    let mut world = RailwayWorld::standard();
    world.script_instances("svc-web", &["RUNNING", "CRASHED"]);
    let hook = FakeWebhook::start().await;
    let run = run_with(world, &hook, &[("watch", "5m")]).await;
    assert_eq!(run.code, 1, "{}", run.log());
    let posts = hook.requests();
    assert_eq!(posts.len(), 1);
    let body = posts[0].body_json().unwrap();
    assert_eq!(body["status"], "rolled-back");
    assert_eq!(body["failed_stage"], "watch");
    let failure = body["failure"].as_str().unwrap_or_default();
    assert!(
        failure.contains("the watch after going live found a breach (instances)")
            && failure.contains("is CRASHED (0 of 1 instances running)"),
        "{body}"
    );
    assert_url_hidden(&run, &hook);
}

#[tokio::test]
async fn a_dry_run_with_backup_watch_and_notify_says_so_and_sends_nothing() {
    let mut world = RailwayWorld::standard();
    world.services.push(("svc-pg".into(), "Postgres".into()));
    world.set_variable(
        "svc-pg",
        "env-stg",
        "DATABASE_PUBLIC_URL",
        "postgresql://u:pw@db.example.com:5432/railway",
    );
    world.add_volume("svc-pg", "env-stg", "pg-data", 100.0, 1000);
    let rw = FakeRailway::start(world).await;
    let hook = FakeWebhook::start().await;
    let mut r = Runner::new(&rw.api_url());
    r.input("notify-webhook", &hook.url())
        .input("notify-on", "always")
        .input("migrate-command", "npx prisma migrate deploy")
        .input("watch", "5m")
        .input("dry-run", "true");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(rw.mutations().is_empty(), "{:?}", rw.mutations());
    assert!(
        hook.requests().is_empty(),
        "a dry run sends no notification"
    );
    let ops = rw.operations();
    for op in [
        "WorkflowStatus",
        "DeploymentInstances",
        "HttpMetricsByStatus",
    ] {
        assert!(
            !ops.iter().any(|o| o == op),
            "{op} read in a dry run: {ops:?}"
        );
    }
    for said in [
        "- back up volume `pg-data` of `Postgres` in `staging` before migrating",
        "::notice::Dry run: no notification is sent; `notify-webhook` would get the JSON object after every run (`notify-on: always`)",
    ] {
        assert!(run.stdout.contains(said), "{said}: {}", run.log());
    }
    assert!(run.stdout.contains("watch"), "{}", run.log());
    assert_url_hidden(&run, &hook);
}
