//! Owns the rule that a release is not rolled back into a schema it cannot read (contract:
//! Migration safety): after this run applied a destructive statement, a failed health check or
//! watch does not roll the code back unless `destructive-migrations: allow`; the run fails and
//! says which statements changed the schema, the backup taken before them and how to restore it,
//! or how to fix forward. Pure over the run record.

use crate::record::{Finding, RunReport, ServiceState};
use crate::workflow;

/// The destructive findings this run applied: with `migrations`, those in the files applied;
/// with `migrate-command`, all of them once a pre-deploy step passed.
pub fn applied_destructive(r: &RunReport) -> Vec<&Finding> {
    let Some(m) = &r.migrations else {
        return Vec::new();
    };
    let applied = |f: &Finding| match m.kind.as_str() {
        "sql" => m
            .applied
            .iter()
            .any(|name| f.file == *name || f.file.ends_with(&format!("/{name}"))),
        _ => !m.applied.is_empty(),
    };
    r.migration_safety
        .destructive()
        .filter(|f| applied(f))
        .collect()
}

/// Whether the release's rollback is held: some service failed after going live and this run
/// applied a destructive statement, without `allow`. When held, records why (in the run record,
/// on each failed service, and in the log).
pub fn hold(r: &mut RunReport, allowed: bool) -> bool {
    if allowed
        || !r
            .services
            .iter()
            .any(|s| s.state == ServiceState::FailedLive)
    {
        return false;
    }
    let applied = applied_destructive(r);
    if applied.is_empty() {
        return false;
    }
    let statements: Vec<String> = applied
        .iter()
        .map(|f| format!("`{}:{}` {}: `{}`", f.file, f.line, f.rule, f.statement))
        .collect();
    let backup = match &r.backup {
        Some(b) => format!(
            "The backup `{}` of volume `{}` (service `{}`) was taken before them: to go back, restore it from {} and then roll back with the rollback command",
            b.name, b.volume, b.service, b.restore_url
        ),
        None => {
            "No backup was taken before them (`backup`), so going back means undoing them by hand"
                .into()
        }
    };
    let why = format!(
        "not rolled back: this run applied destructive migration statement(s), and the previous release may read what they removed: {}. {backup}; or fix forward: deploy a fix that works with the new schema. (`destructive-migrations: allow` rolls back anyway.)",
        statements.join("; ")
    );
    // The service's line stays short; the whole explanation is the report's Migration safety.
    let note = "not rolled back: this run applied a destructive migration that the previous release may not read (see Migration safety: restore the backup or fix forward)";
    for s in r.services.iter_mut() {
        if s.state == ServiceState::FailedLive {
            s.failure = Some(match s.failure.take() {
                Some(f) => format!("{f}; {note}"),
                None => format!("failed after going live; {note}"),
            });
        }
    }
    workflow::error_titled("Not rolled back: the schema changed", &why);
    r.migration_safety.rollback_held = Some(why);
    true
}
