//! Owns deploying a service instance from its configured source the way Railway's released CLI
//! does (`railway redeploy --from-source`): `serviceInstanceDeploy(latestCommit: true)`, which
//! deploys the latest commit of the instance's connected branch, or pulls its image again.
//! (`serviceInstanceDeployV2` without a commit would deploy the commit already associated with
//! the service, which for a never-deployed copy is not known.) Railway answers a Boolean, not the
//! deployment (the schema's `serviceInstanceDeploy: Boolean`), so
//! the deployment is found by reading the service's deployments: the ids listed before the
//! request are never it, and it must be created after the request was sent (`readback`). The
//! request is sent once; a lost answer is read back the same way, never sent again.

use chrono::Utc;

use super::readback::{self, Expect, Lost};
use super::{StartError, printer};
use crate::railway::RailwayClient;
use crate::railway::api::{self, DeploymentFilter};

/// The instance to deploy from its configured source.
#[derive(Clone, Copy, Debug)]
pub struct LatestRequest<'a> {
    pub project_id: &'a str,
    pub service_id: &'a str,
    pub environment_id: &'a str,
    /// The instance's image (`None`: a repository): the deployment read back must be of it.
    pub image: Option<&'a str>,
    /// The service's name, for progress lines.
    pub label: &'a str,
}

/// Starts the deployment and returns its id (see the module): one read of the deployments
/// listed before, the one request, then the read-back (bounded by `readback::READBACK_WAIT`).
pub async fn start(c: &RailwayClient, req: &LatestRequest<'_>) -> Result<String, StartError> {
    let filter = DeploymentFilter {
        project_id: Some(req.project_id.to_string()),
        environment_id: Some(req.environment_id.to_string()),
        service_id: Some(req.service_id.to_string()),
        status: None,
    };
    let before: Vec<String> = api::deployments(c, &filter, readback::NEWEST)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    let sent_at = Utc::now();
    let lost = match api::deploy_latest_commit(c, req.service_id, req.environment_id).await {
        Ok(()) => None,
        Err(e) if e.answer_lost() => Some(e),
        Err(e) => return Err(e.into()),
    };
    if let Some(e) = &lost {
        printer::progress(format!(
            "{}: the answer to the deploy request was lost ({e}); reading back the deployment it started (nothing is sent twice)",
            req.label
        ));
    }
    let wanted = Lost {
        project_id: req.project_id,
        service_id: req.service_id,
        environment_id: req.environment_id,
        sent_at,
        known: before.iter().map(String::as_str).collect(),
        expect: match req.image {
            Some(image) => Expect::Image(image),
            None => Expect::New,
        },
    };
    match (readback::find_caused(c, &wanted).await, lost) {
        (Ok(d), _) => Ok(d.id),
        (Err(why), Some(e)) => Err(StartError::Lost {
            what: "deploy request",
            cause: e.to_string(),
            why,
        }),
        (Err(why), None) => Err(StartError::Unseen { why }),
    }
}

/// What the deployment `meta` says was deployed from a repository: `commit `abc1234` of branch
/// `main`` (what is known of it), `None` when it names no commit.
pub fn commit_deployed(meta: Option<&serde_json::Value>) -> Option<String> {
    let meta = meta?;
    let text = |k: &str| meta.get(k).and_then(serde_json::Value::as_str);
    let sha = text("commitHash")?;
    let short = crate::text::short_sha(sha);
    Some(match text("branch") {
        Some(branch) => format!("commit `{short}` of branch `{branch}`"),
        None => format!("commit `{short}`"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commit_deployed_is_said_with_what_is_known() {
        let meta = serde_json::json!({ "commitHash": "abcdef0123", "branch": "main" });
        assert_eq!(
            commit_deployed(Some(&meta)).as_deref(),
            Some("commit `abcdef0` of branch `main`")
        );
        let bare = serde_json::json!({ "commitHash": "abc" });
        assert_eq!(
            commit_deployed(Some(&bare)).as_deref(),
            Some("commit `abc`")
        );
        assert_eq!(
            commit_deployed(Some(&serde_json::json!({ "image": "x" }))),
            None
        );
        assert_eq!(commit_deployed(None), None);
    }
}
