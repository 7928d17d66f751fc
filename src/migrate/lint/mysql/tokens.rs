//! Owns reading MySQL/MariaDB SQL text as tokens and cutting it into statements, the way the
//! server's lexer does for what a migration holds: `'…'` and `"…"` strings (backslash escapes and
//! doubled quotes), `` `…` `` names (doubled backticks), comments `-- ` (a space or control
//! character after the dashes), `#` and `/* */`, whose `/*! … */` and `/*M! … */` forms are SQL the
//! server runs (read as SQL here), and statements ending at `;` outside all of those. `DELIMITER`
//! is a client command, not SQL: not read. Text that never closes a string, name or comment is
//! [`Unreadable`]: the statement ends cannot be known.

use std::borrow::Cow;

/// What a token is; keywords are [`Kind::Word`]s (a quoted name is never a keyword).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An unquoted word: a keyword, a name or a number.
    Word,
    /// A `` `quoted` `` name.
    Quoted,
    /// A `'…'` or `"…"` string.
    Str,
    /// Any other character (`;`, `(`, `,`, `.`, `=`, …).
    Punct,
}

/// One token: its kind and where it is (bytes of the text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: Kind,
    pub text: &'a str,
    pub start: usize,
    pub end: usize,
}

impl<'a> Token<'a> {
    /// Whether this is the keyword `kw` (ASCII case ignored).
    pub fn is(&self, kw: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(kw)
    }

    /// Whether this is the character `c` outside any string, name or comment.
    pub fn is_punct(&self, c: char) -> bool {
        self.kind == Kind::Punct && self.text.starts_with(c)
    }

    /// The name a word or a quoted name stands for (backticks removed, doubled ones undone).
    pub fn name(&self) -> Option<Cow<'a, str>> {
        match self.kind {
            Kind::Word => Some(Cow::Borrowed(self.text)),
            Kind::Quoted => {
                let inner = self.text.get(1..self.text.len().saturating_sub(1))?;
                Some(if inner.contains("``") {
                    Cow::Owned(inner.replace("``", "`"))
                } else {
                    Cow::Borrowed(inner)
                })
            }
            Kind::Str | Kind::Punct => None,
        }
    }
}

/// Text whose statement ends cannot be known: what is wrong, and the byte where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    pub message: String,
    pub at: usize,
}

/// One statement: its span (bytes, from its first token through its `;`, or to the end of the
/// text for the last one without a `;`) and its tokens (the `;` not included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Statement<'t, 'a> {
    pub span: (usize, usize),
    pub tokens: &'t [Token<'a>],
}

/// The tokens of `text`, comments and whitespace left out.
pub fn tokenize(text: &str) -> Result<Vec<Token<'_>>, Unreadable> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    // Where an open `/*!` (SQL the server runs) started, while inside one.
    let mut hint: Option<usize> = None;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let next = b.get(i + 1).copied();
        let start = i;
        let kind = match c {
            _ if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'#' => {
                i = line_end(b, i);
                continue;
            }
            b'-' if next == Some(b'-')
                && b.get(i + 2)
                    .is_none_or(|c| c.is_ascii_whitespace() || *c < 0x20) =>
            {
                i = line_end(b, i);
                continue;
            }
            b'/' if next == Some(b'*') => {
                let rest = b.get(i + 2..).unwrap_or_default();
                let marker = if rest.starts_with(b"!") {
                    Some(1)
                } else if rest.starts_with(b"M!") {
                    Some(2)
                } else {
                    None
                };
                match marker {
                    Some(m) if hint.is_none() => {
                        hint = Some(i);
                        i += 2 + m;
                        while b.get(i).is_some_and(u8::is_ascii_digit) {
                            i += 1;
                        }
                    }
                    _ => {
                        i = find(b, i + 2, b"*/").ok_or_else(|| Unreadable {
                            message: "a `/*` comment is never closed".into(),
                            at: start,
                        })? + 2;
                    }
                }
                continue;
            }
            b'*' if next == Some(b'/') && hint.is_some() => {
                hint = None;
                i += 2;
                continue;
            }
            b'\'' | b'"' => {
                i = string_end(b, i).ok_or_else(|| Unreadable {
                    message: format!("a string opened with {} is never closed", c as char),
                    at: start,
                })?;
                Kind::Str
            }
            b'`' => {
                i = quoted_end(b, i).ok_or_else(|| Unreadable {
                    message: "a `quoted` name is never closed".into(),
                    at: start,
                })?;
                Kind::Quoted
            }
            _ if is_word_byte(c) => {
                while b.get(i).copied().is_some_and(is_word_byte) {
                    i += 1;
                }
                Kind::Word
            }
            _ => {
                i += 1;
                Kind::Punct
            }
        };
        out.push(Token {
            kind,
            text: text.get(start..i).unwrap_or_default(),
            start,
            end: i,
        });
    }
    match hint {
        Some(at) => Err(Unreadable {
            message: "a `/*!` comment is never closed".into(),
            at,
        }),
        None => Ok(out),
    }
}

/// The statements of `tokens` (from [`tokenize`] of `text`); empty ones (`;;`) left out.
pub fn statements<'t, 'a>(text: &str, tokens: &'t [Token<'a>]) -> Vec<Statement<'t, 'a>> {
    let mut out = Vec::new();
    let mut first = 0;
    for (i, t) in tokens.iter().enumerate() {
        if t.is_punct(';') {
            if let (Some(head), Some(body)) = (tokens.get(first), tokens.get(first..i))
                && first < i
            {
                out.push(Statement {
                    span: (head.start, t.end),
                    tokens: body,
                });
            }
            first = i + 1;
        }
    }
    if let (Some(head), Some(body)) = (tokens.get(first), tokens.get(first..)) {
        out.push(Statement {
            span: (head.start, text.len()),
            tokens: body,
        });
    }
    out
}

/// Letters, digits, `_`, `$` and any non-ASCII byte (MySQL's unquoted names); a cut between two
/// such bytes never splits a UTF-8 character.
fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// The byte after the end of the line holding byte `i` (or the text's end).
fn line_end(b: &[u8], i: usize) -> usize {
    find(b, i, b"\n").map_or(b.len(), |n| n + 1)
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let hay = b.get(from..)?;
    hay.windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The byte after the string opening at `i` (its quote doubled or backslash-escaped inside).
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let quote = *b.get(i)?;
    let mut j = i + 1;
    loop {
        match *b.get(j)? {
            b'\\' => j += 2,
            c if c == quote => {
                if b.get(j + 1) == Some(&quote) {
                    j += 2;
                } else {
                    return Some(j + 1);
                }
            }
            _ => j += 1,
        }
    }
}

/// The byte after the `` ` `` name opening at `i` (doubled backticks inside; no escapes).
fn quoted_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        if *b.get(j)? == b'`' {
            if b.get(j + 1) == Some(&b'`') {
                j += 2;
            } else {
                return Some(j + 1);
            }
        } else {
            j += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(sql: &str) -> Vec<&str> {
        tokenize(sql).unwrap().iter().map(|t| t.text).collect()
    }

    #[test]
    fn strings_names_and_comments_hide_what_they_hold() {
        assert_eq!(
            words(
                "SELECT 'it''s; \\' DROP', \"a;b\" -- DROP TABLE x;\n# DROP TABLE y;\n/* ; */ `a``b c`"
            ),
            ["SELECT", "'it''s; \\' DROP'", ",", "\"a;b\"", "`a``b c`"]
        );
        let t = tokenize("`a``b c`").unwrap();
        assert_eq!(t[0].kind, Kind::Quoted);
        assert_eq!(t[0].name().unwrap(), "a`b c");
        // `--` without a space after it is two minus signs, as MySQL reads it.
        assert_eq!(words("SELECT 1--1"), ["SELECT", "1", "-", "-", "1"]);
        assert_eq!(words("SELECT 1 --\tx\n"), ["SELECT", "1"]);
        // `/*! … */` is SQL the server runs.
        assert_eq!(
            words("/*!40101 DROP TABLE x */; /*M!100100 SET a=1 */"),
            ["DROP", "TABLE", "x", ";", "SET", "a", "=", "1"]
        );
        assert_eq!(words("SELECT ñame"), ["SELECT", "ñame"]);
    }

    #[test]
    fn what_never_closes_is_unreadable_where_it_opens() {
        for (sql, at) in [
            ("SELECT 1;\nSELECT 'abc;\n", 17),
            ("SELECT \"a\\\"", 7),
            ("DROP TABLE `t;", 11),
            ("SELECT 1; /* DROP TABLE t;", 10),
            ("/*!40101 SET a=1;", 0),
        ] {
            let e = tokenize(sql).unwrap_err();
            assert_eq!(e.at, at, "{sql}: {e:?}");
            assert!(e.message.contains("never closed"), "{e:?}");
        }
    }

    #[test]
    fn statements_span_first_token_through_semicolon() {
        let sql = "-- head\nDROP TABLE a;;\n  /* c */ SELECT ';' ;\nTRUNCATE t -- tail\n";
        let tokens = tokenize(sql).unwrap();
        let spans: Vec<&str> = statements(sql, &tokens)
            .iter()
            .map(|s| &sql[s.span.0..s.span.1])
            .collect();
        assert_eq!(
            spans,
            ["DROP TABLE a;", "SELECT ';' ;", "TRUNCATE t -- tail\n"]
        );
        let counts: Vec<usize> = statements(sql, &tokens)
            .iter()
            .map(|s| s.tokens.len())
            .collect();
        assert_eq!(counts, [3, 2, 2]);
        assert!(statements("", &[]).is_empty());
    }
}
