//! Every webhook payload parses and yields the trigger and commit the contract expects: the
//! project's own payloads (`tests/data/github-events/`) always, and the real ones in
//! `../shared/fixtures/github-events` where that folder exists (the `reference` tests are ignored,
//! with the reason, elsewhere).

use railway_deploy::context::{self, Event, GitHubEnv, Trigger};

use crate::support::events;

fn own(rel: &str) -> Event {
    Event::parse(events::own(rel).as_bytes()).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn env(event_name: &str, sha: &str) -> GitHubEnv {
    GitHubEnv {
        event_name: Some(event_name.into()),
        sha: Some(sha.into()),
        ..Default::default()
    }
}

fn trigger(event_name: &str, e: &Event) -> Trigger {
    Trigger::from_context(Some(event_name), None, e)
}

#[test]
fn every_own_payload_parses() {
    let all = events::json_files(&events::own_dir());
    assert!(all.len() >= 14, "found {} payloads", all.len());
    for p in all {
        let bytes = std::fs::read(&p).unwrap();
        Event::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
}

#[test]
fn own_pushes_branches_tags_and_deletions() {
    let push = own("push/branch.json");
    assert_eq!(
        trigger("push", &push),
        Trigger::BranchPush {
            branch: "main".into()
        }
    );
    let sha = "abc1234def5678abc1234def5678abc1234def56";
    assert_eq!(
        context::commit_sha(&env("push", "x"), &push).as_deref(),
        Some(sha)
    );
    let created = own("push/new-branch.json");
    assert_eq!(
        trigger("push", &created),
        Trigger::BranchPush {
            branch: "feature/checkout".into()
        }
    );
    for (file, tag) in [
        ("push/tag.json", "v1.4.0"),
        ("push/prerelease-tag.json", "v1.5.0-rc.1"),
    ] {
        let e = own(file);
        assert_eq!(trigger("push", &e), Trigger::TagPush { tag: tag.into() });
        assert_eq!(
            context::commit_sha(&env("push", "x"), &e).as_deref(),
            Some(sha)
        );
    }
    for (file, git_ref) in [
        ("push/delete-tag.json", "refs/tags/v1.3.9"),
        ("push/delete-branch.json", "refs/heads/feature/old"),
    ] {
        let e = own(file);
        assert_eq!(e.after, None, "{file}: an all-zero after is no commit");
        assert_eq!(
            trigger("push", &e),
            Trigger::Deletion {
                git_ref: git_ref.into()
            }
        );
    }
}

#[test]
fn own_pull_requests_deploy_their_head_sha_and_know_forks() {
    let head = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
    for file in [
        "pull_request/opened.json",
        "pull_request/synchronize.json",
        "pull_request/closed-merged.json",
    ] {
        let e = own(file);
        assert_eq!(
            trigger("pull_request", &e),
            Trigger::PullRequest { number: 2 }
        );
        let sha = context::commit_sha(&env("pull_request", "merge-commit"), &e);
        assert_eq!(sha.as_deref(), Some(head), "{file}");
        let pr = e.pull_request.unwrap();
        assert_eq!(pr.head_ref.as_deref(), Some("feature/checkout"));
        assert!(!pr.from_fork, "{file}");
    }
    let fork = own("pull_request/opened-from-fork.json");
    assert_eq!(
        trigger("pull_request", &fork),
        Trigger::PullRequest { number: 7 }
    );
    assert!(fork.pull_request.unwrap().from_fork);
}

#[test]
fn own_releases_dispatches_and_schedules() {
    let published = own("release/published.json");
    assert_eq!(
        trigger("release", &published),
        Trigger::Release {
            tag: "v1.4.0".into()
        }
    );
    assert_eq!(published.release_prerelease, Some(false));
    let pre = own("release/prerelease.json");
    assert_eq!(
        trigger("release", &pre),
        Trigger::Release {
            tag: "v1.5.0-rc.1".into()
        }
    );
    assert_eq!(pre.release_prerelease, Some(true));

    let dispatch = own("workflow_dispatch.json");
    assert_eq!(trigger("workflow_dispatch", &dispatch), Trigger::Dispatch);
    assert_eq!(dispatch.git_ref.as_deref(), Some("refs/heads/main"));

    let schedule = own("schedule.json");
    assert_eq!(
        trigger("schedule", &schedule),
        Trigger::Other {
            event: Some("schedule".into())
        }
    );
    let sha = context::commit_sha(&env("schedule", "abc"), &schedule);
    assert_eq!(sha.as_deref(), Some("abc"), "a schedule deploys GITHUB_SHA");
}

/// The real payloads beside the repository (`../shared`, on the maintainers' machines only).
mod reference {
    use std::path::Path;

    use railway_deploy::context::{self, Event, GitHubEnv, Trigger};

    use crate::support::events;

    fn fixtures() -> Vec<std::path::PathBuf> {
        events::json_files(&events::reference_dir())
    }

    fn load(rel: &str) -> Event {
        let p: &Path = &events::reference_dir().join(rel);
        Event::parse(&std::fs::read(p).unwrap()).unwrap()
    }

    #[test]
    #[cfg_attr(
        rd_no_shared,
        ignore = "needs ../shared/fixtures/github-events (reference payloads, only on the maintainers' machines)"
    )]
    fn every_fixture_parses() {
        let all = fixtures();
        assert!(all.len() >= 13, "found {} fixtures", all.len());
        for p in all {
            let bytes = std::fs::read(&p).unwrap();
            Event::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        }
    }

    #[test]
    #[cfg_attr(
        rd_no_shared,
        ignore = "needs ../shared/fixtures/github-events (reference payloads, only on the maintainers' machines)"
    )]
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
    #[cfg_attr(
        rd_no_shared,
        ignore = "needs ../shared/fixtures/github-events (reference payloads, only on the maintainers' machines)"
    )]
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
}
