//! Owns the gate's decision, as a pure function of what GitHub reported: pass, fail now, or wait.
//!
//! The rule:
//! - A check run passes when it completed as `success`, `neutral` or `skipped`; it fails on
//!   `failure`, `cancelled`, `timed_out`, `action_required`, `stale` or any conclusion GitHub may add
//!   later (fail closed). A commit status passes on `success`, fails on `failure` or `error`.
//! - Any failure stops the gate at once, even while other checks are still running.
//! - `ignore-checks` names are never looked at (in both modes; an ignored name also drops out of a
//!   `wait-for-checks` list).
//! - `true`: every other check run and status must pass. Check runs of this same workflow run are
//!   not waited on while unfinished (ordering inside a run belongs to `needs:`, and matrix jobs that
//!   all run this action would otherwise wait on each other forever), but one that already failed
//!   stops the gate.
//! - A list of names: exactly those must appear and pass; everything else is ignored. A listed name
//!   that is an unfinished job of this same run fails at once: waiting could mean waiting on
//!   ourselves, and the fix (`needs:`) is the user's to make.

use crate::record::CheckReport;

use crate::config::checks::{ChecksMode, same_name};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    CheckRun,
    Status,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::CheckRun => "check-run",
            Kind::Status => "status",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Pending,
    Passed,
    Failed,
}

/// One check run (the latest of its name) or one status (the latest of its context).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    pub name: String,
    pub kind: Kind,
    /// GitHub's word: a completed check run's conclusion, an unfinished one's status, a status's state.
    pub value: String,
    pub state: State,
    pub url: Option<String>,
    pub same_run: bool,
}

/// A check run's state from its `status` and `conclusion`.
pub fn check_run_state(status: &str, conclusion: Option<&str>) -> (State, String) {
    if status != "completed" {
        // queued, in_progress, waiting, requested, pending, or a status GitHub adds later: not done.
        return (State::Pending, status.to_string());
    }
    match conclusion {
        Some(c @ ("success" | "neutral" | "skipped")) => (State::Passed, c.to_string()),
        Some(c) => (State::Failed, c.to_string()),
        None => (State::Failed, "completed without a conclusion".to_string()),
    }
}

/// A commit status's state from its `state`.
pub fn status_state(state: &str) -> State {
    match state {
        "success" => State::Passed,
        "pending" => State::Pending,
        // failure, error, or anything unknown: fail closed.
        _ => State::Failed,
    }
}

/// Why one check stops the gate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// It ended badly.
    Concluded(Observed),
    /// It is named in `wait-for-checks` but is an unfinished job of this same workflow run.
    SameRunNamed(Observed),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed(Vec<Problem>),
    Waiting {
        pending: Vec<Observed>,
        /// Names listed in `wait-for-checks` that no check run or status carries yet.
        missing: Vec<String>,
    },
}

#[derive(Clone, Debug)]
pub struct Evaluation {
    pub outcome: Outcome,
    /// What the gate looked at, for the report: GitHub's word as `conclusion`, or `ignored`
    /// (ignore-checks), `not-waited-on` (an unfinished job of this run), `missing` (a listed name
    /// that never appeared).
    pub checks: Vec<CheckReport>,
    /// Unfinished jobs of this run that were not waited on.
    pub same_run_skipped: usize,
}

pub const IGNORED: &str = "ignored";
pub const NOT_WAITED_ON: &str = "not-waited-on";
pub const MISSING: &str = "missing";

fn report(o: &Observed, conclusion: &str) -> CheckReport {
    CheckReport {
        name: o.name.clone(),
        kind: o.kind.as_str().to_string(),
        conclusion: conclusion.to_string(),
        url: o.url.clone(),
    }
}

/// Decides the gate from what was observed. `mode` is never `Off` here (an `Off` gate asks nothing);
/// if it is, nothing is required and the gate passes.
pub fn evaluate(observed: &[Observed], mode: &ChecksMode, ignore: &[String]) -> Evaluation {
    let ignored = |name: &str| ignore.iter().any(|i| same_name(i, name));
    let mut problems = Vec::new();
    let mut pending = Vec::new();
    let mut missing = Vec::new();
    let mut checks = Vec::new();
    let mut same_run_skipped = 0;

    match mode {
        ChecksMode::Off => {}
        ChecksMode::All => {
            for o in observed {
                if ignored(&o.name) {
                    checks.push(report(o, IGNORED));
                    continue;
                }
                match (o.state, o.same_run) {
                    (State::Failed, _) => problems.push(Problem::Concluded(o.clone())),
                    (State::Pending, true) => {
                        same_run_skipped += 1;
                        checks.push(report(o, NOT_WAITED_ON));
                        continue;
                    }
                    (State::Pending, false) => pending.push(o.clone()),
                    (State::Passed, _) => {}
                }
                checks.push(report(o, &o.value));
            }
        }
        ChecksMode::Named(names) => {
            for name in names.iter().filter(|n| !ignored(n)) {
                let matches: Vec<&Observed> = observed
                    .iter()
                    .filter(|o| same_name(&o.name, name))
                    .collect();
                if matches.is_empty() {
                    missing.push(name.clone());
                    checks.push(CheckReport {
                        name: name.clone(),
                        kind: Kind::CheckRun.as_str().to_string(),
                        conclusion: MISSING.to_string(),
                        url: None,
                    });
                }
                for o in matches {
                    match (o.state, o.same_run) {
                        (State::Failed, _) => problems.push(Problem::Concluded(o.clone())),
                        (State::Pending, true) => problems.push(Problem::SameRunNamed(o.clone())),
                        (State::Pending, false) => pending.push(o.clone()),
                        (State::Passed, _) => {}
                    }
                    checks.push(report(o, &o.value));
                }
            }
        }
    }

    let outcome = if !problems.is_empty() {
        Outcome::Failed(problems)
    } else if !pending.is_empty() || !missing.is_empty() {
        Outcome::Waiting { pending, missing }
    } else {
        Outcome::Passed
    };
    Evaluation {
        outcome,
        checks,
        same_run_skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, status: &str, conclusion: Option<&str>, same_run: bool) -> Observed {
        let (state, value) = check_run_state(status, conclusion);
        Observed {
            name: name.to_string(),
            kind: Kind::CheckRun,
            value,
            state,
            url: Some(format!("https://example.test/{name}")),
            same_run,
        }
    }

    fn status(context: &str, state: &str) -> Observed {
        Observed {
            name: context.to_string(),
            kind: Kind::Status,
            value: state.to_string(),
            state: status_state(state),
            url: None,
            same_run: false,
        }
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// A short form of an outcome, for the table.
    fn short(o: &Outcome) -> String {
        match o {
            Outcome::Passed => "pass".into(),
            Outcome::Failed(p) => {
                let n: Vec<String> = p
                    .iter()
                    .map(|p| match p {
                        Problem::Concluded(o) => o.name.clone(),
                        Problem::SameRunNamed(o) => format!("self:{}", o.name),
                    })
                    .collect();
                format!("fail {}", n.join(","))
            }
            Outcome::Waiting { pending, missing } => {
                let p: Vec<&str> = pending.iter().map(|o| o.name.as_str()).collect();
                format!("wait {} missing {}", p.join(","), missing.join(","))
            }
        }
    }

    #[test]
    fn check_run_states() {
        let cases = [
            ("completed", Some("success"), State::Passed),
            ("completed", Some("neutral"), State::Passed),
            ("completed", Some("skipped"), State::Passed),
            ("completed", Some("failure"), State::Failed),
            ("completed", Some("cancelled"), State::Failed),
            ("completed", Some("timed_out"), State::Failed),
            ("completed", Some("action_required"), State::Failed),
            ("completed", Some("stale"), State::Failed),
            ("completed", Some("startup_failure"), State::Failed),
            ("completed", None, State::Failed),
            ("queued", None, State::Pending),
            ("in_progress", None, State::Pending),
            ("waiting", None, State::Pending),
            ("requested", None, State::Pending),
            ("pending", None, State::Pending),
        ];
        for (s, c, want) in cases {
            assert_eq!(check_run_state(s, c).0, want, "{s} {c:?}");
        }
        assert_eq!(status_state("success"), State::Passed);
        assert_eq!(status_state("pending"), State::Pending);
        assert_eq!(status_state("failure"), State::Failed);
        assert_eq!(status_state("error"), State::Failed);
    }

    /// (what, observed, mode, ignore-checks, expected outcome).
    type Case = (
        &'static str,
        Vec<Observed>,
        ChecksMode,
        Vec<String>,
        &'static str,
    );

    #[test]
    fn decision_table() {
        let ok = || run("build", "completed", Some("success"), false);
        let all = ChecksMode::All;
        let cases: Vec<Case> = vec![
            ("nothing at all passes", vec![], all.clone(), vec![], "pass"),
            ("one success", vec![ok()], all.clone(), vec![], "pass"),
            (
                "neutral and skipped pass",
                vec![
                    run("a", "completed", Some("neutral"), false),
                    run("b", "completed", Some("skipped"), false),
                ],
                all.clone(),
                vec![],
                "pass",
            ),
            (
                "a failure stops even while another is pending",
                vec![
                    run("slow", "in_progress", None, false),
                    run("test", "completed", Some("failure"), false),
                ],
                all.clone(),
                vec![],
                "fail test",
            ),
            (
                "every failure is named",
                vec![
                    run("a", "completed", Some("cancelled"), false),
                    run("b", "completed", Some("timed_out"), false),
                    status("ci/legacy", "error"),
                ],
                all.clone(),
                vec![],
                "fail a,b,ci/legacy",
            ),
            (
                "pending check run waits",
                vec![ok(), run("lint", "queued", None, false)],
                all.clone(),
                vec![],
                "wait lint missing ",
            ),
            (
                "pending status waits",
                vec![ok(), status("ci/circleci", "pending")],
                all.clone(),
                vec![],
                "wait ci/circleci missing ",
            ),
            (
                "own run's unfinished jobs are not waited on",
                vec![
                    ok(),
                    run("deploy (api)", "in_progress", None, true),
                    run("deploy (web)", "queued", None, true),
                ],
                all.clone(),
                vec![],
                "pass",
            ),
            (
                "own run's failed job stops the gate",
                vec![ok(), run("test", "completed", Some("failure"), true)],
                all.clone(),
                vec![],
                "fail test",
            ),
            (
                "ignored failures and pendings do not count",
                vec![
                    ok(),
                    run("flaky", "completed", Some("failure"), false),
                    run("Slow", "in_progress", None, false),
                ],
                all.clone(),
                names(&["flaky", "slow"]),
                "pass",
            ),
            (
                "named: others are ignored",
                vec![ok(), run("other", "completed", Some("failure"), false)],
                ChecksMode::Named(names(&["Build"])),
                vec![],
                "pass",
            ),
            (
                "named: a missing name waits",
                vec![ok()],
                ChecksMode::Named(names(&["build", "e2e"])),
                vec![],
                "wait  missing e2e",
            ),
            (
                "named: check run and status of the same name must both pass",
                vec![ok(), status("build", "pending")],
                ChecksMode::Named(names(&["build"])),
                vec![],
                "wait build missing ",
            ),
            (
                "named: a failed one stops",
                vec![run("build", "completed", Some("action_required"), false)],
                ChecksMode::Named(names(&["build"])),
                vec![],
                "fail build",
            ),
            (
                "named: an unfinished job of this run fails at once",
                vec![run("deploy", "in_progress", None, true)],
                ChecksMode::Named(names(&["deploy"])),
                vec![],
                "fail self:deploy",
            ),
            (
                "named: a finished job of this run counts",
                vec![run("test", "completed", Some("success"), true)],
                ChecksMode::Named(names(&["test"])),
                vec![],
                "pass",
            ),
            (
                "named: an ignored name is not required",
                vec![ok()],
                ChecksMode::Named(names(&["build", "e2e"])),
                names(&["E2E"]),
                "pass",
            ),
            (
                "off requires nothing",
                vec![],
                ChecksMode::Off,
                vec![],
                "pass",
            ),
        ];
        for (what, observed, mode, ignore, want) in cases {
            let got = evaluate(&observed, &mode, &ignore);
            assert_eq!(short(&got.outcome), want, "{what}");
        }
    }

    #[test]
    fn the_report_lists_what_was_looked_at() {
        let observed = vec![
            run("build", "completed", Some("success"), false),
            run("deploy", "in_progress", None, true),
            run("flaky", "completed", Some("failure"), false),
        ];
        let e = evaluate(&observed, &ChecksMode::All, &names(&["flaky"]));
        let got: Vec<(String, String)> = e
            .checks
            .iter()
            .map(|c| (c.name.clone(), c.conclusion.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("build".into(), "success".into()),
                ("deploy".into(), NOT_WAITED_ON.into()),
                ("flaky".into(), IGNORED.into()),
            ]
        );
        assert_eq!(e.same_run_skipped, 1);
        let e = evaluate(&observed, &ChecksMode::Named(names(&["e2e"])), &[]);
        assert_eq!(e.checks[0].conclusion, MISSING);
    }
}
