//! Reads which top-level modules of the crate a Rust source file names: every `crate::x` path
//! in code (in `use` lines, `use crate::{a, b::{c}}` groups, and paths written inline), and every
//! `super::` chain that climbs to the crate root. Comments, strings, chars and `$crate` in macros
//! are skipped. A small lexer, not a parser: it only needs identifiers, `::`, braces and commas.

/// One path from the file into a top-level module: its first segment and the line it is on.
#[derive(Debug, PartialEq)]
pub struct Named {
    pub module: String,
    pub line: usize,
}

#[derive(Debug, PartialEq)]
enum Tok {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Other(char),
}

/// The top-level modules `src` names. `depth`: how deep the file's module is (`src/a.rs` and
/// `src/a/mod.rs` are 1, `src/a/b.rs` is 2), to resolve `super::`.
pub fn named_modules(src: &str, depth: usize) -> Vec<Named> {
    let toks = lex(src);
    let mut out = Vec::new();
    // Brace depths at which an inline `mod x {` opened: each adds one to the module depth.
    let mut inline_mods: Vec<usize> = Vec::new();
    let mut braces = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let tok = &toks[i].0;
        let prev = i.checked_sub(1).map(|p| &toks[p].0);
        match tok {
            Tok::Open => {
                braces += 1;
                let is_mod = i >= 2
                    && toks[i - 2].0 == Tok::Ident("mod".into())
                    && matches!(toks[i - 1].0, Tok::Ident(_));
                if is_mod {
                    inline_mods.push(braces);
                }
            }
            Tok::Close => {
                if inline_mods.last() == Some(&braces) {
                    inline_mods.pop();
                }
                braces = braces.saturating_sub(1);
            }
            Tok::Ident(w)
                if w == "crate"
                    && prev != Some(&Tok::Other('$'))
                    && toks.get(i + 1).map(|t| &t.0) == Some(&Tok::PathSep) =>
            {
                first_segments(&toks, i + 2, &mut out);
            }
            Tok::Ident(w) if w == "super" && prev != Some(&Tok::PathSep) => {
                // `super::super::x`: climbs `k` modules; at the crate root, `x` is top-level.
                let mut k = 0;
                let mut j = i;
                while toks.get(j).map(|t| &t.0) == Some(&Tok::Ident("super".into()))
                    && toks.get(j + 1).map(|t| &t.0) == Some(&Tok::PathSep)
                {
                    k += 1;
                    j += 2;
                }
                if k > 0 && k >= depth + inline_mods.len() {
                    first_segments(&toks, j, &mut out);
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The modules a file declares out of line (`mod x;`, `pub mod x;`): for `src/lib.rs`, the
/// crate's top-level modules.
pub fn declared_modules(src: &str) -> Vec<String> {
    let toks = lex(src);
    toks.windows(3)
        .filter_map(|w| match (&w[0].0, &w[1].0, &w[2].0) {
            (Tok::Ident(m), Tok::Ident(name), Tok::Other(';')) if m == "mod" => Some(name.clone()),
            _ => None,
        })
        .collect()
}

/// The first segment of the path at `toks[at]`: one identifier, or each item of a `{…}` group.
fn first_segments(toks: &[(Tok, usize)], at: usize, out: &mut Vec<Named>) {
    match toks.get(at) {
        Some((Tok::Ident(m), l)) => out.push(Named {
            module: m.clone(),
            line: *l,
        }),
        Some((Tok::Open, _)) => {
            let mut depth = 0;
            let mut item_start = true;
            for (tok, l) in &toks[at..] {
                match tok {
                    Tok::Open => {
                        depth += 1;
                        item_start = depth == 1;
                        continue;
                    }
                    Tok::Close => {
                        depth -= 1;
                        if depth == 0 {
                            return;
                        }
                    }
                    Tok::Comma if depth == 1 => {
                        item_start = true;
                        continue;
                    }
                    Tok::Ident(m) if item_start && depth == 1 && m != "self" => {
                        out.push(Named {
                            module: m.clone(),
                            line: *l,
                        });
                    }
                    _ => {}
                }
                item_start = false;
            }
        }
        _ => {}
    }
}

fn lex(src: &str) -> Vec<(Tok, usize)> {
    let c: Vec<char> = src.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let mut toks = Vec::new();
    let mut line = 1;
    let mut i = 0;
    // Skips to just past `end` (a string's closing quote), honouring `\` escapes when `escapes`.
    let skip_to = |i: &mut usize, line: &mut usize, end: &str, escapes: bool| {
        let end: Vec<char> = end.chars().collect();
        while *i < c.len() {
            if escapes && c[*i] == '\\' {
                *i += 2;
                continue;
            }
            if c[*i] == '\n' {
                *line += 1;
            }
            if c[*i..].starts_with(&end) {
                *i += end.len();
                return;
            }
            *i += 1;
        }
    };
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(c[i] == '\n');
                    i += 1;
                }
            }
        } else if ch == '"' || (ch == 'b' && at(i + 1) == '"') {
            i += if ch == 'b' { 2 } else { 1 };
            skip_to(&mut i, &mut line, "\"", true);
        } else if (ch == 'r' || (ch == 'b' && at(i + 1) == 'r')) && {
            let r = if ch == 'b' { i + 1 } else { i };
            let hashes = c[r + 1..].iter().take_while(|&&h| h == '#').count();
            at(r + 1 + hashes) == '"'
        } {
            let r = if ch == 'b' { i + 1 } else { i };
            let hashes = c[r + 1..].iter().take_while(|&&h| h == '#').count();
            i = r + 1 + hashes + 1;
            let end = format!("\"{}", "#".repeat(hashes));
            skip_to(&mut i, &mut line, &end, false);
        } else if ch == '\'' || (ch == 'b' && at(i + 1) == '\'') {
            let q = if ch == 'b' { i + 1 } else { i };
            if at(q + 1) == '\\' {
                i = q + 1;
                skip_to(&mut i, &mut line, "'", true);
            } else if at(q + 2) == '\'' {
                i = q + 3;
            } else {
                // A lifetime or a label: `'a`.
                i = q + 1;
            }
        } else if ch == 'r' && at(i + 1) == '#' && (at(i + 2).is_alphabetic() || at(i + 2) == '_') {
            // A raw identifier, `r#type`.
            i += 2;
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            toks.push((Tok::Ident(c[start..i].iter().collect()), line));
        } else if ch == ':' && at(i + 1) == ':' {
            toks.push((Tok::PathSep, line));
            i += 2;
        } else {
            toks.push((
                match ch {
                    '{' => Tok::Open,
                    '}' => Tok::Close,
                    ',' => Tok::Comma,
                    other => Tok::Other(other),
                },
                line,
            ));
            i += 1;
        }
    }
    toks
}

#[test]
fn reads_paths_in_code_only_groups_and_inline_included() {
    let src = r##"
//! Uses crate::doc_comment in prose.
use crate::a::b;
use crate::{c, d::{e, f}, self};
/* crate::block /* crate::nested */ */
fn f<'x>(s: &'x str) -> char {
    let _ = "crate::in_string";
    let _ = r#"crate::in_raw " string"#;
    let _ = b'"';
    let _ = crate :: g::h(s);
    let _: Vec<crate::i::J> = Vec::new();
    pub(crate) fn k() {}
    macro_rules! m { () => { $crate::macro_path } }
    '\''
}
mod inner {
    use super::super::up_two;
    use super::sibling;
}
use super::up_one;
"##;
    let names: Vec<(String, usize)> = named_modules(src, 1)
        .into_iter()
        .map(|n| (n.module, n.line))
        .collect();
    let want: Vec<(String, usize)> = [
        ("a", 3),
        ("c", 4),
        ("d", 4),
        ("g", 10),
        ("i", 11),
        ("up_two", 17),
        ("up_one", 20),
    ]
    .iter()
    .map(|(m, l)| (m.to_string(), *l))
    .collect();
    assert_eq!(names, want);
}
