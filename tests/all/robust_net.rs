//! Issue 10 items 1, 2, 4 and 8 through faults injected in the fakes: a stalled GitHub read ends
//! near its deadline, a final Deployment status and a final comment edit that get one 5xx are sent
//! again, a crash of the action still settles what it published, a token GitHub echoes never
//! reaches the log, outputs or summary, and an unreachable Railway is the log's last error line.

use std::time::{Duration, Instant};

use crate::support::alone::{is_alone, run_alone};
use crate::support::cli::{GITHUB_TOKEN, Run, Runner};
use crate::support::github::{setup, staging_publish};
use crate::support::secrets::{RAILWAY_TOKENS, assert_not_shown, run_places};
use fakes::Server;
use fakes::github::GitHubState;
use fakes::github::checks::{Snapshot, app_check_run};
use fakes::github::faults::{Action, Rule};
use fakes::railway::{FakeRailway, RailwayWorld};
use railway_deploy::cancel::{CancelGuard, run_to_end};
use railway_deploy::record::{Ending, RunReport, ServiceReport};
use railway_deploy::report::publish::Publisher;

const SHA: &str = "abc1234def5678abc1234def5678abc1234def56";
const PR: u64 = 12;

struct Fakes {
    gh: GitHubState,
    gh_server: Server,
    rw: FakeRailway,
}

impl Fakes {
    async fn start() -> Fakes {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let gh = GitHubState::default();
        let gh_server = Server::start(fakes::github::router(gh.clone())).await;
        let rw = FakeRailway::start(RailwayWorld::standard()).await;
        let passing = Snapshot::new(
            vec![app_check_run(1, "test", "ci", "completed", Some("success"))],
            vec![],
        );
        gh.world.lock().unwrap().checks.script(SHA, vec![passing]);
        gh.world
            .lock()
            .unwrap()
            .comments
            .pulls_by_sha
            .insert(SHA.to_string(), vec![PR]);
        Fakes { gh, gh_server, rw }
    }

    fn runner(&self) -> Runner {
        let mut r = Runner::new(&self.rw.api_url());
        r.with_github(&self.gh_server.url());
        r
    }

    fn fault(&self, rule: Rule) {
        self.gh.world.lock().unwrap().faults.add(rule);
    }

    fn requests(&self, method: &str, path_part: &str, body_part: &str) -> usize {
        let all = self.gh.recorder.all();
        all.iter()
            .filter(|r| r.method == method && r.path.contains(path_part))
            .filter(|r| r.body_text().contains(body_part))
            .count()
    }
}

fn assert_nothing_leaked(run: &Run) {
    let mut secrets = RAILWAY_TOKENS.to_vec();
    secrets.push(GITHUB_TOKEN);
    assert_not_shown(&secrets, &run_places(run));
}

/// Item 1: `checks-timeout: 3s` against a check-runs read that is accepted and never answered.
#[tokio::test]
async fn a_stalled_check_runs_read_ends_within_seconds_of_checks_timeout() {
    let f = Fakes::start().await;
    f.fault(Rule::new("GET", "/check-runs", Action::Stall));
    let mut r = f.runner();
    r.input("checks-timeout", "3s");
    let started = Instant::now();
    let run = r.run().await;
    let took = started.elapsed();
    eprintln!("stalled check-runs read: the run ended {took:?} after it started (deadline 3s)");
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(took >= Duration::from_secs(3), "{took:?}: {}", run.log());
    assert!(took < Duration::from_secs(8), "{took:?}: {}", run.log());
    assert!(run.log().contains("no answer within"), "{}", run.log());
    assert!(f.rw.mutations().is_empty(), "{:?}", f.rw.mutations());
    assert_nothing_leaked(&run);
}

/// Item 1: a stalled final status does not hold a finished deploy: the run still ends, in time.
#[tokio::test]
async fn a_stalled_final_status_does_not_hang_a_finished_run() {
    let f = Fakes::start().await;
    let final_status = Rule::new("POST", "/statuses", Action::Stall).body_contains("\"success\"");
    f.fault(final_status);
    let started = Instant::now();
    let run = f.runner().run().await;
    let took = started.elapsed();
    eprintln!("stalled final status: the run ended {took:?} after it started");
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(took < Duration::from_secs(20), "{took:?}: {}", run.log());
    // Sent again after each timeout, up to the reporting policy's bound.
    assert_eq!(f.requests("POST", "/statuses", "\"success\""), 3);
}

/// Item 2: one 5xx on the final status and on the final comment edit: both are sent again.
#[tokio::test]
async fn a_final_status_and_comment_edit_that_get_one_5xx_are_sent_again() {
    let f = Fakes::start().await;
    f.fault(
        Rule::new("POST", "/statuses", Action::Fail(502))
            .body_contains("\"success\"")
            .times(1),
    );
    f.fault(Rule::new("PATCH", "/issues/comments/", Action::Fail(503)).times(1));
    let run = f.runner().run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(f.requests("POST", "/statuses", "\"success\""), 2);
    assert_eq!(f.requests("PATCH", "/issues/comments/", ""), 2);
    let w = f.gh.world.lock().unwrap();
    let states = w.deployments.deployments[0].states();
    assert_eq!(
        states.last().map(String::as_str),
        Some("success"),
        "{states:?}"
    );
    let comments = w.comments.on_issue(PR);
    assert_eq!(comments.len(), 1);
    assert!(
        !comments[0].body.contains("Deploying"),
        "{}",
        comments[0].body
    );
    assert!(
        comments[0].body.contains("Deployed"),
        "{}",
        comments[0].body
    );
}

/// Item 2: the action itself panics after publishing its start: the Deployment still ends
/// `error` and the comment says the run failed. (Runs alone: `run_to_end` listens for signals.)
#[tokio::test]
async fn a_panic_of_the_action_still_settles_the_deployment_and_comment() {
    if !is_alone() {
        let name = "a_panic_of_the_action_still_settles_the_deployment_and_comment";
        return run_alone(module_path!(), name).await;
    }
    let (_server, state, gh, _) = setup().await;
    let mut report = RunReport::new("deploy", "commit", false, chrono::Utc::now());
    report.environment = Some("staging".into());
    report.services.push(ServiceReport::planned("svc-1", "web"));
    let opts = staging_publish("abc1234def", 3);
    let guard = CancelGuard::default();
    let pipeline = {
        let guard = guard.clone();
        async move {
            let publisher = Publisher::start(&gh, &opts, &report).await;
            guard.arm(publisher);
            guard.update(&report);
            broken_invariant()
        }
    };
    let ending = run_to_end(&guard, pipeline).await;
    match &ending {
        Ending::Broken(msg) => assert!(msg.contains("injected"), "{msg}"),
        other => panic!("expected a broken ending, got {other:?}"),
    }
    assert!(!guard.is_armed());
    let w = state.world.lock().unwrap();
    assert_eq!(
        w.deployments.deployments[0].states(),
        ["in_progress", "error"]
    );
    let comments = w.comments.on_issue(3);
    assert_eq!(comments.len(), 1);
    assert!(
        !comments[0].body.contains("Deploying"),
        "{}",
        comments[0].body
    );
    assert!(
        comments[0].body.contains("injected"),
        "{}",
        comments[0].body
    );
}

/// Stands for any internal invariant that breaks mid-deploy.
fn broken_invariant() -> Ending {
    panic!("injected: an internal invariant broke mid-deploy")
}

/// Item 4: GitHub echoes the token in its error bodies; outside Actions (no `::add-mask::`), the
/// log, outputs and summary still hold no secret.
#[tokio::test]
async fn a_token_echoed_by_github_is_redacted_outside_actions() {
    let f = Fakes::start().await;
    f.fault(Rule::new("GET", "/check-runs", Action::EchoToken(401)));
    let mut r = f.runner();
    r.unset("GITHUB_ACTIONS");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(run.log().contains("Bad credentials: "), "{}", run.log());
    assert!(run.summary.contains("Bad credentials: "), "{}", run.summary);
    assert_nothing_leaked(&run);

    // Past the gate: the Deployment's creation is refused with the token echoed (a warning).
    let f = Fakes::start().await;
    f.fault(Rule::new("POST", "/deployments", Action::EchoToken(422)));
    let mut r = f.runner();
    r.unset("GITHUB_ACTIONS");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(run.log().contains("Bad credentials: "), "{}", run.log());
    assert_nothing_leaked(&run);
    let written: String = f.gh.recorder.all().iter().map(|r| r.body_text()).collect();
    assert!(!written.contains(GITHUB_TOKEN), "{written}");
}

/// Item 8: Railway's URL is a closed loopback port: the cause is the last error line.
#[tokio::test]
async fn an_unreachable_railway_is_the_last_error_line() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/graphql/v2");
    for (in_actions, prefix) in [(true, "::error"), (false, "error:")] {
        let mut r = Runner::new(&url);
        if !in_actions {
            r.unset("GITHUB_ACTIONS");
        }
        let run = r.run().await;
        assert_eq!(run.code, 1, "{}", run.log());
        // In Actions the runner reads `::error` on stdout; on a terminal errors go to stderr.
        let stream = if in_actions { &run.stdout } else { &run.stderr };
        let last_error = stream
            .lines()
            .rfind(|l| l.starts_with("::error") || l.starts_with("error:"))
            .unwrap_or_else(|| panic!("no error line:\n{}", run.log()));
        assert!(last_error.starts_with(prefix), "{last_error}");
        assert!(last_error.contains("Railway"), "{last_error}");
        assert!(last_error.contains("127.0.0.1"), "{last_error}");
    }
}
