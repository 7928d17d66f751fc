//! Serves the project's fake Railway (standard world: project `shop`, services `web` and `worker`,
//! project token `tok-staging`) on loopback until stdin closes, printing its GraphQL URL and the
//! URL of a healthy stand-in app. Used by `bench/deploy.sh` to measure a real binary's deploy.
//!
//!   fake_railway [--no-websocket] [--deploy-secs N]
//!
//! `--no-websocket` refuses websocket upgrades (clients must poll); `--deploy-secs N` makes a new
//! deployment's statuses advance with time so that it reaches SUCCESS N seconds after it was
//! created, whoever reads it. On exit it prints to stderr the requests served and, per new
//! deployment, the Unix time (ms) its final status was due, for the bench to compare with the
//! client's exit.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::exit,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "a developer tool, not the action: it prints, exits and reads its environment itself"
)]

use std::io::Read;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fakes::railway::world::STANDARD_SCRIPT;
use fakes::railway::{FakeRailway, RailwayWorld};

#[tokio::main]
async fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut world = RailwayWorld::standard();
    if argv.iter().any(|a| a == "--no-websocket") {
        world.websockets = false;
    }
    let deploy_secs = argv
        .iter()
        .position(|a| a == "--deploy-secs")
        .and_then(|i| argv.get(i + 1))
        .and_then(|v| v.parse::<f64>().ok());
    if let Some(secs) = deploy_secs {
        world.step_every = Some(Duration::from_secs_f64(secs / STANDARD_SCRIPT.len() as f64));
    }
    let fake = FakeRailway::start(world).await;
    println!("{} {}", fake.api_url(), fake.app_health_url());
    // Blocks a worker thread, not the server: the server runs on the runtime's other threads.
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await;
    let subscriptions = fake.subscriptions();
    eprintln!(
        "fake Railway served {} requests ({} websocket upgrades, {} subscriptions: {})",
        fake.requests().len(),
        fake.upgrades().len(),
        subscriptions.len(),
        subscriptions.join(" ")
    );
    let world = fake.world();
    if let Some(every) = world.step_every {
        let (now, wall) = (Instant::now(), SystemTime::now());
        for d in world
            .deployments
            .iter()
            .filter(|d| d.id.starts_with("dep-new-"))
        {
            let due = d.created + every * (d.steps + d.script.len()) as u32;
            let at = match now.checked_duration_since(due) {
                Some(ago) => wall - ago,
                None => wall + (due - now),
            };
            let ms = at.duration_since(UNIX_EPOCH).map_or(0, |t| t.as_millis());
            eprintln!("final status of {} due at unix_ms {ms}", d.id);
        }
    }
}
