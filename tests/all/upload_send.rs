//! The upload request against the fake Railway upload endpoint: what is sent, and every answer.

use std::path::Path;

use fakes::Server;
use fakes::railway::upload::{UploadFake, UploadReply, unpack, upload_routes};
use railway_deploy::railway::auth::RailwayToken;
use railway_deploy::railway::upload::{UploadError, UploadTarget, upload};
use railway_deploy::secret::Secret;
use railway_deploy::timing::Timing;
use railway_deploy::upload::archive::ArchiveOptions;
use railway_deploy::upload::source::{ArchiveCache, ArchiveSource};
use url::Url;

const TOKEN: &str = "proj-token-0123456789";

fn setup() -> (reqwest::Client, RailwayToken, Timing) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    (
        reqwest::Client::new(),
        RailwayToken::Project(Secret::new(TOKEN)),
        Timing::from_env_value(Some("0.001")),
    )
}

fn target(service: &str) -> UploadTarget {
    UploadTarget {
        project_id: "proj-1".into(),
        environment_id: "env-1".into(),
        service_id: service.into(),
        message: None,
    }
}

fn tree(root: &Path) {
    std::fs::write(root.join("index.js"), "console.log('hi')").unwrap();
    std::fs::create_dir_all(root.join("assets/video")).unwrap();
    std::fs::write(root.join("assets/video/intro.mp4"), vec![7u8; 40_000]).unwrap();
    std::fs::write(root.join(".gitignore"), "*.log\n").unwrap();
    std::fs::write(root.join("debug.log"), "x").unwrap();
}

async fn fake() -> (UploadFake, Server, Url) {
    let fake = UploadFake::new();
    let server = Server::start(upload_routes(fake.clone())).await;
    let api = Url::parse(&format!("{}/graphql/v2", server.url())).unwrap();
    (fake, server, api)
}

#[tokio::test]
async fn an_accepted_upload_sends_the_archive_with_the_token_and_returns_the_deployment() {
    let (http, token, timing) = setup();
    let (fake, _server, api) = fake().await;
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let archive = ArchiveSource::new(dir.path(), ArchiveOptions::default());
    let dep = upload(&http, &api, &token, &target("svc-1"), &archive, &timing)
        .await
        .unwrap();
    assert_eq!(dep.deployment_id, "dep-up-1");
    assert_eq!(
        dep.deployment_domain.as_deref(),
        Some("svc-1-production.up.railway.app")
    );
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/project/proj-1/environment/env-1/up");
    assert_eq!(r.query.as_deref(), Some("serviceId=svc-1"));
    assert_eq!(r.header("project-access-token"), Some(TOKEN));
    assert_eq!(r.header("content-type"), Some("application/gzip"));
    let names: Vec<String> = unpack(&r.body)
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(
        names,
        vec![
            "./.gitignore",
            "./assets/",
            "./assets/video/",
            "./assets/video/intro.mp4",
            "./index.js"
        ]
    );
}

#[tokio::test]
async fn services_with_the_same_path_share_one_build_and_send_identical_bytes() {
    let (http, token, timing) = setup();
    let (fake, _server, api) = fake().await;
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let cache = ArchiveCache::new(ArchiveOptions::default());
    let (a, b) = (cache.source(dir.path()), cache.source(dir.path()));
    let (ta, tb) = (target("svc-a"), target("svc-b"));
    let (ra, rb) = tokio::join!(
        upload(&http, &api, &token, &ta, &a, &timing),
        upload(&http, &api, &token, &tb, &b, &timing),
    );
    let mut ids = vec![ra.unwrap().deployment_id, rb.unwrap().deployment_id];
    ids.sort();
    assert_eq!(ids, vec!["dep-up-1", "dep-up-2"]);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body, reqs[1].body);
    // Exactly one of them was streamed live (no length); the other came from the spool.
    let lens: Vec<Option<&str>> = reqs.iter().map(|r| r.header("content-length")).collect();
    assert_eq!(lens.iter().filter(|l| l.is_some()).count(), 1, "{lens:?}");
}

#[tokio::test]
async fn a_400_shows_railways_message() {
    let (http, token, timing) = setup();
    let (fake, _server, api) = fake().await;
    fake.reply_next(UploadReply::BadRequest(
        "Service svc-x not found in environment".into(),
    ));
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let archive = ArchiveSource::new(dir.path(), ArchiveOptions::default());
    let err = upload(&http, &api, &token, &target("svc-x"), &archive, &timing)
        .await
        .unwrap_err();
    assert!(matches!(err, UploadError::Rejected { .. }));
    assert_eq!(
        err.to_string(),
        "Railway rejected the upload (HTTP 400): Service svc-x not found in environment"
    );
}

#[tokio::test]
async fn a_413_names_the_size_the_largest_directories_and_railwayignore() {
    let (http, token, timing) = setup();
    let (fake, _server, api) = fake().await;
    fake.reply_next(UploadReply::TooLarge);
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let archive = ArchiveSource::new(dir.path(), ArchiveOptions::default());
    let err = upload(&http, &api, &token, &target("svc-1"), &archive, &timing)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("Railway refused the upload as too large (HTTP 413): the archive is "),
        "{err}"
    );
    assert!(err.contains("in 3 files"), "{err}");
    assert!(
        err.contains("largest directories: assets 40.0 kB, assets/video 40.0 kB, . 23 B"),
        "{err}"
    );
    assert!(err.contains(".railwayignore"), "{err}");
    assert_eq!(fake.requests().len(), 1, "a 413 is not retried");
}

#[tokio::test]
async fn a_429_waits_and_resends_the_same_bytes() {
    let (http, token, timing) = setup();
    let (fake, _server, api) = fake().await;
    fake.reply_next(UploadReply::RateLimited {
        retry_after_secs: 3,
    });
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let archive = ArchiveSource::new(dir.path(), ArchiveOptions::default());
    let dep = upload(&http, &api, &token, &target("svc-1"), &archive, &timing)
        .await
        .unwrap();
    assert_eq!(dep.deployment_id, "dep-up-1");
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body, reqs[1].body);
}

#[tokio::test]
async fn a_long_retry_after_fails_at_once_with_the_wait() {
    let (http, token, timing) = setup();
    let (fake, _server, api) = fake().await;
    fake.reply_next(UploadReply::RateLimited {
        retry_after_secs: 1800,
    });
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let archive = ArchiveSource::new(dir.path(), ArchiveOptions::default());
    let err = upload(&http, &api, &token, &target("svc-1"), &archive, &timing)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("429") && err.contains("1800s"), "{err}");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_5xx_is_never_repeated_and_never_echoes_the_token() {
    let (http, token, timing) = setup();
    let (fake, _server, api) = fake().await;
    fake.reply_next(UploadReply::Status(502, format!("bad gateway for {TOKEN}")));
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let archive = ArchiveSource::new(dir.path(), ArchiveOptions::default());
    let err = upload(&http, &api, &token, &target("svc-1"), &archive, &timing)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("may have created a deployment"), "{err}");
    assert!(!err.contains(TOKEN), "{err}");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_refused_token_names_which_token() {
    let (http, _, timing) = setup();
    let token = RailwayToken::Account(Secret::new(TOKEN));
    let (fake, _server, api) = fake().await;
    fake.reply_next(UploadReply::Status(401, "Not Authorized".into()));
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let archive = ArchiveSource::new(dir.path(), ArchiveOptions::default());
    let err = upload(&http, &api, &token, &target("svc-1"), &archive, &timing)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("railway-api-token"), "{err}");
    assert_eq!(
        fake.requests()[0]
            .header("authorization")
            .map(str::to_string),
        Some(format!("Bearer {TOKEN}"))
    );
}

#[tokio::test]
async fn a_missing_path_fails_before_anything_is_sent() {
    let (http, token, timing) = setup();
    let (fake, _server, api) = fake().await;
    let archive = ArchiveSource::new("/no/such/checkout", ArchiveOptions::default());
    let err = upload(&http, &api, &token, &target("svc-1"), &archive, &timing)
        .await
        .unwrap_err();
    assert!(matches!(err, UploadError::Archive(_)), "{err}");
    assert!(err.to_string().contains("`path`"), "{err}");
    // The request may have started streaming, but it was aborted: no complete upload arrived.
    assert!(fake.requests().iter().all(|r| unpack(&r.body).is_err()));
}
