//! Owns classifying MySQL/MariaDB migrations, which squawk's PostgreSQL grammar cannot read
//! (backticks, `MODIFY`, `CHANGE`, `RENAME TABLE`): `sqlparser`'s MySQL grammar, one statement at
//! a time (so one that does not parse leaves the others classified), under squawk's rule names
//! where MySQL has the case (`super::rules::RuleSpec::mysql`). `-- squawk-ignore` is read by
//! `super::ignore`.

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnOption, ObjectType, Statement, TableConstraint,
};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::Raw;
use super::ignore::{covers, ignored_before};

/// The flagged statements of `text`, and the parse errors (message, byte offset).
pub fn lint(text: &str) -> (Vec<Raw>, Vec<(String, usize)>) {
    let dialect = MySqlDialect {};
    let tokens = match Tokenizer::new(&dialect, text).tokenize_with_location() {
        Ok(t) => t,
        Err(e) => {
            let at = offset_of(text, e.location.line, e.location.column);
            return (Vec::new(), vec![(e.message, at)]);
        }
    };
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for span in statements(text, &tokens) {
        let Some(sql) = text.get(span.0..span.1) else {
            continue;
        };
        let parsed = match Parser::parse_sql(&dialect, sql) {
            Ok(p) => p,
            Err(e) => {
                errors.push((e.to_string(), span.0));
                continue;
            }
        };
        let ignored = ignored_before(text, span.0);
        for stmt in &parsed {
            for rule in classify(stmt) {
                if !covers(&ignored, rule) {
                    found.push(Raw {
                        rule,
                        offset: span.0,
                        statement: span,
                    });
                }
            }
        }
    }
    found.dedup_by(|a, b| a.rule == b.rule && a.statement == b.statement);
    (found, errors)
}

/// Each statement's span (bytes, from its first token to its `;`), comments between excluded.
fn statements(text: &str, tokens: &[sqlparser::tokenizer::TokenWithSpan]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for t in tokens {
        let at = offset_of(text, t.span.start.line, t.span.start.column);
        match &t.token {
            Token::Whitespace(_) => {}
            Token::SemiColon => {
                if let Some(s) = start.take() {
                    out.push((s, offset_of(text, t.span.end.line, t.span.end.column)));
                }
            }
            Token::EOF => break,
            _ => {
                start.get_or_insert(at);
            }
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// The byte offset of a 1-based (line, column in characters) location.
fn offset_of(text: &str, line: u64, column: u64) -> usize {
    let mut at = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i as u64 + 1 == line {
            let col = column.saturating_sub(1) as usize;
            return at + l.char_indices().nth(col).map_or(l.len(), |(b, _)| b);
        }
        at += l.len();
    }
    text.len()
}

/// The rules one statement breaks (squawk's names; only those MySQL has).
fn classify(stmt: &Statement) -> Vec<&'static str> {
    match stmt {
        Statement::Drop { object_type, .. } => match object_type {
            ObjectType::Table => vec!["ban-drop-table"],
            ObjectType::Schema => vec!["ban-drop-schema"],
            ObjectType::Database => vec!["ban-drop-database"],
            _ => Vec::new(),
        },
        Statement::RenameTable(_) => vec!["renaming-table"],
        Statement::Truncate(_) => vec!["ban-truncate"],
        Statement::AlterTable(at) => at.operations.iter().flat_map(operation).collect(),
        _ => Vec::new(),
    }
}

fn operation(op: &AlterTableOperation) -> Vec<&'static str> {
    match op {
        AlterTableOperation::DropColumn { .. } => vec!["ban-drop-column"],
        AlterTableOperation::RenameColumn { .. } => vec!["renaming-column"],
        AlterTableOperation::RenameTable { .. } => vec!["renaming-table"],
        AlterTableOperation::ChangeColumn {
            old_name,
            new_name,
            options,
            ..
        } => {
            let mut rules = Vec::new();
            if !old_name.value.eq_ignore_ascii_case(&new_name.value) {
                rules.push("renaming-column");
            }
            rules.push("changing-column-type");
            if options.iter().any(|o| matches!(o, ColumnOption::NotNull)) {
                rules.push("adding-not-nullable-field");
            }
            rules
        }
        AlterTableOperation::ModifyColumn { options, .. } => {
            let mut rules = vec!["changing-column-type"];
            if options.iter().any(|o| matches!(o, ColumnOption::NotNull)) {
                rules.push("adding-not-nullable-field");
            }
            rules
        }
        AlterTableOperation::AlterColumn { op, .. } => match op {
            AlterColumnOperation::SetDataType { .. } => vec!["changing-column-type"],
            AlterColumnOperation::SetNotNull => vec!["adding-not-nullable-field"],
            _ => Vec::new(),
        },
        AlterTableOperation::AddColumn { column_def, .. } => {
            let options = || column_def.options.iter().map(|o| &o.option);
            let not_null = options().any(|o| matches!(o, ColumnOption::NotNull));
            let filled = options().any(|o| {
                matches!(o, ColumnOption::Default(_) | ColumnOption::Generated { .. })
                    || o.to_string().eq_ignore_ascii_case("AUTO_INCREMENT")
            });
            if not_null && !filled {
                vec!["adding-required-field"]
            } else {
                Vec::new()
            }
        }
        AlterTableOperation::AddConstraint {
            constraint: TableConstraint::ForeignKey(_),
            ..
        } => vec!["adding-foreign-key-constraint"],
        _ => Vec::new(),
    }
}
