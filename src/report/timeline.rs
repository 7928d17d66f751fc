//! Owns the job summary's timeline: a mermaid `gantt` chart of the run's stages, one section for
//! the run and one per service, at millisecond precision, so stages that last a few hundred
//! milliseconds keep their true widths and order. Time is plotted since the run's first stage
//! started (`dateFormat x` with 0 at that start), and the axis prints it with `%s` (seconds since
//! 0) and `%L`, which d3 formats the same in every time zone: a wall-clock format (`%M:%S`,
//! `%H:%M`) would print the clock's minute, or the viewer's local hour. Passed stages
//! are `done` bars, failed ones `crit` bars, and skipped ones `milestone`s named "… skipped".
//!
//! Decision (checking that it renders): the chart is checked against mermaid's gantt grammar by
//! a structural test of our own (`tests/summary_timeline.rs`), not by mermaid itself: the
//! `mermaid` npm package's parser needs a DOM (DOMPurify, d3 selections) and
//! `@mermaid-js/mermaid-cli` drives a headless Chromium, neither of which CI may download.

use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::record::{RunReport, StageOutcome};
use crate::report::markdown::{StageSpan, stage_spans};
use crate::text::duration;

/// A bar is at least this share of the whole chart wide (1/200), so a 2 ms stage stays visible
/// beside a 10-minute build without lying much about its length.
const MIN_BAR_SHARE: u32 = 200;

/// Mermaid task names may not hold `:` (it starts the task data), `#` or `;` (comments and
/// statement ends), nor line breaks.
pub fn task_name(s: &str) -> String {
    s.chars()
        .map(|c| if ":#;\n\r".contains(c) { ' ' } else { c })
        .collect()
}

/// The axis labels' format for a chart spanning `span`: seconds since the start, with
/// milliseconds for short runs. Both read the same in every viewer's time zone.
pub fn axis_format(span: Duration) -> &'static str {
    match span.as_secs() {
        0..10 => "%s.%L s",
        _ => "%s s",
    }
}

/// Each section's name and its merged stage spans, the run's own first.
fn sections(r: &RunReport) -> Vec<(String, Vec<StageSpan>)> {
    let mut names: Vec<Option<&str>> = vec![None];
    for t in &r.stages {
        if t.service.is_some() && !names.contains(&t.service.as_deref()) {
            names.push(t.service.as_deref());
        }
    }
    names
        .into_iter()
        .filter_map(|name| {
            let own: Vec<_> = r
                .stages
                .iter()
                .filter(|t| t.service.as_deref() == name)
                .cloned()
                .collect();
            let spans = stage_spans(&own);
            (!spans.is_empty()).then(|| (task_name(name.unwrap_or("run")), spans))
        })
        .collect()
}

fn end_of(s: &StageSpan) -> DateTime<Utc> {
    s.start + chrono::Duration::from_std(s.duration).unwrap_or(chrono::Duration::zero())
}

/// One task line: `name :tag, id, start, end`, start and end in milliseconds since `origin`.
fn task_line(s: &StageSpan, id: usize, min_bar: Duration, origin: DateTime<Utc>) -> String {
    let start = (s.start - origin).num_milliseconds().max(0);
    let (name, tag, end) = match s.outcome {
        StageOutcome::Skipped => (format!("{} skipped", s.stage.as_str()), "milestone", start),
        outcome => {
            let width = s.duration.max(min_bar).as_millis();
            let width = i64::try_from(width).unwrap_or(i64::MAX);
            let tag = if outcome == StageOutcome::Failed {
                "crit"
            } else {
                "done"
            };
            let name = format!("{} {}", s.stage.as_str(), duration(s.duration));
            (name, tag, start.saturating_add(width))
        }
    };
    format!("    {name} :{tag}, s{id}, {start}, {end}")
}

/// Appends the `### Timeline` section (nothing when no stage was timed).
pub fn timeline(out: &mut String, r: &RunReport) {
    let sections = sections(r);
    let spans = || sections.iter().flat_map(|(_, s)| s.iter());
    let (Some(first), Some(last)) = (spans().map(|s| s.start).min(), spans().map(end_of).max())
    else {
        return;
    };
    let span = (last - first).to_std().unwrap_or(Duration::ZERO);
    let min_bar = (span / MIN_BAR_SHARE).max(Duration::from_millis(1));
    let _ = writeln!(out, "### Timeline\n");
    let _ = writeln!(out, "Seconds since the run started ({}).\n", duration(span));
    let _ = writeln!(out, "```mermaid\ngantt");
    let _ = writeln!(out, "    dateFormat x");
    let _ = writeln!(out, "    axisFormat {}", axis_format(span));
    let _ = writeln!(out, "    todayMarker off");
    let mut id = 0;
    for (name, spans) in &sections {
        let _ = writeln!(out, "    section {name}");
        for s in spans {
            id += 1;
            let _ = writeln!(out, "{}", task_line(s, id, min_bar, first));
        }
    }
    let _ = writeln!(out, "```\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Stage, StageTiming};

    fn at_ms(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_795_852_800_000 + ms).unwrap()
    }

    fn stage(stage: Stage, start_ms: i64, ms: u64, outcome: StageOutcome) -> StageTiming {
        StageTiming {
            stage,
            service: None,
            started_at: at_ms(start_ms),
            duration: Duration::from_millis(ms),
            outcome,
        }
    }

    #[test]
    fn short_stages_keep_their_milliseconds_and_skipped_ones_are_milestones() {
        let mut r = RunReport::new("deploy", "commit", false, at_ms(0));
        r.stages = vec![
            stage(Stage::Resolve, 0, 120, StageOutcome::Passed),
            stage(Stage::Gate, 120, 0, StageOutcome::Skipped),
            stage(Stage::Deploy, 130, 870, StageOutcome::Failed),
        ];
        let mut out = String::new();
        timeline(&mut out, &r);
        let t0 = 0;
        assert!(
            out.contains("    dateFormat x\n    axisFormat %s.%L s\n"),
            "{out}"
        );
        assert!(
            out.contains(&format!("resolve 120ms :done, s1, {t0}, {}\n", t0 + 120)),
            "{out}"
        );
        assert!(
            out.contains(&format!(
                "gate skipped :milestone, s2, {}, {}\n",
                t0 + 120,
                t0 + 120
            )),
            "{out}"
        );
        assert!(
            out.contains(&format!(
                "deploy 870ms :crit, s3, {}, {}\n",
                t0 + 130,
                t0 + 1000
            )),
            "{out}"
        );
    }

    #[test]
    fn a_zero_length_stage_still_gets_a_visible_bar() {
        let mut r = RunReport::new("deploy", "commit", false, at_ms(0));
        r.stages = vec![
            stage(Stage::Resolve, 0, 0, StageOutcome::Passed),
            stage(Stage::Build, 0, 200_000, StageOutcome::Passed),
        ];
        let mut out = String::new();
        timeline(&mut out, &r);
        let t0 = 0;
        // 1/200 of the 200 s chart.
        assert!(
            out.contains(&format!("resolve 0ms :done, s1, {t0}, {}\n", t0 + 1000)),
            "{out}"
        );
        assert!(out.contains("axisFormat %s s\n"), "{out}");
    }

    #[test]
    fn axis_formats_follow_the_chart_span() {
        assert_eq!(axis_format(Duration::from_millis(900)), "%s.%L s");
        assert_eq!(axis_format(Duration::from_secs(95)), "%s s");
        assert_eq!(axis_format(Duration::from_secs(5400)), "%s s");
        assert_eq!(task_name("a:b#c;d\ne"), "a b c d e");
    }

    #[test]
    fn no_stages_no_timeline() {
        let r = RunReport::new("deploy", "commit", false, at_ms(0));
        let mut out = String::new();
        timeline(&mut out, &r);
        assert!(out.is_empty());
    }
}
