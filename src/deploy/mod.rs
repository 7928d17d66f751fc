//! Owns starting Railway deployments for each source and following them to a final state.

pub mod adopt;
pub mod follow;
pub mod logs;
pub mod printer;
pub mod watch;

use std::path::Path;

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
    /// `deploy-timeout` (`source: railway` waits this long for Railway's deployment to appear).
    pub timeout: std::time::Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Railway(#[from] RailwayError),
    #[error("{0}")]
    Upload(#[from] UploadError),
    #[error("{0}")]
    Adopt(#[from] adopt::AdoptError),
}

/// Starts the deployment and returns its id. Mutations are never repeated when their fate is
/// unknown (see `crate::retry`).
pub async fn start(
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
                let input = serde_json::json!({ "source": { "image": reference } });
                api::update_service_instance(c, req.service_id, req.environment_id, input).await?;
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
