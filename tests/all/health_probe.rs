//! The health probe against a local HTTP app: retries, status and body expectations, same-host
//! redirects only, per-request and overall timeouts.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use railway_deploy::health::probe::{ProbeSpec, probe, probe_client};
use railway_deploy::timing::Timing;
use url::Url;

fn setup() -> (reqwest::Client, Timing) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    (
        probe_client().unwrap(),
        Timing::from_env_value(Some("0.001")),
    )
}

fn spec(url: String, body: Option<&str>, timeout_ms: u64) -> ProbeSpec {
    ProbeSpec {
        url: Url::parse(&url).unwrap(),
        expect_status: 200,
        expect_body: body.map(str::to_string),
        timeout: Duration::from_millis(timeout_ms),
    }
}

#[tokio::test]
async fn passes_on_the_third_attempt() {
    let (http, timing) = setup();
    let hits = Arc::new(AtomicU32::new(0));
    let h = hits.clone();
    let app = Router::new().route(
        "/health",
        get(move || {
            let n = h.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                if n < 3 {
                    (StatusCode::SERVICE_UNAVAILABLE, "starting").into_response()
                } else {
                    (StatusCode::OK, r#"{"status":"ok"}"#).into_response()
                }
            }
        }),
    );
    let server = fakes::Server::start(app).await;
    let s = spec(format!("{}/health", server.url()), Some("ok"), 10_000);
    let report = probe(&http, &s, &timing).await;
    assert!(report.passed, "{report:?}");
    assert_eq!(report.attempts, 3);
    assert_eq!(
        report.last_status,
        Some(200),
        "the passing answer is the one reported"
    );
    assert_eq!(report.body_excerpt, None);
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    assert_eq!(report.error, None);
}

#[tokio::test]
async fn body_must_contain_the_sha() {
    let (http, timing) = setup();
    let app = Router::new()
        .route(
            "/old",
            get(|| async { r#"{"sha":"0000old","status":"ok"}"# }),
        )
        .route(
            "/new",
            get(|| async { r#"{"sha":"abc1234","status":"ok"}"# }),
        );
    let server = fakes::Server::start(app).await;

    let s = spec(format!("{}/old", server.url()), Some("abc1234"), 300);
    let report = probe(&http, &s, &timing).await;
    assert!(!report.passed);
    assert!(report.attempts > 1, "it retried: {report:?}");
    assert_eq!(report.last_status, Some(200));
    assert!(report.body_excerpt.as_deref().unwrap().contains("0000old"));
    let err = report.error.unwrap();
    assert!(err.contains("does not contain `abc1234`"), "{err}");
    assert!(err.contains("did not pass within 300ms"), "{err}");

    let s = spec(format!("{}/new", server.url()), Some("abc1234"), 300);
    let report = probe(&http, &s, &timing).await;
    assert!(report.passed, "{report:?}");
    assert_eq!(report.attempts, 1);
}

#[tokio::test]
async fn wrong_status_reports_status_and_a_short_utf8_excerpt() {
    let (http, timing) = setup();
    let long = format!("ошибка {}", "é".repeat(1000));
    let app = Router::new().route(
        "/",
        get(move || {
            let long = long.clone();
            async move { (StatusCode::INTERNAL_SERVER_ERROR, long) }
        }),
    );
    let server = fakes::Server::start(app).await;
    let report = probe(
        &http,
        &spec(format!("{}/", server.url()), None, 200),
        &timing,
    )
    .await;
    assert!(!report.passed);
    assert_eq!(report.last_status, Some(500));
    let excerpt = report.body_excerpt.unwrap();
    assert!(excerpt.starts_with("ошибка éé"), "{excerpt}");
    assert!(excerpt.ends_with('…'));
    assert_eq!(excerpt.chars().count(), 201);
    assert!(report.error.unwrap().contains("answered 500, expected 200"));
}

#[tokio::test]
async fn another_expected_status_is_honoured() {
    let (http, timing) = setup();
    let app = Router::new().route("/", get(|| async { StatusCode::NO_CONTENT }));
    let server = fakes::Server::start(app).await;
    let mut s = spec(format!("{}/", server.url()), None, 200);
    s.expect_status = 204;
    let report = probe(&http, &s, &timing).await;
    assert!(report.passed, "{report:?}");
}

#[tokio::test]
async fn redirects_followed_on_the_same_host_only() {
    let (http, timing) = setup();
    let listener_port = Arc::new(AtomicU32::new(0));
    let port = listener_port.clone();
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route(
            "/moved",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/health")]) }),
        )
        .route(
            "/elsewhere",
            get(move || {
                let p = port.load(Ordering::SeqCst);
                async move {
                    // Same server under another host name: must not be followed.
                    let to = format!("http://localhost:{p}/health");
                    (StatusCode::FOUND, [(header::LOCATION, to)])
                }
            }),
        );
    let server = fakes::Server::start(app).await;
    listener_port.store(u32::from(server.addr.port()), Ordering::SeqCst);

    let s = spec(format!("{}/moved", server.url()), Some("ok"), 200);
    let report = probe(&http, &s, &timing).await;
    assert!(report.passed, "{report:?}");

    let s = spec(format!("{}/elsewhere", server.url()), Some("ok"), 200);
    let report = probe(&http, &s, &timing).await;
    assert!(!report.passed);
    let err = report.error.unwrap();
    assert!(err.contains("redirect to another host refused"), "{err}");
    assert!(err.contains("localhost"), "{err}");
}

#[tokio::test]
async fn a_hanging_app_times_out_on_time() {
    let (http, timing) = setup();
    let app = Router::new().route(
        "/",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late"
        }),
    );
    let server = fakes::Server::start(app).await;
    let started = Instant::now();
    let report = probe(
        &http,
        &spec(format!("{}/", server.url()), None, 400),
        &timing,
    )
    .await;
    let took = started.elapsed();
    assert!(!report.passed);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert_eq!(report.last_status, None);
    let err = report.error.unwrap();
    assert!(err.contains("no answer within"), "{err}");
}

#[tokio::test]
async fn connection_refused_is_reported() {
    let (http, timing) = setup();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let s = spec(format!("http://127.0.0.1:{port}/"), None, 150);
    let report = probe(&http, &s, &timing).await;
    assert!(!report.passed);
    assert!(report.attempts >= 1);
    assert!(report.error.unwrap().contains("127.0.0.1"));
}
