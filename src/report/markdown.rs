//! Owns the small Markdown pieces the job summary and the PR comment share: stage spans, safe
//! table cells and code fences, status words, the failed stage, truncation, and log tails with
//! credentials scrubbed (the plain wording, durations and short SHAs, is `crate::text`).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::record::{RunReport, ServiceState, Stage, StageOutcome, StageTiming};
use crate::text::{duration, scrub_credentials};

/// Every stage, in pipeline order.
pub const STAGE_ORDER: [Stage; 10] = [
    Stage::Resolve,
    Stage::Gate,
    Stage::Preview,
    Stage::Backup,
    Stage::Migrate,
    Stage::Build,
    Stage::Deploy,
    Stage::Health,
    Stage::Watch,
    Stage::Rollback,
];

/// One stage over the whole run: from its first start to its last end across services, with
/// the worst outcome (failed over passed over skipped).
#[derive(Clone, Debug, PartialEq)]
pub struct StageSpan {
    pub stage: Stage,
    pub start: DateTime<Utc>,
    pub duration: Duration,
    pub outcome: StageOutcome,
}

fn end_of(t: &StageTiming) -> DateTime<Utc> {
    t.started_at + chrono::Duration::from_std(t.duration).unwrap_or(chrono::Duration::zero())
}

fn worse(a: StageOutcome, b: StageOutcome) -> StageOutcome {
    let rank = |o| match o {
        StageOutcome::Failed => 2,
        StageOutcome::Passed => 1,
        StageOutcome::Skipped => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// The stages that ran, in pipeline order, concurrent services merged into one span each.
pub fn stage_spans(stages: &[StageTiming]) -> Vec<StageSpan> {
    STAGE_ORDER
        .iter()
        .filter_map(|stage| {
            let of: Vec<&StageTiming> = stages.iter().filter(|t| t.stage == *stage).collect();
            let start = of.iter().map(|t| t.started_at).min()?;
            let end = of.iter().map(|t| end_of(t)).max()?;
            let outcome = of
                .iter()
                .fold(StageOutcome::Skipped, |acc, t| worse(acc, t.outcome));
            Some(StageSpan {
                stage: *stage,
                start,
                duration: (end - start).to_std().unwrap_or(Duration::ZERO),
                outcome,
            })
        })
        .collect()
}

/// The first stage (in pipeline order) that failed.
pub fn failed_stage(r: &RunReport) -> Option<Stage> {
    stage_spans(&r.stages)
        .into_iter()
        .find(|s| s.outcome == StageOutcome::Failed)
        .map(|s| s.stage)
}

/// One service's stages: `build 1m 20s · deploy 40s`.
pub fn service_durations(r: &RunReport, service: &str) -> String {
    let own: Vec<StageTiming> = r
        .stages
        .iter()
        .filter(|t| t.service.as_deref() == Some(service))
        .cloned()
        .collect();
    stage_line(&stage_spans(&own))
}

/// `gate 12s · migrate 3s · deploy 40s` (a failed stage is marked).
pub fn stage_line(spans: &[StageSpan]) -> String {
    spans
        .iter()
        .map(|s| {
            let mark = match s.outcome {
                StageOutcome::Failed => " (failed)",
                StageOutcome::Skipped => " (skipped)",
                StageOutcome::Passed => "",
            };
            format!("{} {}{mark}", s.stage.as_str(), duration(s.duration))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

pub fn state_word(s: ServiceState) -> &'static str {
    match s {
        ServiceState::Planned => "⏸️ not deployed",
        ServiceState::Deployed => "✅ deployed",
        ServiceState::FailedBeforeLive => "❌ failed (previous deployment still serving)",
        ServiceState::FailedLive => "❌ failed after going live",
        ServiceState::RolledBack => "↩️ rolled back",
        ServiceState::Skipped => "⏭️ skipped",
    }
}

/// Text safe inside a table cell: one line, no `|`, no raw HTML.
pub fn cell(s: &str) -> String {
    let one_line = s.replace(['\r', '\n'], " ");
    truncate(&escape_html(&one_line), 300).replace('|', "\\|")
}

/// Text safe outside a code block: no raw HTML.
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A code block whose fence is longer than any backtick run inside it.
pub fn code_block(lang: &str, body: &str) -> String {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}{lang}\n{body}\n{fence}\n")
}

/// `s` cut to at most `max` characters, with `…` when cut.
use crate::text::truncate;

/// The backup taken before migrating, and how to restore it (`None`: no backup was taken).
pub fn backup_line(r: &RunReport) -> Option<String> {
    let b = r.backup.as_ref()?;
    Some(format!(
        "**Backup before migrating:** `{}` of volume `{}` (service `{}`), taken in {}; restore it from the {} of `{}` in Railway.",
        cell(&b.name),
        cell(&b.volume),
        cell(&b.service),
        duration(b.duration),
        link("Backups tab", Some(&b.restore_url)),
        cell(&b.service)
    ))
}

/// `[text](url)` when there is a URL, else the text.
pub fn link(text: &str, url: Option<&str>) -> String {
    match url {
        Some(u) if u.starts_with("https://") || u.starts_with("http://") => {
            format!("[{text}]({})", u.replace(' ', "%20").replace(')', "%29"))
        }
        _ => text.to_string(),
    }
}

/// The service's previous deployment as a dashboard link, when one was recorded.
pub fn previous_deployment_link(s: &crate::record::ServiceReport) -> Option<String> {
    let id = s.previous_deployment_id.as_deref()?;
    Some(link(
        &format!("`{}`", cell(id)),
        s.previous_dashboard_url.as_deref(),
    ))
}

/// The line pointing at the repository's `rollback.yml` (only when the checkout has one).
pub fn rollback_workflow_line(r: &RunReport) -> Option<String> {
    let url = r.rollback_workflow_url.as_deref()?;
    Some(format!(
        "Or from GitHub: run the [rollback workflow]({url}) (**Run workflow**, with `to`, `service` and `environment`).\n"
    ))
}

/// The last `max_lines` lines of a log, each scrubbed and cut to `max_width` characters.
pub fn log_tail(lines: &[String], max_lines: usize, max_width: usize) -> String {
    let skip = lines.len().saturating_sub(max_lines);
    lines[skip..]
        .iter()
        .map(|l| truncate(&scrub_credentials(l), max_width))
        .collect::<Vec<_>>()
        .join("\n")
}

/// After an automatic rollback, the deployment serving now, linked to its dashboard page.
pub fn now_serving(r: &RunReport, s: &crate::record::ServiceReport) -> Option<String> {
    let id = s.serving_after_rollback.as_deref()?;
    let page = match (&r.project_id, &r.environment_id) {
        (Some(project), Some(environment)) => Some(crate::railway::dashboard_url(
            project,
            &s.service_id,
            environment,
            id,
        )),
        _ => None,
    };
    Some(link(&format!("`{}`", cell(id)), page.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Stage;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn timing(
        stage: Stage,
        service: Option<&str>,
        start: i64,
        secs: u64,
        o: StageOutcome,
    ) -> StageTiming {
        StageTiming {
            stage,
            service: service.map(str::to_string),
            started_at: at(start),
            duration: Duration::from_secs(secs),
            outcome: o,
        }
    }

    #[test]
    fn concurrent_services_merge_into_one_span_in_pipeline_order() {
        let stages = vec![
            timing(Stage::Deploy, Some("web"), 10, 30, StageOutcome::Passed),
            timing(Stage::Deploy, Some("worker"), 12, 40, StageOutcome::Failed),
            timing(Stage::Gate, None, 0, 10, StageOutcome::Passed),
        ];
        let spans = stage_spans(&stages);
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].stage, Stage::Gate);
        assert_eq!(spans[1].duration, Duration::from_secs(42));
        assert_eq!(spans[1].outcome, StageOutcome::Failed);
        assert_eq!(stage_line(&spans), "gate 10s · deploy 42s (failed)");
    }

    #[test]
    fn cells_and_fences_cannot_break_out() {
        assert_eq!(cell("a|b\n<c>"), "a\\|b &lt;c&gt;");
        let block = code_block("", "x ``` y");
        assert!(block.starts_with("````\n"), "{block}");
        assert!(block.ends_with("\n````\n"));
    }
}
