//! `command: preview` on GitHub's own `pull_request` payloads (octokit/webhooks' examples, copied
//! byte for byte into `tests/data/github-events/pull_request/octokit/`): each action routes
//! right. `opened` and `synchronize` as GitHub sent them; `reopened`, `ready_for_review`,
//! `edited` and `closed` (state closed), a fork and a deleted fork are derived from `opened` by
//! editing only the fields GitHub changes.

use serde_json::Value;

use crate::support::events;
use crate::support::preview::PreviewFakes;

const HEAD: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

fn octokit(name: &str) -> Value {
    let text = events::own(&format!("pull_request/octokit/{name}.payload.json"));
    serde_json::from_str(&text).unwrap()
}

/// `opened` with another action (and for `closed`, the state GitHub gives it).
fn with_action(action: &str) -> String {
    let mut v = octokit("opened");
    v["action"] = action.into();
    if action == "closed" {
        v["pull_request"]["state"] = "closed".into();
        v["pull_request"]["closed_at"] = "2019-05-15T15:30:00Z".into();
    }
    v.to_string()
}

async fn run_on(f: &PreviewFakes, payload: &str) -> crate::support::cli::Run {
    let mut r = f.runner("opened.json");
    // As in Actions: GITHUB_SHA is the test-merge commit, not the head.
    r.set("GITHUB_SHA", "0000000000000000000000000000000000000001")
        .event("pull_request", payload);
    r.run().await
}

#[tokio::test]
async fn githubs_own_payloads_route_every_action() {
    let f = PreviewFakes::start().await;
    let opened = events::own("pull_request/octokit/opened.payload.json");
    let sync = events::own("pull_request/octokit/synchronize.payload.json");
    let (reopened, ready, edited) = (
        with_action("reopened"),
        with_action("ready_for_review"),
        with_action("edited"),
    );
    for (what, payload) in [
        ("opened", opened.as_str()),
        ("synchronize", sync.as_str()),
        ("reopened", reopened.as_str()),
        ("ready_for_review", ready.as_str()),
        ("edited", edited.as_str()),
    ] {
        let run = run_on(&f, payload).await;
        assert_eq!(run.code, 0, "{what}: {}", run.log());
        assert_eq!(run.output("environment"), "pr-2", "{what}");
        assert_eq!(run.output("status"), "success", "{what}");
        let w = f.rw.world();
        let last = w.deployments.last().unwrap();
        assert_eq!(
            last.meta["commitHash"], HEAD,
            "{what}: the head, not the merge"
        );
    }
    assert_eq!(
        f.environment_names(),
        ["production", "staging", "pr-2"],
        "created once, then reused"
    );
    let run = run_on(&f, &with_action("closed")).await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("removed-environments"), r#"["pr-2"]"#);
    assert_eq!(f.environment_names(), ["production", "staging"]);
}

#[tokio::test]
async fn a_fork_and_a_deleted_fork_are_skipped() {
    let f = PreviewFakes::start().await;
    let mut fork = octokit("opened");
    fork["pull_request"]["head"]["repo"]["full_name"] = "mallory/Hello-World".into();
    let mut deleted = octokit("opened");
    // GitHub sends `head.repo: null` once the fork is deleted.
    deleted["pull_request"]["head"]["repo"] = Value::Null;
    for (what, payload) in [("fork", fork), ("deleted fork", deleted)] {
        let mut r = f.runner("opened.json");
        r.unset("INPUT_RAILWAY-API-TOKEN")
            .event("pull_request", &payload.to_string());
        let run = r.run().await;
        assert_eq!(run.code, 0, "{what}: {}", run.log());
        assert_eq!(run.output("status"), "skipped", "{what}");
        assert!(
            run.log().contains("comes from a fork"),
            "{what}: {}",
            run.log()
        );
    }
    assert!(f.rw.requests().is_empty(), "nothing asked of Railway");
}

/// Dependabot's pull requests are in the same repository (no fork), but their runs get no
/// Actions secrets: `${{ secrets.RAILWAY_API_TOKEN }}` arrives empty. Skipped like a fork.
#[tokio::test]
async fn a_pull_request_run_without_secrets_is_skipped_like_a_fork() {
    let f = PreviewFakes::start().await;
    let mut dependabot = octokit("opened");
    let bot = serde_json::json!({"login": "dependabot[bot]", "id": 49699333, "type": "Bot"});
    dependabot["pull_request"]["user"] = bot.clone();
    dependabot["sender"] = bot;
    for action in ["opened", "closed"] {
        dependabot["action"] = action.into();
        let mut r = f.runner("opened.json");
        r.input("railway-api-token", "")
            .event("pull_request", &dependabot.to_string());
        let run = r.run().await;
        assert_eq!(run.code, 0, "{action}: {}", run.log());
        assert_eq!(run.output("status"), "skipped", "{action}");
        assert!(run.log().contains("no Railway token"), "{}", run.log());
        assert!(run.summary.contains("no Railway token"), "{}", run.summary);
    }
    assert!(f.rw.requests().is_empty(), "nothing asked of Railway");
    // With the token (a Dependabot secret), the same pull request is previewed.
    dependabot["action"] = "opened".into();
    let mut r = f.runner("opened.json");
    r.event("pull_request", &dependabot.to_string());
    assert_eq!(r.run().await.code, 0);
    assert!(f.environment_names().contains(&"pr-2".to_string()));
}
