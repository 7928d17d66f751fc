//! The GitHub side through the built binary, run as the Actions runner runs it, against the fake
//! Railway and the fake GitHub: the gate (checks stop or let through the deploy), the GitHub
//! Deployment and its statuses, the sticky PR comment, the release guard, the job summary, and
//! that neither token is ever shown.

use crate::support::cli::{GITHUB_TOKEN, Run, Runner};
use crate::support::events;
use crate::support::secrets::{RAILWAY_TOKENS, assert_not_shown, run_places};
use fakes::Server;
use fakes::github::GitHubState;
use fakes::github::checks::{Snapshot, actions_check_run, app_check_run, status};
use fakes::railway::{FakeRailway, RailwayWorld};
use serde_json::{Value, json};

const SHA: &str = "abc1234def5678abc1234def5678abc1234def56";
const PR_HEAD: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const MARKER: &str = "<!-- railway-deploy";

/// The fake GitHub and fake Railway of one test.
struct Fakes {
    gh: GitHubState,
    gh_server: Server,
    rw: FakeRailway,
}

impl Fakes {
    async fn start() -> Fakes {
        Fakes::with_world(RailwayWorld::standard()).await
    }

    async fn with_world(world: RailwayWorld) -> Fakes {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let gh = GitHubState::default();
        let gh_server = Server::start(fakes::github::router(gh.clone())).await;
        let rw = FakeRailway::start(world).await;
        Fakes { gh, gh_server, rw }
    }

    /// A push to `main` of [`SHA`] with the GitHub side on and every check passing.
    fn runner(&self) -> Runner {
        self.checks(SHA, vec![passing()]);
        let mut r = Runner::new(&self.rw.api_url());
        r.with_github(&self.gh_server.url());
        r
    }

    fn checks(&self, sha: &str, polls: Vec<Snapshot>) {
        self.gh.world.lock().unwrap().checks.script(sha, polls);
    }

    fn world(&self) -> std::sync::MutexGuard<'_, fakes::github::World> {
        self.gh.world.lock().unwrap()
    }

    /// Paths of the GitHub requests the gate makes.
    fn gate_requests(&self) -> Vec<String> {
        self.gh
            .recorder
            .all()
            .into_iter()
            .map(|r| r.path)
            .filter(|p| {
                p.contains("/check-runs")
                    || p.ends_with("/status")
                    || (p.contains("/commits/") && p.ends_with("/statuses"))
                    || p.contains("/actions/runs/")
            })
            .collect()
    }

    /// Bodies the run wrote on GitHub (Deployments, statuses, comments).
    fn github_bodies(&self) -> String {
        self.gh
            .recorder
            .all()
            .iter()
            .map(|r| r.body_text())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn passing() -> Snapshot {
    Snapshot::new(
        vec![app_check_run(
            1,
            "test",
            "circleci",
            "completed",
            Some("success"),
        )],
        vec![],
    )
}

fn assert_no_token(run: &Run, f: &Fakes) {
    let comments: String = f
        .world()
        .comments
        .comments
        .iter()
        .map(|c| c.body.clone())
        .collect();
    let written = f.github_bodies();
    // Each token goes only to its own service.
    for r in f.gh.recorder.all() {
        for (k, v) in &r.headers {
            for t in RAILWAY_TOKENS {
                assert!(!v.contains(t), "Railway token {t} sent to GitHub in {k}");
            }
        }
    }
    for r in f.rw.requests() {
        for (k, v) in &r.headers {
            assert!(
                !v.contains(GITHUB_TOKEN),
                "GitHub token sent to Railway in {k}"
            );
        }
    }
    let mut places = run_places(run);
    places.push(("comments", comments));
    places.push(("GitHub request bodies", written));
    let mut tokens = RAILWAY_TOKENS.to_vec();
    tokens.push(GITHUB_TOKEN);
    assert_not_shown(&tokens, &places);
}

fn deploy_mutations(f: &Fakes) -> usize {
    f.rw.mutations()
        .iter()
        .filter(|m| *m == "ServiceInstanceDeployV2")
        .count()
}

// ---- Gate -------------------------------------------------------------------------------------

#[tokio::test]
async fn a_failing_check_exits_1_with_no_railway_mutation_and_lists_the_checks() {
    let f = Fakes::start().await;
    let mut r = f.runner();
    f.checks(
        SHA,
        vec![Snapshot::new(
            vec![
                app_check_run(1, "lint", "circleci", "completed", Some("failure")),
                app_check_run(2, "test", "circleci", "completed", Some("success")),
            ],
            vec![status(
                3,
                "ci/coverage",
                "success",
                Some("https://cov.example.com/3"),
            )],
        )],
    );
    r.input("checks-timeout", "5m");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "failed");
    assert!(f.rw.mutations().is_empty(), "{:?}", f.rw.mutations());
    // Fail fast: one poll, not a wait until the timeout.
    assert_eq!(f.world().checks.polls(SHA), 1);
    assert!(run.stdout.contains("lint"), "{}", run.log());
    // The summary lists every check with its conclusion and link.
    assert!(
        run.summary.contains("### Checks (did not pass)"),
        "{}",
        run.summary
    );
    assert!(
        run.summary
            .contains("[lint](https://github.com/o/r/runs/1)"),
        "{}",
        run.summary
    );
    for (name, conclusion) in [
        ("lint", "failure"),
        ("test", "success"),
        ("ci/coverage", "success"),
    ] {
        let row = run
            .summary
            .lines()
            .find(|l| l.starts_with("| [") && l.contains(name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{}", run.summary));
        assert!(row.ends_with(&format!("| {conclusion} |")), "{row}");
    }
    // Nothing went live: no rollback advice, and the reason is said once.
    assert!(!run.summary.contains("### Roll back"), "{}", run.summary);
    let failed_line = run
        .summary
        .lines()
        .find(|l| l.starts_with("> **Failed"))
        .unwrap_or_default();
    assert_eq!(
        failed_line
            .to_lowercase()
            .matches("nothing was deployed")
            .count(),
        1,
        "{failed_line}"
    );
    // Nothing changed, so nothing was announced on GitHub either.
    assert!(f.world().deployments.deployments.is_empty());
    assert_no_token(&run, &f);
}

#[tokio::test]
async fn pending_checks_are_waited_on_then_the_deploy_proceeds() {
    let f = Fakes::start().await;
    let r = f.runner();
    let pending = Snapshot::new(
        vec![app_check_run(1, "test", "circleci", "in_progress", None)],
        vec![status(2, "ci/e2e", "pending", None)],
    );
    let done = Snapshot::new(
        vec![app_check_run(
            1,
            "test",
            "circleci",
            "completed",
            Some("success"),
        )],
        vec![status(3, "ci/e2e", "success", None)],
    );
    f.checks(SHA, vec![pending.clone(), pending, done]);
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "success");
    assert_eq!(f.world().checks.polls(SHA), 3);
    assert_eq!(deploy_mutations(&f), 1);
    assert!(run.stdout.contains("test"), "{}", run.log());
    assert!(
        run.summary.contains("### Checks (passed)"),
        "{}",
        run.summary
    );
    assert_no_token(&run, &f);
}

#[tokio::test]
async fn the_runs_own_in_progress_job_is_not_waited_on() {
    let f = Fakes::start().await;
    let mut r = f.runner();
    // This job (run 4242, as GITHUB_RUN_ID) and a matrix sibling are still running; another
    // workflow's job of a different run is done.
    f.checks(
        SHA,
        vec![Snapshot::new(
            vec![
                actions_check_run(10, "deploy (web)", 4242, "in_progress", None),
                actions_check_run(11, "deploy (worker)", 4242, "queued", None),
                actions_check_run(20, "build", 999, "completed", Some("success")),
            ],
            vec![],
        )],
    );
    // Were it waited on, the run would fail at this deadline.
    r.input("checks-timeout", "3s");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(f.world().checks.polls(SHA), 1, "{}", run.log());
    assert_eq!(deploy_mutations(&f), 1);
}

#[tokio::test]
async fn a_failed_job_of_the_same_run_still_stops_the_gate() {
    let f = Fakes::start().await;
    let r = f.runner();
    f.checks(
        SHA,
        vec![Snapshot::new(
            vec![
                actions_check_run(10, "deploy (web)", 4242, "in_progress", None),
                actions_check_run(12, "unit tests", 4242, "completed", Some("failure")),
            ],
            vec![],
        )],
    );
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(run.summary.contains("unit tests"), "{}", run.summary);
    assert!(f.rw.mutations().is_empty());
}

#[tokio::test]
async fn a_secondary_rate_limit_is_waited_out_and_the_deploy_proceeds() {
    let f = Fakes::start().await;
    let r = f.runner();
    f.world().checks.rate_limit_once = Some(1);
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(deploy_mutations(&f), 1);
    assert!(
        f.world().checks.rate_limit_once.is_none(),
        "the 403 was served"
    );
    assert_no_token(&run, &f);
}

#[tokio::test]
async fn a_commit_github_does_not_know_fails_the_gate_saying_what_to_check() {
    let f = Fakes::start().await;
    let mut r = f.runner();
    r.set("GITHUB_SHA", "feedfacefeedfacefeedfacefeedfacefeedface");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(run.stdout.contains("pushed to acme/shop"), "{}", run.log());
    assert!(f.rw.mutations().is_empty());
    assert_no_token(&run, &f);
}

#[tokio::test]
async fn a_job_of_another_run_still_in_progress_is_waited_on_until_the_timeout() {
    let f = Fakes::start().await;
    let mut r = f.runner();
    f.checks(
        SHA,
        vec![Snapshot::new(
            vec![actions_check_run(20, "build", 999, "in_progress", None)],
            vec![],
        )],
    );
    r.input("checks-timeout", "1s");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "failed");
    assert!(f.world().checks.polls(SHA) > 1);
    assert!(f.rw.mutations().is_empty());
    assert!(run.summary.contains("build"), "{}", run.summary);
}

#[tokio::test]
async fn wait_for_checks_false_makes_no_gate_request() {
    let f = Fakes::start().await;
    let mut r = f.runner();
    r.input("wait-for-checks", "false");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(f.gate_requests(), Vec::<String>::new());
    // The rest of the GitHub side still runs.
    assert_eq!(f.world().deployments.deployments.len(), 1);
}

// ---- GitHub Deployment --------------------------------------------------------------------------

#[tokio::test]
async fn a_push_deploy_records_a_github_deployment_in_progress_then_success() {
    let f = Fakes::start().await;
    let run = f.runner().run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let w = f.world();
    let [d] = w.deployments.deployments.as_slice() else {
        panic!("one Deployment: {:?}", w.deployments.deployments)
    };
    assert_eq!(d.body["ref"], SHA);
    assert_eq!(d.body["sha"], SHA);
    assert_eq!(d.body["environment"], "staging");
    assert_eq!(d.body["production_environment"], false);
    assert_eq!(d.states(), ["in_progress", "success"]);
    let last = &d.statuses[1];
    assert_eq!(last["environment_url"], "https://web-stg.up.railway.app");
    assert_eq!(
        last["log_url"],
        "https://github.com/acme/shop/actions/runs/4242"
    );
    let create =
        f.gh.recorder
            .all()
            .into_iter()
            .find(|r| r.method == "POST" && r.path == "/repos/acme/shop/deployments")
            .unwrap();
    let body = create.body_json().unwrap();
    assert_eq!(body["auto_merge"], false);
    assert_eq!(body["required_contexts"], json!([]));
    assert_eq!(
        create.header("authorization"),
        Some(format!("Bearer {GITHUB_TOKEN}").as_str())
    );
    drop(w);
    assert_no_token(&run, &f);
}

#[tokio::test]
async fn a_tag_deploy_records_its_version_in_the_payload() {
    let f = Fakes::start().await;
    let mut r = f.runner();
    r.set("GITHUB_REF", "refs/tags/v1.2.3")
        .set("GITHUB_REF_NAME", "v1.2.3")
        .set("GITHUB_REF_TYPE", "tag")
        .input("railway-token", "tok-production");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let w = f.world();
    let d = w.deployments.deployments.last().unwrap();
    assert_eq!(d.body["environment"], "production");
    assert_eq!(d.body["production_environment"], true);
    assert_eq!(d.body["payload"]["version"], "1.2.3");
    assert_eq!(d.body["payload"]["services"][0]["name"], "web");
    assert_eq!(d.states(), ["in_progress", "success"]);
    assert_eq!(
        d.statuses[1]["environment_url"],
        "https://web-prod.up.railway.app"
    );
}

#[tokio::test]
async fn a_failed_build_ends_the_github_deployment_failure() {
    let mut world = RailwayWorld::standard();
    world.script("svc-web", &["BUILDING", "FAILED"]);
    let f = Fakes::with_world(world).await;
    f.world().comments.pulls_by_sha.insert(SHA.into(), vec![12]);
    let run = f.runner().run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "failed");
    let w = f.world();
    assert_eq!(
        w.deployments.deployments[0].states(),
        ["in_progress", "failure"]
    );
    drop(w);
    let comments = comments_with_marker(&f, 12);
    assert_eq!(comments.len(), 1);
    let body = &comments[0].1;
    assert!(!body.contains("Deploying"), "{body}");
    assert!(body.contains("FAILED"), "{body}");
    assert!(!run.summary.contains("### Roll back"), "{}", run.summary);
    assert_no_token(&run, &f);
}

// ---- Pull request comment -----------------------------------------------------------------------

fn comments_with_marker(f: &Fakes, pr: u64) -> Vec<(u64, String)> {
    f.world()
        .comments
        .on_issue(pr)
        .into_iter()
        .filter(|c| c.body.contains(MARKER))
        .map(|c| (c.id, c.body.clone()))
        .collect()
}

#[tokio::test]
async fn the_commits_pr_gets_one_comment_and_a_second_run_edits_it() {
    let f = Fakes::start().await;
    f.world().comments.pulls_by_sha.insert(SHA.into(), vec![12]);
    f.world()
        .comments
        .seed(12, "octocat", "User", "Looks good to me");
    let r = f.runner();
    let first = r.run().await;
    assert_eq!(first.code, 0, "{}", first.log());
    let after_first = comments_with_marker(&f, 12);
    assert_eq!(after_first.len(), 1, "{after_first:?}");
    let (id, body) = &after_first[0];
    assert!(body.contains("staging"), "{body}");
    assert!(body.contains("https://web-stg.up.railway.app"), "{body}");
    assert!(!body.contains("Deploying"), "{body}");

    let second = r.run().await;
    assert_eq!(second.code, 0, "{}", second.log());
    let after_second = comments_with_marker(&f, 12);
    assert_eq!(after_second.len(), 1, "{after_second:?}");
    assert_eq!(after_second[0].0, *id, "the same comment, edited");
    assert_eq!(f.world().comments.on_issue(12).len(), 2);
    let posts =
        f.gh.recorder
            .all()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/issues/12/comments"))
            .count();
    assert_eq!(posts, 1, "the second run only edits");
    assert_no_token(&second, &f);
}

fn pull_request_runner(f: &Fakes) -> Runner {
    f.checks(PR_HEAD, vec![passing()]);
    let event = events::own("pull_request/opened.json");
    let mut r = Runner::new(&f.rw.api_url());
    r.with_github(&f.gh_server.url())
        .event("pull_request", &event)
        .set("GITHUB_REF", "refs/pull/2/merge")
        .set("GITHUB_REF_NAME", "2/merge")
        .set("GITHUB_SHA", "0000000000000000000000000000000000000abc")
        .input("environment", "staging");
    r
}

#[tokio::test]
async fn a_pull_request_run_comments_on_that_pr() {
    let f = Fakes::start().await;
    let run = pull_request_runner(&f).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let comments = comments_with_marker(&f, 2);
    assert_eq!(comments.len(), 1, "{}", run.log());
    // The PR's head commit is what was deployed, not the test-merge commit.
    let w = f.world();
    assert_eq!(w.deployments.deployments[0].body["ref"], PR_HEAD);
    drop(w);
    assert!(
        f.gh.recorder
            .all()
            .iter()
            .all(|r| !r.path.contains("/pulls"))
    );
    assert_no_token(&run, &f);
}

#[tokio::test]
async fn a_fork_prs_read_only_token_is_a_warning_and_the_run_succeeds() {
    let f = Fakes::start().await;
    {
        let mut w = f.world();
        w.comments.read_only_prs.insert(2);
        w.deployments.mode = fakes::github::deployments::CreateMode::Forbidden;
    }
    let run = pull_request_runner(&f).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "success");
    let warnings: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("::warning"))
        .collect();
    assert!(
        warnings.iter().any(|l| l.contains("pull-requests: write")),
        "{}",
        run.log()
    );
    assert!(
        f.gh.recorder
            .all()
            .iter()
            .any(|r| r.method == "POST" && r.path.ends_with("/issues/2/comments")),
        "the comment was attempted"
    );
    assert!(f.world().comments.on_issue(2).is_empty());
    assert_no_token(&run, &f);
}

// ---- Release guard ------------------------------------------------------------------------------

fn tag_runner(f: &Fakes, tag: &str) -> Runner {
    let mut r = f.runner();
    r.set("GITHUB_REF", &format!("refs/tags/{tag}"))
        .set("GITHUB_REF_NAME", tag)
        .set("GITHUB_REF_TYPE", "tag")
        .input("railway-token", "tok-production");
    r
}

fn seed_release(f: &Fakes, version: &str) {
    f.world().deployments.seed(
        "production",
        "1111111111111111111111111111111111111111",
        json!({"tool": "railway-deploy", "version": version}),
        &["in_progress", "success"],
    );
}

#[tokio::test]
async fn a_tag_lower_than_the_last_release_is_refused_before_any_change() {
    let f = Fakes::start().await;
    seed_release(&f, "1.3.0");
    let run = tag_runner(&f, "v1.2.3").run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert_eq!(run.output("status"), "failed");
    assert!(run.stdout.contains("allow-downgrade"), "{}", run.log());
    assert!(f.rw.mutations().is_empty(), "{:?}", f.rw.mutations());
    // No GitHub write either: no new Deployment, no status.
    assert_eq!(f.world().deployments.deployments.len(), 1);
    assert!(
        f.gh.recorder.all().iter().all(|r| r.method == "GET"),
        "{:?}",
        f.gh.recorder.all()
    );
    assert_no_token(&run, &f);
}

#[tokio::test]
async fn the_same_tag_again_redeploys_with_a_notice() {
    let f = Fakes::start().await;
    seed_release(&f, "1.2.3");
    let run = tag_runner(&f, "v1.2.3").run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("::notice") && l.contains("already the last release")),
        "{}",
        run.log()
    );
    assert_eq!(deploy_mutations(&f), 1);
}

#[tokio::test]
async fn allow_downgrade_deploys_a_lower_tag_with_a_notice() {
    let f = Fakes::start().await;
    seed_release(&f, "1.3.0");
    let mut r = tag_runner(&f, "v1.2.3");
    r.input("allow-downgrade", "true");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stdout.contains("downgrading production"),
        "{}",
        run.log()
    );
    assert_eq!(deploy_mutations(&f), 1);
}

// ---- Job summary --------------------------------------------------------------------------------

#[tokio::test]
async fn the_job_summary_has_the_outcome_the_service_table_and_a_gantt_timeline() {
    let f = Fakes::start().await;
    let run = f.runner().run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let s = &run.summary;
    let first = s.lines().next().unwrap_or("");
    assert!(first.starts_with("## ") && first.contains("staging"), "{s}");
    assert!(s.contains("| Status | `success` |"), "{s}");
    assert!(s.contains("### Service `web`"), "{s}");
    assert!(
        s.contains("| URL | https://web-stg.up.railway.app |"),
        "{s}"
    );
    assert!(s.contains("| Previous deployment |"), "{s}");
    assert!(s.contains("dep-old-web-stg"), "{s}");
    assert!(s.contains("```mermaid\ngantt"), "{s}");
    assert!(s.contains("### Checks (passed)"), "{s}");
    assert!(
        s.contains(run.output("rollback-command")) && !run.output("rollback-command").is_empty(),
        "{s}"
    );
    assert_no_token(&run, &f);
}

#[tokio::test]
async fn a_gate_failure_still_writes_outputs_and_a_parseable_deployments_output() {
    let f = Fakes::start().await;
    let r = f.runner();
    f.checks(
        SHA,
        vec![Snapshot::new(
            vec![app_check_run(
                1,
                "test",
                "circleci",
                "completed",
                Some("timed_out"),
            )],
            vec![],
        )],
    );
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "failed");
    assert_eq!(run.output("environment"), "staging");
    let deployments: Value = serde_json::from_str(run.output("deployments")).unwrap();
    assert!(deployments.is_array(), "{deployments}");
}
