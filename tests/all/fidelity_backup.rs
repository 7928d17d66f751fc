//! Item 3 of the `fidelity:` issue: a refused `workflowStatus` read is permanent (railwayapp/cli
//! commit fc0331d1: "retrying can't heal it"), so the volume's backups list is read at once
//! instead of polling the status until `backup-timeout`.

use crate::protect_backup::{DB_URL, migrate_command_run, world_with_volume};
use crate::support::requests::operation_names;

#[tokio::test]
async fn a_refused_workflow_status_reads_the_backups_list_at_once() {
    let (mut world, _) = world_with_volume(DB_URL, 100.0);
    world.workflow_status_refused = true;
    let (rw, run) = migrate_command_run(world, &[("backup-timeout", "10m")]).await;
    assert_eq!(run.code, 0, "{}", run.log());
    let ops = operation_names(&rw.requests());
    let status_reads = ops.iter().filter(|o| *o == "WorkflowStatus").count();
    assert_eq!(status_reads, 1, "{ops:?}");
    let after: Vec<&String> = ops
        .iter()
        .skip_while(|o| *o != "WorkflowStatus")
        .skip(1)
        .take(1)
        .collect();
    assert_eq!(after, [&"VolumeInstanceBackupList".to_string()], "{ops:?}");
    assert!(
        run.stdout
            .contains("Railway would not show this token the backup's progress")
            && run.stdout.contains("its completion is not confirmed"),
        "{}",
        run.log()
    );
    assert_eq!(
        rw.mutations(),
        vec![
            "VolumeInstanceBackupCreate",
            "ServiceInstanceUpdate",
            "ServiceInstanceDeployV2"
        ]
    );
}
