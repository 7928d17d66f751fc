//! The job summary's mermaid timeline checked against mermaid's gantt grammar (written from
//! mermaid's gantt documentation and its lexer's rules): the `gantt` header, `dateFormat x`, an
//! `axisFormat` of d3 time directives, `section` lines, and task lines `name : [tags,] id, start,
//! end` with unique ids, millisecond timestamps and `end >= start`. Also that stages lasting
//! milliseconds keep their true start and length, and that skipped stages are drawn as such.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use railway_deploy::record::{
    RunReport, RunStatus, ServiceReport, ServiceState, Stage, StageOutcome, StageTiming,
};
use railway_deploy::report::summary::render_summary;

/// One parsed task line.
#[derive(Debug)]
struct Task {
    section: String,
    name: String,
    tags: Vec<String>,
    start: i64,
    end: i64,
}

/// Directives d3-time-format knows (mermaid formats the axis with d3).
const D3_DIRECTIVES: &str = "aAbBcdefgGHIjLmMpqQsSuUVwWxXyYZ%";
const TAGS: [&str; 4] = ["active", "done", "crit", "milestone"];
const KEYWORDS: [&str; 11] = [
    "title",
    "dateFormat",
    "axisFormat",
    "tickInterval",
    "todayMarker",
    "excludes",
    "includes",
    "weekday",
    "section",
    "accTitle",
    "accDescr",
];

fn mermaid_block(summary: &str) -> Vec<String> {
    let start = summary
        .find("```mermaid\n")
        .expect("the summary has a mermaid block");
    let body = &summary[start + "```mermaid\n".len()..];
    let end = body.find("\n```").expect("the mermaid block is closed");
    body[..end].lines().map(str::to_string).collect()
}

fn check_axis_format(fmt: &str) -> Result<(), String> {
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            let d = chars.next().ok_or("axisFormat ends with a lone %")?;
            let d = if "-_0".contains(d) {
                chars.next().ok_or("axisFormat ends after a % pad")?
            } else {
                d
            };
            if !D3_DIRECTIVES.contains(d) {
                return Err(format!("axisFormat has an unknown d3 directive %{d}"));
            }
        }
    }
    Ok(())
}

/// `start`/`end` under `dateFormat x`: Unix milliseconds.
fn millis(field: &str, what: &str, line: &str) -> Result<i64, String> {
    if field.is_empty() || !field.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{what} `{field}` is not a dateFormat x timestamp in `{line}`"
        ));
    }
    field.parse().map_err(|e| format!("{what}: {e}"))
}

fn parse_task(line: &str, section: &str, ids: &mut HashSet<String>) -> Result<Task, String> {
    let (name, data) = line
        .split_once(':')
        .ok_or_else(|| format!("not a statement or a task: `{line}`"))?;
    let name = name.trim();
    if name.is_empty() || KEYWORDS.iter().any(|k| name.split(' ').next() == Some(*k)) {
        return Err(format!("bad task name in `{line}`"));
    }
    if data.contains(['#', ';', ':']) {
        return Err(format!("task data may not hold `#`, `;` or `:`: `{line}`"));
    }
    let fields: Vec<&str> = data.split(',').map(str::trim).collect();
    let tags: Vec<String> = fields
        .iter()
        .take_while(|f| TAGS.contains(f))
        .map(|f| f.to_string())
        .collect();
    let rest = &fields[tags.len()..];
    let [id, start, end] = rest else {
        return Err(format!(
            "expected `id, start, end` after the tags in `{line}`"
        ));
    };
    let id_ok = id.starts_with(|c: char| c.is_ascii_alphabetic())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !id_ok || !ids.insert(id.to_string()) {
        return Err(format!("task id `{id}` is invalid or repeated in `{line}`"));
    }
    let (start, end) = (millis(start, "start", line)?, millis(end, "end", line)?);
    if end < start {
        return Err(format!("task ends before it starts: `{line}`"));
    }
    Ok(Task {
        section: section.to_string(),
        name: name.to_string(),
        tags,
        start,
        end,
    })
}

/// Parses a gantt chart as mermaid would, refusing what its grammar refuses.
fn parse_gantt(lines: &[String]) -> Result<Vec<Task>, String> {
    let mut lines = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty());
    if lines.next() != Some("gantt") {
        return Err("the chart does not start with `gantt`".into());
    }
    let (mut date_format, mut section) = (None, String::new());
    let (mut tasks, mut ids) = (Vec::new(), HashSet::new());
    for line in lines {
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        match word {
            "dateFormat" => date_format = Some(rest.to_string()),
            "axisFormat" => check_axis_format(rest)?,
            "todayMarker" | "title" | "tickInterval" => {}
            "section" => {
                if rest.is_empty() || rest.contains(['#', ':', ';']) {
                    return Err(format!("bad section name: `{line}`"));
                }
                section = rest.to_string();
            }
            _ if line.starts_with("%%") => {}
            _ => {
                if date_format.as_deref() != Some("x") {
                    return Err("a task before `dateFormat x`".into());
                }
                tasks.push(parse_task(line, &section, &mut ids)?);
            }
        }
    }
    Ok(tasks)
}

fn at_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_795_852_800_000 + ms).unwrap()
}

fn timing(
    stage: Stage,
    service: Option<&str>,
    start: i64,
    ms: u64,
    o: StageOutcome,
) -> StageTiming {
    StageTiming {
        stage,
        service: service.map(str::to_string),
        started_at: at_ms(start),
        duration: Duration::from_millis(ms),
        outcome: o,
    }
}

/// A fast run: every stage under a second, the gate skipped, two services, `web` failing.
fn fast_report() -> RunReport {
    use StageOutcome::*;
    let mut r = RunReport::new("deploy", "upload", false, at_ms(0));
    r.status = RunStatus::Failed;
    r.environment = Some("staging".into());
    for name in ["web", "worker"] {
        let mut s = ServiceReport::planned(&format!("svc-{name}"), name);
        s.state = ServiceState::Deployed;
        r.services.push(s);
    }
    r.stages = vec![
        timing(Stage::Resolve, None, 0, 42, Passed),
        timing(Stage::Gate, None, 42, 0, Skipped),
        timing(Stage::Build, Some("web"), 50, 310, Passed),
        timing(Stage::Deploy, Some("web"), 360, 250, Failed),
        timing(Stage::Build, Some("worker"), 50, 180, Passed),
        timing(Stage::Deploy, Some("worker"), 230, 95, Passed),
    ];
    r
}

fn task<'a>(tasks: &'a [Task], section: &str, prefix: &str) -> &'a Task {
    tasks
        .iter()
        .find(|t| t.section == section && t.name.starts_with(prefix))
        .unwrap_or_else(|| panic!("no task {prefix} in {section}: {tasks:?}"))
}

#[test]
fn the_timeline_follows_mermaids_gantt_grammar_at_millisecond_precision() {
    let summary = render_summary(&fast_report());
    let lines = mermaid_block(&summary);
    let tasks = parse_gantt(&lines).unwrap_or_else(|e| panic!("{e}\n{}", lines.join("\n")));
    assert_eq!(tasks.len(), 6, "{tasks:?}");
    // Time is plotted since the run's first stage started, not on the wall clock.
    let t0 = 0;

    let resolve = task(&tasks, "run", "resolve");
    assert_eq!((resolve.start - t0, resolve.end - t0), (0, 42));
    assert_eq!(resolve.tags, ["done"]);

    let gate = task(&tasks, "run", "gate");
    assert_eq!(gate.name, "gate skipped");
    assert_eq!(gate.tags, ["milestone"]);
    assert_eq!(gate.start - t0, 42);

    let web = task(&tasks, "web", "deploy");
    assert_eq!((web.start - t0, web.end - t0), (360, 610));
    assert_eq!(web.tags, ["crit"]);
    let worker = task(&tasks, "worker", "deploy");
    assert_eq!((worker.start - t0, worker.end - t0), (230, 325));
    assert!(worker.start < web.start, "order is kept below a second");
}

#[test]
fn the_grammar_check_refuses_what_mermaid_refuses() {
    let chart = |body: &str| -> Vec<String> {
        format!("gantt\n    dateFormat x\n    section run\n{body}")
            .lines()
            .map(str::to_string)
            .collect()
    };
    let bad = [
        "    a b c :done, s1, 10, 5",            // ends before it starts
        "    resolve :done, s1, 2026-11-22, 10", // not dateFormat x
        "    resolve :done, s1, 10",             // no end
        "    resolve :done, s1, 1, 2\n    gate :s1, 3, 4", // repeated id
        "    resolve 1s done, s1, 1, 2",         // no colon
        "    resolve :done, s1, 1, 2 # note",    // comment char in data
    ];
    for body in bad {
        assert!(parse_gantt(&chart(body)).is_err(), "accepted: {body}");
    }
    assert!(parse_gantt(&chart("    resolve 1s :done, s1, 1, 2")).is_ok());
    let no_header: Vec<String> = vec!["dateFormat x".into()];
    assert!(parse_gantt(&no_header).is_err());
    assert!(check_axis_format("%M:%S").is_ok());
    assert!(check_axis_format("%K").is_err());
}

#[test]
fn a_long_run_and_a_one_stage_run_render_valid_charts_too() {
    use StageOutcome::*;
    let mut long = fast_report();
    long.stages = vec![
        timing(Stage::Resolve, None, 0, 800, Passed),
        timing(Stage::Gate, None, 800, 95_000, Passed),
        timing(Stage::Migrate, None, 95_800, 4_000, Failed),
        timing(Stage::Deploy, Some("web"), 99_800, 0, Skipped),
        timing(Stage::Rollback, Some("web"), 99_800, 12_345, Passed),
    ];
    let mut one = fast_report();
    one.stages.truncate(1);
    for r in [long, one] {
        let lines = mermaid_block(&render_summary(&r));
        let tasks = parse_gantt(&lines).unwrap_or_else(|e| panic!("{e}\n{}", lines.join("\n")));
        assert_eq!(tasks.len(), r.stages.len(), "{tasks:?}");
    }
}
