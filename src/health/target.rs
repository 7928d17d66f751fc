//! Owns what the health check probes: the URL (from `health-url`, or the service's public domain
//! and `health-path`) and the body text expected (`health-expect-body` with `{sha}` and
//! `{version}` substituted). Pure functions, decided before any request is made.

use url::Url;

/// What the probe should do for one service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeTarget {
    Probe(Url),
    /// No `health-url` and no public domain: nothing to probe. The reason is shown as a warning.
    Skip(String),
}

/// The domains Railway reports for a service in one environment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceDomains {
    /// Custom domains (`customDomains[].domain`), preferred: it is what users reach.
    pub custom: Vec<String>,
    /// Railway-generated domains (`serviceDomains[].domain`, `*.up.railway.app`).
    pub railway: Vec<String>,
}

/// Chooses the URL to probe.
///
/// `health_url` wins. Otherwise `https://{domain}{path}`, where domain is the first custom domain,
/// else the first Railway domain, and path is `health_path`, else the service instance's
/// `healthcheckPath`, else `/`. Err means the path cannot form a URL (invalid input).
pub fn choose_target(
    health_url: Option<&Url>,
    health_path: Option<&str>,
    healthcheck_path: Option<&str>,
    domains: &ServiceDomains,
) -> Result<ProbeTarget, String> {
    if let Some(url) = health_url {
        return Ok(ProbeTarget::Probe(url.clone()));
    }
    let domain = domains
        .custom
        .iter()
        .chain(domains.railway.iter())
        .map(|d| d.trim().trim_end_matches('.'))
        .find(|d| !d.is_empty());
    let Some(domain) = domain else {
        return Ok(ProbeTarget::Skip(
            "the service has no public domain in this environment and `health-url` is empty; \
             generate a domain in Railway (Settings → Networking) or set `health-url`"
                .to_string(),
        ));
    };
    let path = [health_path, healthcheck_path]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|p| !p.is_empty())
        .unwrap_or("/");
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    let raw = format!("https://{domain}{path}");
    let url = Url::parse(&raw).map_err(|e| {
        format!("`health-path` `{path}` on domain `{domain}` does not form a valid URL ({e}); give a path like `/api/health`")
    })?;
    Ok(ProbeTarget::Probe(url))
}

/// Replaces `{sha}` and `{version}` in `health-expect-body`.
///
/// Decision: `{version}` on a run without a version (a branch push) is an input error rather than
/// an empty string, because an empty substitution would make the check pass for any release.
pub fn expected_body(template: &str, sha: &str, version: Option<&str>) -> Result<String, String> {
    if template.contains("{version}") && version.is_none() {
        return Err(
            "`health-expect-body` uses {version}, but this run has no version (only version tags \
             and releases carry one); use {sha} instead, or deploy from a version tag"
                .to_string(),
        );
    }
    Ok(template
        .replace("{sha}", sha)
        .replace("{version}", version.unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains(custom: &[&str], railway: &[&str]) -> ServiceDomains {
        ServiceDomains {
            custom: custom.iter().map(|s| s.to_string()).collect(),
            railway: railway.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn url_of(t: ProbeTarget) -> String {
        match t {
            ProbeTarget::Probe(u) => u.to_string(),
            ProbeTarget::Skip(r) => panic!("skipped: {r}"),
        }
    }

    #[test]
    fn health_url_wins_over_everything() {
        let u = Url::parse("https://status.example.com/ready").unwrap();
        let t = choose_target(
            Some(&u),
            Some("/x"),
            Some("/y"),
            &domains(&["a.com"], &["b"]),
        );
        assert_eq!(url_of(t.unwrap()), "https://status.example.com/ready");
    }

    #[test]
    fn custom_domain_before_railway_domain() {
        let d = domains(&["shop.example.com"], &["web-production.up.railway.app"]);
        let t = choose_target(None, Some("/api/health"), None, &d).unwrap();
        assert_eq!(url_of(t), "https://shop.example.com/api/health");
        let d = domains(&[], &["web-production.up.railway.app"]);
        let t = choose_target(None, Some("/api/health"), None, &d).unwrap();
        assert_eq!(
            url_of(t),
            "https://web-production.up.railway.app/api/health"
        );
    }

    #[test]
    fn path_falls_back_to_railway_healthcheck_path_then_root() {
        let d = domains(&[], &["w.up.railway.app"]);
        let t = choose_target(None, None, Some("/healthz"), &d).unwrap();
        assert_eq!(url_of(t), "https://w.up.railway.app/healthz");
        let t = choose_target(None, Some(""), Some(""), &d).unwrap();
        assert_eq!(url_of(t), "https://w.up.railway.app/");
        let t = choose_target(None, Some("status?full=1"), None, &d).unwrap();
        assert_eq!(url_of(t), "https://w.up.railway.app/status?full=1");
    }

    #[test]
    fn no_domain_and_no_url_is_skipped_with_a_reason() {
        let t = choose_target(None, Some("/h"), None, &domains(&[], &[" "])).unwrap();
        match t {
            ProbeTarget::Skip(r) => assert!(r.contains("health-url"), "{r}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_path_is_an_input_error() {
        let err = choose_target(None, None, None, &domains(&[], &["bad host:99999"])).unwrap_err();
        assert!(err.contains("does not form a valid URL"), "{err}");
    }

    #[test]
    fn substitution_of_sha_and_version() {
        assert_eq!(
            expected_body("\"sha\":\"{sha}\" v{version}", "abc123", Some("1.2.3")).unwrap(),
            "\"sha\":\"abc123\" v1.2.3"
        );
        assert_eq!(expected_body("{sha}{sha}", "a", None).unwrap(), "aa");
        let e = expected_body("{version}", "a", None).unwrap_err();
        assert!(e.contains("{version}"));
    }
}
