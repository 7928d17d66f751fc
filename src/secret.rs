//! Owns secret values (tokens, database URLs): they cannot be printed by accident, and the
//! process-wide registry of them ([`register`], once at start) that the writers of everything the
//! run shows (`workflow`'s printer, the outputs, the job summary, every body sent to GitHub) pass
//! their text through ([`redact_registered`]), so a server echoing a token is never repeated.

use std::borrow::Cow;
use std::fmt;
use std::sync::RwLock;

/// Shorter values are not redacted: replacing every "ab" in a log would garble it, and a
/// secret that short protects nothing anyway.
const MIN_REDACTED_LEN: usize = 4;

/// Every registered secret text, longest first (so a URL is replaced before its password part).
static REGISTRY: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// A value that must never reach a log, an output, a summary or a comment.
/// `Debug` and `Display` print `***`; the value is read only through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The raw value, for the one place that must send it (an HTTP header, a database driver).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Replaces every occurrence of each secret in `text` with `***` (for error bodies echoed back
/// by a server, which may quote what we sent).
pub fn redact(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if s.expose().len() >= MIN_REDACTED_LEN {
            out = out.replace(s.expose(), "***");
        }
    }
    out
}

/// The texts that stand for `value` in what a server might echo: the value itself and, for a URL
/// with a password (a database URL), the password as written and percent-decoded.
fn forms(value: &str) -> Vec<String> {
    let mut out = vec![value.to_string()];
    if let Ok(url) = url::Url::parse(value)
        && let Some(password) = url.password()
    {
        out.push(password.to_string());
        let decoded = percent_encoding::percent_decode_str(password).decode_utf8_lossy();
        out.push(decoded.into_owned());
    }
    out
}

/// Adds `secret` to the process-wide registry (main does it once, for every secret of the
/// configuration, before anything talks to the outside).
pub fn register(secret: &Secret) {
    let mut registry = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    for form in forms(secret.expose()) {
        let form = form.trim().to_string();
        if form.len() >= MIN_REDACTED_LEN && !registry.contains(&form) {
            registry.push(form);
        }
    }
    registry.sort_by_key(|f| std::cmp::Reverse(f.len()));
}

/// `text` with every registered secret replaced by `***` (borrowed when there is none in it).
pub fn redact_registered(text: &str) -> Cow<'_, str> {
    let registry = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
    let mut out = Cow::Borrowed(text);
    for form in registry.iter() {
        if out.contains(form.as_str()) {
            out = Cow::Owned(out.replace(form.as_str(), "***"));
        }
    }
    out
}

/// `value` with every registered secret redacted from its strings (a body about to be sent).
pub fn redact_json(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(redact_registered(s).into_owned()),
        Value::Array(items) => Value::Array(items.iter().map(redact_json).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), redact_json(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("tok-123456");
        assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
        assert_eq!(redact("bad token tok-123456!", &[&s]), "bad token ***!");
    }

    #[test]
    fn registered_secrets_and_database_passwords_are_redacted() {
        register(&Secret::new("ghs_registeredTokenForTest"));
        register(&Secret::new(
            "postgres://app:p%40ss-w0rd@db.internal:5432/shop",
        ));
        register(&Secret::new("ab"));
        let text = "401 for ghs_registeredTokenForTest; auth failed for p@ss-w0rd (p%40ss-w0rd) \
                    at postgres://app:p%40ss-w0rd@db.internal:5432/shop; ab stays";
        assert_eq!(
            redact_registered(text),
            "401 for ***; auth failed for *** (***) at ***; ab stays"
        );
        assert!(matches!(
            redact_registered("nothing here"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn bodies_sent_to_github_are_redacted() {
        register(&Secret::new("ghp_bodyRedactionTest"));
        let body = serde_json::json!({"body": "echo ghp_bodyRedactionTest", "n": [1, "ghp_bodyRedactionTest"]});
        assert_eq!(
            redact_json(&body),
            serde_json::json!({"body": "echo ***", "n": [1, "***"]})
        );
    }
}
