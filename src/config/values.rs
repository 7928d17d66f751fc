//! Parsers for the typed values inputs carry: durations, lists, booleans, URLs. Each returns a
//! message that says what would be accepted.

use std::time::Duration;

/// `90s`, `5m`, `1h30m`, `2h`, or a plain number of seconds. Zero is refused: every wait needs time.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let accepted = "use e.g. `90s`, `5m`, `1h30m`, or a number of seconds";
    if let Ok(secs) = s.parse::<u64>() {
        return if secs == 0 {
            Err(format!("`{s}` is zero; {accepted}"))
        } else {
            Ok(Duration::from_secs(secs))
        };
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    let mut seen_unit = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(format!("`{s}` is not a duration; {accepted}")),
        };
        let n: u64 = number
            .parse()
            .map_err(|_| format!("`{s}` is not a duration; {accepted}"))?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("`{s}` is too long"))?;
        number.clear();
        seen_unit = true;
    }
    if !number.is_empty() || !seen_unit {
        return Err(format!("`{s}` is not a duration; {accepted}"));
    }
    if total == 0 {
        return Err(format!("`{s}` is zero; {accepted}"));
    }
    Ok(Duration::from_secs(total))
}

/// Items separated by commas or newlines, trimmed, empty items dropped.
pub fn parse_list(s: &str) -> Vec<String> {
    s.split([',', '\n'])
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!("`{other}` is not a boolean; use `true` or `false`")),
    }
}

/// True for `localhost`, `127.0.0.0/8` and `::1`.
pub fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// An `https` URL, or `http` to a loopback host (tokens never travel in clear text elsewhere).
pub fn parse_secure_url(s: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(s.trim()).map_err(|e| format!("`{s}` is not a URL ({e})"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback_host(&url) => Ok(url),
        "http" => Err(format!(
            "`{s}` is plain http to a remote host; use https (http is accepted only for localhost/127.0.0.1/::1)"
        )),
        other => Err(format!("`{s}` has scheme `{other}`; use an https URL")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let table = [
            ("90s", Some(90)),
            ("5m", Some(300)),
            ("1h30m", Some(5400)),
            ("2h", Some(7200)),
            ("45", Some(45)),
            (" 10m ", Some(600)),
            ("0", None),
            ("0s", None),
            ("5", Some(5)),
            ("m", None),
            ("5x", None),
            ("1.5m", None),
            ("-3", None),
            ("", None),
            ("10m5", None),
        ];
        for (input, want) in table {
            assert_eq!(
                parse_duration(input).ok().map(|d| d.as_secs()),
                want,
                "input {input:?}"
            );
        }
    }

    #[test]
    fn lists_and_bools() {
        assert_eq!(
            parse_list("web, worker\napi\n\n ,"),
            vec!["web", "worker", "api"]
        );
        assert_eq!(parse_bool("TRUE"), Ok(true));
        assert_eq!(parse_bool("False"), Ok(false));
        assert!(parse_bool("yes").is_err());
    }

    #[test]
    fn urls_must_be_https_unless_loopback() {
        assert!(parse_secure_url("https://backboard.railway.com/graphql/v2").is_ok());
        assert!(parse_secure_url("http://127.0.0.1:4000/graphql/v2").is_ok());
        assert!(parse_secure_url("http://localhost/graphql").is_ok());
        assert!(parse_secure_url("http://[::1]:80/x").is_ok());
        assert!(parse_secure_url("http://example.com/graphql").is_err());
        assert!(parse_secure_url("ftp://x").is_err());
        assert!(parse_secure_url("not a url").is_err());
    }
}
