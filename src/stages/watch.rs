//! Owns the watch stage of a deploy run: once every service passed its health check, watch the
//! services that went live (`crate::watch`), record what it saw (`RunReport.watch`, a `watch`
//! stage per service), give its notices, and hand a breach to the rollback step that follows:
//! the breaching service fails after going live, with the evidence (which signal, when, the
//! figures) as its failure.

use chrono::{DateTime, Utc};

use super::context::Context;
use crate::health::check::Probe;
use crate::record::{Breach, RunReport, ServiceReport, ServiceState, Stage, StageTiming, Stop};
use crate::text::duration_as_input as duration;
use crate::watch::WatchRequest;
use crate::watch::run::{Watched, Watcher, watch};
use crate::workflow;

/// Runs the watch when every service that was checked passed (none failed after going live)
/// and at least one went live; otherwise does nothing (no request).
pub async fn watch_release(
    cx: &Context<'_>,
    req: &WatchRequest,
    report: &mut RunReport,
) -> Result<(), Stop> {
    let (c, http, timing, scope) = (&cx.client, &cx.http, &cx.timing, cx.scope()?);
    let Some(services) = to_watch(req, report) else {
        return Ok(());
    };
    let names: Vec<String> = services.iter().map(|s| format!("`{}`", s.name)).collect();
    workflow::group_start("Watch");
    workflow::info(format!(
        "watching {} for {}: instances, health probe and 5xx share every {} ({} rounds)",
        names.join(", "),
        duration(req.window),
        duration(req.interval),
        req.rounds()
    ));
    let started_at = Utc::now();
    let started = std::time::Instant::now();
    let watcher = Watcher {
        client: c,
        http,
        timing,
        environment_id: &scope.environment.id,
    };
    let outcome = watch(&watcher, req, services).await;
    workflow::group_end();
    for n in &outcome.notices {
        workflow::notice(n);
    }
    report.notices.extend(outcome.notices);
    let breach = outcome.report.breach.clone();
    for s in &outcome.report.services {
        let passed = breach.as_ref().is_none_or(|b| b.service != s.service);
        let timing =
            StageTiming::ended(Stage::Watch, Some(&s.service), started_at, started, passed);
        report.stages.push(timing);
    }
    if let Some(b) = &breach {
        let window = req.window;
        if let Some(s) = report.services.iter_mut().find(|s| s.name == b.service) {
            fail(s, b, window);
        }
    } else {
        workflow::info(format!("watch: no breach in {}", duration(req.window)));
    }
    report.watch = Some(outcome.report);
    Ok(())
}

/// The services to watch, or `None` when the watch does not run.
fn to_watch(req: &WatchRequest, report: &RunReport) -> Option<Vec<Watched>> {
    if report
        .services
        .iter()
        .any(|s| s.state == ServiceState::FailedLive)
    {
        return None;
    }
    let services: Vec<Watched> = report
        .services
        .iter()
        .filter(|s| s.state == ServiceState::Deployed)
        .filter_map(|s| {
            let deployment_id = s.deployment_id.clone()?;
            let probe = req
                .checks
                .iter()
                .find(|c| c.service_id == s.service_id)
                .and_then(|c| match &c.probe {
                    Probe::Check(spec) => Some(spec.clone()),
                    Probe::Skip(_) => None,
                });
            Some(Watched {
                name: s.name.clone(),
                service_id: s.service_id.clone(),
                deployment_id,
                live_since: live_since(report, &s.name).unwrap_or_else(Utc::now),
                probe,
            })
        })
        .collect();
    (!services.is_empty()).then_some(services)
}

/// When the service's deploy stage ended: its new deployment went live then.
fn live_since(report: &RunReport, service: &str) -> Option<DateTime<Utc>> {
    report
        .stages
        .iter()
        .filter(|t| t.stage == Stage::Deploy && t.service.as_deref() == Some(service))
        .filter_map(|t| {
            chrono::Duration::from_std(t.duration)
                .ok()
                .map(|d| t.started_at + d)
        })
        .max()
}

/// The breaching service failed after going live; its failure is the evidence.
fn fail(s: &mut ServiceReport, b: &Breach, window: std::time::Duration) {
    s.state = ServiceState::FailedLive;
    s.failure = Some(format!(
        "the watch after going live found a breach ({}): {}, at {} ({} into the {} watch)",
        b.signal.as_str(),
        b.detail,
        b.at.format("%H:%M:%S UTC"),
        duration(b.after),
        duration(window)
    ));
}
