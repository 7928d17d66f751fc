//! Owns the removal step ([`RemoveRequest`], [`run`]): deletes one preview environment (only an
//! ephemeral one; one already gone is a success), then makes its GitHub Deployments inactive
//! and, for a closed pull request, edits its comment to say the preview is gone (each GitHub
//! problem a warning). A Railway failure is recorded in the preview's record and the next
//! removal still runs; the run then fails (`crate::pipeline::execute::finish`).

use chrono::Utc;

use super::context::Context;
use super::preview::{Deleted, delete_preview};
use crate::github::comments::StickyComments;
use crate::github::deployments::explain;
use crate::railway::environments::EnvironmentInfo;
use crate::record::{RunReport, Stop};
use crate::report::preview::gone_comment;
use crate::workflow;

/// Delete one preview (`environment: None`: it is already gone), make the GitHub Deployments of
/// its name inactive, and edit its comment on `pull` (a closed pull request).
#[derive(Clone, Debug)]
pub struct RemoveRequest {
    pub project_id: String,
    pub name: String,
    pub environment: Option<EnvironmentInfo>,
    pub pull: Option<u64>,
    /// The sticky comment's marker (`github::keyed::comment_marker`), with `comment: true`.
    pub comment_marker: Option<String>,
    pub sha: Option<String>,
    /// `github-deployment: true`: its GitHub Deployments are made inactive.
    pub deactivate: bool,
}

/// Runs one removal: Railway first (a failure is recorded, and GitHub is left alone), then
/// GitHub. A permanent environment is invalid input and stops the run.
pub async fn run(
    cx: &Context<'_>,
    req: &RemoveRequest,
    report: &mut RunReport,
) -> Result<(), Stop> {
    let deleted = match &req.environment {
        Some(env) => delete_preview(&cx.client, &req.project_id, env).await,
        None => Ok(Deleted::AlreadyGone),
    };
    let when = Utc::now();
    let preview = report.preview.get_or_insert_with(Default::default);
    match deleted {
        Ok(Deleted::Deleted) => {
            workflow::info(format!("Deleted the preview environment `{}`", req.name));
            preview.removed.push(req.name.clone());
            preview.removed_at = Some(when);
        }
        Ok(Deleted::AlreadyGone) => {
            let notice = format!(
                "The preview environment `{}` was already gone: nothing to delete",
                req.name
            );
            workflow::notice(&notice);
            report.notices.push(notice);
            preview.already_gone = true;
        }
        Err(Stop::Failed { why, .. }) => {
            workflow::error_titled("Preview not removed", &why);
            preview.failures.push(why);
            return Ok(());
        }
        Err(stop) => return Err(stop),
    }
    let Some(gh) = cx.github.as_ref() else {
        return Ok(());
    };
    if req.deactivate {
        match gh.deactivate_environment(&req.name).await {
            Ok(n) => workflow::info(format!(
                "Marked {n} GitHub Deployment(s) of `{}` inactive",
                req.name
            )),
            Err(e) => workflow::warning(explain(
                &format!("mark the GitHub Deployments of {} inactive", req.name),
                &e,
                "deployments: write",
            )),
        }
    }
    if let (Some(pull), Some(marker)) = (req.pull, &req.comment_marker) {
        let sha = req.sha.as_deref().unwrap_or_default();
        let mut comments = StickyComments::new(gh, marker, Some(pull), sha).await;
        comments.write(&gone_comment(&req.name, when, marker)).await;
    }
    Ok(())
}
