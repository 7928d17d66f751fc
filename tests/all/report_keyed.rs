//! Two deploys to one environment against the fake GitHub: runs with different service sets keep
//! one comment and one GitHub Deployment each (the set in the Deployment's `task`), and neither
//! marks the other's Deployment inactive; a later run of the same set replaces only its own.

use fakes::Server;
use fakes::github::GitHubState;
use railway_deploy::github::GitHub;
use railway_deploy::record::{RunReport, RunStatus, ServiceReport, ServiceState};
use railway_deploy::report::publish::{PublishOptions, Publisher};
use railway_deploy::secret::Secret;
use railway_deploy::timing::Timing;

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

async fn setup() -> (Server, GitHubState, GitHub, Timing) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let state = GitHubState::default();
    let server = Server::start(fakes::github::router(state.clone())).await;
    let t = Timing::from_env_value(Some("0.001"));
    let gh = GitHub::new(&server.url(), &Secret::new("t"), "o/r", t).unwrap();
    (server, state, gh, t)
}

fn report(services: &[&str], status: RunStatus) -> RunReport {
    let mut r = RunReport::new("deploy", "commit", false, chrono::Utc::now());
    r.status = status;
    r.environment = Some("staging".into());
    r.sha = Some(SHA.into());
    for name in services {
        let mut s = ServiceReport::planned(&format!("svc-{name}"), name);
        s.state = ServiceState::Deployed;
        s.deployment_id = Some(format!("dep-{name}"));
        s.url = Some(format!("https://{name}.up.railway.app"));
        r.services.push(s);
    }
    r
}

fn opts() -> PublishOptions {
    PublishOptions {
        sha: SHA.into(),
        environment: "staging".into(),
        production: false,
        transient: false,
        run_url: Some("https://github.com/o/r/actions/runs/42".into()),
        event_pull: Some(7),
        github_deployment: true,
        comment: true,
    }
}

async fn run(gh: &GitHub, services: &[&str], status: RunStatus) {
    let p = Publisher::start(gh, &opts(), &report(services, RunStatus::Skipped)).await;
    p.finish(&report(services, status)).await;
}

/// Each Deployment's task and its states, oldest first.
fn deployments(state: &GitHubState) -> Vec<(String, String, Vec<String>)> {
    let w = state.world.lock().unwrap();
    w.deployments
        .deployments
        .iter()
        .map(|d| {
            let task = d.body["task"].as_str().unwrap_or("").to_string();
            let env = d.body["environment"].as_str().unwrap_or("").to_string();
            (task, env, d.states())
        })
        .collect()
}

#[tokio::test]
async fn two_service_sets_keep_two_comments_and_two_active_deployments() {
    let (_server, state, gh, _) = setup().await;
    run(&gh, &["Worker", "web"], RunStatus::Success).await;
    run(&gh, &["api"], RunStatus::Success).await;

    let d = deployments(&state);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!(d[0].0, "deploy:web,worker");
    assert_eq!(d[1].0, "deploy:api");
    // The GitHub environment keeps the Railway environment's name.
    assert!(d.iter().all(|(_, env, _)| env == "staging"), "{d:?}");
    assert_eq!(
        d[0].2,
        ["in_progress", "success"],
        "not made inactive by api's run"
    );
    assert_eq!(d[1].2, ["in_progress", "success"]);

    let w = state.world.lock().unwrap();
    let comments = w.comments.on_issue(7);
    assert_eq!(comments.len(), 2, "one comment per service set");
    assert!(
        comments[0]
            .body
            .contains("railway-deploy-services:web,worker -->")
    );
    assert!(comments[1].body.contains("railway-deploy-services:api -->"));
    assert!(comments[0].body.contains("web.up.railway.app"));
    assert!(!comments[0].body.contains("api.up.railway.app"));
}

#[tokio::test]
async fn a_rerun_of_one_set_replaces_only_its_own_deployment_and_comment() {
    let (_server, state, gh, _) = setup().await;
    run(&gh, &["web"], RunStatus::Success).await;
    run(&gh, &["worker"], RunStatus::Success).await;
    run(&gh, &["web"], RunStatus::Failed).await;
    // A failed run does not replace the serving one: web's first stays active.
    assert_eq!(deployments(&state)[0].2, ["in_progress", "success"]);
    run(&gh, &["WEB"], RunStatus::Success).await;

    let d = deployments(&state);
    assert_eq!(d.len(), 4, "{d:?}");
    assert_eq!(
        d[0].2,
        ["in_progress", "success", "inactive"],
        "web's old one"
    );
    assert_eq!(d[1].2, ["in_progress", "success"], "worker's is untouched");
    assert_eq!(
        d[2].2,
        ["in_progress", "failure"],
        "only successes turn inactive"
    );
    assert_eq!(d[3].2, ["in_progress", "success"]);
    assert_eq!(d[3].0, "deploy:web");

    let w = state.world.lock().unwrap();
    assert_eq!(
        w.comments.on_issue(7).len(),
        2,
        "web's comment was edited, not added"
    );
    let inactive: Vec<_> = state
        .recorder
        .all()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/statuses"))
        .filter_map(|r| r.body_json())
        .filter(|b| b["state"] == "inactive")
        .collect();
    assert_eq!(inactive.len(), 1, "{inactive:?}");
    assert_eq!(inactive[0]["auto_inactive"], false);
}
