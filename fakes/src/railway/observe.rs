//! What the fake Railway answers to the watch after going live: a deployment's instances (a
//! script per service of the statuses its new deployment's instance goes through once live, so
//! an instance can crash after going live; a CRASHED instance makes the deployment CRASHED, as
//! Railway does once its restarts run out), a service's HTTP requests per status code (a series
//! scripted per test, one step more visible at each read, as time passes, in steps aligned on the
//! epoch: the first scripted step is the first that begins at or after `startDate`, and
//! `script_http_before_live` fills the step that began before it; a `stepSeconds` that no public
//! client sends is refused, as Railway's answer to it is not public), metrics refused (a
//! GraphQL error such as "Not Authorized"), and the deployed app's `/app/health` answers.

use std::collections::{HashMap, VecDeque};

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::RailwayState;
use super::world::RailwayWorld;

#[derive(Clone, Debug, Default)]
pub struct ObserveWorld {
    /// Service id → statuses the instance of its new deployments reports once SUCCESS, one per
    /// read (the last one stays); none: `RUNNING`.
    pub instance_scripts: HashMap<String, Vec<String>>,
    /// Deployment id → its instance reads so far.
    pub instance_reads: HashMap<String, usize>,
    /// Service id → per step, the requests counted per status code in it; the n-th read shows
    /// the first n steps.
    pub http: HashMap<String, Vec<Vec<(u16, f64)>>>,
    /// Service id → the requests of the epoch-aligned step that began before `startDate` (the
    /// previous deployment's, as metrics are per service); none by default.
    pub http_before_live: HashMap<String, Vec<(u16, f64)>>,
    /// Service id → its metrics reads so far.
    pub http_reads: HashMap<String, usize>,
    /// `Some(message)`: the metrics query answers this GraphQL error (Railway's "Not Authorized"
    /// for a token that may not read them).
    pub metrics_error: Option<String>,
    /// Statuses `/app/health` answers, one per request (then 200).
    pub health: VecDeque<u16>,
    /// `Some(message)`: the instances query answers this GraphQL error.
    pub instances_error: Option<String>,
}

impl RailwayWorld {
    /// The instance of new deployments of `service_id` goes through `statuses` once live.
    pub fn script_instances(&mut self, service_id: &str, statuses: &[&str]) {
        self.observe.instance_scripts.insert(
            service_id.into(),
            statuses.iter().map(|s| s.to_string()).collect(),
        );
    }

    /// `service_id` served, per step, these (status code, requests).
    pub fn script_http(&mut self, service_id: &str, steps: &[&[(u16, f64)]]) {
        self.observe.http.insert(
            service_id.into(),
            steps.iter().map(|s| s.to_vec()).collect(),
        );
    }

    /// The step that began before the deployment went live held these (status code, requests).
    pub fn script_http_before_live(&mut self, service_id: &str, counts: &[(u16, f64)]) {
        self.observe
            .http_before_live
            .insert(service_id.into(), counts.to_vec());
    }

    /// `/app/health` answers these statuses, one per request, then 200 again.
    pub fn script_app_health(&mut self, statuses: &[u16]) {
        self.observe.health = statuses.iter().copied().collect();
    }
}

/// Answers the watch's operations; `None` for any other.
pub(crate) fn answer(world: &mut RailwayWorld, op: &str, vars: &Value) -> Option<Value> {
    let v = |k: &str| vars.get(k).and_then(Value::as_str).unwrap_or_default();
    match op {
        "DeploymentInstances" => Some(match &world.observe.instances_error {
            Some(message) => json!({ "data": null, "errors": [{ "message": message }] }),
            None => instances(world, v("id")),
        }),
        "HttpMetricsByStatus" => Some(match &world.observe.metrics_error {
            Some(message) => json!({ "data": null, "errors": [{ "message": message }] }),
            None => http(world, v("serviceId"), v("startDate"), vars),
        }),
        _ => None,
    }
}

fn instances(world: &mut RailwayWorld, id: &str) -> Value {
    let Some(d) = world.deployment(id).cloned() else {
        return json!({ "data": null, "errors": [{ "message": "Deployment not found" }] });
    };
    let reads = world.observe.instance_reads.entry(id.into()).or_default();
    let read = *reads;
    *reads += 1;
    let fresh = d.id.starts_with("dep-new-") && d.meta.get("rollbackOf").is_none();
    let script = world.observe.instance_scripts.get(&d.service_id);
    let status = match d.status.as_str() {
        "SUCCESS" | "CRASHED" => match script.filter(|_| fresh) {
            Some(s) if !s.is_empty() => s[read.min(s.len() - 1)].clone(),
            _ if d.status == "CRASHED" => "CRASHED".into(),
            _ => "RUNNING".into(),
        },
        "REMOVED" => "REMOVED".into(),
        _ => "INITIALIZING".into(),
    };
    if status == "CRASHED"
        && let Some(d) = world.deployment_mut(id)
    {
        d.status = "CRASHED".into();
    }
    let status_now = world
        .deployment(id)
        .map(|d| d.status.clone())
        .unwrap_or_default();
    let instances = if status == "REMOVED" {
        vec![]
    } else {
        vec![json!({ "id": format!("{id}-inst-1"), "status": status })]
    };
    json!({ "data": { "deployment": { "id": id, "status": status_now, "instances": instances } } })
}

/// The `stepSeconds` values public clients send (railwayapp/cli 5.43.1, `compute_sample_rate`).
const PUBLIC_STEPS: &[i64] = &[30, 60, 240, 3600, 14400];

fn http(world: &mut RailwayWorld, service_id: &str, start: &str, vars: &Value) -> Value {
    let step = vars
        .get("stepSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(60);
    if !PUBLIC_STEPS.contains(&step) {
        return json!({ "data": null, "errors": [{ "message": format!("Problem processing request: stepSeconds {step} is not supported by the fake") }] });
    }
    let start = unix_seconds(start).unwrap_or(0);
    // Epoch-aligned: the first scripted step is the first one that begins at or after `start`.
    let first = start.div_euclid(step) * step;
    let first = if first < start { first + step } else { first };
    let reads = world
        .observe
        .http_reads
        .entry(service_id.into())
        .or_default();
    *reads += 1;
    let shown = *reads;
    let steps = world
        .observe
        .http
        .get(service_id)
        .cloned()
        .unwrap_or_default();
    let mut by_code: Vec<(u16, Vec<Value>)> = Vec::new();
    let mut add = |code: u16, ts: i64, value: f64| {
        let sample = json!({ "ts": ts, "value": value });
        match by_code.iter_mut().find(|(c, _)| *c == code) {
            Some((_, samples)) => samples.push(sample),
            None => by_code.push((code, vec![sample])),
        }
    };
    if let Some(before) = world.observe.http_before_live.get(service_id) {
        for &(code, value) in before {
            add(code, first - step, value);
        }
    }
    for (i, counts) in steps.iter().take(shown).enumerate() {
        let ts = first + step * i as i64;
        for &(code, value) in counts {
            add(code, ts, value);
        }
    }
    let groups: Vec<Value> = by_code
        .into_iter()
        .map(|(code, samples)| json!({ "statusCode": code, "samples": samples }))
        .collect();
    json!({ "data": { "httpMetricsGroupedByStatus": groups } })
}

/// `2026-12-02T00:41:12Z` (or with fractional seconds / an offset of `+00:00`) → Unix seconds.
fn unix_seconds(s: &str) -> Option<i64> {
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.trim_end_matches('Z').trim_end_matches("+00:00");
    let mut t = time.split(':');
    let (h, min) = (
        t.next()?.parse::<i64>().ok()?,
        t.next()?.parse::<i64>().ok()?,
    );
    let sec = t.next()?.split('.').next()?.parse::<i64>().ok()?;
    Some(days_from_civil(y, m, day) * 86_400 + h * 3600 + min * 60 + sec)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `GET /app/health`: the deployed app; answers the scripted statuses, then 200.
pub(crate) async fn app_health(State(state): State<RailwayState>) -> (StatusCode, &'static str) {
    let next = {
        let mut world = state.world.lock().unwrap_or_else(|e| e.into_inner());
        world.observe.health.pop_front()
    };
    match next.and_then(|s| StatusCode::from_u16(s).ok()) {
        Some(s) if s != StatusCode::OK => (s, r#"{"status":"unavailable"}"#),
        _ => (StatusCode::OK, r#"{"status":"ok"}"#),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_unix_seconds() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix_seconds("2026-12-02T00:41:12Z"), Some(1_796_172_072));
        assert_eq!(
            unix_seconds("2026-12-02T00:41:12.500+00:00"),
            Some(1_796_172_072)
        );
        assert_eq!(unix_seconds("yesterday"), None);
    }
}
