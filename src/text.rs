//! Owns the wording every layer shares when it writes for people: shortening text (error bodies,
//! excerpts, table cells; every cut on a character boundary, so no input can make it panic),
//! durations, rates, short commit SHAs, and scrubbing credentials out of quoted URLs. It sits at
//! the bottom of the layers (`tests/all/layers.rs`): it imports nothing from the crate.

use std::time::Duration;

/// At most `max` characters, the last one `…` when something was cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Whitespace runs flattened to single spaces, then the first `max` characters, plus `…` when
/// something was cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// `850ms`, `12s`, `1m 20s`, `1h 02m`.
pub fn duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// A window or interval as the input reads: `5m`, `1h`, `30s`, else `1m 30s`.
pub fn duration_as_input(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        _ if d.subsec_millis() != 0 || s == 0 => duration(d),
        _ if s.is_multiple_of(3600) => format!("{}h", s / 3600),
        _ if s.is_multiple_of(60) => format!("{}m", s / 60),
        0..60 => format!("{s}s"),
        _ => duration(d),
    }
}

/// `0.05` → `5%`, `0.125` → `12.5%`.
pub fn percent(rate: f64) -> String {
    let p = format!("{:.1}", rate * 100.0);
    format!("{}%", p.strip_suffix(".0").unwrap_or(&p))
}

/// The first seven characters of a commit SHA (all of it when shorter).
pub fn short_sha(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// Replaces the user-info of every `scheme://user:password@host` in `s` with `***`, so a
/// database URL quoted by a log line never reaches a comment or a summary.
pub fn scrub_credentials(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(tail.len());
        match tail[..authority_end].rfind('@') {
            Some(at) => {
                out.push_str("***");
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_on_character_boundaries() {
        assert_eq!(truncate("héllo", 3), "hé…");
        assert_eq!(truncate("ok", 3), "ok");
        assert_eq!(excerpt("héllo wörld", 4), "héll…");
        assert_eq!(excerpt("a\n  b\r\n", 10), "a b");
        assert_eq!(excerpt("日本語テキスト", 3), "日本語…");
    }

    #[test]
    fn durations_read_naturally() {
        let cases = [
            (0.85, "850ms"),
            (12.0, "12s"),
            (80.0, "1m 20s"),
            (3720.0, "1h 02m"),
        ];
        for (secs, want) in cases {
            assert_eq!(duration(Duration::from_secs_f64(secs)), want);
        }
    }

    #[test]
    fn windows_read_like_the_input() {
        let human = duration_as_input;
        assert_eq!(human(secs(300)), "5m");
        assert_eq!(human(secs(7200)), "2h");
        assert_eq!(human(secs(30)), "30s");
        assert_eq!(human(secs(90)), "1m 30s");
        assert_eq!(human(Duration::from_millis(1500)), "1s");
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn credentials_in_urls_are_scrubbed() {
        assert_eq!(
            scrub_credentials("connect postgres://app:s3cr3t@db.internal:5432/x failed"),
            "connect postgres://***@db.internal:5432/x failed"
        );
        assert_eq!(
            scrub_credentials("see https://example.com/a@b and mysql://u:p@h"),
            "see https://example.com/a@b and mysql://***@h"
        );
    }
}
