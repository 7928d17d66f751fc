//! Owns waiting for something to finish: the one deadline + backoff + progress-callback primitive
//! every poll loop uses (gate, follow, health probe, rollback).
//!
//! A [`Waiter`] holds the deadline (real time, never scaled) and an optional bound on rounds; the
//! caller observes, then asks [`Waiter::pause`] for the next wait with the interval it chose for
//! this round (so the schedule may change per round, e.g. tighter while a deployment is
//! DEPLOYING). The interval is scaled by [`Timing`] and never overshoots the deadline, so the last
//! look happens right at it. When the deadline (or the round bound) is reached, `pause` answers
//! [`Next::StillRunning`]: not an error, the caller says what it last saw. [`poll`] wraps the
//! loop for callers whose attempt needs no state of its own.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::timing::Timing;

/// What to do after a pause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// The wait is over and time is left: look again.
    Again,
    /// The deadline passed (or the rounds ran out) without an answer: still running, not an error.
    StillRunning,
}

/// One round's observation, for [`poll`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step<T, P> {
    /// The answer: stop waiting.
    Done(T),
    /// Not yet; `P` is what was seen (it chooses the next interval and the progress line).
    Pending(P),
}

/// How a [`poll`] ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Waited<T, P> {
    Done(T),
    /// Out of time (or rounds); the last observation.
    StillRunning(P),
}

/// A deadline, a round bound and the clock scale of one wait.
#[derive(Clone, Debug)]
pub struct Waiter {
    deadline: Option<Instant>,
    rounds_left: Option<u32>,
    started: Instant,
    timing: Timing,
}

impl Waiter {
    /// Waits until `deadline` (real time, not scaled).
    pub fn until(deadline: Instant, timing: Timing) -> Self {
        Waiter {
            deadline: Some(deadline),
            rounds_left: None,
            started: Instant::now(),
            timing,
        }
    }

    /// [`Waiter::until`] for a `std` deadline.
    pub fn until_std(deadline: std::time::Instant, timing: Timing) -> Self {
        Self::until(Instant::from_std(deadline), timing)
    }

    /// No deadline: at most `rounds` observations (the caller's attempts), then still running.
    pub fn rounds(rounds: u32, timing: Timing) -> Self {
        Waiter {
            deadline: None,
            rounds_left: Some(rounds),
            started: Instant::now(),
            timing,
        }
    }

    /// Time left before the deadline (`Duration::MAX` without one).
    pub fn remaining(&self) -> Duration {
        match self.deadline {
            Some(d) => d.saturating_duration_since(Instant::now()),
            None => Duration::MAX,
        }
    }

    /// True once the deadline has passed.
    pub fn expired(&self) -> bool {
        self.remaining().is_zero()
    }

    /// Time since the waiter was made.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// After an observation that was not the answer: sleeps `interval` (scaled by `Timing`, cut
    /// at the deadline), telling `on_wait` the wait first (for a progress line). Answers
    /// `StillRunning` at once, without sleeping or calling `on_wait`, when no time or rounds are
    /// left.
    pub async fn pause(&mut self, interval: Duration, on_wait: impl FnOnce(Duration)) -> Next {
        if let Some(n) = self.rounds_left.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                return Next::StillRunning;
            }
        }
        let remaining = self.remaining();
        if remaining.is_zero() {
            return Next::StillRunning;
        }
        let wait = self.timing.scaled(interval).min(remaining);
        on_wait(wait);
        tokio::time::sleep(wait).await;
        Next::Again
    }
}

/// Observes with `attempt` until it answers `Done` or the waiter runs out. After each pending
/// round, `interval` chooses the next (unscaled) interval from what was seen, and `on_wait` is
/// told what was seen and how long the wait is.
pub async fn poll<T, P, F, Fut>(
    waiter: &mut Waiter,
    mut interval: impl FnMut(&P) -> Duration,
    mut on_wait: impl FnMut(&P, Duration),
    mut attempt: F,
) -> Waited<T, P>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Step<T, P>>,
{
    loop {
        let seen = match attempt().await {
            Step::Done(v) => return Waited::Done(v),
            Step::Pending(p) => p,
        };
        let next = waiter.pause(interval(&seen), |w| on_wait(&seen, w)).await;
        if next == Next::StillRunning {
            return Waited::StillRunning(seen);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::Backoff;
    use std::cell::RefCell;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[tokio::test(start_paused = true)]
    async fn waits_follow_the_schedule_and_the_last_one_ends_at_the_deadline() {
        let start = Instant::now();
        let mut w = Waiter::until(start + secs(10), Timing::default());
        let mut backoff = Backoff::new(secs(3), secs(20));
        let mut waits = Vec::new();
        let mut looks = vec![start.elapsed()];
        while w.pause(backoff.next_delay(), |d| waits.push(d)).await == Next::Again {
            looks.push(start.elapsed());
        }
        // 3 s, 4.5 s, then cut to what is left (2.5 s): the last look is at the deadline.
        assert_eq!(
            waits,
            vec![
                secs(3),
                Duration::from_millis(4500),
                Duration::from_millis(2500)
            ]
        );
        assert_eq!(looks.last().copied(), Some(secs(10)));
        assert!(w.expired());
    }

    #[tokio::test(start_paused = true)]
    async fn the_interval_is_chosen_each_round_and_scaled() {
        let mut w = Waiter::until(
            Instant::now() + secs(3600),
            Timing::from_env_value(Some("0.5")),
        );
        let mut waits = Vec::new();
        let mut round = 0;
        let got: Waited<u32, u32> = poll(
            &mut w,
            |phase| if *phase >= 2 { secs(2) } else { secs(10) },
            |_, d| waits.push(d),
            || {
                round += 1;
                let r = round;
                async move {
                    if r == 4 {
                        Step::Done(r)
                    } else {
                        Step::Pending(r)
                    }
                }
            },
        )
        .await;
        assert_eq!(got, Waited::Done(4));
        assert_eq!(waits, vec![secs(5), secs(1), secs(1)]);
    }

    #[tokio::test(start_paused = true)]
    async fn out_of_time_is_still_running_with_the_last_observation() {
        let start = Instant::now();
        let mut w = Waiter::until(start + secs(7), Timing::default());
        let seen = RefCell::new(0);
        let got: Waited<(), u32> = poll(
            &mut w,
            |_| secs(2),
            |_, _| {},
            || {
                *seen.borrow_mut() += 1;
                let n = *seen.borrow();
                async move { Step::Pending(n) }
            },
        )
        .await;
        // Looks at 0, 2, 4, 6 and 7 s.
        assert_eq!(got, Waited::StillRunning(5));
        assert_eq!(start.elapsed(), secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn a_round_bound_stops_without_a_deadline_and_without_a_last_sleep() {
        let start = Instant::now();
        let mut w = Waiter::rounds(3, Timing::default());
        let mut calls = 0;
        let got: Waited<(), ()> = poll(
            &mut w,
            |_| secs(1),
            |_, _| {},
            || {
                calls += 1;
                async { Step::Pending(()) }
            },
        )
        .await;
        assert_eq!((got, calls), (Waited::StillRunning(()), 3));
        assert_eq!(start.elapsed(), secs(2));
        assert_eq!(w.remaining(), Duration::MAX);
    }

    #[tokio::test(start_paused = true)]
    async fn a_passed_deadline_answers_at_once_without_a_progress_line() {
        let mut w = Waiter::until(Instant::now(), Timing::default());
        let mut told = false;
        assert_eq!(w.pause(secs(5), |_| told = true).await, Next::StillRunning);
        assert!(!told);
    }
}
