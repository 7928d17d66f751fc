//! Owns starting Railway deployments for each source and following them to a final state. A
//! start whose answer was lost is read back (`readback`), never sent again; a deploy from the
//! instance's configured source answers no id and is read back too (`latest`); the deployments
//! the run started are recorded for cancellation (`started`).

pub mod adopt;
pub mod autodeploy;
pub mod follow;
pub mod latest;
pub mod logs;
pub mod printer;
pub mod readback;
pub mod started;
pub mod watch;

use std::path::Path;

use chrono::Utc;

use crate::config::Source;
use crate::railway::upload::{UploadError, UploadTarget, UploadedDeployment};
use crate::railway::{RailwayClient, RailwayError, api};
use crate::upload::source::ArchiveCache;

/// What one service's deploy starts from.
#[derive(Clone, Copy)]
pub struct StartRequest<'a> {
    pub project_id: &'a str,
    pub service_id: &'a str,
    pub environment_id: &'a str,
    pub commit_sha: Option<&'a str>,
    /// The instance's current image source (to skip a no-op update).
    pub current_image: Option<&'a str>,
    /// The run's archives (`source: upload`): services sharing a `path` share one build.
    pub archives: &'a ArchiveCache,
    /// The service's name, for progress lines.
    pub label: &'a str,
    /// The deployment serving before this run (never mistaken for the new one on a read-back).
    pub serving_id: Option<&'a str>,
    /// `deploy-timeout` (`source: railway` waits this long for Railway's deployment to appear).
    pub timeout: std::time::Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Railway(#[from] RailwayError),
    #[error("{0}")]
    Upload(#[from] UploadError),
    /// The answer was lost and the read-back found no deployment this run caused.
    #[error("the answer to the {what} was lost ({cause}) and {why}")]
    Lost {
        what: &'static str,
        cause: String,
        why: readback::ReadbackError,
    },
    #[error("{0}")]
    Adopt(#[from] adopt::AdoptError),
    /// Railway accepted a deploy whose answer names no deployment (`latest`), and the read-back
    /// found none this run caused.
    #[error("Railway accepted the deploy request (its answer names no deployment), but {why}")]
    Unseen { why: readback::ReadbackError },
}

impl StartError {
    /// True when the request reached Railway and its answer was lost: it may have taken effect.
    pub fn answer_lost(&self) -> bool {
        match self {
            StartError::Railway(e) => e.answer_lost(),
            StartError::Upload(UploadError::MaybeAccepted { .. }) => true,
            _ => false,
        }
    }
}

impl StartError {
    /// This lost answer, once the read-back found nothing.
    fn lost(self, why: readback::ReadbackError) -> StartError {
        let (what, cause) = match self {
            StartError::Upload(UploadError::MaybeAccepted { detail }) => ("upload", detail),
            other => ("deploy request", other.to_string()),
        };
        StartError::Lost { what, cause, why }
    }
}

/// Starts the deployment and returns its id. Mutations are never repeated when their fate is
/// unknown (see `crate::retry`): when the answer is lost, the deployment the request caused is
/// read back instead (see `readback`), and only when none appears is the start an error.
pub async fn start(
    c: &RailwayClient,
    source: &Source,
    req: &StartRequest<'_>,
) -> Result<String, StartError> {
    let sent_at = Utc::now();
    let e = match send(c, source, req).await {
        Ok(id) => return Ok(id),
        Err(e) if e.answer_lost() => e,
        Err(e) => return Err(e),
    };
    let expect = match (source, req.commit_sha) {
        (Source::Commit, Some(sha)) => readback::Expect::Commit(sha),
        (Source::Image { reference }, _) => readback::Expect::Image(reference),
        _ => readback::Expect::New,
    };
    let lost = readback::Lost {
        project_id: req.project_id,
        service_id: req.service_id,
        environment_id: req.environment_id,
        sent_at,
        known: req.serving_id.into_iter().collect(),
        expect,
    };
    printer::progress(format!(
        "{}: the answer to the deploy request was lost ({e}); reading back the deployment it started (nothing is sent twice)",
        req.label
    ));
    match readback::find_caused(c, &lost).await {
        Ok(d) => {
            printer::progress(format!(
                "{}: found deployment {} created by the lost request",
                req.label, d.id
            ));
            Ok(d.id)
        }
        Err(why) => Err(e.lost(why)),
    }
}

/// Sends the one request that starts the deployment of `source` (after setting the image).
async fn send(
    c: &RailwayClient,
    source: &Source,
    req: &StartRequest<'_>,
) -> Result<String, StartError> {
    match source {
        Source::Commit => {
            Ok(
                api::deploy_service_instance(c, req.service_id, req.environment_id, req.commit_sha)
                    .await?,
            )
        }
        Source::Image { reference } => {
            if req.current_image != Some(reference.as_str()) {
                set_image(c, req, reference).await?;
            }
            // With no commit, Railway deploys the instance's current source: the image just set.
            Ok(api::deploy_service_instance(c, req.service_id, req.environment_id, None).await?)
        }
        Source::Railway => {
            let filter = api::DeploymentFilter {
                project_id: Some(req.project_id.to_string()),
                environment_id: Some(req.environment_id.to_string()),
                service_id: Some(req.service_id.to_string()),
                status: None,
            };
            let sha = req.commit_sha.unwrap_or_default();
            Ok(adopt::await_deployment(c, &filter, sha, req.label, req.timeout).await?)
        }
        Source::Upload { path } => {
            let target = UploadTarget {
                project_id: req.project_id.to_string(),
                environment_id: req.environment_id.to_string(),
                service_id: req.service_id.to_string(),
                message: req
                    .commit_sha
                    .map(|sha| format!("railway-deploy {}", sha.get(..7).unwrap_or(sha))),
            };
            let uploaded = upload(c, req.archives, path, &target, req.label).await?;
            Ok(uploaded.deployment_id)
        }
    }
}

/// Sets the instance's image; when the answer is lost, reads the instance back to learn whether
/// the change took effect (an update is never sent twice).
async fn set_image(
    c: &RailwayClient,
    req: &StartRequest<'_>,
    reference: &str,
) -> Result<(), RailwayError> {
    let input = serde_json::json!({ "source": { "image": reference } });
    let e = match api::update_service_instance(c, req.service_id, req.environment_id, input).await {
        Ok(()) => return Ok(()),
        Err(e) if e.answer_lost() => e,
        Err(e) => return Err(e),
    };
    let instance = api::service_instance(c, req.service_id, req.environment_id).await;
    let image = instance.ok().and_then(|i| i.source.and_then(|s| s.image));
    if image.as_deref() == Some(reference) {
        printer::progress(format!(
            "{}: the answer to the image update was lost, but the image is set",
            req.label
        ));
        Ok(())
    } else {
        Err(e)
    }
}

/// Uploads `path` for one service and returns the deployment Railway created. Prints one line
/// before and one after (size, counts), and a warning for links that leave the tree.
async fn upload(
    c: &RailwayClient,
    archives: &ArchiveCache,
    path: &Path,
    target: &UploadTarget,
    label: &str,
) -> Result<UploadedDeployment, UploadError> {
    printer::progress(format!("{label}: uploading {}", path.display()));
    let source = archives.source(path);
    let deployment = crate::railway::upload::upload(
        c.http(),
        c.api_url(),
        c.token(),
        target,
        &source,
        c.timing(),
    )
    .await?;
    if let Ok(stats) = source.finished().await {
        printer::progress(format!("{label}: uploaded {}", stats.summary()));
        crate::upload::warn_about(label, &stats);
    }
    Ok(deployment)
}
