//! Owns reading GitHub's rate limits from a reply: `retry-after`, and `x-ratelimit-remaining: 0`
//! with `x-ratelimit-reset`, on both 403 and 429, and a secondary rate limit named only in the
//! message. `github::request` turns the wait into a `crate::retry` verdict.

use std::time::Duration;

use http::HeaderMap;

use crate::retry::parse_retry_after;

/// How long a rate-limited reply asks us to wait, or `None` when it is not a rate limit.
pub fn rate_limit_wait(
    status: u16,
    headers: &HeaderMap,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    if status != 403 && status != 429 {
        return None;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(wait) = header("retry-after").and_then(|v| parse_retry_after(v, now)) {
        return Some(wait);
    }
    if header("x-ratelimit-remaining") == Some("0") {
        let reset = header("x-ratelimit-reset")?.trim().parse::<i64>().ok()?;
        let secs = (reset - now.timestamp()).max(0) as u64;
        // GitHub's reset is a whole second; one more avoids waking just before it.
        return Some(Duration::from_secs(secs + 1));
    }
    // A secondary rate limit without headers: GitHub documents waiting at least a minute.
    (status == 429).then_some(Duration::from_secs(60))
}

/// A 403 secondary rate limit that came without `retry-after`: GitHub's message names it, and its
/// documentation says to wait at least a minute.
pub fn secondary_rate_limit_without_headers(status: u16, message: &str) -> Option<Duration> {
    (status == 403 && message.to_lowercase().contains("secondary rate limit"))
        .then_some(Duration::from_secs(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn rate_limits_are_read_from_headers() {
        let now = chrono::DateTime::from_timestamp(1_000, 0).unwrap();
        assert_eq!(
            rate_limit_wait(403, &headers(&[("retry-after", "30")]), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            rate_limit_wait(
                403,
                &headers(&[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "1010")
                ]),
                now
            ),
            Some(Duration::from_secs(11))
        );
        assert_eq!(
            rate_limit_wait(403, &headers(&[("x-ratelimit-remaining", "12")]), now),
            None
        );
        assert_eq!(
            rate_limit_wait(404, &headers(&[("retry-after", "30")]), now),
            None
        );
    }
}
