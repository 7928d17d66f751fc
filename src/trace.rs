//! The exchange trace a user can attach to a bug report: with `RAILWAY_DEPLOY_TRACE=<file>` (or
//! `--trace <file>`), one JSON line per exchange with Railway or GitHub: the system, the operation
//! or route, the names of the variables sent, the shape of the answer (key paths and JSON types,
//! never values), the HTTP status, the duration and the error text, redacted against
//! `crate::secret`'s registry. A websocket subscription is one line when it ends: how it ended,
//! how many events it carried and the shape of the first. It is how a difference between the
//! fakes and the real service becomes a test. Writing it never fails a run: a trace that cannot be
//! written is a warning (once), and tracing stops.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};

/// The open trace file, when tracing is on.
static TRACE: OnceLock<Mutex<File>> = OnceLock::new();
/// Set once a write failed: the warning is given once and nothing more is written.
static BROKEN: AtomicBool = AtomicBool::new(false);

/// The most key paths one answer's shape lists (a long list answer repeats the same paths).
const MAX_PATHS: usize = 200;
/// Error texts are cut to this many characters.
const MAX_ERROR: usize = 300;

/// Starts tracing into `path` (created or truncated). An error says why it could not.
pub fn start(path: &Path) -> std::io::Result<()> {
    let file = File::create(path)?;
    // A second start keeps the first file.
    let _ = TRACE.set(Mutex::new(file));
    Ok(())
}

/// Whether exchanges are traced.
pub fn on() -> bool {
    TRACE.get().is_some() && !BROKEN.load(Ordering::Relaxed)
}

/// One exchange, as the trace records it.
#[derive(Debug, Default)]
pub struct Exchange<'a> {
    /// `railway`, `railway-upload`, `railway-ws` or `github`.
    pub system: &'a str,
    /// The GraphQL operation name, or the method and route.
    pub operation: &'a str,
    /// The variables sent (only their names are written).
    pub variables: Option<&'a Value>,
    pub status: Option<u16>,
    /// The answer's text (only its shape is written).
    pub answer: Option<&'a str>,
    /// The answer's shape when the caller has it already (a subscription's first event);
    /// written instead of `answer`'s.
    pub shape: Option<&'a [String]>,
    pub duration: Duration,
    pub error: Option<String>,
    /// How a subscription ended (`completed`, `error`, `closed`, `failed`, `stopped`,
    /// `not started`); written only when set.
    pub ended: Option<&'a str>,
    /// How many events a subscription carried; written only when set.
    pub events: Option<u64>,
}

/// Writes one exchange (nothing when tracing is off).
pub fn record(e: &Exchange<'_>) {
    let Some(file) = TRACE.get() else {
        return;
    };
    if BROKEN.load(Ordering::Relaxed) {
        return;
    }
    // One write per line: lines of concurrent exchanges never interleave.
    let mut text = line(e).to_string();
    text.push('\n');
    let mut file = file.lock().unwrap_or_else(|p| p.into_inner());
    if let Err(err) = file.write_all(text.as_bytes())
        && !BROKEN.swap(true, Ordering::Relaxed)
    {
        crate::workflow::warning(format!(
            "the trace stopped: a line could not be written ({err}); the run goes on without it"
        ));
    }
}

fn line(e: &Exchange<'_>) -> Value {
    let variables: Vec<&String> = e
        .variables
        .and_then(Value::as_object)
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    let shape = match (e.shape, e.answer) {
        (Some(paths), _) => Some(json!(paths)),
        (None, Some(text)) => Some(match serde_json::from_str::<Value>(text) {
            Ok(v) => json!(shape(&v)),
            Err(_) => json!(format!("not JSON ({} bytes)", text.len())),
        }),
        (None, None) => None,
    };
    let error = e.error.as_deref().map(|t| {
        let t = crate::secret::redact_registered(t);
        crate::text::excerpt(&t, MAX_ERROR)
    });
    let mut line = json!({
        "system": e.system,
        "operation": e.operation,
        "variables": variables,
        "status": e.status,
        "ms": e.duration.as_millis() as u64,
        "shape": shape,
        "error": error,
    });
    if let Some(map) = line.as_object_mut() {
        if let Some(ended) = e.ended {
            map.insert("ended".into(), json!(ended));
        }
        if let Some(events) = e.events {
            map.insert("events".into(), json!(events));
        }
    }
    line
}

/// `value`'s key paths with their JSON types (`data.project.id: string`, arrays as `[]`), each
/// path once, at most [`MAX_PATHS`].
pub fn shape(value: &Value) -> Vec<String> {
    let mut out = BTreeSet::new();
    walk(value, "", &mut out);
    out.into_iter().take(MAX_PATHS).collect()
}

fn walk(value: &Value, path: &str, out: &mut BTreeSet<String>) {
    let here = if path.is_empty() { "." } else { path };
    match value {
        Value::Object(map) => {
            if map.is_empty() {
                out.insert(format!("{here}: object"));
            }
            for (k, v) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(v, &p, out);
            }
        }
        Value::Array(items) => {
            out.insert(format!("{here}: array"));
            for v in items {
                walk(v, &format!("{path}[]"), out);
            }
        }
        Value::String(_) => {
            out.insert(format!("{here}: string"));
        }
        Value::Number(_) => {
            out.insert(format!("{here}: number"));
        }
        Value::Bool(_) => {
            out.insert(format!("{here}: bool"));
        }
        Value::Null => {
            out.insert(format!("{here}: null"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_names_paths_and_types_never_values() {
        let v = json!({ "data": { "project": { "id": "proj-secret-id", "n": 3,
            "edges": [{ "node": { "name": "web" } }, { "node": { "name": "worker" } }] } } });
        let s = shape(&v);
        assert_eq!(
            s,
            [
                "data.project.edges: array",
                "data.project.edges[].node.name: string",
                "data.project.id: string",
                "data.project.n: number",
            ]
        );
        let text = serde_json::to_string(&line(&Exchange {
            system: "railway",
            operation: "Project",
            variables: Some(&json!({ "id": "proj-secret-id" })),
            answer: Some(&v.to_string()),
            ..Exchange::default()
        }))
        .unwrap();
        assert!(
            !text.contains("proj-secret-id") && !text.contains("worker"),
            "{text}"
        );
        assert!(text.contains("\"variables\":[\"id\"]"), "{text}");
    }
}
