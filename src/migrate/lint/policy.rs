//! Owns `destructive-migrations` over what was read (contract: Migration safety): an annotation
//! per finding on its file and line (`warn`: a warning; `allow`: a notice; `refuse`: an error for
//! a destructive one), and with `refuse`, any destructive finding as invalid input before any
//! change. SQL that could not be read at all (`Linted::unchecked`) is a warning each; with
//! `refuse` it is invalid input too: the run cannot say that what it migrates holds nothing
//! destructive, and `refuse` asked for that guarantee.

use super::{Linted, what};
use crate::config::migration_safety::DestructivePolicy;
use crate::record::Finding;
use crate::workflow;

/// Writes the annotations and the warnings; `Err` is the invalid-input message of `refuse`.
pub fn judge(linted: &Linted, policy: DestructivePolicy) -> Result<(), String> {
    for w in linted.warnings.iter().chain(&linted.unchecked) {
        workflow::warning(w);
    }
    for f in &linted.findings {
        let kind = match (policy, f.is_destructive()) {
            (DestructivePolicy::Allow, _) => "notice",
            (DestructivePolicy::Refuse, true) => "error",
            _ => "warning",
        };
        workflow::annotate_at(kind, &f.file, f.line, &sentence(f));
    }
    let destructive: Vec<&Finding> = linted
        .findings
        .iter()
        .filter(|f| f.is_destructive())
        .collect();
    if policy != DestructivePolicy::Refuse {
        return Ok(());
    }
    let mut why = Vec::new();
    if !destructive.is_empty() {
        let list: Vec<String> = destructive.iter().map(|f| located(f)).collect();
        why.push(format!(
            "input `destructive-migrations` is `refuse` and the migrations hold {} destructive statement(s): {}. Nothing was changed. Split the change so that the released code never reads what a migration removes (expand, deploy, then contract in a later release), mark a reviewed statement with `-- squawk-ignore <rule>`, or set `destructive-migrations: warn`",
            list.len(),
            list.join("; ")
        ));
    }
    if !linted.unchecked.is_empty() {
        why.push(format!(
            "input `destructive-migrations` is `refuse` and some of the SQL this run would migrate could not be read, so it was not checked: {}. Nothing was changed. Re-run once GitHub answers; or read those migrations yourself and, for this run, set `destructive-migrations: warn`",
            linted.unchecked.join("; ")
        ));
    }
    match why.is_empty() {
        true => Ok(()),
        false => Err(why.join("\n")),
    }
}

/// `file:line` `rule` (what it does): `statement`.
pub fn located(f: &Finding) -> String {
    format!(
        "`{}:{}` {} ({}): `{}`",
        f.file,
        f.line,
        f.rule,
        what(f),
        f.statement
    )
}

/// The annotation's text.
fn sentence(f: &Finding) -> String {
    let why = if f.is_destructive() {
        "the previous release may not read the schema after it, so a failed release is not rolled back automatically unless `destructive-migrations: allow`"
    } else {
        "it holds a lock that blocks the table while it runs"
    };
    format!(
        "{} ({} migration, squawk rule `{}`): `{}` ({why})",
        what(f),
        f.class.as_str(),
        f.rule,
        f.statement
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::database::Engine;

    #[test]
    fn refuse_names_every_destructive_statement_and_warn_passes() {
        let linted = super::super::lint_sql(
            "m/1_a.sql",
            "CREATE INDEX i ON t (a);\nALTER TABLE users DROP COLUMN name;\n",
            Engine::Postgres,
        );
        assert!(judge(&linted, DestructivePolicy::Warn).is_ok());
        assert!(judge(&linted, DestructivePolicy::Allow).is_ok());
        let e = judge(&linted, DestructivePolicy::Refuse).unwrap_err();
        assert!(e.contains("`m/1_a.sql:2` ban-drop-column"), "{e}");
        assert!(!e.contains("require-concurrent-index-creation"), "{e}");
        let locking_only =
            super::super::lint_sql("m/2.sql", "CREATE INDEX i ON t (a);", Engine::Postgres);
        assert!(judge(&locking_only, DestructivePolicy::Refuse).is_ok());
    }

    #[test]
    fn refuse_does_not_pass_sql_it_could_not_read() {
        let linted = Linted {
            unchecked: vec!["`db/migrations/9.sql` could not be read from GitHub (502)".into()],
            ..Linted::default()
        };
        assert!(judge(&linted, DestructivePolicy::Warn).is_ok());
        assert!(judge(&linted, DestructivePolicy::Allow).is_ok());
        let e = judge(&linted, DestructivePolicy::Refuse).unwrap_err();
        assert!(e.contains("`db/migrations/9.sql` could not be read"), "{e}");
        assert!(e.contains("was not checked"), "{e}");
    }
}
