//! Item 9 of the `fidelity:` issue: an environment's service and volume instances are read as
//! pages of 500, as Railway's CLI reads them (5.43.1, `controllers/project.rs`). The fake answers a
//! connection read without `first` with one node and `hasNextPage`.

use crate::support::cli::Runner;
use crate::support::requests::first_operation;
use fakes::railway::{FakeRailway, RailwayWorld};

#[tokio::test]
async fn the_second_service_of_an_environment_is_found() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let mut r = Runner::new(&rw.api_url());
    r.input("service", "worker");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let read = first_operation(&rw.requests(), "ProjectToken");
    let query = read.body_json().unwrap()["query"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(query.contains("serviceInstances(first: 500)"), "{query}");
}
