//! Previews when Railway's answer to a mutation is lost (it was processed, then a 502 or a
//! dropped connection): the environment, the domain and the deletion are each read back, never
//! sent again; and a commit whose checks fail gets no preview environment at all.

use crate::support::preview::{PreviewFakes, add_environment};
use fakes::github::checks::{Snapshot, app_check_run};
use fakes::railway::{LostAnswer, RailwayWorld};

const HEAD: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

fn count(ops: &[String], op: &str) -> usize {
    ops.iter().filter(|o| *o == op).count()
}

#[tokio::test]
async fn a_lost_create_is_read_back_not_repeated() {
    let mut world = RailwayWorld::standard();
    world
        .lose_answer
        .insert("EnvironmentCreate".into(), LostAnswer::BadGateway);
    world
        .lose_answer
        .insert("ServiceDomainCreate".into(), LostAnswer::Drop);
    let f = PreviewFakes::with_world(world).await;
    let run = f.runner("opened.json").run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let ops = f.take_operations();
    assert_eq!(count(&ops, "EnvironmentCreate"), 1, "{ops:?}");
    assert_eq!(count(&ops, "ServiceDomainCreate"), 1, "{ops:?}");
    assert_eq!(
        count(&ops, "ServiceInstance"),
        1,
        "the domain is read back: {ops:?}"
    );
    assert_eq!(run.output("url"), "https://web-pr-2.up.railway.app");
    assert!(
        run.summary.contains("created as a copy of `staging`"),
        "{}",
        run.summary
    );
}

#[tokio::test]
async fn a_lost_delete_is_read_back_not_repeated() {
    let mut world = RailwayWorld::standard();
    add_environment(&mut world, "env-pr-2", "pr-2", true);
    world
        .lose_answer
        .insert("EnvironmentDelete".into(), LostAnswer::BadGateway);
    let f = PreviewFakes::with_world(world).await;
    let run = f.runner("closed-merged.json").run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("removed-environments"), r#"["pr-2"]"#);
    let ops = f.take_operations();
    assert_eq!(
        ops,
        [
            "ProjectEnvironments",
            "EnvironmentDelete",
            "ProjectEnvironments"
        ]
    );
}

#[tokio::test]
async fn a_commit_whose_checks_fail_gets_no_preview() {
    let f = PreviewFakes::start().await;
    let failing = Snapshot::new(
        vec![app_check_run(
            1,
            "test",
            "circleci",
            "completed",
            Some("failure"),
        )],
        vec![],
    );
    f.gh.world
        .lock()
        .unwrap()
        .checks
        .script(HEAD, vec![failing]);
    let mut r = f.runner("opened.json");
    r.input("wait-for-checks", "true");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "failed");
    assert!(f.rw.mutations().is_empty(), "{:?}", f.rw.mutations());
    assert!(f.environment_id("pr-2").is_none());
}

#[tokio::test]
async fn a_preview_needs_the_project_input() {
    let f = PreviewFakes::start().await;
    let mut r = f.runner("opened.json");
    r.unset("INPUT_PROJECT");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(run.log().contains("input `project`"), "{}", run.log());
    assert!(f.rw.requests().is_empty());
}
