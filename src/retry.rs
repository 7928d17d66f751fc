//! Owns retries: the one place that decides whether and when a failed request is tried again.
