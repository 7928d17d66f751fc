//! Owns classifying PostgreSQL migrations with squawk's own linter (the `squawk-linter` crate,
//! squawk's parser and rules): its findings for the rules of `super::rules`, with squawk's
//! `-- squawk-ignore` comments honoured by squawk itself, and a plain `TRUNCATE` (no squawk rule)
//! flagged as `ban-truncate`.

use squawk_linter::Linter;
use squawk_syntax::SourceFile;
use squawk_syntax::ast::{self, AstNode};

use super::Raw;
use super::ignore::{covers, ignored_before};

/// The flagged statements of `text`, and the parse errors (message, byte offset).
pub fn lint(text: &str) -> (Vec<Raw>, Vec<(String, usize)>) {
    let parse = SourceFile::parse(text);
    let errors: Vec<(String, usize)> = parse
        .errors()
        .iter()
        .map(|e| (e.message().to_string(), usize::from(e.range().start())))
        .collect();
    let statements: Vec<(usize, usize)> = parse
        .tree()
        .stmts()
        .map(|s| {
            let r = s.syntax().text_range();
            (usize::from(r.start()), usize::from(r.end()))
        })
        .collect();
    // A statement holding a parse error is not classified: its tree is a guess.
    let broken = |span: (usize, usize)| errors.iter().any(|(_, at)| span.0 <= *at && *at <= span.1);
    let statement_of = |offset: usize| {
        statements
            .iter()
            .copied()
            .find(|(start, end)| *start <= offset && offset < *end)
            .unwrap_or((offset, offset))
    };
    let mut linter = Linter::with_default_rules();
    let mut found: Vec<Raw> = linter
        .lint(&parse, text)
        .into_iter()
        .filter_map(|v| {
            let rule = super::rules::find(&v.code.to_string())?;
            let offset = usize::from(v.text_range.start());
            let span = statement_of(offset);
            (!broken(span)).then_some(Raw {
                rule: rule.name,
                offset,
                statement: span,
            })
        })
        .collect();
    for stmt in parse.tree().stmts() {
        let ast::Stmt::Truncate(t) = stmt else {
            continue;
        };
        let r = t.syntax().text_range();
        let span = (usize::from(r.start()), usize::from(r.end()));
        let cascade = matches!(t.drop_behavior(), Some(ast::DropBehavior::Cascade(_)));
        let plain = !cascade && !broken(span);
        if plain && !covers(&ignored_before(text, span.0), "ban-truncate") {
            found.push(Raw {
                rule: "ban-truncate",
                offset: span.0,
                statement: span,
            });
        }
    }
    found.sort_by_key(|r| r.offset);
    // One finding per statement and rule (squawk reports some rules once per action).
    found.dedup_by(|a, b| a.rule == b.rule && a.statement == b.statement);
    (found, errors)
}
