//! Owns what the action prints: GitHub workflow commands (`::group::`, `::error::`, `::add-mask::`
//! ...) when running in Actions, plain prefixed lines on a terminal. Nothing else writes to stdout.
//! Every line goes through [`crate::secret::redact_registered`] first (except `::add-mask::`, which
//! must carry the value to mask), so no call site can print a secret a server echoed back.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static IN_ACTIONS: AtomicBool = AtomicBool::new(false);

/// Chooses the output dialect once, from `GITHUB_ACTIONS=true`.
pub fn set_in_actions(value: bool) {
    IN_ACTIONS.store(value, Ordering::Relaxed);
}

pub fn in_actions() -> bool {
    IN_ACTIONS.load(Ordering::Relaxed)
}

/// Escapes a workflow command's message (data): `%`, CR and LF.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value: as data, plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn emit(line: &str) {
    emit_raw(&crate::secret::redact_registered(line));
}

fn emit_raw(line: &str) {
    let mut out = std::io::stdout().lock();
    // A closed stdout must not crash a deploy half-way: the exit status still tells the truth.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// A plain progress line.
pub fn info(msg: impl AsRef<str>) {
    emit(msg.as_ref());
}

fn annotation(kind: &str, title: Option<&str>, msg: &str) {
    if in_actions() {
        match title {
            Some(t) => emit(&format!(
                "::{kind} title={}::{}",
                escape_property(t),
                escape_data(msg)
            )),
            None => emit(&format!("::{kind}::{}", escape_data(msg))),
        }
    } else {
        let line = match title {
            Some(t) => format!("{kind}: {t}: {msg}"),
            None => format!("{kind}: {msg}"),
        };
        // On a terminal, errors and warnings go to stderr, apart from the program's output.
        match kind {
            "error" | "warning" => emit_stderr(&line),
            _ => emit(&line),
        }
    }
}

fn emit_stderr(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", crate::secret::redact_registered(line));
    let _ = err.flush();
}

/// An annotation on a file and line (`::warning file=…,line=…::`); on a terminal,
/// `kind: file:line: msg` (errors and warnings on stderr, as [`annotation`]'s).
pub fn annotate_at(kind: &str, file: &str, line: usize, msg: &str) {
    if in_actions() {
        emit(&format!(
            "::{kind} file={},line={line}::{}",
            escape_property(file),
            escape_data(msg)
        ));
    } else {
        let line = format!("{kind}: {file}:{line}: {msg}");
        match kind {
            "error" | "warning" => emit_stderr(&line),
            _ => emit(&line),
        }
    }
}

pub fn notice(msg: impl AsRef<str>) {
    annotation("notice", None, msg.as_ref());
}

pub fn warning(msg: impl AsRef<str>) {
    annotation("warning", None, msg.as_ref());
}

pub fn error(msg: impl AsRef<str>) {
    annotation("error", None, msg.as_ref());
}

pub fn error_titled(title: &str, msg: impl AsRef<str>) {
    annotation("error", Some(title), msg.as_ref());
}

/// Tells the runner to mask `value` in every later log line. Empty values are ignored (masking
/// "" would blank the log), and each line of a multi-line secret is masked on its own.
pub fn mask(value: &str) {
    if !in_actions() {
        return;
    }
    for line in value.lines().map(str::trim).filter(|l| !l.is_empty()) {
        emit_raw(&format!("::add-mask::{}", escape_data(line)));
    }
}

pub fn group_start(title: impl AsRef<str>) {
    if in_actions() {
        emit(&format!("::group::{}", escape_data(title.as_ref())));
    } else {
        emit(&format!("── {} ──", title.as_ref()));
    }
}

pub fn group_end() {
    if in_actions() {
        emit("::endgroup::");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_runner_rules() {
        assert_eq!(escape_data("50%\r\nnext"), "50%25%0D%0Anext");
        assert_eq!(escape_property("a:b,c\n"), "a%3Ab%2Cc%0A");
    }
}
