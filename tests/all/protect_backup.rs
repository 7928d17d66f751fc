//! The backup before migrating, through the built binary against the fake Railway: the
//! database's volume (the service with a volume that defines `database-url-variable`) is backed
//! up and Railway's workflow followed to `Complete` before anything changes; a backup that fails,
//! stalls or is refused (Railway's half-size limit) stops the run with nothing migrated or
//! deployed; `backup: true` without a volume is invalid input; a lost answer is read back.

use crate::support::cli::{Run, Runner};
use crate::support::postgres::{TestPostgres, public_tables};
use crate::support::requests::operation_names;
use fakes::railway::{BackupBehaviour, FakeRailway, LostAnswer, RailwayWorld};

pub(crate) const DB_URL: &str = "postgresql://postgres:pw-S3cret@db.example.com:5432/railway";

/// The standard world plus a `Postgres` service in staging with volume `pg-data` (`used` MB of
/// 1000) that defines `DATABASE_PUBLIC_URL` as `url`.
pub(crate) fn world_with_volume(url: &str, used: f64) -> (RailwayWorld, String) {
    let mut w = RailwayWorld::standard();
    w.services.push(("svc-pg".into(), "Postgres".into()));
    w.set_variable("svc-pg", "env-stg", "DATABASE_PUBLIC_URL", url);
    let vi = w.add_volume("svc-pg", "env-stg", "pg-data", used, 1000);
    (w, vi)
}

pub(crate) async fn migrate_command_run(
    world: RailwayWorld,
    inputs: &[(&str, &str)],
) -> (FakeRailway, Run) {
    let rw = FakeRailway::start(world).await;
    let mut r = Runner::new(&rw.api_url());
    r.input("migrate-command", "npx prisma migrate deploy");
    for (k, v) in inputs {
        r.input(k, v);
    }
    let run = r.run().await;
    (rw, run)
}

#[tokio::test]
async fn the_volume_is_backed_up_and_complete_before_anything_changes() {
    let (world, _) = world_with_volume(DB_URL, 100.0);
    let (rw, run) = migrate_command_run(world, &[]).await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(
        rw.mutations(),
        vec![
            "VolumeInstanceBackupCreate",
            "ServiceInstanceUpdate",
            "ServiceInstanceDeployV2"
        ]
    );
    let ops = operation_names(&rw.requests());
    let backup_ops: Vec<&str> = ops
        .iter()
        .map(String::as_str)
        .filter(|o| {
            matches!(
                *o,
                "EnvironmentVolumes"
                    | "Variables"
                    | "VolumeInstanceBackupCreate"
                    | "WorkflowStatus"
                    | "VolumeInstanceBackupList"
            )
        })
        .collect();
    // The figure the README quotes: 2 reads in resolution, the mutation, and the status reads
    // until Complete (the fake runs two, then completes).
    assert_eq!(
        backup_ops,
        vec![
            "EnvironmentVolumes",
            "Variables",
            "VolumeInstanceBackupCreate",
            "WorkflowStatus",
            "WorkflowStatus",
            "WorkflowStatus"
        ]
    );
    let name = rw.world().volumes[0].backups[0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(name.starts_with("railway-deploy-abc1234-"), "{name}");
    assert!(run.summary.contains(&name), "{}", run.summary);
    assert!(
        run.summary.contains(
            "[Backups tab](https://railway.com/project/proj-1/service/svc-pg/backups?environmentId=env-stg)"
        ),
        "{}",
        run.summary
    );
    let deployments: serde_json::Value = serde_json::from_str(run.output("deployments")).unwrap();
    assert_eq!(deployments[0]["backup"]["name"], name.as_str());
    assert_eq!(deployments[0]["backup"]["volume"], "pg-data");
    assert_eq!(deployments[0]["backup"]["service"], "Postgres");
    crate::support::secrets::assert_not_shown(
        &[DB_URL],
        &crate::support::secrets::run_places(&run),
    );
}

#[tokio::test]
async fn a_failed_backup_stops_the_run_with_what_railway_reported() {
    let (mut world, vi) = world_with_volume(DB_URL, 100.0);
    world.script_backup(
        &vi,
        BackupBehaviour::Fail {
            running_reads: 1,
            error: "snapshot failed: disk busy".into(),
        },
    );
    let (rw, run) = migrate_command_run(world, &[]).await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "failed");
    assert_eq!(rw.mutations(), vec!["VolumeInstanceBackupCreate"]);
    for text in [&run.stdout, &run.summary] {
        assert!(text.contains("snapshot failed: disk busy"), "{}", run.log());
        assert!(text.contains("the database is untouched"), "{}", run.log());
    }
}

#[tokio::test]
async fn a_backup_that_outlasts_the_timeout_stops_the_run() {
    let (mut world, vi) = world_with_volume(DB_URL, 100.0);
    world.script_backup(&vi, BackupBehaviour::Stall);
    let started = std::time::Instant::now();
    let (rw, run) = migrate_command_run(world, &[("backup-timeout", "1s")]).await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(rw.mutations(), vec!["VolumeInstanceBackupCreate"]);
    assert!(
        run.stdout
            .contains("did not complete within `backup-timeout` (1s"),
        "{}",
        run.log()
    );
}

#[tokio::test]
async fn railway_refusing_a_volume_over_half_full_is_reported_as_its_limit() {
    let (world, _) = world_with_volume(DB_URL, 700.0);
    let (rw, run) = migrate_command_run(world, &[]).await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(rw.mutations(), vec!["VolumeInstanceBackupCreate"]);
    assert!(
        run.stdout.contains(
            "Railway limits a manual backup to half of the volume's size, and the volume uses 700 MB of 1000 MB"
        ),
        "{}",
        run.log()
    );
}

#[tokio::test]
async fn a_required_backup_without_a_volume_is_invalid_input_before_any_change() {
    let (rw, run) = migrate_command_run(RailwayWorld::standard(), &[("backup", "true")]).await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(rw.mutations().is_empty(), "{:?}", rw.mutations());
    assert!(
        run.stdout.contains("input `backup`") && run.stdout.contains("has no Railway volume"),
        "{}",
        run.log()
    );
}

#[tokio::test]
async fn auto_without_a_volume_migrates_with_a_notice() {
    let (rw, run) = migrate_command_run(RailwayWorld::standard(), &[]).await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stdout.contains(
            "::notice::no backup before migrating: environment `staging` has no Railway volume"
        ),
        "{}",
        run.log()
    );
    assert_eq!(
        rw.mutations(),
        vec!["ServiceInstanceUpdate", "ServiceInstanceDeployV2"]
    );
}

#[tokio::test]
async fn backup_false_reads_no_volume() {
    let (world, _) = world_with_volume(DB_URL, 100.0);
    let (rw, run) = migrate_command_run(world, &[("backup", "false")]).await;
    assert_eq!(run.code, 0, "{}", run.log());
    let ops = operation_names(&rw.requests());
    assert!(!ops.iter().any(|o| o == "EnvironmentVolumes"), "{ops:?}");
    assert_eq!(
        rw.mutations(),
        vec!["ServiceInstanceUpdate", "ServiceInstanceDeployV2"]
    );
}

#[tokio::test]
async fn a_lost_answer_is_read_back_not_repeated() {
    let (world, _) = world_with_volume(DB_URL, 100.0);
    let rw = FakeRailway::start(world).await;
    rw.world()
        .lose_answer
        .insert("VolumeInstanceBackupCreate".into(), LostAnswer::BadGateway);
    let mut r = Runner::new(&rw.api_url());
    r.input("migrate-command", "npx prisma migrate deploy");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let ops = operation_names(&rw.requests());
    let creates = ops
        .iter()
        .filter(|o| *o == "VolumeInstanceBackupCreate")
        .count();
    assert_eq!(creates, 1, "never sent twice: {ops:?}");
    assert!(
        ops.iter().any(|o| o == "VolumeInstanceBackupList"),
        "{ops:?}"
    );
    let deployments: serde_json::Value = serde_json::from_str(run.output("deployments")).unwrap();
    assert!(
        deployments[0]["backup"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("bak-")),
        "{deployments}"
    );
}

#[tokio::test]
async fn a_workflow_railway_forgot_is_confirmed_from_the_backups_list() {
    let (mut world, vi) = world_with_volume(DB_URL, 100.0);
    world.script_backup(&vi, BackupBehaviour::Forgotten { running_reads: 1 });
    let (rw, run) = migrate_command_run(world, &[("backup-timeout", "5s")]).await;
    assert_eq!(run.code, 0, "{}", run.log());
    let ops = operation_names(&rw.requests());
    assert!(
        ops.iter().any(|o| o == "VolumeInstanceBackupList"),
        "{ops:?}"
    );
    assert!(
        run.summary.contains("Backup before migrating"),
        "{}",
        run.summary
    );
}

#[tokio::test]
async fn the_dry_run_says_a_backup_would_be_taken() {
    let (world, _) = world_with_volume(DB_URL, 100.0);
    let (rw, run) = migrate_command_run(world, &[("dry-run", "true")]).await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(rw.mutations().is_empty());
    assert!(
        run.stdout.contains(
            "- back up volume `pg-data` of `Postgres` in `staging` before migrating, waiting up to 10m 00s"
        ),
        "{}",
        run.log()
    );
}

fn write_migrations(r: &Runner) -> String {
    r.write_migrations(&[(
        "1_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
    )])
}

#[tokio::test]
#[cfg_attr(
    rd_no_postgres,
    ignore = "needs PostgreSQL: initdb and pg_ctl in /usr/lib/postgresql/15/bin or $RAILWAY_DEPLOY_TEST_PG_BIN"
)]
async fn a_failed_backup_migrates_nothing_and_a_pending_one_is_backed_up_first() {
    let pg = TestPostgres::start();
    let url = pg.fresh_database().await;
    let (mut world, vi) = world_with_volume(&url, 100.0);
    world.script_backup(
        &vi,
        BackupBehaviour::Fail {
            running_reads: 0,
            error: "volume busy".into(),
        },
    );
    let rw = FakeRailway::start(world).await;
    let mut r = Runner::new(&rw.api_url());
    let dir = write_migrations(&r);
    r.input("migrations", &dir);
    let failed = r.run().await;
    assert_eq!(failed.code, 1, "{}", failed.log());
    assert!(failed.stdout.contains("volume busy"), "{}", failed.log());
    assert!(
        public_tables(&url).await.is_empty(),
        "nothing migrated, not even sqlx's table"
    );
    assert_eq!(rw.mutations(), vec!["VolumeInstanceBackupCreate"]);

    // Once backups work: backed up, then migrated; a run with nothing pending takes none.
    rw.world()
        .script_backup(&vi, BackupBehaviour::Complete { running_reads: 0 });
    rw.state.recorder.clear();
    let ok = r.run().await;
    assert_eq!(ok.code, 0, "{}", ok.log());
    assert_eq!(public_tables(&url).await, vec!["_sqlx_migrations", "users"]);
    assert_eq!(
        rw.mutations(),
        vec!["VolumeInstanceBackupCreate", "ServiceInstanceDeployV2"]
    );
    rw.state.recorder.clear();
    let again = r.run().await;
    assert_eq!(again.code, 0, "{}", again.log());
    assert_eq!(rw.mutations(), vec!["ServiceInstanceDeployV2"]);
    assert!(
        again
            .stdout
            .contains("No migration pending: no backup needed"),
        "{}",
        again.log()
    );

    // The dry run says so too.
    r.input("dry-run", "true");
    let dry = r.run().await;
    assert_eq!(dry.code, 0, "{}", dry.log());
    assert!(
        dry.stdout
            .contains("::notice::no backup would be taken: no migration is pending"),
        "{}",
        dry.log()
    );
    assert!(!dry.stdout.contains("- back up volume"), "{}", dry.log());
}

#[test]
fn the_comment_names_the_backup_and_how_to_restore_it() {
    use railway_deploy::record::{BackupReport, RunReport, RunStatus};
    use railway_deploy::report::comment::{Phase, render_comment};
    let mut r = RunReport::new("deploy", "commit", false, chrono::Utc::now());
    r.status = RunStatus::Success;
    r.environment = Some("production".into());
    r.backup = Some(BackupReport {
        name: "railway-deploy-abc1234-20261202T004012Z".into(),
        volume: "pg-data".into(),
        service: "Postgres".into(),
        restore_url: "https://railway.com/project/p/service/s/backups?environmentId=e".into(),
        id: None,
        duration: std::time::Duration::from_secs(9),
    });
    let comment = render_comment(&r, Phase::Finished, None);
    assert!(
        comment.contains(
            "**Backup before migrating:** `railway-deploy-abc1234-20261202T004012Z` of volume `pg-data` (service `Postgres`), taken in 9s; restore it from the [Backups tab](https://railway.com/project/p/service/s/backups?environmentId=e) of `Postgres` in Railway."
        ),
        "{comment}"
    );
}
