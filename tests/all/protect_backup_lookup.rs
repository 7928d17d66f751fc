//! The backup's lookup and confirmation against a hostile Railway: a token Railway will not show
//! the volumes to (`auto`: a warning and no backup; `true`: stopped before any change, exit 2),
//! a lost answer whose backup is listed (taken, with a warning that Railway's list does not say
//! whether it is complete: `usedMB` is not a completion signal), a
//! volume that is not READY (reported as such, nothing changed), and the dry run's word on it.

use fakes::railway::{BackupBehaviour, LostAnswer, RailwayWorld};

use crate::protect_backup::{DB_URL, migrate_command_run, world_with_volume};

#[tokio::test]
async fn auto_when_railway_will_not_show_the_volumes_warns_and_goes_on() {
    let (mut world, _) = world_with_volume(DB_URL, 100.0);
    world.volumes_refused = Some("Not Authorized".into());
    let (rw, run) = migrate_command_run(world, &[]).await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stdout.contains(
            "::warning::no backup before migrating: Railway would not show this token the environment's volumes"
        ),
        "{}",
        run.log()
    );
    assert!(
        run.summary.contains("no backup before migrating"),
        "{}",
        run.summary
    );
    assert_eq!(
        rw.mutations(),
        vec!["ServiceInstanceUpdate", "ServiceInstanceDeployV2"]
    );
}

#[tokio::test]
async fn a_required_backup_railway_will_not_look_up_stops_before_any_change() {
    let (mut world, _) = world_with_volume(DB_URL, 100.0);
    world.volumes_refused = Some("Not Authorized".into());
    let (rw, run) = migrate_command_run(world, &[("backup", "true")]).await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(rw.mutations().is_empty(), "{:?}", rw.mutations());
    assert!(
        run.stdout
            .contains("input `backup`: `true` needs the database's Railway volume")
            && run
                .stdout
                .contains("\"Not Authorized\" on EnvironmentVolumes"),
        "{}",
        run.log()
    );
}

#[tokio::test]
async fn a_lost_answer_with_the_backup_listed_takes_it_and_says_completion_is_unconfirmed() {
    let (mut world, vi) = world_with_volume(DB_URL, 100.0);
    world.script_backup(&vi, BackupBehaviour::Stall);
    world
        .lose_answer
        .insert("VolumeInstanceBackupCreate".into(), LostAnswer::BadGateway);
    let (rw, run) = migrate_command_run(world, &[("backup-timeout", "1s")]).await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(
        rw.mutations(),
        vec![
            "VolumeInstanceBackupCreate",
            "ServiceInstanceUpdate",
            "ServiceInstanceDeployV2"
        ]
    );
    assert!(
        run.stdout.contains("its completion is not confirmed"),
        "{}",
        run.log()
    );
}

#[tokio::test]
async fn a_volume_that_is_not_ready_is_reported_as_such_before_any_change() {
    let (mut world, _) = world_with_volume(DB_URL, 100.0);
    world.volumes[0].state = "MIGRATING".into();
    let (rw, run) = migrate_command_run(world.clone(), &[("dry-run", "true")]).await;
    assert!(rw.mutations().is_empty());
    assert!(
        run.stdout
            .contains("(the volume is `MIGRATING` now, not READY: the backup would not start)"),
        "{}",
        run.log()
    );
    let (rw, run) = migrate_command_run(world, &[]).await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(rw.mutations().is_empty(), "{:?}", rw.mutations());
    assert!(
        run.stdout
            .contains("was not started: Railway reports the volume `MIGRATING`, not READY"),
        "{}",
        run.log()
    );
}

#[tokio::test]
async fn the_dry_run_says_why_no_backup_would_be_taken() {
    let (rw, run) = migrate_command_run(RailwayWorld::standard(), &[("dry-run", "true")]).await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(rw.mutations().is_empty());
    assert!(
        run.stdout.contains(
            "::notice::no backup before migrating: environment `staging` has no Railway volume"
        ),
        "{}",
        run.log()
    );
    // A lookup Railway refuses is a warning in the dry run too.
    let (mut world, _) = world_with_volume(DB_URL, 100.0);
    world.volumes_refused = Some("Not Authorized".into());
    let (rw, run) = migrate_command_run(world, &[("dry-run", "true")]).await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(rw.mutations().is_empty());
    assert!(
        run.stdout
            .contains("::warning::no backup before migrating: Railway would not show"),
        "{}",
        run.log()
    );
}
