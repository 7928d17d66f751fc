//! Owns starting Railway deployments for each source and following them to a final state.

pub mod follow;
pub mod logs;
pub mod status;
pub mod watch;

use crate::config::Source;
use crate::railway::{RailwayClient, RailwayError, api};

/// What one service's deploy starts from.
#[derive(Clone, Debug)]
pub struct StartRequest<'a> {
    pub service_id: &'a str,
    pub environment_id: &'a str,
    pub commit_sha: Option<&'a str>,
    /// The instance's current image source (to skip a no-op update).
    pub current_image: Option<&'a str>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Railway(#[from] RailwayError),
    /// The source cannot be deployed by this code path (exit 2 before any change).
    #[error("{0}")]
    Unsupported(String),
}

/// Starts the deployment and returns its id. Mutations are never repeated when their fate is
/// unknown (see `crate::retry`).
pub async fn start(
    c: &RailwayClient,
    source: &Source,
    req: &StartRequest<'_>,
) -> Result<String, StartError> {
    match source {
        Source::Commit => Ok(api::deploy_service_instance(c, req.service_id, req.environment_id, req.commit_sha).await?),
        Source::Image { reference } => {
            if req.current_image != Some(reference.as_str()) {
                let input = serde_json::json!({ "source": { "image": reference } });
                api::update_service_instance(c, req.service_id, req.environment_id, input).await?;
            }
            // With no commit, Railway deploys the instance's current source: the image just set.
            Ok(api::deploy_service_instance(c, req.service_id, req.environment_id, None).await?)
        }
        Source::Upload { .. } => Err(StartError::Unsupported(
            "`source: upload` is not supported yet by this build; use `source: commit` (Railway's GitHub integration) or `source: image`".into(),
        )),
    }
}
