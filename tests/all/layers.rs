//! Keeps the crate's layers one way. Reads every path into another top-level module in `src/`
//! (code only, `#[cfg(test)]` modules included; `paths`) and fails on an import from a lower
//! layer into a higher one, on any cycle between top-level modules (also inside one layer), and
//! on a module of `src/lib.rs` that has no layer. The order is written once: [`LAYERS`].

mod paths;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, top first. A module may use its own layer's modules and every layer below it,
/// never one above; no cycle anywhere. `main.rs` sits above them all.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "main's signal handling and exit status",
        &["cancel", "exit"],
    ),
    ("the run: plans and executes every command", &["pipeline"]),
    (
        "stages: one step of a run each (`command: check`'s checks too)",
        &["setup_check", "stages"],
    ),
    (
        "telling people: comment, Deployments, summary, webhook",
        &["notify", "report"],
    ),
    (
        "domain: what one stage does",
        &["backup", "deploy", "gate", "health", "migrate", "watch"],
    ),
    ("clients of the outside systems", &["github", "railway"]),
    (
        "what a run reads and keeps: environment, inputs, record, source archive",
        &["config", "context", "record", "upload"],
    ),
    (
        "utilities",
        &[
            "retry", "secret", "text", "timing", "trace", "wait", "workflow",
        ],
    ),
];

/// `from` uses `to` at `at` (`src/…:line`).
struct Edge {
    from: String,
    to: String,
    at: String,
}

#[test]
fn layers_go_one_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let modules: BTreeSet<String> = paths::declared_modules(&lib).into_iter().collect();
    let mut problems = layer_problems(&modules);
    let layer: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(i, (_, ms))| ms.iter().map(move |m| (*m, i)))
        .collect();

    let edges = edges(&root.join("src"), &modules);
    assert!(
        edges.len() > 100,
        "read only {} paths between modules in src/: the reader is broken",
        edges.len()
    );
    for e in &edges {
        if let (Some(&from), Some(&to)) = (layer.get(e.from.as_str()), layer.get(e.to.as_str()))
            && to < from
        {
            problems.push(format!(
                "upward: `{}` ({}) uses `{}` ({}), a higher layer, at {}",
                e.from, LAYERS[from].0, e.to, LAYERS[to].0, e.at
            ));
        }
    }
    problems.extend(cycles(&modules, &edges));

    assert!(
        problems.is_empty(),
        "the layers of src/ are broken ({} problems); the order is LAYERS in tests/all/layers.rs:\n  {}\n",
        problems.len(),
        problems.join("\n  ")
    );
}

/// Every module of `src/lib.rs` in exactly one layer, and no layer naming a module that is gone.
fn layer_problems(modules: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for (name, ms) in LAYERS {
        for m in *ms {
            if !seen.insert(*m) {
                problems.push(format!("`{m}` is in more than one layer (last: {name})"));
            }
            if !modules.contains(*m) {
                problems.push(format!(
                    "layer `{name}` names `{m}`, which src/lib.rs does not declare"
                ));
            }
        }
    }
    for m in modules {
        if !seen.contains(m.as_str()) {
            problems.push(format!("`{m}` (src/lib.rs) has no layer: add it to LAYERS"));
        }
    }
    problems
}

/// Every path from one top-level module into another, read from the files under `src`.
fn edges(src: &Path, modules: &BTreeSet<String>) -> Vec<Edge> {
    let mut files = Vec::new();
    collect_rs(src, &mut files);
    files.sort();
    let mut edges = Vec::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap();
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let from = parts[0].trim_end_matches(".rs").to_string();
        if from == "lib" || from == "main" {
            continue;
        }
        let depth = parts.len() - usize::from(parts.last().is_some_and(|p| p == "mod.rs"));
        let text = std::fs::read_to_string(&file).unwrap();
        for named in paths::named_modules(&text, depth) {
            if named.module != from && modules.contains(&named.module) {
                edges.push(Edge {
                    from: from.clone(),
                    to: named.module,
                    at: format!("src/{}:{}", rel.display(), named.line),
                });
            }
        }
    }
    edges
}

fn collect_rs(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Each group of modules that reach each other, with the paths that close the circle.
fn cycles(modules: &BTreeSet<String>, edges: &[Edge]) -> Vec<String> {
    let mut next: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in edges {
        next.entry(&e.from).or_default().insert(&e.to);
    }
    let reach = |start: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![start];
        while let Some(m) = todo.pop() {
            for n in next.get(m).into_iter().flatten() {
                if seen.insert(*n) {
                    todo.push(n);
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&str, BTreeSet<&str>> =
        modules.iter().map(|m| (m.as_str(), reach(m))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for m in modules.iter().map(String::as_str) {
        if done.contains(m) || !reaches[m].contains(m) {
            continue;
        }
        let group: BTreeSet<&str> = reaches[m]
            .iter()
            .copied()
            .filter(|n| reaches[n].contains(m))
            .collect();
        done.extend(group.iter().copied());
        let mut closing: Vec<String> = Vec::new();
        for e in edges {
            let link = format!("{} -> {}", e.from, e.to);
            if group.contains(e.from.as_str())
                && group.contains(e.to.as_str())
                && !closing.iter().any(|c| c.starts_with(&format!("{link} ")))
            {
                closing.push(format!("{link} (first at {})", e.at));
            }
        }
        out.push(format!(
            "cycle between {}: {}",
            group.iter().copied().collect::<Vec<_>>().join(", "),
            closing.join("; ")
        ));
    }
    out
}
