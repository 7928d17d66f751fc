//! Owns how the watch after going live reads in the job summary (a `### Watch` section: the
//! verdict with the breach's evidence, a row per service, and a mermaid `xychart-beta` of
//! requests and 5xx per interval for each service whose metrics were read) and in the PR
//! comment (one line).

use std::fmt::Write as _;
use std::time::Duration;

use crate::record::{Breach, MetricsWatch, RunReport, ServiceWatch, WatchReport};
use crate::report::markdown::{cell, escape_html};
use crate::text::{duration_as_input, percent};

/// A chart shows at most this many intervals; longer watches merge neighbours.
const MAX_POINTS: usize = 60;

/// Appends the `### Watch` section (nothing when the watch did not run).
pub fn section(out: &mut String, r: &RunReport) {
    let Some(w) = &r.watch else { return };
    let _ = writeln!(out, "### Watch\n");
    let _ = writeln!(out, "{}\n", verdict(w));
    let _ = writeln!(
        out,
        "| Service | Instances | Health probes | Requests | 5xx |\n|---|---|---|---|---|"
    );
    for s in &w.services {
        let (requests, errors) = metric_cells(&s.metrics);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {requests} | {errors} |",
            cell(&s.service),
            instances_cell(s),
            probes_cell(s, w.failures_to_breach)
        );
    }
    let _ = writeln!(
        out,
        "\nThe 5xx share is judged once a service has served at least {} requests since going live (limit {}).\n",
        w.min_requests,
        percent(w.max_error_rate)
    );
    for s in &w.services {
        if let MetricsWatch::Read { intervals, .. } = &s.metrics
            && !intervals.is_empty()
        {
            out.push_str(&chart(&s.service, w.interval, w.window, intervals));
        }
    }
}

/// Which service, which signal, when and the evidence: "`web` (instances) at 12:00:03 UTC, 1m into
/// the 5m watch: …" (the summary and the comment say it alike).
fn breach(w: &WatchReport, b: &Breach) -> String {
    format!(
        "`{}` ({}) at {}, {} into the {} watch: {}",
        cell(&b.service),
        b.signal.as_str(),
        b.at.format("%H:%M:%S UTC"),
        duration_as_input(b.after),
        duration_as_input(w.window),
        escape_html(&b.detail)
    )
}

/// No breach, or which service, which signal, when and the evidence.
fn verdict(w: &WatchReport) -> String {
    let how = format!(
        "{}, every {}",
        rounds(w.rounds),
        duration_as_input(w.interval)
    );
    match &w.breach {
        None => format!("✅ No breach in {} ({how}).", duration_as_input(w.window)),
        Some(b) => format!("❌ **Breach** of {} ({how}).", breach(w, b)),
    }
}

/// `RUNNING ×2` (the statuses at the last read), with the reads Railway did not answer.
fn instances_cell(s: &ServiceWatch) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for (_, status) in &s.instances {
        match counts.iter_mut().find(|(st, _)| st == status) {
            Some((_, n)) => *n += 1,
            None => counts.push((status, 1)),
        }
    }
    let mut text = if counts.is_empty() {
        "none seen".to_string()
    } else {
        let parts: Vec<String> = counts.iter().map(|(st, n)| format!("{st} ×{n}")).collect();
        parts.join(", ")
    };
    if s.read_errors > 0 {
        let _ = write!(
            text,
            " ({} of {} reads unanswered)",
            s.read_errors, s.instance_reads
        );
    }
    cell(&text)
}

fn probes_cell(s: &ServiceWatch, limit: u32) -> String {
    match s.probes {
        None => "skipped (no health check)".into(),
        Some(p) if p.failed == 0 => format!("{} of {} passed", p.made, p.made),
        Some(p) => format!(
            "{} of {} failed ({limit} in a row is a breach)",
            p.failed, p.made
        ),
    }
}

fn metric_cells(m: &MetricsWatch) -> (String, String) {
    match m {
        MetricsWatch::Read {
            requests, errors, ..
        } => {
            let share = if *requests > 0 {
                format!(" ({})", percent(*errors as f64 / *requests as f64))
            } else {
                String::new()
            };
            (requests.to_string(), format!("{errors}{share}"))
        }
        MetricsWatch::Unavailable { reason } => {
            (format!("unavailable: {}", cell(reason)), String::new())
        }
        MetricsWatch::NotRead => ("not read".into(), String::new()),
    }
}

/// A mermaid `xychart-beta`: bars of requests, a line of 5xx, per interval since going live, each
/// labelled by its end (never past the watch's `window`). xychart has no legend: the title names
/// the colours the chart's palette gives the bars and the line.
fn chart(
    service: &str,
    interval: Duration,
    window: Duration,
    intervals: &[crate::record::IntervalCount],
) -> String {
    let per = intervals.len().div_ceil(MAX_POINTS).max(1);
    let step = interval * u32::try_from(per).unwrap_or(1);
    let points: Vec<(Duration, u64, u64)> = intervals
        .chunks(per)
        .map(|c| {
            let end = c.last().map_or(Duration::ZERO, |i| i.offset) + interval;
            let end = if window.is_zero() {
                end
            } else {
                end.min(window)
            };
            let requests = c.iter().map(|i| i.requests).sum();
            (end, requests, c.iter().map(|i| i.errors).sum())
        })
        .collect();
    let labels: Vec<String> = points
        .iter()
        .map(|p| format!("\"{}\"", clock(p.0)))
        .collect();
    let list = |f: fn(&(Duration, u64, u64)) -> u64| {
        let v: Vec<String> = points.iter().map(|p| f(p).to_string()).collect();
        v.join(", ")
    };
    let top = points.iter().map(|p| p.1).max().unwrap_or(0).max(1);
    let name: String = service
        .chars()
        .filter(|c| !"\"\n\r`".contains(*c))
        .collect();
    let mut out = String::new();
    let _ = writeln!(out, "```mermaid");
    // Strong colours (the default palette's first is pale): blue bars, a red 5xx line.
    let _ = writeln!(
        out,
        "%%{{init: {{\"themeVariables\": {{\"xyChart\": {{\"plotColorPalette\": \"#0969da, #cf222e\"}}}}}}}}%%"
    );
    let _ = writeln!(out, "xychart-beta");
    let _ = writeln!(
        out,
        "    title \"{name}: requests (blue bars) and 5xx (red line) per {}\"",
        duration_as_input(step)
    );
    let _ = writeln!(
        out,
        "    x-axis \"time since going live\" [{}]",
        labels.join(", ")
    );
    let _ = writeln!(out, "    y-axis \"requests\" 0 --> {top}");
    let _ = writeln!(out, "    bar [{}]", list(|p| p.1));
    let _ = writeln!(out, "    line [{}]", list(|p| p.2));
    let _ = writeln!(out, "```\n");
    out
}

/// `2:30`: minutes and seconds (hours and minutes past an hour: `1h05`).
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// "1 round", "12 rounds".
fn rounds(n: u32) -> String {
    if n == 1 {
        "1 round".to_string()
    } else {
        format!("{n} rounds")
    }
}

/// The PR comment's line: the window and its verdict, with the breach's evidence.
pub fn comment_line(r: &RunReport) -> Option<String> {
    let w = r.watch.as_ref()?;
    Some(match &w.breach {
        None => format!(
            "**Watch:** no breach in {} ({}, every {}).",
            duration_as_input(w.window),
            rounds(w.rounds),
            duration_as_input(w.interval)
        ),
        Some(b) => format!("**Watch breach:** {}.", breach(w, b)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_labels() {
        assert_eq!(clock(Duration::from_secs(30)), "0:30");
        assert_eq!(clock(Duration::from_secs(150)), "2:30");
        assert_eq!(clock(Duration::from_secs(3900)), "1h05");
    }

    /// What mermaid's xychart grammar needs: the header, a quoted title, as many quoted
    /// categories as bars and line points, and a y range from 0 to at least the highest bar.
    #[test]
    fn the_chart_follows_the_xychart_grammar() {
        let intervals: Vec<_> = [(12, 0), (30, 1), (0, 0)]
            .iter()
            .enumerate()
            .map(|(i, &(requests, errors))| crate::record::IntervalCount {
                offset: Duration::from_secs(30 * i as u64),
                requests,
                errors,
            })
            .collect();
        let c = chart(
            "we\"b`",
            Duration::from_secs(30),
            Duration::ZERO,
            &intervals,
        );
        let lines: Vec<&str> = c.lines().collect();
        assert_eq!(lines[0], "```mermaid");
        assert!(lines[1].starts_with("%%{init: ") && lines[1].ends_with("}%%"));
        assert_eq!(lines[2], "xychart-beta");
        assert_eq!(
            lines[3],
            "    title \"web: requests (blue bars) and 5xx (red line) per 30s\""
        );
        assert_eq!(
            lines[4],
            "    x-axis \"time since going live\" [\"0:30\", \"1:00\", \"1:30\"]"
        );
        assert_eq!(lines[5], "    y-axis \"requests\" 0 --> 30");
        assert_eq!(lines[6], "    bar [12, 30, 0]");
        assert_eq!(lines[7], "    line [0, 1, 0]");
        assert_eq!(lines[8], "```");
    }

    #[test]
    fn no_point_is_placed_after_the_watch_ended() {
        // A 6 s watch read every 12 s: its one interval ends at the window, not at 0:12.
        let intervals = vec![crate::record::IntervalCount {
            offset: Duration::ZERO,
            requests: 3,
            errors: 0,
        }];
        let c = chart(
            "web",
            Duration::from_secs(12),
            Duration::from_secs(6),
            &intervals,
        );
        assert!(c.contains("[\"0:06\"]"), "{c}");
    }

    #[test]
    fn long_watches_merge_neighbouring_intervals() {
        let intervals: Vec<_> = (0..130u32)
            .map(|i| crate::record::IntervalCount {
                offset: Duration::from_secs(u64::from(i) * 30),
                requests: 10,
                errors: 1,
            })
            .collect();
        let c = chart("web", Duration::from_secs(30), Duration::ZERO, &intervals);
        let bar = c
            .lines()
            .find(|l| l.trim_start().starts_with("bar"))
            .unwrap();
        // 130 intervals in threes: 44 points of 30 requests (the last of 10).
        assert_eq!(bar.matches(',').count(), 43, "{c}");
        assert!(bar.starts_with("    bar [30, 30"), "{c}");
        assert!(bar.ends_with(", 10]"), "{c}");
        assert!(c.contains("per 1m 30s\""), "{c}");
    }
}
