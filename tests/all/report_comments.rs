//! The sticky PR comment against the fake GitHub: created once then edited, no second comment on
//! a re-run, the marker found on page 2, humans' comments never edited, one comment per
//! environment, push runs commenting on the commit's PRs, and a fork PR's 403 handled.

use crate::support::github::setup;
use fakes::github::GitHubState;
use fakes::github::comments::ACTIONS_BOT;
use railway_deploy::github::GitHub;
use railway_deploy::github::comments::marker;
use railway_deploy::record::{RunReport, RunStatus, ServiceReport, ServiceState};
use railway_deploy::report::publish::{PublishOptions, Publisher};

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

fn report(env: &str, status: RunStatus) -> RunReport {
    let mut r = RunReport::new("deploy", "commit", false, chrono::Utc::now());
    r.status = status;
    r.environment = Some(env.into());
    r.sha = Some(SHA.into());
    let mut s = ServiceReport::planned("svc-1", "web");
    s.state = ServiceState::Deployed;
    s.deployment_id = Some("dep-new".into());
    s.url = Some("https://web.up.railway.app".into());
    r.services.push(s);
    r
}

fn opts(env: &str, pull: Option<u64>) -> PublishOptions {
    PublishOptions {
        sha: SHA.into(),
        environment: env.into(),
        production: false,
        transient: false,
        run_url: Some("https://github.com/o/r/actions/runs/42".into()),
        event_pull: pull,
        github_deployment: false,
        comment: true,
    }
}

async fn run(gh: &GitHub, env: &str, pull: Option<u64>, status: RunStatus) {
    let p = Publisher::start(gh, &opts(env, pull), &report(env, RunStatus::Skipped)).await;
    p.finish(&report(env, status)).await;
}

fn bodies(state: &GitHubState, issue: u64) -> Vec<(String, String)> {
    let w = state.world.lock().unwrap();
    w.comments
        .on_issue(issue)
        .into_iter()
        .map(|c| (c.login.clone(), c.body.clone()))
        .collect()
}

fn count(state: &GitHubState, method: &str) -> usize {
    state
        .recorder
        .all()
        .iter()
        .filter(|r| r.method == method && r.path.contains("comments"))
        .count()
}

#[tokio::test]
async fn one_comment_is_created_then_edited_and_a_rerun_adds_none() {
    let (_server, state, gh, _) = setup().await;
    run(&gh, "staging", Some(5), RunStatus::Failed).await;
    let after_first = bodies(&state, 5);
    assert_eq!(after_first.len(), 1);
    assert_eq!(after_first[0].0, ACTIONS_BOT);
    assert!(after_first[0].1.starts_with(&marker("staging")));
    assert!(after_first[0].1.contains("failed"), "{}", after_first[0].1);
    assert_eq!((count(&state, "POST"), count(&state, "PATCH")), (1, 1));

    run(&gh, "staging", Some(5), RunStatus::Success).await;
    let after_rerun = bodies(&state, 5);
    assert_eq!(after_rerun.len(), 1, "a re-run must edit, not add");
    assert!(after_rerun[0].1.contains("✅ Deployed"));
    assert!(!after_rerun[0].1.contains("Deploying"));
    assert_eq!(count(&state, "POST"), 1);
}

#[tokio::test]
async fn the_marker_is_found_on_page_two() {
    let (_server, state, gh, _) = setup().await;
    let ours = {
        let mut w = state.world.lock().unwrap();
        for i in 0..120 {
            w.comments.seed(5, "octocat", "User", &format!("LGTM {i}"));
        }
        let id = w.comments.seed(
            5,
            ACTIONS_BOT,
            "Bot",
            &format!("{}\nold", marker("staging")),
        );
        w.comments.seed(5, "octocat", "User", "one more");
        id
    };
    run(&gh, "staging", Some(5), RunStatus::Success).await;
    assert_eq!(count(&state, "POST"), 0, "found, so nothing created");
    let w = state.world.lock().unwrap();
    let c = w.comments.comments.iter().find(|c| c.id == ours).unwrap();
    assert!(c.body.contains("✅ Deployed"));
    assert!(
        state
            .recorder
            .all()
            .iter()
            .any(|r| r.query.as_deref().is_some_and(|q| q.contains("page=2")))
    );
}

#[tokio::test]
async fn a_humans_comment_with_the_marker_is_never_edited() {
    let (_server, state, gh, _) = setup().await;
    let text = format!("{} pasted by a person", marker("staging"));
    state
        .world
        .lock()
        .unwrap()
        .comments
        .seed(5, "octocat", "User", &text);
    run(&gh, "staging", Some(5), RunStatus::Success).await;
    let all = bodies(&state, 5);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].1, text);
    assert_eq!(all[1].0, ACTIONS_BOT);
}

#[tokio::test]
async fn a_personal_token_edits_its_own_users_comment() {
    let (_server, state, gh, _) = setup().await;
    {
        let mut w = state.world.lock().unwrap();
        w.comments.token_user = Some("deployer".into());
        w.comments.seed(5, ACTIONS_BOT, "Bot", &marker("staging"));
        w.comments.seed(5, "deployer", "User", &marker("staging"));
    }
    run(&gh, "staging", Some(5), RunStatus::Success).await;
    let all = bodies(&state, 5);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].1, marker("staging"), "the bot's comment is not ours");
    assert!(all[1].1.contains("✅ Deployed"));
}

#[tokio::test]
async fn each_environment_has_its_own_comment() {
    let (_server, state, gh, _) = setup().await;
    run(&gh, "staging", Some(5), RunStatus::Success).await;
    run(&gh, "production", Some(5), RunStatus::Success).await;
    run(&gh, "staging", Some(5), RunStatus::Success).await;
    let all = bodies(&state, 5);
    assert_eq!(all.len(), 2);
    assert!(all[0].1.starts_with(&marker("staging")));
    assert!(all[1].1.starts_with(&marker("production")));
}

#[tokio::test]
async fn push_runs_comment_on_every_pr_of_the_commit() {
    let (_server, state, gh, _) = setup().await;
    state
        .world
        .lock()
        .unwrap()
        .comments
        .pulls_by_sha
        .insert(SHA.into(), vec![7, 9]);
    run(&gh, "staging", None, RunStatus::Success).await;
    assert_eq!(bodies(&state, 7).len(), 1);
    assert_eq!(bodies(&state, 9).len(), 1);
    // A commit without PRs: nothing to write, and no failure.
    let (_server2, state2, gh2, _) = setup().await;
    run(&gh2, "staging", None, RunStatus::Success).await;
    assert_eq!(count(&state2, "POST"), 0);
}

#[tokio::test]
async fn a_fork_prs_read_only_token_is_a_warning_not_a_failure() {
    let (_server, state, gh, _) = setup().await;
    state.world.lock().unwrap().comments.read_only_prs.insert(5);
    run(&gh, "staging", Some(5), RunStatus::Success).await;
    assert!(bodies(&state, 5).is_empty());
    // Refused once, the PR is not tried again at the end of the run.
    assert_eq!(count(&state, "POST"), 1);
}

#[tokio::test]
async fn a_dry_run_publishes_nothing() {
    let (_server, state, gh, _) = setup().await;
    let mut r = report("staging", RunStatus::Skipped);
    r.dry_run = true;
    let mut o = opts("staging", Some(5));
    o.github_deployment = true;
    let p = Publisher::start(&gh, &o, &r).await;
    p.finish(&r).await;
    assert_eq!(state.recorder.count(), 0);
}
