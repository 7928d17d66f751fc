//! Owns the watch's rules, as pure functions: which instance statuses are a breach, when failed
//! health probes in a row are one, how a status-code series folds into requests and 5xx per
//! interval, and when the 5xx share is one.

use std::time::Duration;

use crate::railway::observe::{DeploymentInstances, StatusSeries};
use crate::railway::status::DeploymentStatus;
use crate::record::{IntervalCount, ProbeTally};
use crate::text::percent;

/// The first instance crashed, restarting or exited, else a crashed deployment: the evidence.
pub fn instance_breach(d: &DeploymentInstances) -> Option<String> {
    let Some(bad) = d.instances.iter().find(|i| i.status.is_breach()) else {
        return (d.status == DeploymentStatus::Crashed)
            .then(|| format!("deployment {} is CRASHED", d.id));
    };
    let running = d
        .instances
        .iter()
        .filter(|i| i.status == crate::railway::observe::InstanceStatus::Running)
        .count();
    Some(format!(
        "instance {} of deployment {} is {} ({running} of {} instances running)",
        bad.id,
        d.id,
        bad.status.as_str(),
        d.instances.len()
    ))
}

/// Failed probes in a row, and the tally of the whole watch.
#[derive(Clone, Debug, Default)]
pub struct HealthStreak {
    in_row: u32,
    pub tally: ProbeTally,
}

impl HealthStreak {
    /// Records one probe (`Err`: why it failed); the evidence once `limit` failed in a row.
    pub fn record(&mut self, probe: Result<u16, String>, limit: u32) -> Option<String> {
        self.tally.made += 1;
        match probe {
            Ok(_) => {
                self.in_row = 0;
                None
            }
            Err(why) => {
                self.tally.failed += 1;
                self.in_row += 1;
                (self.in_row >= limit).then(|| {
                    format!(
                        "{} health probes in a row failed (last: {why})",
                        self.in_row
                    )
                })
            }
        }
    }
}

/// Requests and 5xx since going live, and per interval of `step` (the first starting at
/// `live_since`, Unix seconds). Railway's samples carry their step's start, and metrics are per
/// service: a sample whose step began before `live_since` may hold the previous deployment's
/// requests, so it is never counted. How Railway aligns its steps is not public (the fake aligns
/// them on the epoch, so the first step usually begins before going live).
pub fn fold(series: &[StatusSeries], live_since: i64, step: Duration) -> Vec<IntervalCount> {
    let step_secs = i64::try_from(step.as_secs().max(1)).unwrap_or(i64::MAX);
    let mut intervals: Vec<IntervalCount> = Vec::new();
    for s in series {
        let is_error = (500..600).contains(&s.status_code);
        for sample in s.samples.iter().filter(|x| x.ts >= live_since) {
            let index = (sample.ts - live_since) / step_secs;
            let index = usize::try_from(index).unwrap_or(0);
            while intervals.len() <= index {
                let offset = step * u32::try_from(intervals.len()).unwrap_or(u32::MAX);
                intervals.push(IntervalCount {
                    offset,
                    requests: 0,
                    errors: 0,
                });
            }
            let count = count(sample.value);
            intervals[index].requests += count;
            if is_error {
                intervals[index].errors += count;
            }
        }
    }
    intervals
}

/// A sample's value as a count (Railway sends counts as floats; a negative or NaN one is none).
fn count(value: f64) -> u64 {
    if value.is_finite() && value > 0.0 {
        value.round() as u64
    } else {
        0
    }
}

/// The totals of [`fold`]'s intervals: (requests, errors).
pub fn totals(intervals: &[IntervalCount]) -> (u64, u64) {
    intervals
        .iter()
        .fold((0, 0), |(r, e), i| (r + i.requests, e + i.errors))
}

/// The evidence when the 5xx share is over `max_rate` with at least `min_requests` requests.
pub fn error_rate_breach(
    requests: u64,
    errors: u64,
    max_rate: f64,
    min_requests: u64,
) -> Option<String> {
    if requests < min_requests || requests == 0 {
        return None;
    }
    let rate = errors as f64 / requests as f64;
    (rate > max_rate).then(|| {
        format!(
            "{errors} of {requests} requests ({}) answered 5xx since going live; the limit is {}",
            percent(rate),
            percent(max_rate)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::railway::observe::{DeploymentInstance, HttpSample, InstanceStatus};

    fn deployment(status: &str, instances: &[&str]) -> DeploymentInstances {
        DeploymentInstances {
            id: "dep-1".into(),
            status: DeploymentStatus::parse(status),
            instances: instances
                .iter()
                .enumerate()
                .map(|(i, s)| DeploymentInstance {
                    id: format!("i-{i}"),
                    status: InstanceStatus::from(s.to_string()),
                })
                .collect(),
        }
    }

    #[test]
    fn crashed_restarting_or_exited_instances_are_breaches() {
        assert_eq!(
            instance_breach(&deployment("SUCCESS", &["RUNNING", "RUNNING"])),
            None
        );
        assert_eq!(
            instance_breach(&deployment("SUCCESS", &["RUNNING", "RESTARTING"])).as_deref(),
            Some("instance i-1 of deployment dep-1 is RESTARTING (1 of 2 instances running)")
        );
        assert!(instance_breach(&deployment("SUCCESS", &["EXITED"])).is_some());
        assert!(instance_breach(&deployment("SUCCESS", &["INITIALIZING", "REMOVED"])).is_none());
        assert_eq!(
            instance_breach(&deployment("CRASHED", &[])).as_deref(),
            Some("deployment dep-1 is CRASHED")
        );
    }

    #[test]
    fn only_failures_in_a_row_breach() {
        let mut s = HealthStreak::default();
        let fail = || Err("answered 503".to_string());
        assert_eq!(s.record(fail(), 3), None);
        assert_eq!(s.record(fail(), 3), None);
        assert_eq!(s.record(Ok(200), 3), None);
        assert_eq!(s.record(fail(), 3), None);
        assert_eq!(s.record(fail(), 3), None);
        assert_eq!(
            s.record(fail(), 3).as_deref(),
            Some("3 health probes in a row failed (last: answered 503)")
        );
        assert_eq!((s.tally.made, s.tally.failed), (6, 5));
    }

    fn series(code: u16, samples: &[(i64, f64)]) -> StatusSeries {
        StatusSeries {
            status_code: code,
            samples: samples
                .iter()
                .map(|&(ts, value)| HttpSample { ts, value })
                .collect(),
        }
    }

    #[test]
    fn series_fold_into_intervals_since_going_live() {
        let step = Duration::from_secs(30);
        let got = fold(
            &[
                series(200, &[(990, 5.0), (1000, 40.0), (1060, 30.0)]),
                series(503, &[(1030, 2.0), (1060, 4.4)]),
                series(404, &[(1030, 1.0)]),
            ],
            1000,
            step,
        );
        let counts: Vec<(u64, u64, u64)> = got
            .iter()
            .map(|i| (i.offset.as_secs(), i.requests, i.errors))
            .collect();
        // The step at 990 began before going live (1000): never counted.
        assert_eq!(counts, [(0, 40, 0), (30, 3, 2), (60, 34, 4)]);
        assert_eq!(totals(&got), (77, 6));
    }

    #[test]
    fn a_step_that_began_before_going_live_never_counts_the_previous_deployment_errors() {
        // Epoch-aligned steps of 30 s; live at 1000: the step at 990 holds the old one's 5xx.
        let got = fold(
            &[
                series(503, &[(990, 50.0)]),
                series(200, &[(990, 1.0), (1020, 50.0)]),
            ],
            1000,
            Duration::from_secs(30),
        );
        assert_eq!(totals(&got), (50, 0));
    }

    #[test]
    fn the_error_share_is_judged_only_over_enough_requests() {
        assert_eq!(error_rate_breach(19, 19, 0.05, 20), None);
        assert_eq!(error_rate_breach(100, 5, 0.05, 20), None);
        assert_eq!(
            error_rate_breach(80, 12, 0.05, 20).as_deref(),
            Some("12 of 80 requests (15%) answered 5xx since going live; the limit is 5%")
        );
        assert_eq!(error_rate_breach(0, 0, 0.0, 0), None);
        assert_eq!(percent(0.125), "12.5%");
    }
}
