//! Serves the project's fake Railway (standard world: project `shop`, services `web` and `worker`,
//! project token `tok-staging`) on loopback until stdin closes, printing its GraphQL URL and the
//! URL of a healthy stand-in app. Used by `bench/deploy.sh` to measure a real binary's deploy.

use std::io::Read;

use fakes::railway::{FakeRailway, RailwayWorld};

#[tokio::main]
async fn main() {
    let fake = FakeRailway::start(RailwayWorld::standard()).await;
    println!("{} {}", fake.api_url(), fake.app_health_url());
    // Blocks a worker thread, not the server: the server runs on the runtime's other threads.
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await;
    eprintln!("fake Railway served {} requests", fake.requests().len());
}
