//! Owns the gate step: waits until the commit's other checks pass (`crate::gate`), records what
//! it saw, and stops the run (failed, nothing changed) when they did not pass.

use chrono::Utc;

use super::context::Context;
use crate::gate::GateRequest;
use crate::record::{RunReport, Stage, StageTiming, Stop};
use crate::workflow;

/// Runs the gate step.
pub async fn run(
    cx: &Context<'_>,
    request: &GateRequest,
    report: &mut RunReport,
) -> Result<(), Stop> {
    let started_at = Utc::now();
    let started = std::time::Instant::now();
    workflow::group_start("Checks");
    let gate = crate::gate::wait_for_checks(cx.github.as_ref(), request, &cx.timing).await;
    workflow::group_end();
    let passed = gate.passed;
    report.stages.push(StageTiming::ended(
        Stage::Gate,
        None,
        started_at,
        started,
        passed,
    ));
    let reason = gate.reason.clone();
    report.gate = Some(gate);
    if passed {
        return Ok(());
    }
    let why = reason.unwrap_or_else(|| "the commit's checks did not pass".into());
    workflow::error_titled("Checks did not pass", &why);
    // The gate's reasons already say "Nothing was deployed"; don't say it twice.
    let failure = if why.to_ascii_lowercase().contains("nothing was deployed") {
        why
    } else {
        format!("{why}; nothing was deployed")
    };
    Err(Stop::failed_quietly(failure))
}
