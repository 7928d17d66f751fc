//! Every real webhook payload in shared/fixtures parses, and yields the trigger and commit the
//! contract expects.

use std::path::Path;

use railway_deploy::context::{self, Event, GitHubEnv, Trigger};

fn fixtures() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/github-events");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("fixtures folder").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn load(rel: &str) -> Event {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/github-events")
        .join(rel);
    Event::parse(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn every_fixture_parses() {
    let all = fixtures();
    assert!(all.len() >= 13, "found {} fixtures", all.len());
    for p in all {
        let bytes = std::fs::read(&p).unwrap();
        Event::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
}

#[test]
fn pull_requests_deploy_their_head_sha() {
    let e = load("octokit-webhooks/api.github.com/pull_request/synchronize.payload.json");
    let env = GitHubEnv {
        event_name: Some("pull_request".into()),
        sha: Some("merge-commit".into()),
        ..Default::default()
    };
    let sha = context::commit_sha(&env, &e).unwrap();
    assert_ne!(sha, "merge-commit");
    assert_eq!(Some(sha), e.pull_request.as_ref().unwrap().head_sha.clone());
    assert!(!e.pull_request.unwrap().from_fork);
}

#[test]
fn pushes_releases_and_deletions() {
    let push = load("probot/webhook/push.json");
    let t = Trigger::from_context(Some("push"), None, &push);
    assert!(matches!(t, Trigger::BranchPush { .. }), "{t:?}");
    let env = GitHubEnv {
        event_name: Some("push".into()),
        sha: Some("x".into()),
        ..Default::default()
    };
    assert_eq!(context::commit_sha(&env, &push), push.after.clone());

    let deleted = load("octokit-webhooks/api.github.com/push/payload.json");
    assert!(matches!(
        Trigger::from_context(Some("push"), None, &deleted),
        Trigger::Deletion { .. }
    ));

    let created = load("octokit-webhooks/ghes-34/push/payload.json");
    assert_eq!(
        Trigger::from_context(Some("push"), None, &created),
        Trigger::TagPush {
            tag: "simple-tag".into()
        }
    );

    let release = load("octokit-webhooks/api.github.com/release/published.payload.json");
    assert_eq!(
        Trigger::from_context(Some("release"), None, &release),
        Trigger::Release {
            tag: "0.0.1".into()
        }
    );

    let dispatch = load("octokit-webhooks/api.github.com/workflow_dispatch/payload.json");
    assert_eq!(
        Trigger::from_context(Some("workflow_dispatch"), None, &dispatch),
        Trigger::Dispatch
    );
}
