//! Owns the rounds of the watch: every interval (through `crate::wait`), for each service still
//! watched, one read of its deployment's instances, one health probe and one read of its HTTP
//! requests per status code since it went live, each bounded by [`READ_BOUND`]. The first
//! breach ends the watch. Metrics Railway will not give are a notice, and not asked for again.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::join_all;

use super::judge::{self, HealthStreak};
use super::{FAILURES_TO_BREACH, MIN_REQUESTS, WatchRequest};
use crate::health::probe::{ProbeSpec, probe_once};
use crate::railway::observe::{self, HttpQuery};
use crate::railway::status::DeploymentStatus;
use crate::railway::{RailwayClient, RailwayError};
use crate::record::{Breach, MetricsWatch, ServiceWatch, WatchReport, WatchSignal};
use crate::timing::Timing;
use crate::wait::{Next, Waiter};
use crate::workflow;

/// The longest one read may take, retries included: a Railway that stalls costs a round, not
/// the watch.
pub const READ_BOUND: Duration = Duration::from_secs(20);

/// One service to watch.
#[derive(Clone, Debug)]
pub struct Watched {
    pub name: String,
    pub service_id: String,
    pub deployment_id: String,
    /// When its new deployment went live: the metrics are read from here.
    pub live_since: DateTime<Utc>,
    /// Its health probe (`None`: the health check was skipped).
    pub probe: Option<ProbeSpec>,
}

/// What the rounds read with.
pub struct Watcher<'a> {
    pub client: &'a RailwayClient,
    pub http: &'a reqwest::Client,
    pub timing: &'a Timing,
    pub environment_id: &'a str,
}

/// How the watch went, and the notices to give.
pub struct Watch {
    pub report: WatchReport,
    pub notices: Vec<String>,
}

struct Tracked {
    target: Watched,
    streak: HealthStreak,
    metrics_on: bool,
    /// Its deployment was replaced during the watch: no longer read.
    ended: bool,
    last_read_error: Option<String>,
    seen: ServiceWatch,
}

#[derive(Default)]
struct Round {
    breach: Option<(WatchSignal, String)>,
    notices: Vec<String>,
}

/// Watches `services` for `req.window`, round by round; stops at the first breach.
pub async fn watch(w: &Watcher<'_>, req: &WatchRequest, services: Vec<Watched>) -> Watch {
    let started_at = Utc::now();
    let started = std::time::Instant::now();
    let mut tracked: Vec<Tracked> = services.into_iter().map(track).collect();
    let mut notices = Vec::new();
    let mut breach = None;
    let mut rounds = 0;
    // One more than the rounds: the first pause comes before the first round.
    let mut waiter = Waiter::rounds(req.rounds() + 1, *w.timing);
    // Reads that stall push the rounds late; the watch still ends about when it should.
    let ends = w.timing.scaled(req.window) + READ_BOUND;
    let late = |rounds: u32| {
        format!(
            "the watch ran out of time after {rounds} of {} rounds: Railway or the health URL answered slowly",
            req.rounds()
        )
    };
    while breach.is_none() && waiter.pause(req.interval, |_| {}).await == Next::Again {
        // A round never runs past the end either: the watch adds at most `READ_BOUND` to its
        // window, however slowly Railway and the health URL answer.
        let Some(left) = ends.checked_sub(started.elapsed()) else {
            notices.push(late(rounds));
            break;
        };
        let all = join_all(tracked.iter_mut().map(|t| round(w, req, t)));
        let Ok(results) = tokio::time::timeout(left, all).await else {
            notices.push(late(rounds));
            break;
        };
        rounds += 1;
        for (t, r) in tracked.iter().zip(results) {
            notices.extend(r.notices);
            if let (None, Some((signal, detail))) = (&breach, r.breach) {
                breach = Some(Breach {
                    service: t.target.name.clone(),
                    signal,
                    at: Utc::now(),
                    after: req.interval * rounds,
                    detail,
                });
            }
        }
        workflow::info(progress(rounds, req.rounds(), &tracked));
    }
    notices.extend(tracked.iter().filter_map(read_errors_notice));
    let report = WatchReport {
        window: req.window,
        interval: req.interval,
        max_error_rate: req.max_error_rate,
        min_requests: MIN_REQUESTS,
        failures_to_breach: FAILURES_TO_BREACH,
        started_at,
        duration: w.timing.unscaled(started.elapsed()),
        rounds,
        services: tracked.into_iter().map(|t| t.seen).collect(),
        breach,
    };
    Watch { report, notices }
}

fn track(target: Watched) -> Tracked {
    let seen = ServiceWatch {
        service: target.name.clone(),
        deployment_id: target.deployment_id.clone(),
        instances: Vec::new(),
        instance_reads: 0,
        read_errors: 0,
        probes: target.probe.as_ref().map(|_| Default::default()),
        metrics: MetricsWatch::NotRead,
    };
    Tracked {
        target,
        streak: HealthStreak::default(),
        metrics_on: true,
        ended: false,
        last_read_error: None,
        seen,
    }
}

/// One round for one service: instances, then health, then metrics; the first breach ends it.
async fn round(w: &Watcher<'_>, req: &WatchRequest, t: &mut Tracked) -> Round {
    let mut out = Round::default();
    if t.ended {
        return out;
    }
    out.breach = read_instances(w, t, &mut out.notices).await;
    if out.breach.is_some() || t.ended {
        return out;
    }
    if let Some(spec) = &t.target.probe {
        let probe = probe_once(w.http, spec, req.interval).await;
        out.breach = t
            .streak
            .record(probe, FAILURES_TO_BREACH)
            .map(|e| (WatchSignal::Health, e));
        t.seen.probes = Some(t.streak.tally);
        if out.breach.is_some() {
            return out;
        }
    }
    if t.metrics_on {
        out.breach = read_metrics(w, req, t, &mut out.notices).await;
    }
    out
}

/// Reads the deployment's instances: a breach, or the end of the watch of a replaced one.
async fn read_instances(
    w: &Watcher<'_>,
    t: &mut Tracked,
    notices: &mut Vec<String>,
) -> Option<(WatchSignal, String)> {
    t.seen.instance_reads += 1;
    let d = match bounded(observe::deployment_instances(
        w.client,
        &t.target.deployment_id,
    ))
    .await
    {
        Ok(d) => d,
        Err(e) => {
            t.seen.read_errors += 1;
            t.last_read_error = Some(e);
            return None;
        }
    };
    t.seen.instances = d
        .instances
        .iter()
        .map(|i| (i.id.clone(), i.status.as_str().to_string()))
        .collect();
    if let Some(evidence) = judge::instance_breach(&d) {
        return Some((WatchSignal::Instances, evidence));
    }
    if matches!(
        d.status,
        DeploymentStatus::Removed | DeploymentStatus::Removing
    ) {
        t.ended = true;
        notices.push(format!(
            "`{}`: deployment {} was {} during the watch (a newer deployment replaced it), so it is no longer watched",
            t.target.name, d.id, d.status
        ));
    }
    None
}

/// Reads the requests per status code since going live: a breach when the 5xx share is over
/// the limit; a notice (and no more reads) when Railway will not give them.
async fn read_metrics(
    w: &Watcher<'_>,
    req: &WatchRequest,
    t: &mut Tracked,
    notices: &mut Vec<String>,
) -> Option<(WatchSignal, String)> {
    let query = HttpQuery {
        environment_id: w.environment_id,
        service_id: &t.target.service_id,
        start: t.target.live_since,
        end: Utc::now(),
        step_seconds: super::metrics_step(req.window),
    };
    match bounded(observe::http_by_status(w.client, &query)).await {
        Ok(series) => {
            let live_since = t.target.live_since.timestamp();
            let intervals = judge::fold(&series, live_since, req.interval);
            let (requests, errors) = judge::totals(&intervals);
            t.seen.metrics = MetricsWatch::Read {
                requests,
                errors,
                intervals,
            };
            judge::error_rate_breach(requests, errors, req.max_error_rate, MIN_REQUESTS)
                .map(|e| (WatchSignal::ErrorRate, e))
        }
        Err(reason) => {
            t.metrics_on = false;
            notices.push(format!(
                "`{}`: Railway did not give the HTTP metrics ({reason}); the watch went on with the instances and the health probe",
                t.target.name
            ));
            t.seen.metrics = MetricsWatch::Unavailable { reason };
            None
        }
    }
}

/// A read within [`READ_BOUND`]; the error as a sentence ("Not Authorized" said plainly: the
/// token's hint about where tokens are made does not apply to metrics).
async fn bounded<T>(read: impl Future<Output = Result<T, RailwayError>>) -> Result<T, String> {
    match tokio::time::timeout(READ_BOUND, read).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(RailwayError::Unauthorized { operation, .. })) => Err(format!(
            "Railway answered \"Not Authorized\" to {operation} for this token"
        )),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {}s", READ_BOUND.as_secs())),
    }
}

fn read_errors_notice(t: &Tracked) -> Option<String> {
    let last = t.last_read_error.as_deref()?;
    Some(format!(
        "`{}`: Railway did not answer {} of {} reads of the deployment's instances during the watch (last: {last})",
        t.target.name, t.seen.read_errors, t.seen.instance_reads
    ))
}

/// `watch 3/10: web 1 running, health 3/3 ok, 120 requests, 0 5xx`.
fn progress(round: u32, of: u32, tracked: &[Tracked]) -> String {
    let parts: Vec<String> = tracked
        .iter()
        .map(|t| {
            let s = &t.seen;
            let running = s.instances.iter().filter(|i| i.1 == "RUNNING").count();
            let mut line = format!("{} {running} running", s.service);
            if let Some(p) = s.probes {
                line.push_str(&format!(", health {}/{} ok", p.made - p.failed, p.made));
            }
            if let MetricsWatch::Read {
                requests, errors, ..
            } = &s.metrics
            {
                line.push_str(&format!(", {requests} requests, {errors} 5xx"));
            }
            line
        })
        .collect();
    format!("watch {round}/{of}: {}", parts.join("; "))
}
