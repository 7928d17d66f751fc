//! Owns the release guard for tag deploys: the version being deployed is compared with the one
//! of the environment's last successful GitHub Deployment (its payload's `version`). Lower is
//! refused before any change (an input error, exit 2) unless `allow-downgrade`; equal redeploys
//! with a notice; higher, or nothing released yet, goes ahead.
//!
//! Decisions: "last successful" is the newest Deployment of the environment with a semver
//! `payload.version` that has a `success` status anywhere in its history (a later `inactive`,
//! written by GitHub when a newer one succeeds, does not undo it); Deployments without a version
//! (branch pushes) are passed over. When GitHub cannot be read (no `deployments: read`, an
//! outage) the guard cannot judge: [`check_release`] returns the error and the pipeline warns and
//! goes on, since refusing every deploy while GitHub is down would be worse than an unguarded one.

use semver::Version;
use serde_json::Value;

use crate::github::GitHub;
use crate::github::deployment_list::DeploymentQuery;
use crate::github::request::GitHubError;

/// Deployments read at most (3 pages of 100), and Deployments whose statuses are read at most.
const MAX_PAGES: u32 = 3;
const MAX_STATUS_LOOKUPS: usize = 30;
/// Deployments a page.
const PER_PAGE: u32 = 100;

/// The guard's judgement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No earlier release in this environment.
    FirstRelease,
    Upgrade {
        last: Version,
    },
    /// The same version again: allowed, with a notice.
    Redeploy {
        last: Version,
    },
    /// Lower, and `allow-downgrade: true`.
    DowngradeAllowed {
        last: Version,
    },
    /// Lower: refused (exit 2).
    Refused {
        last: Version,
    },
}

/// The pure comparison.
pub fn judge(new: &Version, last: Option<&Version>, allow_downgrade: bool) -> Verdict {
    let Some(last) = last else {
        return Verdict::FirstRelease;
    };
    let last = last.clone();
    // Build metadata (`+build.5`) has no precedence in semver: compare without it.
    match new.cmp_precedence(&last) {
        std::cmp::Ordering::Greater => Verdict::Upgrade { last },
        std::cmp::Ordering::Equal => Verdict::Redeploy { last },
        std::cmp::Ordering::Less if allow_downgrade => Verdict::DowngradeAllowed { last },
        std::cmp::Ordering::Less => Verdict::Refused { last },
    }
}

impl Verdict {
    /// The input error for a refusal (exit 2, before any change).
    pub fn refusal(&self, environment: &str, new: &Version) -> Option<String> {
        match self {
            Verdict::Refused { last } => Some(format!(
                "refusing to deploy {new} to {environment}: {last} is already released there and \
                 {new} is lower. Tag a version above {last}, or set `allow-downgrade: true` to \
                 deploy an older release on purpose"
            )),
            _ => None,
        }
    }

    /// A notice worth printing, if any.
    pub fn notice(&self, environment: &str, new: &Version) -> Option<String> {
        match self {
            Verdict::Redeploy { .. } => Some(format!(
                "{new} is already the last release deployed to {environment}; deploying it again"
            )),
            Verdict::DowngradeAllowed { last } => Some(format!(
                "downgrading {environment} from {last} to {new} (allow-downgrade is true)"
            )),
            _ => None,
        }
    }
}

/// A payload's version: `1.2.3` or `v1.2.3`.
fn payload_version(payload: &Value) -> Option<Version> {
    // GitHub returns a payload created as a string as that string.
    let parsed;
    let payload = match payload {
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(s).ok()?;
            &parsed
        }
        other => other,
    };
    let v = payload.get("version")?.as_str()?.trim();
    Version::parse(v.strip_prefix('v').unwrap_or(v)).ok()
}

/// The version of the environment's last successful Deployment, with that Deployment's id.
pub async fn last_released_version(
    gh: &GitHub,
    environment: &str,
) -> Result<Option<(Version, u64)>, GitHubError> {
    let mut lookups = 0;
    let query = DeploymentQuery::environment(environment);
    let mut pages = gh.deployments(&query, PER_PAGE, MAX_PAGES);
    while let Some(deployments) = pages.next().await? {
        for d in deployments {
            let Some(version) = payload_version(&d.payload) else {
                continue;
            };
            if lookups >= MAX_STATUS_LOOKUPS {
                return Ok(None);
            }
            lookups += 1;
            let statuses = gh.deployment_statuses(d.id, 100).await?;
            if statuses.iter().any(|s| s.state == "success") {
                return Ok(Some((version, d.id)));
            }
        }
    }
    Ok(None)
}

/// Reads the last release of `environment` and judges `new` against it.
pub async fn check_release(
    gh: &GitHub,
    environment: &str,
    new: &Version,
    allow_downgrade: bool,
) -> Result<Verdict, GitHubError> {
    let last = last_released_version(gh, environment).await?;
    Ok(judge(new, last.as_ref().map(|(v, _)| v), allow_downgrade))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn versions_are_judged_as_a_table() {
        let cases: &[(&str, Option<&str>, bool, &str)] = &[
            ("1.0.0", None, false, "first"),
            ("1.2.4", Some("1.2.3"), false, "upgrade"),
            ("1.2.3", Some("1.2.3"), false, "redeploy"),
            ("1.2.2", Some("1.2.3"), false, "refused"),
            ("1.2.2", Some("1.2.3"), true, "downgrade-allowed"),
            ("1.3.0-rc.1", Some("1.3.0-rc.2"), false, "refused"),
            ("1.3.0", Some("1.3.0-rc.2"), false, "upgrade"),
            ("1.3.0-rc.1", Some("1.3.0"), false, "refused"),
            ("2.0.0", Some("10.0.0"), false, "refused"),
            ("1.2.3+build.5", Some("1.2.3"), false, "redeploy"),
        ];
        for (new, last, allow, want) in cases {
            let last = last.map(v);
            let got = match judge(&v(new), last.as_ref(), *allow) {
                Verdict::FirstRelease => "first",
                Verdict::Upgrade { .. } => "upgrade",
                Verdict::Redeploy { .. } => "redeploy",
                Verdict::DowngradeAllowed { .. } => "downgrade-allowed",
                Verdict::Refused { .. } => "refused",
            };
            assert_eq!(got, *want, "{new} after {last:?} (allow {allow})");
        }
    }

    #[test]
    fn payload_versions_are_read_from_objects_and_strings() {
        assert_eq!(
            payload_version(&serde_json::json!({"version": "v1.2.3"})),
            Some(v("1.2.3"))
        );
        assert_eq!(
            payload_version(&serde_json::json!("{\"version\":\"2.0.0\"}")),
            Some(v("2.0.0"))
        );
        assert_eq!(payload_version(&serde_json::json!({"version": null})), None);
        assert_eq!(payload_version(&serde_json::json!({})), None);
    }

    #[test]
    fn a_refusal_says_what_to_do() {
        let verdict = judge(&v("1.0.0"), Some(&v("1.1.0")), false);
        let msg = verdict.refusal("production", &v("1.0.0")).unwrap();
        assert!(msg.contains("allow-downgrade: true"), "{msg}");
        assert!(
            judge(&v("1.1.0"), Some(&v("1.1.0")), false)
                .notice("production", &v("1.1.0"))
                .is_some()
        );
    }
}
