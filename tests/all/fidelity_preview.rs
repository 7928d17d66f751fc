//! Item 5 of the `fidelity:` issue: Railway may list a deleted environment with `deletedAt` set
//! (Railway's CLI selects `deletedAt` and treats such an environment as gone); a preview is never
//! reused from one. The fake keeps deleted environments listed, and refuses their names
//! (whether Railway frees a deleted name at once is not public).

use crate::support::preview::PreviewFakes;
use fakes::railway::RailwayWorld;

#[tokio::test]
async fn a_deleted_preview_still_listed_is_not_reused() {
    let mut world = RailwayWorld::standard();
    world.envs.deleted.push((
        "env-pr-2-old".into(),
        "pr-2".into(),
        "2026-11-30T10:00:00Z".into(),
    ));
    let f = PreviewFakes::with_world(world).await;
    let run = f.runner("synchronize.json").run().await;
    let ops = f.take_operations();
    assert!(ops.iter().any(|o| o == "EnvironmentCreate"), "{ops:?}");
    let deploys =
        crate::support::requests::operation_bodies(&f.rw.requests(), "ServiceInstanceDeployV2");
    assert!(
        deploys
            .iter()
            .all(|b| b["variables"]["environmentId"] != "env-pr-2-old"),
        "{deploys:?}"
    );
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(
        run.stdout.contains("it may have been deleted recently"),
        "{}",
        run.log()
    );
}
