//! Renders what reading the migrations found (contract: Migration safety) for the job summary
//! and the PR comment alike (the comment is kept on preview and staging runs too, where a
//! reviewer can still act): the flagged statements, the warnings, and why a failed release was
//! not rolled back after a destructive migration.

use std::fmt::Write;

use super::markdown::{cell, escape_html};
use crate::record::{MigrationSafetyReport, RunReport};
use crate::text::scrub_credentials;

/// Findings listed at most (the `migration-findings` output has them all).
const MAX_FINDINGS: usize = 20;

/// The section (`###` heading in the summary, `####` in the comment); nothing when there is
/// nothing to say.
pub fn section(out: &mut String, r: &RunReport, heading: &str) {
    section_of(out, &r.migration_safety, heading);
}

/// [`section`] from the migration-safety record alone (a run refused as invalid input has no
/// report, only what reading the SQL found).
pub fn section_of(out: &mut String, m: &MigrationSafetyReport, heading: &str) {
    if m.findings.is_empty() && m.warnings.is_empty() && m.rollback_held.is_none() {
        return;
    }
    let destructive = m.destructive().count();
    let locking = m.findings.len() - destructive;
    let policy = m.policy.as_deref().unwrap_or("warn");
    let _ = writeln!(out, "{heading} Migration safety\n");
    if let Some(why) = &m.rollback_held {
        let _ = writeln!(
            out,
            "> [!CAUTION]\n> {}\n",
            escape_html(&scrub_credentials(why))
        );
    }
    if !m.findings.is_empty() {
        let _ = writeln!(
            out,
            "Read before any change: **{destructive} destructive**, {locking} locking statement(s) (`destructive-migrations: {policy}`).{}\n",
            if destructive > 0 {
                " A destructive statement removes, renames or retypes what the previous release may still read: once it is applied, a failed release is not rolled back automatically."
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            "| File | Rule | Class | Statement |\n|---|---|---|---|"
        );
        for f in m.findings.iter().take(MAX_FINDINGS) {
            let class = if f.is_destructive() {
                "⚠️ destructive"
            } else {
                "🔒 locking"
            };
            let _ = writeln!(
                out,
                "| `{}:{}` | `{}` | {class} | `{}` |",
                cell(&f.file),
                f.line,
                cell(&f.rule),
                cell(&f.statement).replace('`', "'")
            );
        }
        if m.findings.len() > MAX_FINDINGS {
            let _ = writeln!(
                out,
                "\n…and {} more (output `migration-findings`).",
                m.findings.len() - MAX_FINDINGS
            );
        }
        out.push('\n');
    }
    for w in &m.warnings {
        let _ = writeln!(out, "- ⚠️ {}", escape_html(&scrub_credentials(w)));
    }
    if !m.warnings.is_empty() {
        out.push('\n');
    }
}
