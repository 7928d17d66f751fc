//! `command: promote` picks the right deployment from the fake Railway's staging: the tag's commit
//! when it passed there, a refusal when it failed, the newest passed one otherwise, images pinned by
//! digest; all with reads only.

use fakes::railway::{FakeRailway, RailwayWorld};
use railway_deploy::config::Source;
use railway_deploy::railway::RailwayClient;
use railway_deploy::railway::api::Named;
use railway_deploy::railway::auth::RailwayToken;
use railway_deploy::secret::Secret;
use railway_deploy::stages::promote::{PromoteError, Want, plan_promotion};
use railway_deploy::timing::Timing;
use serde_json::json;

fn named(id: &str, name: &str) -> Named {
    Named {
        id: id.into(),
        name: name.into(),
    }
}

async fn railway() -> (FakeRailway, RailwayClient) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let fake = FakeRailway::start(RailwayWorld::standard()).await;
    {
        let mut w = fake.world();
        // Staging history of web, oldest first: c1 passed, c2 passed, c3 failed.
        for (id, status, commit) in [
            ("stg-web-1", "SUCCESS", "c1"),
            ("stg-web-2", "SUCCESS", "c2"),
            ("stg-web-3", "FAILED", "c3"),
        ] {
            w.add_deployment(id, "svc-web", "env-stg", status);
            w.deployment_mut(id).unwrap().meta = json!({
                "commitHash": commit,
                "image": "ghcr.io/acme/web:latest",
                "imageDigest": format!("sha256:{commit}"),
            });
        }
        // Production has its own history, never read.
        w.add_deployment("prod-web-9", "svc-web", "env-prod", "SUCCESS");
    }
    let url = url::Url::parse(&fake.api_url()).unwrap();
    let client = RailwayClient::new(
        url,
        RailwayToken::Account(Secret::new("acct-token")),
        Timing::from_env_value(Some("0.001")),
    )
    .unwrap();
    (fake, client)
}

#[tokio::test]
async fn a_tag_promotes_its_own_commit_when_it_passed_in_staging() {
    let (fake, client) = railway().await;
    let staging = named("env-stg", "staging");
    let web = [named("svc-web", "web")];
    let p = plan_promotion(&client, "proj-1", &staging, &web, Some("c1"), Want::Commit)
        .await
        .unwrap();
    assert_eq!(p[0].from_deployment_id, "stg-web-1");
    assert_eq!(p[0].commit_sha.as_deref(), Some("c1"));
    assert_eq!(p[0].source, Source::Commit);

    let refused = plan_promotion(&client, "proj-1", &staging, &web, Some("c3"), Want::Commit)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, PromoteError::Refused(m) if m.contains("ended FAILED")),
        "{refused}"
    );
    assert!(fake.mutations().is_empty(), "promotion planning only reads");
}

#[tokio::test]
async fn without_a_tag_the_newest_passed_deployment_is_promoted() {
    let (_fake, client) = railway().await;
    let staging = named("env-stg", "staging");
    let web = [named("svc-web", "web")];
    let p = plan_promotion(&client, "proj-1", &staging, &web, None, Want::Auto)
        .await
        .unwrap();
    assert_eq!(p[0].from_deployment_id, "stg-web-2");
    assert_eq!(p[0].source, Source::Commit);

    let p = plan_promotion(&client, "proj-1", &staging, &web, None, Want::Image)
        .await
        .unwrap();
    assert_eq!(
        p[0].source,
        Source::Image {
            reference: "ghcr.io/acme/web@sha256:c2".into()
        }
    );
}
