//! Owns the job summary (`GITHUB_STEP_SUMMARY`): the outcome first, then a table per service,
//! the gate's checks, migrations, health, the watch (`report::watch`), how to roll back, the
//! timeline (`report::timeline`) of the stages, and the plan on a dry run. Lists and logs are cut
//! so the summary stays far below GitHub's 1 MiB limit per step ([`MAX_SUMMARY_BYTES`]).

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::Path;

use crate::record::{RunReport, RunStatus, ServiceState};
use crate::report::markdown::{
    cell, code_block, escape_html, failed_stage, link, log_tail, previous_deployment_link,
    service_durations, state_word,
};
use crate::text::{scrub_credentials, short_sha};

/// The summary's own ceiling: a tenth of GitHub's 1 MiB, which other steps share.
pub const MAX_SUMMARY_BYTES: usize = 100 * 1024;
const MAX_CHECKS: usize = 100;
const MAX_MIGRATIONS: usize = 50;
const MAX_PLAN: usize = 200;
const LOG_LINES: usize = 40;
const LOG_WIDTH: usize = 300;

fn headline(r: &RunReport) -> String {
    let env = escape_html(
        r.environment
            .as_deref()
            .unwrap_or("(unresolved environment)"),
    );
    let what = match (&r.version, &r.sha) {
        (Some(v), _) => format!("`{}`", escape_html(v)),
        (None, Some(sha)) => format!("`{}`", short_sha(sha)),
        (None, None) => "the commit".to_string(),
    };
    if let Some(line) = crate::report::preview::removal_headline(r) {
        return line;
    }
    if r.dry_run {
        return format!("🧪 Dry run: deploying {what} to **{env}** would make these changes");
    }
    match r.status {
        RunStatus::Success => format!("✅ Deployed {what} to **{env}**"),
        RunStatus::RolledBack => {
            format!("↩️ Deploy of {what} to **{env}** failed and was rolled back")
        }
        RunStatus::Failed => format!("❌ Deploy of {what} to **{env}** failed"),
        RunStatus::Skipped => format!("⏭️ Nothing was deployed to **{env}**"),
    }
}

/// The job summary for a finished run (or a dry run).
pub fn render_summary(r: &RunReport) -> String {
    if r.command == "check" {
        return crate::report::checks::summary(r);
    }
    let full = render_with(r, LOG_LINES);
    if full.len() <= MAX_SUMMARY_BYTES {
        return full;
    }
    let short = render_with(r, 5);
    if short.len() <= MAX_SUMMARY_BYTES {
        return short;
    }
    let short = render_with(r, 0);
    if short.len() <= MAX_SUMMARY_BYTES {
        return short;
    }
    let mut end = MAX_SUMMARY_BYTES - 200;
    while !short.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n\n…(cut to stay within the job summary size limit; the log has it all)\n",
        &short[..end]
    )
}

fn render_with(r: &RunReport, log_lines: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## {}\n", headline(r));
    if r.status != RunStatus::Success
        && !r.dry_run
        && let Some(f) = &r.failure
    {
        let stage = failed_stage(r)
            .map(|s| format!(" at `{}`", s.as_str()))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "> **Failed{stage}:** {}\n",
            escape_html(&scrub_credentials(f))
        );
    }
    for n in &r.notices {
        let _ = writeln!(out, "> {}\n", escape_html(n));
    }
    overview(&mut out, r);
    if r.dry_run {
        plan(&mut out, r);
    }
    crate::report::preview::summary_section(&mut out, r);
    services(&mut out, r, log_lines);
    gate(&mut out, r);
    if let Some(line) = crate::report::markdown::backup_line(r) {
        let _ = writeln!(out, "### Backup\n\n{line}\n");
    }
    migrations(&mut out, r);
    crate::report::migration_safety::section(&mut out, r, "###");
    health(&mut out, r);
    crate::report::watch::section(&mut out, r);
    if !r.dry_run {
        rollback(&mut out, r);
    }
    crate::report::timeline::timeline(&mut out, r);
    out
}

/// Whether the headline's "Failed at" line (the run's failure, shown when the run did not
/// succeed) already says `text`.
pub(crate) fn said_above(r: &RunReport, text: &str) -> bool {
    r.status != RunStatus::Success
        && !r.dry_run
        && r.failure.as_deref().is_some_and(|f| f.contains(text))
}

fn overview(out: &mut String, r: &RunReport) {
    // The first pair is the table's header: an empty header row would render as a blank row.
    let _ = writeln!(out, "| Status | `{}` |\n|---|---|", r.status.as_str());
    let _ = writeln!(out, "| Command | `{}` |", cell(&r.command));
    if let Some(p) = r.project_name.as_deref().or(r.project_id.as_deref()) {
        let _ = writeln!(out, "| Project | {} |", cell(p));
    }
    if let Some(e) = &r.environment {
        let _ = writeln!(out, "| Environment | {} |", cell(e));
    }
    if let Some(v) = &r.version {
        let _ = writeln!(out, "| Version | `{}` |", cell(v));
    }
    if let Some(sha) = &r.sha {
        let _ = writeln!(out, "| Commit | `{}` |", cell(sha));
    }
    let _ = writeln!(out, "| Source | `{}` |\n", cell(&r.source));
}

fn plan(out: &mut String, r: &RunReport) {
    let _ = writeln!(out, "### Plan (nothing was changed)\n");
    if r.plan.is_empty() {
        let _ = writeln!(out, "No changes.\n");
        return;
    }
    for (i, a) in r.plan.iter().take(MAX_PLAN).enumerate() {
        let who = a
            .service
            .as_deref()
            .map(|s| format!("**{}**: ", cell(s)))
            .unwrap_or_default();
        let _ = writeln!(out, "{}. {who}{}", i + 1, cell(&a.description));
    }
    more(out, r.plan.len(), MAX_PLAN, "steps");
    out.push('\n');
}

fn more(out: &mut String, total: usize, shown: usize, what: &str) {
    if total > shown {
        let _ = writeln!(out, "\n…and {} more {what}.", total - shown);
    }
}

fn services(out: &mut String, r: &RunReport, log_lines: usize) {
    for s in &r.services {
        let _ = writeln!(out, "### Service `{}`\n", cell(&s.name));
        let _ = writeln!(out, "| Status | {} |\n|---|---|", state_word(s.state));
        if let Some(u) = &s.url {
            let _ = writeln!(out, "| URL | {} |", cell(u));
        }
        if let Some(d) = &s.deployment_id {
            // Railway's `SUCCESS` beside a rolled-back deployment would contradict the row.
            let status = match (s.state, s.final_status.as_deref()) {
                (ServiceState::RolledBack, Some("SUCCESS") | None) => " (rolled back)".to_string(),
                (ServiceState::RolledBack, Some(f)) => format!(" ({}, rolled back)", cell(f)),
                (_, Some(f)) => format!(" ({})", cell(f)),
                (_, None) => String::new(),
            };
            let _ = writeln!(
                out,
                "| Deployment | {}{status} |",
                link(&format!("`{}`", cell(d)), s.dashboard_url.as_deref())
            );
        }
        if let Some(serving) = crate::report::markdown::now_serving(r, s) {
            let _ = writeln!(out, "| Now serving | {serving} |");
        }
        if let Some(p) = &s.previous_deployment_id {
            let _ = writeln!(
                out,
                "| Previous deployment | {} |",
                link(
                    &format!("`{}`", cell(p)),
                    s.previous_dashboard_url.as_deref()
                )
            );
        }
        let durations = service_durations(r, &s.name);
        if !durations.is_empty() {
            let _ = writeln!(out, "| Durations | {} |", cell(&durations));
        }
        if let Some(why) = &s.skipped {
            let _ = writeln!(out, "| Skipped | {} |", cell(why));
        }
        // Said once: the headline's "Failed at" already quotes a failure it contains.
        if let Some(f) = s.failure.as_deref().filter(|f| !said_above(r, f)) {
            let _ = writeln!(out, "| Failure | {} |", cell(&scrub_credentials(f)));
        }
        out.push('\n');
        if !s.log_tail.is_empty() && log_lines > 0 {
            let _ = writeln!(out, "<details><summary>Last log lines</summary>\n");
            out.push_str(&code_block(
                "",
                &log_tail(&s.log_tail, log_lines, LOG_WIDTH),
            ));
            let _ = writeln!(out, "\n</details>\n");
        }
    }
}

fn gate(out: &mut String, r: &RunReport) {
    let Some(g) = &r.gate else { return };
    let verdict = if g.passed { "passed" } else { "did not pass" };
    let _ = writeln!(out, "### Checks ({verdict})\n");
    if let Some(reason) = &g.reason {
        let _ = writeln!(out, "{}\n", escape_html(reason));
    }
    if g.checks.is_empty() {
        return;
    }
    let _ = writeln!(out, "| Check | Kind | Conclusion |\n|---|---|---|");
    for c in g.checks.iter().take(MAX_CHECKS) {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            link(&cell(&c.name), c.url.as_deref()),
            cell(&c.kind),
            cell(&c.conclusion)
        );
    }
    more(out, g.checks.len(), MAX_CHECKS, "checks");
    out.push('\n');
}

fn list(out: &mut String, title: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "{title}:\n");
    for i in items.iter().take(MAX_MIGRATIONS) {
        let _ = writeln!(out, "- `{}`", cell(i));
    }
    more(out, items.len(), MAX_MIGRATIONS, "migrations");
    out.push('\n');
}

fn migrations(out: &mut String, r: &RunReport) {
    let Some(m) = &r.migrations else { return };
    let _ = writeln!(out, "### Migrations (`{}`)\n", cell(&m.kind));
    if m.applied.is_empty() && m.pending.is_empty() && m.error.is_none() {
        let _ = writeln!(out, "Nothing to apply.\n");
    }
    list(out, "Applied", &m.applied);
    list(out, "Pending", &m.pending);
    if let Some(e) = &m.error {
        let _ = writeln!(out, "**Error:** {}\n", escape_html(&scrub_credentials(e)));
    }
}

fn health(out: &mut String, r: &RunReport) {
    let checked: Vec<_> = r
        .services
        .iter()
        .filter_map(|s| s.health.as_ref().map(|h| (s, h)))
        .collect();
    if checked.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Health\n");
    let _ = writeln!(
        out,
        "| Service | Result | URL | Attempts | Last status | Detail |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for (s, h) in checked {
        let result = match (&h.skipped_reason, h.passed) {
            (Some(_), _) => "⏭️ skipped",
            (None, true) => "✅ healthy",
            (None, false) => "❌ unhealthy",
        };
        // The failure sentence (headline, or the service's row) already carries the error.
        let error = h
            .error
            .as_deref()
            .filter(|e| !said_above(r, e) && !s.failure.as_deref().is_some_and(|f| f.contains(e)));
        let detail = h
            .skipped_reason
            .as_deref()
            .or(error)
            .or(h.body_excerpt.as_deref())
            .map(|d| cell(&scrub_credentials(d)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {result} | {} | {} | {} | {detail} |",
            cell(&s.name),
            h.url.as_deref().map(cell).unwrap_or_default(),
            h.attempts,
            h.last_status.map(|c| c.to_string()).unwrap_or_default(),
        );
    }
    out.push('\n');
}

/// Only for services whose new deployment is serving: when nothing went live (a failed gate, a
/// failed build) or it was already rolled back, the previous deployment still serves and a
/// rollback command would only mislead.
fn rollback(out: &mut String, r: &RunReport) {
    let with: Vec<_> = r
        .services
        .iter()
        .filter(|s| s.rollback_command.is_some())
        .filter(|s| matches!(s.state, ServiceState::Deployed | ServiceState::FailedLive))
        .collect();
    if with.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Roll back\n");
    for s in with {
        let previous =
            previous_deployment_link(s).unwrap_or_else(|| "the previous deployment".to_string());
        let _ = writeln!(out, "**{}** back to {previous}:\n", cell(&s.name));
        if let Some(cmd) = &s.rollback_command {
            out.push_str(&code_block("sh", cmd));
            out.push('\n');
        }
    }
    out.push_str(
        &crate::report::markdown::rollback_workflow_line(r).map_or_else(String::new, |l| l + "\n"),
    );
}

/// The summary of a run that stopped before it had a report: invalid input (`invalid`: each
/// message on its own line, nothing was changed) or a broken action. Without it the run's page
/// would show nothing but the log.
pub fn stopped_early(invalid: bool, message: &str) -> String {
    let mut out = if invalid {
        "### ⛔ railway-deploy: invalid input\n\nNothing was deployed or changed. Fix these inputs and run again (every input is described in the README's \"Inputs\"):\n\n".to_string()
    } else {
        "### ❌ railway-deploy failed\n\n".to_string()
    };
    for line in message.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let _ = writeln!(out, "- {}", escape_html(line));
    }
    out
}

/// Appends `markdown` to the summary file (`GITHUB_STEP_SUMMARY`), creating it when missing.
pub fn append_summary(path: &Path, markdown: &str) -> io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    // The summary quotes texts from outside (errors, log lines): redacted like the log.
    let markdown = crate::secret::redact_registered(markdown);
    f.write_all(markdown.as_bytes())?;
    if !markdown.ends_with('\n') {
        f.write_all(b"\n")?;
    }
    f.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{CheckReport, GateReport, ServiceReport};

    #[test]
    fn a_huge_report_stays_far_below_the_limit() {
        let mut r = RunReport::new("deploy", "commit", false, chrono::Utc::now());
        r.status = RunStatus::Failed;
        r.gate = Some(GateReport {
            passed: false,
            checks: (0..5000)
                .map(|i| CheckReport {
                    name: format!("check {i}"),
                    kind: "check-run".into(),
                    conclusion: "failure".into(),
                    url: None,
                })
                .collect(),
            reason: None,
        });
        for i in 0..300 {
            let mut s = ServiceReport::planned("id", &format!("svc{i}"));
            s.log_tail = vec!["y".repeat(2000); 200];
            r.services.push(s);
        }
        let text = render_summary(&r);
        assert!(text.len() <= MAX_SUMMARY_BYTES, "{}", text.len());
        assert!(text.contains("…and 4900 more checks."));
    }

    #[test]
    fn append_adds_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.md");
        append_summary(&path, "one").unwrap();
        append_summary(&path, "two\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\n");
    }
}
