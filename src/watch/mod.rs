//! Owns the watch after going live (`watch`): for the window, every round reads each new
//! deployment's instances, probes its health URL once and reads its HTTP requests per status
//! code since it went live; a crashed, restarting or exited instance, [`FAILURES_TO_BREACH`]
//! failed probes in a row, or a 5xx share above `watch-max-error-rate` over at least
//! [`MIN_REQUESTS`] requests is a breach. The rules are pure (`judge`); the rounds are `run`;
//! the stage that records it and hands a breach to the rollback is `crate::stages::watch`.

pub mod judge;
pub mod run;

use std::time::Duration;

use crate::config::WatchConfig;
use crate::health::check::ServiceHealth;
use crate::text::duration_as_input;

/// Fewer requests than this since going live: too few to judge the 5xx share.
pub const MIN_REQUESTS: u64 = 20;
/// Failed health probes in a row that are a breach: at the 30 s interval of a 5-minute watch,
/// a minute or more of failing, not one slow answer.
pub const FAILURES_TO_BREACH: u32 = 3;
/// About this many rounds per window, within [`MIN_INTERVAL`]..[`MAX_INTERVAL`].
const ROUNDS: u32 = 10;
const MIN_INTERVAL: Duration = Duration::from_secs(15);
const MAX_INTERVAL: Duration = Duration::from_secs(120);

/// The watch of a release, built by the plan when `watch` is on.
#[derive(Clone, Debug)]
pub struct WatchRequest {
    /// `watch`.
    pub window: Duration,
    /// Between two rounds ([`interval_for`]).
    pub interval: Duration,
    /// `watch-max-error-rate`, a fraction.
    pub max_error_rate: f64,
    /// Each service's health probe, as the health stage ran it (in the run's order).
    pub checks: Vec<ServiceHealth>,
}

impl WatchRequest {
    /// The watch `watch` asks for, of the services these health checks probe.
    pub fn new(cfg: &WatchConfig, checks: Vec<ServiceHealth>) -> Self {
        WatchRequest {
            window: cfg.window,
            interval: interval_for(cfg.window),
            max_error_rate: cfg.max_error_rate,
            checks,
        }
    }

    /// The dry run's line: the watch changes nothing itself, but a breach rolls back.
    pub fn describe(&self, environment: &str) -> String {
        let names: Vec<String> = self
            .checks
            .iter()
            .map(|c| format!("`{}`", c.service_name))
            .collect();
        format!(
            "watch {} in `{environment}` for {} after the health check (instances, health probe and 5xx share every {}); a breach rolls the release back like a failed health check",
            names.join(", "),
            duration_as_input(self.window),
            duration_as_input(self.interval),
        )
    }

    /// Rounds in the window: the last one at its end.
    pub fn rounds(&self) -> u32 {
        rounds(self.window, self.interval)
    }
}

/// The interval between rounds: a tenth of the window, at least 15 s and at most 2 minutes
/// (whole seconds, the metrics' step). A 5-minute watch reads every 30 s; a window shorter than
/// 15 s is one round at its end.
pub fn interval_for(window: Duration) -> Duration {
    let tenth = Duration::from_secs((window / ROUNDS).as_secs());
    tenth
        .clamp(MIN_INTERVAL, MAX_INTERVAL)
        .min(window.max(Duration::from_secs(1)))
}

/// The metrics' `stepSeconds` for a watch of `window`: the values Railway's CLI sends, by the
/// same spans (`compute_sample_rate` in railwayapp/cli 5.43.1, `controllers/metrics.rs`, "matching
/// the Railway dashboard"). Railway's answer to any other value is not public.
pub fn metrics_step(window: Duration) -> u32 {
    match window.as_secs() / 3600 {
        0..=1 => 30,
        2..=6 => 60,
        7..=24 => 240,
        25..=168 => 3600,
        _ => 14400,
    }
}

/// `window / interval`, rounded up (at least one).
pub fn rounds(window: Duration, interval: Duration) -> u32 {
    if interval.is_zero() {
        return 1;
    }
    let n = window.as_millis().div_ceil(interval.as_millis()).max(1);
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn the_metrics_step_is_one_railway_s_cli_sends() {
        for (window, step) in [
            (secs(60), 30),
            (secs(300), 30),
            (secs(3 * 3600), 60),
            (secs(12 * 3600), 240),
            (secs(48 * 3600), 3600),
            (secs(30 * 86400), 14400),
        ] {
            assert_eq!(metrics_step(window), step, "{window:?}");
        }
    }

    #[test]
    fn a_five_minute_watch_reads_every_30_seconds_in_ten_rounds() {
        assert_eq!(interval_for(secs(300)), secs(30));
        assert_eq!(rounds(secs(300), secs(30)), 10);
    }

    #[test]
    fn intervals_stay_between_15_seconds_and_2_minutes() {
        assert_eq!(interval_for(secs(60)), secs(15));
        assert_eq!(rounds(secs(60), secs(15)), 4);
        assert_eq!(interval_for(secs(3600)), secs(120));
        assert_eq!(rounds(secs(3600), secs(120)), 30);
        assert_eq!(interval_for(secs(10)), secs(10));
        assert_eq!(rounds(secs(10), secs(10)), 1);
        assert_eq!(interval_for(secs(95)), secs(15));
        assert_eq!(rounds(secs(95), secs(15)), 7);
    }
}
