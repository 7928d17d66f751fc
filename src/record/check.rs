//! What `command: check` found: one result per check (its name, `ok`, `warning` or `failed`, and
//! the detail, which for a failure says how to fix it), as the log, the job summary and the
//! `checks` output show them.

use serde::Serialize;

/// A check's verdict, in the words of the `checks` output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckVerdict {
    /// What the inputs need works.
    Ok,
    /// It works, but not the way the user probably expects (a double deploy, no backup ...).
    Warning,
    /// A feature the inputs turn on will not work; the detail says how to fix it.
    Failed,
}

impl CheckVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckVerdict::Ok => "ok",
            CheckVerdict::Warning => "warning",
            CheckVerdict::Failed => "failed",
        }
    }
}

/// One line of the check's table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    pub name: String,
    pub result: CheckVerdict,
    pub detail: String,
}

impl CheckResult {
    pub fn ok(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(name, CheckVerdict::Ok, detail)
    }

    pub fn warning(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(name, CheckVerdict::Warning, detail)
    }

    pub fn failed(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(name, CheckVerdict::Failed, detail)
    }

    fn new(name: impl Into<String>, result: CheckVerdict, detail: impl Into<String>) -> Self {
        CheckResult {
            name: name.into(),
            result,
            detail: detail.into(),
        }
    }
}
