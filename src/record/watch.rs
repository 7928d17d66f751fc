//! Owns the run record of the watch after going live: what was watched, how often, what each
//! service's instances, health probe and HTTP metrics showed, and the breach (which signal, when,
//! the figures) when there was one.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::duration_secs;

/// The watch of a release, over every service that went live.
#[derive(Clone, Debug, Serialize)]
pub struct WatchReport {
    /// `watch`: how long it was to last.
    #[serde(with = "duration_secs")]
    pub window: Duration,
    /// How long between two rounds of reads.
    #[serde(with = "duration_secs")]
    pub interval: Duration,
    /// `watch-max-error-rate`, a fraction.
    pub max_error_rate: f64,
    /// Fewer requests than this since going live: the 5xx share is not judged.
    pub min_requests: u64,
    /// Failed health probes in a row that are a breach.
    pub failures_to_breach: u32,
    pub started_at: DateTime<Utc>,
    /// How long it lasted (shorter than `window` after a breach).
    #[serde(with = "duration_secs")]
    pub duration: Duration,
    /// Rounds of reads made.
    pub rounds: u32,
    pub services: Vec<ServiceWatch>,
    pub breach: Option<Breach>,
}

/// What the watch saw of one service.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceWatch {
    pub service: String,
    pub deployment_id: String,
    /// The instances at the last read that answered: (id, status).
    pub instances: Vec<(String, String)>,
    /// Instance reads made, and how many of them Railway did not answer in time or at all.
    pub instance_reads: u32,
    pub read_errors: u32,
    /// Health probes made and failed (`None`: the service has no health check).
    pub probes: Option<ProbeTally>,
    pub metrics: MetricsWatch,
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct ProbeTally {
    pub made: u32,
    pub failed: u32,
}

/// The HTTP metrics of one service over the watch.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum MetricsWatch {
    /// Not read yet (a breach ended the watch first).
    NotRead,
    /// Railway would not give them (the reason); the watch went on without them.
    Unavailable { reason: String },
    /// The last series read: requests and 5xx per interval since going live.
    Read {
        requests: u64,
        errors: u64,
        intervals: Vec<IntervalCount>,
    },
}

/// Requests and 5xx answers in one interval, `offset` after the service went live.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IntervalCount {
    #[serde(with = "duration_secs")]
    pub offset: Duration,
    pub requests: u64,
    pub errors: u64,
}

/// The signal that breached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WatchSignal {
    /// An instance crashed, restarted or exited (or the deployment CRASHED).
    Instances,
    /// The health probe failed several times in a row.
    Health,
    /// The share of 5xx answers went over `watch-max-error-rate`.
    ErrorRate,
}

impl WatchSignal {
    pub fn as_str(self) -> &'static str {
        match self {
            WatchSignal::Instances => "instances",
            WatchSignal::Health => "health",
            WatchSignal::ErrorRate => "error rate",
        }
    }
}

/// What ended the watch early: which service, which signal, when, and the figures.
#[derive(Clone, Debug, Serialize)]
pub struct Breach {
    pub service: String,
    pub signal: WatchSignal,
    pub at: DateTime<Utc>,
    /// How far into the watch.
    #[serde(with = "duration_secs")]
    pub after: Duration,
    /// The evidence, in a sentence (`instance i-1 is CRASHED`, `12 of 80 requests …`).
    pub detail: String,
}
