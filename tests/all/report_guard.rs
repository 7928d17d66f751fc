//! The release guard against the fake GitHub: the last successful Deployment's version is read
//! back (skipping failed ones, versionless ones and other environments), and a downgrade is
//! refused unless allowed.

use crate::support::github::setup;
use fakes::github::GitHubState;
use railway_deploy::github::GitHub;
use railway_deploy::github::deployments::{DeploymentStart, DeploymentTracker};
use railway_deploy::record::{RunReport, RunStatus};
use railway_deploy::report::deployment;
use railway_deploy::secret::Secret;
use railway_deploy::stages::release_guard::{Verdict, check_release, last_released_version};
use railway_deploy::timing::Timing;
use semver::Version;
use serde_json::json;

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

fn seed_history(state: &GitHubState) {
    let mut w = state.world.lock().unwrap();
    let d = &mut w.deployments;
    d.seed(
        "production",
        "a1",
        json!({"version": "1.2.0"}),
        &["in_progress", "success"],
    );
    d.seed(
        "production",
        "a2",
        json!({"version": "1.3.0"}),
        &["in_progress", "success"],
    );
    d.seed(
        "staging",
        "a3",
        json!({"version": "2.0.0-rc.1"}),
        &["success"],
    );
    d.seed(
        "production",
        "a4",
        json!({"version": "1.4.0"}),
        &["in_progress", "failure"],
    );
    d.seed("production", "a5", json!({}), &["success"]);
}

#[tokio::test]
async fn the_last_successful_release_is_read_back() {
    let (_server, state, gh, _) = setup().await;
    seed_history(&state);
    let (version, _) = last_released_version(&gh, "production")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(version, v("1.3.0"));
    let (staging, _) = last_released_version(&gh, "staging")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(staging, v("2.0.0-rc.1"));
    assert!(
        last_released_version(&gh, "preview")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_downgrade_is_refused_unless_allowed() {
    let (_server, state, gh, _) = setup().await;
    seed_history(&state);
    let judge = |new: &'static str, allow: bool| {
        let gh = gh.clone();
        async move {
            check_release(&gh, "production", &v(new), allow)
                .await
                .unwrap()
        }
    };
    let refused = judge("1.2.9", false).await;
    assert_eq!(refused, Verdict::Refused { last: v("1.3.0") });
    assert!(refused.refusal("production", &v("1.2.9")).is_some());
    assert_eq!(
        judge("1.2.9", true).await,
        Verdict::DowngradeAllowed { last: v("1.3.0") }
    );
    assert_eq!(
        judge("1.3.0", false).await,
        Verdict::Redeploy { last: v("1.3.0") }
    );
    assert_eq!(
        judge("1.3.1", false).await,
        Verdict::Upgrade { last: v("1.3.0") }
    );
}

#[tokio::test]
async fn a_release_recorded_by_this_tool_is_what_the_next_run_compares_with() {
    let (_server, _state, gh, _) = setup().await;
    let mut r = RunReport::new("deploy", "commit", false, chrono::Utc::now());
    r.version = Some("3.1.0".into());
    let start = DeploymentStart {
        sha: "b1".into(),
        environment: "production".into(),
        production: true,
        transient: false,
        log_url: None,
    };
    let tracker = DeploymentTracker::start(&gh, &start, &deployment::opening(&r, &start.sha))
        .await
        .unwrap();
    // Still in progress: not a release yet.
    assert_eq!(
        check_release(&gh, "production", &v("3.0.0"), false)
            .await
            .unwrap(),
        Verdict::FirstRelease
    );
    r.status = RunStatus::Success;
    tracker.finish(&deployment::final_status(&r)).await;
    assert_eq!(
        check_release(&gh, "production", &v("3.0.0"), false)
            .await
            .unwrap(),
        Verdict::Refused { last: v("3.1.0") }
    );
}

#[tokio::test]
async fn an_unreadable_history_is_an_error_for_the_pipeline_to_warn_about() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // Nothing listens here: the guard cannot judge and says so.
    let t = Timing::from_env_value(Some("0.001"));
    let gh = GitHub::new("http://127.0.0.1:9", &Secret::new("t"), "o/r", t).unwrap();
    let err = check_release(&gh, "production", &v("1.0.0"), false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("could not reach GitHub"), "{err}");
}
