//! Follows a deployment to a final state by polling `deployment(id)` until the deadline (through
//! `crate::wait`), on a schedule that follows the phase ([`interval`]): tight once Railway reports
//! DEPLOYING (its end is near), wider while it queues or builds. "Still running" is not an error:
//! it is a progress line at most every ~15 s; a timeout says which state the deployment was stuck
//! in. A [`Poller`] keeps its schedule across pauses, so the caller may stop it to try the
//! websocket again and resume it where it was.

use std::time::{Duration, Instant};

use crate::railway::status::{DeploymentStatus, Phase};
use crate::railway::{RailwayClient, RailwayError, api};
use crate::timing::Timing;
use crate::wait::{Next, Waiter};
use crate::workflow;

#[derive(Clone, Debug)]
pub enum Followed {
    /// Reached a final status (live or failed).
    Final {
        status: DeploymentStatus,
        deployment: Box<api::Deployment>,
        elapsed: Duration,
    },
    /// The deadline passed first.
    TimedOut {
        last: DeploymentStatus,
        elapsed: Duration,
    },
    /// Railway could not be asked (after retries).
    Error(RailwayError),
}

/// Where progress lines go and what they call the deployment (the service's name).
#[derive(Clone, Copy)]
pub struct FollowOptions<'a> {
    pub label: &'a str,
    pub deadline: Instant,
    pub progress_every: Duration,
    /// Set to the moment the deployment was first seen past its build (deploying or final after
    /// a build), so the report can time the build and deploy stages apart.
    pub deploying_since: Option<&'a std::sync::OnceLock<Instant>>,
}

impl FollowOptions<'_> {
    /// Records that `status` was seen now.
    pub fn note(&self, status: &DeploymentStatus) {
        let past_build = matches!(
            status,
            DeploymentStatus::Deploying
                | DeploymentStatus::Success
                | DeploymentStatus::Sleeping
                | DeploymentStatus::Crashed
        );
        if let (true, Some(cell)) = (past_build, self.deploying_since) {
            let _ = cell.set(Instant::now());
        }
    }
}

/// While DEPLOYING, the interval stays at [`DEPLOYING_INTERVAL`] this long, then widens.
const DEPLOYING_TIGHT_FOR: Duration = Duration::from_secs(30);
/// The interval once DEPLOYING: a final status is noticed within it (plus one request).
pub const DEPLOYING_INTERVAL: Duration = Duration::from_secs(3);
/// The first interval while queued, building or waiting.
const EARLY_INTERVAL: Duration = Duration::from_secs(5);
/// The widest interval of any phase.
const MAX_INTERVAL: Duration = Duration::from_secs(30);

/// Polls the budget allows at once ...
const BURST: f64 = 10.0;
/// ... and one more per this much time: at most 10 + 600 / 25 = 34 polls in any 10 minutes,
/// which with the deploy's other requests (upload, sockets, one read) stays within 40.
const REFILL: Duration = Duration::from_secs(25);

/// The next (unscaled) polling interval the phase asks for: a deployment seen `deploying` or
/// not, `in_phase` after its phase was first seen. While DEPLOYING: [`DEPLOYING_INTERVAL`] for
/// [`DEPLOYING_TIGHT_FOR`], then growing by half the time spent (a 1.5× backoff stated by elapsed
/// time); before it: from 5 s, growing by a third of the time spent (slower, so a short build is
/// still seen DEPLOYING). Capped at [`MAX_INTERVAL`]; [`Budget`] may stretch it.
pub fn interval(deploying: bool, in_phase: Duration) -> Duration {
    let grown = if deploying {
        DEPLOYING_INTERVAL + in_phase.saturating_sub(DEPLOYING_TIGHT_FOR) / 2
    } else {
        EARLY_INTERVAL + in_phase / 3
    };
    grown.min(MAX_INTERVAL)
}

/// The request budget of polling: a token bucket in program (unscaled) time, [`BURST`] polls
/// at once and one more every [`REFILL`].
#[derive(Clone, Debug)]
pub struct Budget {
    tokens: f64,
    /// Program time of `tokens`.
    at: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            tokens: BURST,
            at: Duration::ZERO,
        }
    }
}

impl Budget {
    /// Spends one poll at program time `now`.
    pub fn spend(&mut self, now: Duration) {
        self.tokens = self.tokens_at(now) - 1.0;
        self.at = now;
    }

    fn tokens_at(&self, t: Duration) -> f64 {
        let refilled = t.saturating_sub(self.at).as_secs_f64() / REFILL.as_secs_f64();
        (self.tokens + refilled).min(BURST)
    }

    /// `wanted` (a wait from `now`), stretched so that the next poll has a token.
    pub fn stretch(&self, now: Duration, wanted: Duration) -> Duration {
        let short = 1.0 - self.tokens_at(now + wanted);
        if short <= 0.0 {
            wanted
        } else {
            wanted + REFILL.mul_f64(short)
        }
    }
}

/// Whether to stop at `until` (to try the websocket again) or keep polling to the deadline.
#[derive(Debug)]
pub enum Polled {
    Done(Followed),
    /// `until` came first; the poller can be resumed.
    Paused,
}

/// The state of one deployment's polling: its schedule, progress lines and notices.
#[derive(Debug)]
pub struct Poller {
    started: Instant,
    /// The phase the schedule follows, and when it was first seen.
    phase: Option<(bool, Instant)>,
    next_look: Option<tokio::time::Instant>,
    budget: Budget,
    last_line: Option<(Instant, DeploymentStatus)>,
    approval_noticed: bool,
    last: Option<DeploymentStatus>,
}

impl Poller {
    /// A poller whose first look is immediate; `last` is what was seen before (the subscription).
    pub fn new(last: Option<DeploymentStatus>) -> Self {
        Poller {
            started: Instant::now(),
            phase: None,
            next_look: None,
            budget: Budget::default(),
            last_line: None,
            approval_noticed: false,
            last,
        }
    }

    /// Takes in one status: notices, progress line, the phase the schedule follows.
    fn saw(&mut self, deployment_id: &str, status: &DeploymentStatus, opts: &FollowOptions<'_>) {
        opts.note(status);
        if status.phase() == Phase::AwaitingApproval && !self.approval_noticed {
            workflow::notice(format!(
                "{}: deployment {deployment_id} needs approval in Railway before it can proceed; someone with access must approve it in the dashboard",
                opts.label
            ));
            self.approval_noticed = true;
        }
        let due = match &self.last_line {
            None => true,
            Some((at, s)) => s != status || at.elapsed() >= opts.progress_every,
        };
        if due {
            super::printer::progress(format!(
                "{}: {} ({}s elapsed)",
                opts.label,
                status.as_str(),
                self.started.elapsed().as_secs()
            ));
            self.last_line = Some((Instant::now(), status.clone()));
        }
        let deploying = *status == DeploymentStatus::Deploying;
        if self.phase.is_none_or(|(d, _)| d != deploying) {
            self.phase = Some((deploying, Instant::now()));
        }
        self.last = Some(status.clone());
    }

    /// Spends one poll of the budget and answers the unscaled wait before the next look (time
    /// counts unscaled too).
    fn next_interval(&mut self, timing: &Timing) -> Duration {
        let now = timing.unscaled(self.started.elapsed());
        self.budget.spend(now);
        let wanted = match self.phase {
            Some((deploying, since)) => interval(deploying, timing.unscaled(since.elapsed())),
            None => EARLY_INTERVAL,
        };
        self.budget.stretch(now, wanted)
    }

    /// Polls until final, the deadline, or `until` (then [`Polled::Paused`]; resuming keeps the
    /// schedule). At the deadline the status is read once more, so a timeout names the real state.
    pub async fn run(
        &mut self,
        c: &RailwayClient,
        deployment_id: &str,
        opts: &FollowOptions<'_>,
        until: Option<tokio::time::Instant>,
    ) -> Polled {
        let deadline = tokio::time::Instant::from_std(opts.deadline);
        let until = until.filter(|u| *u < deadline);
        let mut waiter = Waiter::until(deadline, *c.timing());
        if let Some(at) = self.next_look.take() {
            if self.pause_at(until, at).await {
                return Polled::Paused;
            }
            tokio::time::sleep_until(at.min(deadline)).await;
        }
        loop {
            let d = match api::deployment(c, deployment_id).await {
                Ok(d) => d,
                Err(e) => return Polled::Done(Followed::Error(e)),
            };
            let status = d.status.clone();
            self.saw(deployment_id, &status, opts);
            if matches!(status.phase(), Phase::Live | Phase::Failed(_)) {
                return Polled::Done(Followed::Final {
                    status,
                    deployment: Box::new(d),
                    elapsed: self.started.elapsed(),
                });
            }
            let interval = self.next_interval(c.timing());
            let at = tokio::time::Instant::now() + c.timing().scaled(interval);
            if self.pause_at(until, at).await {
                return Polled::Paused;
            }
            // The last wait ends at the deadline, so the final poll happens right at it.
            if waiter.pause(interval, |_| {}).await == Next::StillRunning {
                return Polled::Done(Followed::TimedOut {
                    last: status,
                    elapsed: self.started.elapsed(),
                });
            }
        }
    }

    /// When the next look (`at`) comes after `until`: sleeps until `until`, keeps `at` for the
    /// resumption and answers true.
    async fn pause_at(
        &mut self,
        until: Option<tokio::time::Instant>,
        at: tokio::time::Instant,
    ) -> bool {
        match until {
            Some(u) if at > u => {
                tokio::time::sleep_until(u).await;
                self.next_look = Some(at);
                true
            }
            _ => false,
        }
    }

    /// The last status seen (by this poller or the subscription before it).
    pub fn last(&self) -> Option<&DeploymentStatus> {
        self.last.as_ref()
    }
}

/// Polls until final or `deadline`: the first poll is immediate, then the phase's [`interval`]
/// (scaled by `Timing`), which keeps a 10-minute deploy under 40 requests.
pub async fn poll(c: &RailwayClient, deployment_id: &str, opts: &FollowOptions<'_>) -> Followed {
    let mut poller = Poller::new(None);
    loop {
        // Without `until` the poller runs to a final status or the deadline (never `Paused`).
        if let Polled::Done(f) = poller.run(c, deployment_id, opts, None).await {
            return f;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn deploying_is_polled_tightly_then_wider() {
        assert_eq!(interval(true, secs(0.0)), DEPLOYING_INTERVAL);
        assert_eq!(interval(true, secs(29.0)), DEPLOYING_INTERVAL);
        assert_eq!(interval(true, secs(40.0)), secs(8.0));
        assert_eq!(interval(true, secs(600.0)), MAX_INTERVAL);
        // A final status is noticed within 5 s of the end of a DEPLOYING phase under 30 s.
        assert!(DEPLOYING_INTERVAL < secs(5.0));
    }

    #[test]
    fn the_budget_stretches_waits_once_the_burst_is_spent() {
        let mut b = Budget::default();
        for i in 0..10 {
            b.spend(secs(i as f64));
        }
        // 10 spent by 9 s, 0.36 refilled: the next token comes at 9 + 0.64 × 25 = 25 s.
        assert_eq!(b.stretch(secs(9.0), secs(4.0)).as_secs_f64().round(), 16.0);
        assert_eq!(b.stretch(secs(9.0), secs(30.0)), secs(30.0));
    }

    #[test]
    fn building_starts_at_5_s_and_grows_to_30_s() {
        assert_eq!(interval(false, secs(0.0)), secs(5.0));
        assert_eq!(interval(false, secs(15.0)), secs(10.0));
        assert_eq!(interval(false, secs(100.0)), MAX_INTERVAL);
    }

    /// Counts the looks of a deploy that builds for `building` seconds, deploys for `deploying`,
    /// then is final: the request budget of issue 14 (≤ 40 for 10 minutes with the rest of the
    /// deploy's requests), and how late the end is noticed.
    fn looks(building: f64, deploying: f64) -> (u32, f64) {
        let (mut t, mut n, mut phase) = (0.0, 0, (false, 0.0));
        let mut budget = Budget::default();
        loop {
            n += 1;
            if t >= building + deploying {
                return (n, t - building - deploying);
            }
            let d = t >= building;
            if d != phase.0 {
                phase = (d, t);
            }
            budget.spend(secs(t));
            let wanted = interval(phase.0, secs(t - phase.1));
            t += budget.stretch(secs(t), wanted).as_secs_f64();
        }
    }

    #[test]
    fn a_ten_minute_deploy_costs_at_most_34_polls_and_its_end_is_noticed_within_5_s() {
        // 34 polls + upload + log socket + 3 status sockets + the post-health read = 40.
        for (b, d) in [
            (600.0, 0.0),
            (570.0, 30.0),
            (540.0, 60.0),
            (300.0, 300.0),
            (0.0, 600.0),
        ] {
            let (n, _) = looks(b, d);
            eprintln!("{b}+{d}: {n} polls");
            assert!(n <= 34, "{b}+{d}: {n} polls");
        }
        // The bench's one-minute deploy (15 s DEPLOYING) and longer ones.
        for (b, d) in [(45.0, 15.0), (30.0, 15.0), (300.0, 25.0), (45.0, 30.0)] {
            let (_, late) = looks(b, d);
            assert!(late <= 3.0 + 1e-9, "{b}+{d}: noticed {late} s late");
        }
    }
}
