//! A small evaluator for the part of GitHub's expression syntax the example workflows use:
//! string literals, `true`/`false`, `github.ref`, `github.ref_name`, `github.ref_type`,
//! `github.event_name`, `inputs.<name>`, `startsWith`, `contains`, `!`, `==`, `!=`, `&&`, `||`
//! and parentheses, with GitHub's semantics (case-insensitive string comparison, `&&`/`||`
//! returning an operand). Anything else is refused, so a test using it cannot silently pass.

use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Bool(bool),
}

impl Value {
    pub fn truthy(&self) -> bool {
        match self {
            Value::Str(s) => !s.is_empty(),
            Value::Bool(b) => *b,
        }
    }

    pub fn text(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Str(String),
    Ident(String),
    Op(&'static str),
}

fn tokenize(src: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(format!("unterminated string in `{src}`")),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\'') => break,
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            i += 1;
            out.push(Token::Str(s));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "_.-".contains(chars[i]))
            {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let op = ["&&", "||", "==", "!="]
                .into_iter()
                .find(|op| *op == two)
                .or_else(|| {
                    ["!", "(", ")", ","]
                        .into_iter()
                        .find(|op| op.starts_with(c))
                })
                .ok_or_else(|| format!("unsupported character `{c}` in `{src}`"))?;
            i += op.len();
            out.push(Token::Op(op));
        }
    }
    Ok(out)
}

/// The values an expression may read.
pub type Context = HashMap<String, String>;

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    ctx: &'a Context,
    src: &'a str,
}

impl Parser<'_> {
    fn peek_op(&self, op: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Op(o)) if *o == op)
    }

    fn expect_op(&mut self, op: &str) -> Result<(), String> {
        if !self.peek_op(op) {
            return Err(format!("expected `{op}` in `{}`", self.src));
        }
        self.pos += 1;
        Ok(())
    }

    fn or(&mut self) -> Result<Value, String> {
        let mut left = self.and()?;
        while self.peek_op("||") {
            self.pos += 1;
            let right = self.and()?;
            left = if left.truthy() { left } else { right };
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Value, String> {
        let mut left = self.equality()?;
        while self.peek_op("&&") {
            self.pos += 1;
            let right = self.equality()?;
            left = if left.truthy() { right } else { left };
        }
        Ok(left)
    }

    fn equality(&mut self) -> Result<Value, String> {
        let left = self.unary()?;
        for (op, want) in [("==", true), ("!=", false)] {
            if self.peek_op(op) {
                self.pos += 1;
                let right = self.unary()?;
                let equal = match (&left, &right) {
                    (Value::Str(a), Value::Str(b)) => a.eq_ignore_ascii_case(b),
                    (a, b) => a == b,
                };
                return Ok(Value::Bool(equal == want));
            }
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Value, String> {
        if self.peek_op("!") {
            self.pos += 1;
            return Ok(Value::Bool(!self.unary()?.truthy()));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Value, String> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        match token {
            Some(Token::Str(s)) => Ok(Value::Str(s)),
            Some(Token::Op("(")) => {
                let v = self.or()?;
                self.expect_op(")")?;
                Ok(v)
            }
            Some(Token::Ident(name)) if self.peek_op("(") => self.call(&name),
            Some(Token::Ident(name)) => match name.as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => self
                    .ctx
                    .get(&name)
                    .map(|v| Value::Str(v.clone()))
                    .ok_or_else(|| format!("unsupported name `{name}` in `{}`", self.src)),
            },
            other => Err(format!("unexpected {other:?} in `{}`", self.src)),
        }
    }

    fn call(&mut self, name: &str) -> Result<Value, String> {
        self.expect_op("(")?;
        let haystack = self.or()?.text().to_lowercase();
        self.expect_op(",")?;
        let needle = self.or()?.text().to_lowercase();
        self.expect_op(")")?;
        match name {
            "startsWith" => Ok(Value::Bool(haystack.starts_with(&needle))),
            "contains" => Ok(Value::Bool(haystack.contains(&needle))),
            _ => Err(format!("unsupported function `{name}` in `{}`", self.src)),
        }
    }
}

/// Evaluates one expression (the text inside `${{ }}`, or a bare `if:`).
pub fn eval(src: &str, ctx: &Context) -> Result<Value, String> {
    let mut p = Parser {
        tokens: tokenize(src)?,
        pos: 0,
        ctx,
        src,
    };
    let v = p.or()?;
    if p.pos != p.tokens.len() {
        return Err(format!("trailing tokens in `{src}`"));
    }
    Ok(v)
}

/// Evaluates a workflow value: literal text with `${{ }}` parts replaced by their values.
pub fn interpolate(value: &str, ctx: &Context) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("unclosed `${{{{` in `{value}`"))?;
        out.push_str(&eval(&after[..end], ctx)?.text());
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// An `if:` condition: a bare expression or one `${{ }}`.
pub fn condition(value: &str, ctx: &Context) -> Result<bool, String> {
    let t = value.trim();
    match t.strip_prefix("${{").and_then(|r| r.strip_suffix("}}")) {
        Some(inner) => Ok(eval(inner, ctx)?.truthy()),
        None => Ok(eval(t, ctx)?.truthy()),
    }
}

#[test]
fn the_evaluator_follows_githubs_rules_and_refuses_the_rest() {
    let ctx: Context = [
        ("github.ref_name", "v1.3.0-RC.1"),
        ("github.ref_type", "tag"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let e = |s: &str| eval(s, &ctx).map(|v| v.text());
    assert_eq!(e("contains(github.ref_name, '-rc')").unwrap(), "true");
    assert_eq!(e("github.ref_type == 'TAG' && 'a' || 'b'").unwrap(), "a");
    assert_eq!(
        e("!startsWith(github.ref_name, 'v') && 'a' || 'b'").unwrap(),
        "b"
    );
    assert_eq!(e("'it''s'").unwrap(), "it's");
    assert_eq!(e("github.ref_type != 'tag'").unwrap(), "false");
    assert_eq!(
        interpolate("x-${{ github.ref_type }}-y", &ctx).unwrap(),
        "x-tag-y"
    );
    for bad in [
        "github.sha",
        "endsWith(github.ref, 'x')",
        "format('{0}', 'a')",
        "1 == 1",
        "github.ref_type == 'tag' &&",
        "github.event.release.prerelease",
        "'a' < 'b'",
    ] {
        assert!(e(bad).is_err(), "accepted {bad}");
    }
    assert!(interpolate("${{ github.ref_type ", &ctx).is_err());
}
