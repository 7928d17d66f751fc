//! Renders what `command: check` found (`RunReport::checks`): the log's one line per check and
//! the job summary's table, from the same results, so the two always agree.

use std::fmt::Write as _;

use crate::record::{CheckResult, CheckVerdict, RunReport};
use crate::report::markdown::escape_html;

/// The log line of one check: the verdict padded to one width, the check's name, the detail.
pub fn line(c: &CheckResult) -> String {
    format!("{:<7}  {}: {}", c.result.as_str(), c.name, c.detail)
}

/// The headline: how many checks failed or warned.
pub fn headline(checks: &[CheckResult]) -> String {
    let count = |v: CheckVerdict| checks.iter().filter(|c| c.result == v).count();
    let (failed, warned) = (count(CheckVerdict::Failed), count(CheckVerdict::Warning));
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    match (failed, warned) {
        (0, 0) => format!(
            "Setup check passed: {}",
            plural(checks.len(), "check", "checks")
        ),
        (0, w) => format!(
            "Setup check passed with {}",
            plural(w, "warning", "warnings")
        ),
        (f, 0) => format!(
            "Setup check failed: {}",
            plural(f, "check failed", "checks failed")
        ),
        (f, w) => format!(
            "Setup check failed: {}, {}",
            plural(f, "check failed", "checks failed"),
            plural(w, "warning", "warnings")
        ),
    }
}

/// The job summary of `command: check`: the headline, then one table row per check.
pub fn summary(r: &RunReport) -> String {
    let mut out = String::new();
    let icon = match r.checks.iter().map(|c| c.result).max() {
        Some(CheckVerdict::Failed) => "❌",
        Some(CheckVerdict::Warning) => "⚠️",
        _ => "✅",
    };
    let _ = writeln!(out, "## {icon} {}\n", escape_html(&headline(&r.checks)));
    if let Some(f) = r.failure.as_deref().filter(|_| r.checks.is_empty()) {
        let _ = writeln!(out, "{}\n", escape_html(f));
    }
    let _ = writeln!(out, "| result | check | detail |\n|---|---|---|");
    for c in &r.checks {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            c.result.as_str(),
            cell(&c.name),
            cell(&c.detail)
        );
    }
    out
}

/// A table cell: one line, no raw HTML, no column break; long fixes kept whole up to a bound.
fn cell(s: &str) -> String {
    let one_line = escape_html(&s.replace(['\r', '\n'], " ")).replace('|', "\\|");
    match one_line.char_indices().nth(1500) {
        Some((end, _)) => format!("{}…", &one_line[..end]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_and_the_log_carry_the_same_results() {
        let mut r = RunReport::new("check", "commit", false, chrono::Utc::now());
        r.checks = vec![
            CheckResult::ok("project", "`shop`"),
            CheckResult::failed("service `web`", "no domain | set <one>"),
        ];
        let md = summary(&r);
        assert!(
            md.starts_with("## ❌ Setup check failed: 1 check failed"),
            "{md}"
        );
        assert!(
            md.contains("| failed | service `web` | no domain \\| set &lt;one&gt; |"),
            "{md}"
        );
        assert_eq!(line(&r.checks[0]), "ok       project: `shop`");
        assert_eq!(
            headline(&[CheckResult::warning("a", "b")]),
            "Setup check passed with 1 warning"
        );
    }
}
