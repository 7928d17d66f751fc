//! Owns the gate's words: the progress line of each poll and the reasons it passes or fails, each
//! naming the checks (with their links) and saying what to do next.

use std::time::Duration;

use super::evaluate::{Observed, Problem};

pub use crate::text::short_sha;

fn with_link(o: &Observed) -> String {
    match &o.url {
        Some(u) => format!("`{}` ({}) {}: {u}", o.name, o.kind.as_str(), o.value),
        None => format!("`{}` ({}) {}", o.name, o.kind.as_str(), o.value),
    }
}

/// Whole seconds, rounded up, as `42s` or `3m20s`.
pub fn human(d: Duration) -> String {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}

/// The most names a progress line lists before "and N more".
const PROGRESS_NAMES: usize = 10;

fn capped(names: &[String]) -> String {
    if names.len() <= PROGRESS_NAMES {
        return names.join(", ");
    }
    format!(
        "{} and {} more",
        names[..PROGRESS_NAMES].join(", "),
        names.len() - PROGRESS_NAMES
    )
}

/// One line per poll naming what is still pending.
pub fn progress(sha: &str, pending: &[Observed], missing: &[String], next: Duration) -> String {
    let mut parts = Vec::new();
    if !pending.is_empty() {
        let names: Vec<String> = pending
            .iter()
            .map(|o| format!("{} ({})", o.name, o.value))
            .collect();
        parts.push(format!("waiting for {}", capped(&names)));
    }
    if !missing.is_empty() {
        parts.push(format!("not reported yet: {}", capped(missing)));
    }
    format!(
        "Checks on {}: {}; next look in {}",
        short_sha(sha),
        parts.join("; "),
        human(next)
    )
}

/// Why the gate stopped at once.
pub fn failed(sha: &str, problems: &[Problem]) -> String {
    let mut lines = Vec::new();
    let mut concluded = 0;
    for p in problems {
        match p {
            Problem::Concluded(o) => {
                concluded += 1;
                lines.push(with_link(o));
            }
            Problem::SameRunNamed(o) => lines.push(format!(
                "{} is a job of this same workflow run and has not finished: the gate never waits on its own run (it could be waiting on itself). Give the deploy job `needs: [<that job>]` instead, or remove `{}` from `wait-for-checks`",
                with_link(o),
                o.name
            )),
        }
    }
    let advice = if concluded > 0 {
        " Nothing was deployed. Fix or re-run the failed checks, then run this again; a check you do not need can go in `ignore-checks`."
    } else {
        " Nothing was deployed."
    };
    format!(
        "Checks did not pass on {}: {}.{advice}",
        short_sha(sha),
        lines.join("; ")
    )
}

/// Why the gate gave up at `checks-timeout`. `seen` lists every name on the commit, to help fix a
/// misspelt `wait-for-checks` entry.
pub fn timed_out(
    sha: &str,
    timeout: Duration,
    pending: &[Observed],
    missing: &[String],
    seen: &[String],
) -> String {
    let mut parts = Vec::new();
    if !pending.is_empty() {
        let p: Vec<String> = pending.iter().map(with_link).collect();
        parts.push(format!("still unfinished: {}", p.join("; ")));
    }
    if !missing.is_empty() {
        let mut seen = seen.to_vec();
        seen.sort();
        seen.dedup();
        let seen = if seen.is_empty() {
            "none".to_string()
        } else {
            seen.join(", ")
        };
        parts.push(format!(
            "never appeared on the commit: {} (checks seen: {seen}); check the names in `wait-for-checks` against the check names GitHub shows on the commit",
            missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    format!(
        "`checks-timeout` ({}) ran out on {}: {}. Nothing was deployed. Raise `checks-timeout`, or list checks you do not need in `ignore-checks`.",
        human(timeout),
        short_sha(sha),
        parts.join("; ")
    )
}

/// The line printed when the gate opens.
pub fn passed(sha: &str, looked_at: usize, same_run_skipped: usize) -> String {
    let mut s = format!(
        "Checks passed on {}: {looked_at} check(s) looked at",
        short_sha(sha)
    );
    if same_run_skipped > 0 {
        s.push_str(&format!(
            ", {same_run_skipped} unfinished job(s) of this workflow run not waited on"
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::super::evaluate::{Kind, State};
    use super::*;

    fn obs(name: &str, value: &str, url: Option<&str>) -> Observed {
        Observed {
            name: name.into(),
            kind: Kind::CheckRun,
            value: value.into(),
            state: State::Failed,
            url: url.map(str::to_string),
            same_run: false,
        }
    }

    #[test]
    fn durations_read_like_inputs() {
        assert_eq!(human(Duration::from_secs(5)), "5s");
        assert_eq!(human(Duration::from_millis(4500)), "5s");
        assert_eq!(human(Duration::from_secs(1800)), "30m");
        assert_eq!(human(Duration::from_secs(200)), "3m20s");
    }

    #[test]
    fn failures_name_each_check_with_its_link() {
        let msg = failed(
            "0123456789abcdef",
            &[
                Problem::Concluded(obs("test", "failure", Some("https://x/1"))),
                Problem::Concluded(obs("lint", "cancelled", None)),
            ],
        );
        assert!(msg.contains("0123456"), "{msg}");
        assert!(
            msg.contains("`test` (check-run) failure: https://x/1"),
            "{msg}"
        );
        assert!(msg.contains("`lint` (check-run) cancelled"), "{msg}");
        assert!(msg.contains("ignore-checks"), "{msg}");
    }

    #[test]
    fn a_timeout_names_what_never_appeared_and_what_exists() {
        let msg = timed_out(
            "abc",
            Duration::from_secs(60),
            &[obs("slow", "in_progress", Some("https://x/2"))],
            &["e2e".into()],
            &["build".into(), "slow".into()],
        );
        assert!(msg.contains("(1m)"), "{msg}");
        assert!(
            msg.contains("`slow` (check-run) in_progress: https://x/2"),
            "{msg}"
        );
        assert!(
            msg.contains("never appeared on the commit: `e2e` (checks seen: build, slow)"),
            "{msg}"
        );
    }

    #[test]
    fn a_long_progress_line_is_capped() {
        let many: Vec<Observed> = (0..13)
            .map(|i| obs(&format!("c{i}"), "queued", None))
            .collect();
        let line = progress("abc", &many, &[], Duration::from_secs(5));
        assert!(line.contains("c9 (queued) and 3 more"), "{line}");
        assert!(!line.contains("c10"), "{line}");
    }

    #[test]
    fn progress_names_pending_and_missing() {
        let line = progress(
            "abcdef0123",
            &[obs("build", "queued", None)],
            &["e2e".into()],
            Duration::from_secs(8),
        );
        assert_eq!(
            line,
            "Checks on abcdef0: waiting for build (queued); not reported yet: e2e; next look in 8s"
        );
    }
}
