//! Owns shortening text for people to read (error bodies, excerpts, table cells): every cut is
//! on a character boundary, so no input can make it panic.

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
}
