//! Owns how long the action sleeps between polls. Every wait in the program goes through
//! [`Timing::sleep`], so tests shrink all of them at once with `RAILWAY_DEPLOY_TIME_SCALE`
//! (e.g. `0.001`) instead of waiting for real; deadlines given as inputs are never scaled.

use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timing {
    scale: f64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing { scale: 1.0 }
    }
}

impl Timing {
    /// `RAILWAY_DEPLOY_TIME_SCALE`: a factor in (0, 1] applied to poll intervals and backoffs.
    /// Anything unparsable or out of range means 1 (real time).
    pub fn from_env_value(value: Option<&str>) -> Self {
        let scale = value
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0 && *s <= 1.0)
            .unwrap_or(1.0);
        Timing { scale }
    }

    pub fn scaled(&self, d: Duration) -> Duration {
        d.mul_f64(self.scale)
    }

    /// The inverse of [`Timing::scaled`]: how much program time a real duration stands for.
    pub fn unscaled(&self, d: Duration) -> Duration {
        d.div_f64(self.scale)
    }

    pub async fn sleep(&self, d: Duration) {
        tokio::time::sleep(self.scaled(d)).await
    }
}

/// Backoff that grows by half each step from `start` to `max`.
#[derive(Clone, Debug)]
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(start: Duration, max: Duration) -> Self {
        Backoff { next: start, max }
    }

    pub fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next.mul_f64(1.5)).min(self.max);
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap() {
        let mut b = Backoff::new(Duration::from_secs(2), Duration::from_secs(5));
        let seq: Vec<u64> = (0..5).map(|_| b.next_delay().as_millis() as u64).collect();
        assert_eq!(seq, vec![2000, 3000, 4500, 5000, 5000]);
    }

    #[test]
    fn scale_is_bounded() {
        assert_eq!(
            Timing::from_env_value(Some("0.01")).scaled(Duration::from_secs(100)),
            Duration::from_secs(1)
        );
        assert_eq!(Timing::from_env_value(Some("7")), Timing::default());
        assert_eq!(Timing::from_env_value(Some("x")), Timing::default());
        assert_eq!(Timing::from_env_value(None), Timing::default());
    }
}
