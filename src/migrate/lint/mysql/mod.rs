//! Owns classifying MySQL/MariaDB migrations, which squawk's PostgreSQL grammar cannot read
//! (backticks, `#` comments, `MODIFY`, `CHANGE`, `RENAME TABLE`): a small MySQL lexer cuts the
//! text into statements (`tokens`), and each statement's tokens are matched against the forms
//! that change a schema (`classify`), under squawk's rule names where MySQL has the case
//! (`super::rules::RuleSpec::mysql`). No SQL grammar is linked for this (image size). Text that
//! never closes a string, name or comment is one parse error and no findings (its statements
//! cannot be told apart); a statement that cannot be read is a parse error and leaves the others
//! classified. `-- squawk-ignore` is read by `super::ignore`.

mod classify;
mod tokens;

use super::Raw;
use super::ignore::{covers, ignored_before};

/// The flagged statements of `text`, and the parse errors (message, byte offset).
pub fn lint(text: &str) -> (Vec<Raw>, Vec<(String, usize)>) {
    let tokens = match tokens::tokenize(text) {
        Ok(t) => t,
        Err(e) => return (Vec::new(), vec![(e.message, e.at)]),
    };
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for statement in tokens::statements(text, &tokens) {
        let span = statement.span;
        let rules = match classify::rules(statement.tokens) {
            Ok(r) => r,
            Err(message) => {
                errors.push((message, span.0));
                continue;
            }
        };
        let ignored = ignored_before(text, span.0);
        for rule in rules {
            if !covers(&ignored, rule) {
                found.push(Raw {
                    rule,
                    offset: span.0,
                    statement: span,
                });
            }
        }
    }
    found.dedup_by(|a, b| a.rule == b.rule && a.statement == b.statement);
    (found, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_at(sql: &str) -> Vec<(&'static str, &str)> {
        let (raws, errors) = lint(sql);
        assert!(errors.is_empty(), "{sql}: {errors:?}");
        raws.iter()
            .map(|r| (r.rule, &sql[r.statement.0..r.statement.1]))
            .collect()
    }

    #[test]
    fn flags_statements_with_their_spans_and_not_what_strings_or_comments_hold() {
        let sql = "-- DROP TABLE a;\n# DROP TABLE b;\n/* DROP TABLE c; */\n\
                   INSERT INTO t (note) VALUES ('drop table d; truncate e');\n\
                   ALTER TABLE `my table` DROP COLUMN `my col`, DROP `x`;\n\
                   DROP TABLE f";
        assert_eq!(
            rules_at(sql),
            [
                (
                    "ban-drop-column",
                    "ALTER TABLE `my table` DROP COLUMN `my col`, DROP `x`;"
                ),
                ("ban-drop-table", "DROP TABLE f"),
            ]
        );
    }

    #[test]
    fn squawk_ignore_applies_to_the_next_statement() {
        let sql = "-- squawk-ignore renaming-column\nALTER TABLE t CHANGE a b int;\n";
        assert_eq!(
            rules_at(sql),
            [("changing-column-type", "ALTER TABLE t CHANGE a b int;")]
        );
    }

    #[test]
    fn an_unclosed_string_is_one_error_and_no_findings() {
        let sql = "DROP TABLE a;\nINSERT INTO t VALUES ('oops);\nDROP TABLE b;\n";
        let (raws, errors) = lint(sql);
        assert!(raws.is_empty(), "{raws:?}");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].0.contains("never closed"), "{errors:?}");
    }

    #[test]
    fn an_unreadable_statement_leaves_the_others_classified() {
        let sql = "DROP TABLE a;\nTHIS IS NOT SQL;\nTRUNCATE b;\n";
        let (raws, errors) = lint(sql);
        let rules: Vec<&str> = raws.iter().map(|r| r.rule).collect();
        assert_eq!(rules, ["ban-drop-table", "ban-truncate"]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].1, sql.find("THIS").unwrap());
    }
}
