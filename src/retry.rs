//! Owns retries: the one place that decides whether and when a failed request is tried again.
//!
//! Every client (Railway GraphQL, GitHub REST, uploads) classifies each attempt's failure into a
//! [`Verdict`] and lets [`retry`] decide. The rules:
//! - bounded: at most `max_attempts` tries, never past the deadline;
//! - a server's `Retry-After` (or rate-limit reset) is honoured instead of the backoff;
//! - a request that is not idempotent (a mutation, an upload) is repeated only when the failure
//!   proves it was not acted on (refused before processing: 429, a connection never made).

use std::future::Future;
use std::time::{Duration, Instant};

use crate::timing::{Backoff, Timing};

/// Whether repeating the request is safe even if the first one took effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idempotency {
    /// Reads: repeating is harmless.
    Safe,
    /// Mutations and uploads: repeat only when the failure proves nothing happened.
    Unsafe,
}

/// How one failed attempt is classified by the client that made it.
#[derive(Debug)]
pub enum Verdict<E> {
    /// Will not get better by retrying (bad input, unauthorised, a GraphQL error).
    Fatal(E),
    /// May succeed later. `after` is the server's requested wait (Retry-After, rate-limit reset);
    /// `may_have_taken_effect` is true when the request reached the server and its fate is unknown
    /// (a timeout after sending, a 5xx): such an attempt is never repeated for an unsafe request.
    Transient {
        error: E,
        after: Option<Duration>,
        may_have_taken_effect: bool,
    },
}

#[derive(Clone, Debug)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// The longest server-requested wait we accept; longer ones fail at once with the error.
    pub max_server_wait: Duration,
    /// No attempt starts after this instant.
    pub deadline: Option<Instant>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(20),
            max_server_wait: Duration::from_secs(120),
            deadline: None,
        }
    }
}

/// Runs `attempt` (given the 1-based attempt number) until it succeeds, fails fatally, or the
/// policy says stop; returns the last error then. `on_wait` is told each wait (for a progress line).
pub async fn retry<T, E, F, Fut>(
    policy: &RetryPolicy,
    idempotency: Idempotency,
    timing: &Timing,
    mut on_wait: impl FnMut(u32, Duration, &E),
    mut attempt: F,
) -> Result<T, E>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, Verdict<E>>>,
{
    let mut backoff = Backoff::new(policy.first_delay, policy.max_delay);
    let mut n = 1;
    loop {
        let (error, after, may_have_taken_effect) = match attempt(n).await {
            Ok(v) => return Ok(v),
            Err(Verdict::Fatal(e)) => return Err(e),
            Err(Verdict::Transient {
                error,
                after,
                may_have_taken_effect,
            }) => (error, after, may_have_taken_effect),
        };
        if idempotency == Idempotency::Unsafe && may_have_taken_effect {
            return Err(error);
        }
        if n >= policy.max_attempts {
            return Err(error);
        }
        let wait = match after {
            Some(server_wait) if server_wait > policy.max_server_wait => return Err(error),
            Some(server_wait) => server_wait,
            None => timing.scaled(backoff.next_delay()),
        };
        if let Some(deadline) = policy.deadline
            && Instant::now() + wait >= deadline
        {
            return Err(error);
        }
        on_wait(n, wait, &error);
        // Server-requested waits are real time; they are already exact, so not scaled again.
        tokio::time::sleep(wait).await;
        n += 1;
    }
}

/// Parses a `Retry-After` header value: delay-seconds, or an HTTP date.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn fast() -> (RetryPolicy, Timing) {
        let p = RetryPolicy {
            first_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            ..Default::default()
        };
        (p, Timing::from_env_value(Some("0.001")))
    }

    #[tokio::test]
    async fn transient_errors_are_retried_until_success() {
        let (p, t) = fast();
        let calls = Cell::new(0);
        let r: Result<u32, &str> = retry(
            &p,
            Idempotency::Safe,
            &t,
            |_, _, _| {},
            |n| {
                calls.set(n);
                async move {
                    if n < 3 {
                        Err(Verdict::Transient {
                            error: "busy",
                            after: None,
                            may_have_taken_effect: true,
                        })
                    } else {
                        Ok(n)
                    }
                }
            },
        )
        .await;
        assert_eq!(r, Ok(3));
        assert_eq!(calls.get(), 3);
    }

    #[tokio::test]
    async fn an_unsafe_request_that_may_have_taken_effect_is_not_repeated() {
        let (p, t) = fast();
        let calls = Cell::new(0);
        let r: Result<(), &str> = retry(
            &p,
            Idempotency::Unsafe,
            &t,
            |_, _, _| {},
            |n| {
                calls.set(n);
                async {
                    Err(Verdict::Transient {
                        error: "502",
                        after: None,
                        may_have_taken_effect: true,
                    })
                }
            },
        )
        .await;
        assert_eq!(r, Err("502"));
        assert_eq!(calls.get(), 1);
    }

    #[tokio::test]
    async fn an_unsafe_request_refused_with_retry_after_is_repeated_after_the_wait() {
        let (p, t) = fast();
        let calls = Cell::new(0);
        let waits = std::cell::RefCell::new(Vec::new());
        let r: Result<(), &str> = retry(
            &p,
            Idempotency::Unsafe,
            &t,
            |_, w, _| waits.borrow_mut().push(w),
            |n| {
                calls.set(n);
                async move {
                    if n == 1 {
                        Err(Verdict::Transient {
                            error: "429",
                            after: Some(Duration::from_millis(5)),
                            may_have_taken_effect: false,
                        })
                    } else {
                        Ok(())
                    }
                }
            },
        )
        .await;
        assert_eq!(r, Ok(()));
        assert_eq!(waits.into_inner(), vec![Duration::from_millis(5)]);
    }

    #[tokio::test]
    async fn attempts_are_bounded_and_fatal_stops_at_once() {
        let (p, t) = fast();
        let calls = Cell::new(0);
        let r: Result<(), &str> = retry(
            &p,
            Idempotency::Safe,
            &t,
            |_, _, _| {},
            |n| {
                calls.set(n);
                async {
                    Err(Verdict::Transient {
                        error: "down",
                        after: None,
                        may_have_taken_effect: false,
                    })
                }
            },
        )
        .await;
        assert_eq!((r, calls.get()), (Err("down"), 5));
        let r: Result<(), &str> = retry(
            &p,
            Idempotency::Safe,
            &t,
            |_, _, _| {},
            |n| {
                calls.set(n);
                async { Err(Verdict::Fatal("no")) }
            },
        )
        .await;
        assert_eq!((r, calls.get()), (Err("no"), 1));
    }

    #[tokio::test]
    async fn a_server_wait_longer_than_allowed_fails_now() {
        let (p, t) = fast();
        let r: Result<(), &str> = retry(
            &p,
            Idempotency::Safe,
            &t,
            |_, _, _| {},
            |_| async {
                Err(Verdict::Transient {
                    error: "rate limited",
                    after: Some(Duration::from_secs(3600)),
                    may_have_taken_effect: false,
                })
            },
        )
        .await;
        assert_eq!(r, Err("rate limited"));
    }

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-22T08:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 08:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
