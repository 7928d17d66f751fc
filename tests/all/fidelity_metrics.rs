//! Item 7 of the `fidelity:` issue: the watch asks for metrics with a `stepSeconds` public clients
//! send (railwayapp/cli 5.43.1, `compute_sample_rate`: 30 for a window up to an hour), and never
//! counts a step that began before the deployment went live: metrics are per service, so that
//! step holds the previous deployment's requests. The fake aligns steps on the epoch.

use crate::support::cli::Runner;
use fakes::railway::{FakeRailway, RailwayWorld};

#[tokio::test]
async fn the_previous_deployment_s_5xx_do_not_breach_the_new_one() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    {
        let mut w = rw.world();
        w.script_http_before_live("svc-web", &[(503, 500.0), (200, 10.0)]);
        const STEADY: &[(u16, f64)] = &[(200, 48.0)];
        w.script_http("svc-web", &[STEADY; 10]);
    }
    let mut r = Runner::new(&rw.api_url());
    r.input("watch", "1m").input("service", "web");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "success");
    let body = crate::support::requests::operation_bodies(&rw.requests(), "HttpMetricsByStatus");
    assert_eq!(body[0]["variables"]["stepSeconds"], 30);
}
