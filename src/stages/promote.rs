//! Owns what `command: promote` deploys: for each service, the deployment that passed in
//! `from-environment`, turned into a [`Source`] the ordinary deploy path (`crate::deploy::start`)
//! runs in the target environment: the same commit (`source: commit`) or the same image pinned
//! by digest (`source: image`). Reads only; a refusal is an input error (exit 2, before any change).
//!
//! Decisions:
//! - "Passed" means Railway status `SUCCESS` or `SLEEPING` (a live deployment that idles).
//!   `REMOVED` is refused: Railway also removes deployments that never went live, so it does not
//!   prove the commit ran well; redeploy it to `from-environment` first.
//! - On a tag or release trigger the deployment must be of the trigger's commit (`meta.commitHash`),
//!   and the newest deployment of that commit decides: if it failed, the commit is refused even
//!   when an older attempt of it succeeded. Otherwise the newest passed deployment is taken.
//! - An image is pinned to `meta.imageDigest`, so production runs the exact bytes staging ran.
//!   That key of the deployment's untyped `meta` is not documented: when it is missing, only a
//!   reference that is already a digest (`@sha256:`) is promoted; anything else is refused.
//! - `source` left unset (the config then holds its `upload` default, which it refuses when given
//!   explicitly for promote) means "whatever the deployment was": its commit when it has one, else
//!   its image digest.

use crate::config::Source;
use crate::railway::api::{self, Deployment, DeploymentFilter, Named};
use crate::railway::status::{DeploymentStatus, Phase};
use crate::railway::{RailwayClient, RailwayError};

/// How many recent deployments of a service in `from-environment` are searched.
const SEARCH_DEPTH: u32 = 50;

/// What to deploy for one service.
#[derive(Clone, Debug, PartialEq)]
pub struct Promotion {
    pub service_id: String,
    pub service_name: String,
    /// The deployment in `from-environment` that is promoted.
    pub from_deployment_id: String,
    /// `Source::Commit` (deploy `commit_sha`) or `Source::Image` (pinned by digest).
    pub source: Source,
    pub commit_sha: Option<String>,
}

/// Why a service cannot be promoted (an input error).
#[derive(Debug, thiserror::Error)]
pub enum PromoteError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Railway(#[from] RailwayError),
}

fn passed(status: &DeploymentStatus) -> bool {
    status.phase() == Phase::Live
}

fn commit_of(d: &Deployment) -> Option<&str> {
    d.meta_str("commitHash")
}

/// `ghcr.io/acme/web:1.2@sha256:…` → `ghcr.io/acme/web@{digest}`.
pub fn pin_image(reference: &str, digest: &str) -> String {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    // A tag is a `:` after the last `/` (a `:` before it is a registry port).
    let name = match without_digest.rfind(':') {
        Some(i) if !without_digest[i..].contains('/') => &without_digest[..i],
        _ => without_digest,
    };
    format!("{name}@{digest}")
}

/// What kind of source a promotion redeploys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    Commit,
    Image,
    /// The deployment's commit when it has one, else its image.
    Auto,
}

impl Want {
    /// From the run's `source` (see the module's decision on `upload`).
    pub fn from_source(source: &Source) -> Want {
        match source {
            Source::Commit => Want::Commit,
            Source::Image { .. } => Want::Image,
            Source::Upload { .. } | Source::Railway => Want::Auto,
        }
    }
}

/// Chooses the deployment to promote from `deployments` (newest first, any status) of one
/// service in `from_env`. `commit`: the trigger's commit on tag and release runs.
pub fn choose(
    service: &Named,
    from_env: &str,
    deployments: &[Deployment],
    commit: Option<&str>,
    want: Want,
) -> Result<Promotion, String> {
    let picked = match commit {
        Some(sha) => {
            let newest = deployments
                .iter()
                .find(|d| commit_of(d).is_some_and(|c| c.eq_ignore_ascii_case(sha)))
                .ok_or_else(|| {
                    format!(
                        "service `{}` has no deployment of commit {sha} in {from_env}: deploy it to \
                         {from_env} and let it pass there before promoting",
                        service.name
                    )
                })?;
            if !passed(&newest.status) {
                return Err(format!(
                    "service `{}`: the deployment of commit {sha} in {from_env} ({}) ended {}, so \
                     it is not promoted. Fix it and deploy it to {from_env} again",
                    service.name, newest.id, newest.status
                ));
            }
            newest
        }
        None => deployments
            .iter()
            .find(|d| passed(&d.status))
            .ok_or_else(|| {
                format!(
                    "service `{}` has no successful deployment in {from_env} to promote",
                    service.name
                )
            })?,
    };
    let commit_sha = commit_of(picked).map(str::to_string);
    let image = match want {
        Want::Commit => false,
        Want::Image => true,
        Want::Auto => commit_sha.is_none(),
    };
    let source = if image {
        let digest = picked.meta_str("imageDigest");
        let reference = picked.meta_str("image");
        match (reference, digest) {
            (Some(r), Some(d)) => Source::Image {
                reference: pin_image(r, d),
            },
            (Some(r), None) if r.contains("@sha256:") => Source::Image {
                reference: r.to_string(),
            },
            _ => {
                return Err(format!(
                    "service `{}`: deployment {} in {from_env} records no image digest, so the \
                     exact image cannot be promoted. Deploy the image to {from_env} by digest \
                     (`image: name@sha256:…`) first",
                    service.name, picked.id
                ));
            }
        }
    } else {
        if commit_sha.is_none() {
            return Err(format!(
                "service `{}`: deployment {} in {from_env} was not built from a commit (an image or \
                 an upload), so there is no commit to promote. Use `source: image` for image \
                 services",
                service.name, picked.id
            ));
        }
        Source::Commit
    };
    Ok(Promotion {
        service_id: service.id.clone(),
        service_name: service.name.clone(),
        from_deployment_id: picked.id.clone(),
        source,
        commit_sha,
    })
}

/// Reads each service's recent deployments in `from-environment` and chooses what to promote.
pub async fn plan_promotion(
    client: &RailwayClient,
    project_id: &str,
    from_env: &Named,
    services: &[Named],
    commit: Option<&str>,
    want: Want,
) -> Result<Vec<Promotion>, PromoteError> {
    let mut out = Vec::with_capacity(services.len());
    for service in services {
        let filter = DeploymentFilter {
            project_id: Some(project_id.to_string()),
            environment_id: Some(from_env.id.clone()),
            service_id: Some(service.id.clone()),
            status: None,
        };
        let deployments = api::deployments(client, &filter, SEARCH_DEPTH).await?;
        let p = choose(service, &from_env.name, &deployments, commit, want)
            .map_err(PromoteError::Refused)?;
        out.push(p);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dep(id: &str, status: &str, meta: serde_json::Value) -> Deployment {
        Deployment {
            id: id.into(),
            status: status.into(),
            created_at: None,
            service_id: None,
            environment_id: None,
            static_url: None,
            url: None,
            can_rollback: true,
            snapshot_id: None,
            meta: Some(meta),
        }
    }

    fn web() -> Named {
        Named {
            id: "svc-web".into(),
            name: "web".into(),
        }
    }

    #[test]
    fn the_right_deployment_is_chosen() {
        // Newest first.
        let history = vec![
            dep("d5", "BUILDING", json!({"commitHash": "c5"})),
            dep("d4", "FAILED", json!({"commitHash": "c4"})),
            dep("d3", "SUCCESS", json!({"commitHash": "c4"})),
            dep("d2", "REMOVED", json!({"commitHash": "c2"})),
            dep("d1", "SLEEPING", json!({"commitHash": "c1"})),
        ];
        let pick = |commit: Option<&str>| {
            choose(&web(), "staging", &history, commit, Want::Commit).map(|p| p.from_deployment_id)
        };
        assert_eq!(pick(None).unwrap(), "d3");
        assert_eq!(pick(Some("c1")).unwrap(), "d1");
        let failed = pick(Some("c4")).unwrap_err();
        assert!(failed.contains("ended FAILED"), "{failed}");
        assert!(pick(Some("c2")).unwrap_err().contains("ended REMOVED"));
        assert!(pick(Some("c5")).unwrap_err().contains("ended BUILDING"));
        assert!(
            pick(Some("c9"))
                .unwrap_err()
                .contains("no deployment of commit c9")
        );
        assert!(
            choose(&web(), "staging", &[], None, Want::Auto)
                .unwrap_err()
                .contains("no successful deployment")
        );
    }

    #[test]
    fn commits_and_images_become_sources() {
        let by_commit = [dep("d1", "SUCCESS", json!({"commitHash": "abc"}))];
        let p = choose(&web(), "staging", &by_commit, Some("ABC"), Want::Commit).unwrap();
        assert_eq!(
            (p.source, p.commit_sha.as_deref()),
            (Source::Commit, Some("abc"))
        );

        let by_image = [dep(
            "d1",
            "SUCCESS",
            json!({"image": "ghcr.io/acme/web:1.2", "imageDigest": "sha256:aa"}),
        )];
        for want in [Want::Image, Want::Auto] {
            let p = choose(&web(), "staging", &by_image, None, want).unwrap();
            assert_eq!(
                p.source,
                Source::Image {
                    reference: "ghcr.io/acme/web@sha256:aa".into()
                }
            );
        }
        assert!(choose(&web(), "staging", &by_image, None, Want::Commit).is_err());
        let auto = choose(&web(), "staging", &by_commit, None, Want::Auto).unwrap();
        assert_eq!(auto.source, Source::Commit);
        let no_digest = [dep("d1", "SUCCESS", json!({"image": "nginx:1"}))];
        assert!(
            choose(&web(), "staging", &no_digest, None, Want::Image)
                .unwrap_err()
                .contains("no image digest")
        );
    }

    #[test]
    fn images_are_pinned_without_their_tag() {
        assert_eq!(pin_image("nginx:1.27", "sha256:1"), "nginx@sha256:1");
        assert_eq!(
            pin_image("localhost:5000/app:v2@sha256:0", "sha256:1"),
            "localhost:5000/app@sha256:1"
        );
        assert_eq!(
            pin_image("localhost:5000/app", "sha256:1"),
            "localhost:5000/app@sha256:1"
        );
    }
}
