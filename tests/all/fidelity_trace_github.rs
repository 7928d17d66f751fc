//! The exchange trace's GitHub side, through the built binary against the fake GitHub and the fake
//! Railway: one line per GitHub request with the route as a template (no owner, repository,
//! sha, number or id), the names sent, the status, the duration and the answer's shape; a GitHub
//! error's message redacted; and no secret of the run (either token, the webhook URL, a database
//! URL read from Railway) anywhere in the file.

use std::fs;

use crate::support::cli::{GITHUB_TOKEN, Runner};
use crate::support::events;
use fakes::Server;
use fakes::github::GitHubState;
use fakes::github::checks::{Snapshot, app_check_run};
use fakes::github::faults::{Action, Rule};
use fakes::railway::{FakeRailway, RailwayWorld};
use fakes::webhook::FakeWebhook;
use serde_json::Value;

const PR_HEAD: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const PUSH_SHA: &str = "abc1234def5678abc1234def5678abc1234def56";

struct Fakes {
    gh: GitHubState,
    gh_server: Server,
    rw: FakeRailway,
}

impl Fakes {
    async fn start(world: RailwayWorld) -> Fakes {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let gh = GitHubState::default();
        let gh_server = Server::start(fakes::github::router(gh.clone())).await;
        let rw = FakeRailway::start(world).await;
        Fakes { gh, gh_server, rw }
    }

    fn passing(&self, sha: &str) {
        let run = app_check_run(1, "unit-tests", "circleci", "completed", Some("success"));
        self.gh
            .world
            .lock()
            .unwrap()
            .checks
            .script(sha, vec![Snapshot::new(vec![run], vec![])]);
    }

    fn fault(&self, rule: Rule) {
        self.gh.world.lock().unwrap().faults.add(rule);
    }
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn github(traced: &[Value]) -> Vec<&Value> {
    traced.iter().filter(|l| l["system"] == "github").collect()
}

fn names(line: &Value) -> Vec<&str> {
    line["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_pull_request_run_traces_each_github_request_as_a_route_template() {
    let f = Fakes::start(RailwayWorld::standard()).await;
    f.passing(PR_HEAD);
    // GitHub refuses the comment, quoting the token it was sent (as a careless server might).
    f.fault(Rule::new(
        "POST",
        "/issues/2/comments",
        Action::EchoToken(403),
    ));
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.jsonl");
    let mut r = Runner::new(&f.rw.api_url());
    r.with_github(&f.gh_server.url())
        .event("pull_request", &events::own("pull_request/opened.json"))
        .set("GITHUB_REF", "refs/pull/2/merge")
        .set("GITHUB_REF_NAME", "2/merge")
        .set("GITHUB_SHA", "0000000000000000000000000000000000000abc")
        .input("environment", "staging")
        .set("RAILWAY_DEPLOY_TRACE", trace.to_str().unwrap());
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let text = fs::read_to_string(&trace).unwrap();
    let traced = lines(&text);
    let gh = github(&traced);
    // Every request the fake GitHub received has its line, in order.
    let received = f.gh.recorder.all();
    assert_eq!(gh.len(), received.len(), "{text}");
    for (line, request) in gh.iter().zip(&received) {
        let op = line["operation"].as_str().unwrap();
        assert!(
            op.starts_with(&format!("{} /", request.method)) && !op.contains("{value}"),
            "{op} for {} {}",
            request.method,
            request.path
        );
        assert!(line["status"].is_u64(), "{line}");
        assert!(line["ms"].is_u64(), "{line}");
    }
    let ops: Vec<&str> = gh
        .iter()
        .map(|l| l["operation"].as_str().unwrap())
        .collect();
    for expected in [
        "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
        "GET /repos/{owner}/{repo}/commits/{ref}/status",
        "POST /repos/{owner}/{repo}/deployments",
        "POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
        "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
    ] {
        assert!(ops.contains(&expected), "{expected} not in {ops:#?}");
    }
    // No value in a route, in the names sent or in a shape.
    let github_text: String = gh.iter().map(|l| l.to_string()).collect();
    for value in [
        "acme",
        "shop",
        PR_HEAD,
        "/2/",
        "circleci",
        "unit-tests",
        "staging",
    ] {
        assert!(!github_text.contains(value), "{value} in {github_text}");
    }
    let checks = gh
        .iter()
        .find(|l| l["operation"].as_str().unwrap().ends_with("/check-runs"))
        .unwrap();
    assert_eq!(names(checks), ["filter", "page", "per_page"]);
    assert!(
        checks["shape"]
            .as_array()
            .unwrap()
            .contains(&Value::from("check_runs[].name: string")),
        "{checks}"
    );
    let create = gh
        .iter()
        .find(|l| l["operation"] == "POST /repos/{owner}/{repo}/deployments")
        .unwrap();
    assert!(names(create).contains(&"ref"), "{create}");
    assert!(names(create).contains(&"environment"), "{create}");
    // The refused comment: its status and GitHub's message, the token in it redacted.
    let refused = gh
        .iter()
        .find(|l| l["operation"] == "POST /repos/{owner}/{repo}/issues/{issue_number}/comments")
        .unwrap();
    assert_eq!(refused["status"], 403, "{refused}");
    let error = refused["error"].as_str().unwrap();
    assert!(error.contains("Bad credentials"), "{error}");
    assert!(error.contains("***"), "{error}");
    assert!(!text.contains(GITHUB_TOKEN), "{text}");
}

#[tokio::test]
async fn no_secret_of_the_run_reaches_the_trace() {
    const DATABASE_URL: &str = "postgres://app:Pa55-trace-secret@127.0.0.1:1/app";
    let mut world = RailwayWorld::standard();
    world.set_variable("svc-worker", "env-stg", "DATABASE_PUBLIC_URL", DATABASE_URL);
    let f = Fakes::start(world).await;
    f.passing(PUSH_SHA);
    f.fault(Rule::new("POST", "/deployments", Action::EchoToken(403)));
    let hook = FakeWebhook::start().await;
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.jsonl");
    let mut r = Runner::new(&f.rw.api_url());
    let migrations = r.dir.path().join("migrations");
    fs::create_dir_all(&migrations).unwrap();
    fs::write(
        migrations.join("1_users.sql"),
        "CREATE TABLE users (id INTEGER);\n",
    )
    .unwrap();
    r.with_github(&f.gh_server.url())
        .input("migrations", migrations.to_str().unwrap())
        .input("notify-webhook", &hook.url())
        .input("notify-on", "always")
        .arg("--trace")
        .arg(trace.to_str().unwrap());
    let run = r.run().await;
    // The database cannot be reached: the run fails before deploying, after reading its URL.
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(hook.requests().len(), 1, "{}", run.log());
    let text = fs::read_to_string(&trace).unwrap();
    for secret in [
        "tok-staging",
        GITHUB_TOKEN,
        &hook.url(),
        "T0KEN-s3cret-path",
        DATABASE_URL,
        "Pa55-trace-secret",
    ] {
        assert!(!text.contains(secret), "{secret} in the trace:\n{text}");
    }
    let traced = lines(&text);
    // The answer that carried the database URL was traced, as a shape.
    assert!(
        traced.iter().any(|l| l["operation"] == "Variables"
            && l.to_string()
                .contains("data.variables.DATABASE_PUBLIC_URL: string")),
        "no Variables line with the URL's key:\n{text}"
    );
    // The refusal that quoted the token was traced, redacted.
    let refused = github(&traced)
        .into_iter()
        .find(|l| l["status"] == 403)
        .unwrap_or_else(|| panic!("no 403 line:\n{text}"));
    assert!(
        refused["error"].as_str().unwrap().contains("Bearer ***"),
        "{refused}"
    );
}
