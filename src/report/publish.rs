//! Owns what a run publishes on GitHub while it runs: the GitHub Deployment and the sticky PR
//! comment, started together once the run is about to change something and finished together,
//! so the two always agree. The pipeline calls [`Publisher::start`] after the gate passes (before
//! migrations), then exactly one of [`Publisher::finish`] / [`Publisher::finish_error`]; on a
//! signal, [`crate::cancel`] calls [`Publisher::cancelled`]. Nothing here can fail a
//! deploy: every problem is a warning.
//!
//! Decision: a dry run publishes nothing on GitHub (no Deployment, no comment): it promises to
//! change nothing, and a comment saying "deployed" about a dry run would mislead reviewers. Its
//! plan goes to the job summary.

use std::sync::Arc;

use tokio::sync::Mutex;

use crate::github::GitHub;
use crate::github::comments::StickyComments;
use crate::github::deployments::{DeploymentStart, DeploymentTracker, Opened};
use crate::github::keyed::{ServiceSet, comment_marker};
use crate::github::unanswered::{RunDeployment, UnansweredCreate};
use crate::record::{RunReport, RunStatus};
use crate::report::comment::{Phase, render_comment};
use crate::report::deployment;

/// What the pipeline knows when it starts publishing.
#[derive(Clone, Debug)]
pub struct PublishOptions {
    pub sha: String,
    /// The Railway environment's name.
    pub environment: String,
    /// `environment` is the `production-environment` input.
    pub production: bool,
    /// A pull request's preview (`command: preview`): a transient GitHub environment.
    pub transient: bool,
    /// `{server}/{repo}/actions/runs/{run_id}` (see `github::deployments::workflow_run_url`).
    pub run_url: Option<String>,
    /// The PR number on `pull_request` runs.
    pub event_pull: Option<u64>,
    /// The `github-deployment` input.
    pub github_deployment: bool,
    /// The `comment` input.
    pub comment: bool,
}

/// The run's GitHub Deployment and PR comments. Cheap to clone: clones share the comments.
#[derive(Clone, Debug)]
pub struct Publisher {
    deployment: Option<RunDeployment>,
    comments: Option<Arc<Mutex<StickyComments>>>,
    run_url: Option<String>,
}

impl Publisher {
    /// A publisher that publishes nothing (dry runs, or both inputs off).
    pub fn disabled() -> Self {
        Publisher {
            deployment: None,
            comments: None,
            run_url: None,
        }
    }

    /// Creates the Deployment (`in_progress`) and writes the "deploying" comment.
    pub async fn start(gh: &GitHub, opts: &PublishOptions, report: &RunReport) -> Self {
        Self::start_reporting(gh, opts, report, |_| {}).await
    }

    /// [`Publisher::start`], handing `published` what is published so far as soon as each part
    /// may exist: before the Deployment's create is sent (as unanswered, so an ending while
    /// GitHub holds the answer finds and ends what it created, see `github::unanswered`), again
    /// once GitHub answered (`in_progress`, or nothing when it created none), and again, with the
    /// comments, before the first comment write. A caller that arms the cancel guard from `published` leaves no
    /// moment where GitHub shows the run started and a signal would leave it so: a signal during
    /// the comment write settles the comment all the same (found again by its marker).
    pub async fn start_reporting(
        gh: &GitHub,
        opts: &PublishOptions,
        report: &RunReport,
        published: impl Fn(&Publisher),
    ) -> Self {
        if report.dry_run {
            return Publisher::disabled();
        }
        let mut publisher = Publisher {
            deployment: None,
            comments: None,
            run_url: opts.run_url.clone(),
        };
        if opts.github_deployment {
            let start = DeploymentStart {
                sha: opts.sha.clone(),
                environment: opts.environment.clone(),
                production: opts.production,
                transient: opts.transient,
                log_url: opts.run_url.clone(),
            };
            let create = UnansweredCreate::new(gh, &start, &deployment::opening(report, &opts.sha));
            publisher.deployment = Some(RunDeployment::Unanswered(create.clone()));
            published(&publisher);
            publisher.deployment = match DeploymentTracker::open(&create).await {
                Opened::Known(t) => Some(RunDeployment::Known(*t)),
                Opened::Unanswered => Some(RunDeployment::Unanswered(create)),
                Opened::NotCreated => None,
            };
            published(&publisher);
        }
        if opts.comment {
            let services = ServiceSet::new(report.services.iter().map(|s| s.name.as_str()));
            let marker = comment_marker(&opts.environment, &services);
            let c = StickyComments::new(gh, &marker, opts.event_pull, &opts.sha).await;
            publisher.comments = Some(Arc::new(Mutex::new(c)));
            published(&publisher);
            publisher.comment(report, Phase::Deploying).await;
        }
        publisher
    }

    pub fn deployment_id(&self) -> Option<u64> {
        self.deployment.as_ref().and_then(RunDeployment::id)
    }

    async fn comment(&self, report: &RunReport, phase: Phase) {
        if let Some(c) = &self.comments {
            let body = render_comment(report, phase, self.run_url.as_deref());
            c.lock().await.write(&body).await;
        }
    }

    /// The run ended (success, failure or rollback): final status and final comment.
    pub async fn finish(&self, report: &RunReport) {
        if let Some(d) = &self.deployment {
            d.finish(&deployment::final_status(report)).await;
        }
        self.comment(report, Phase::Finished).await;
    }

    /// The action itself broke: `error` status, and a failed comment giving `reason`.
    pub async fn finish_error(&self, report: &RunReport, reason: &str) {
        if let Some(d) = &self.deployment {
            d.finish_error(reason).await;
        }
        let mut failed = report.clone();
        failed.status = RunStatus::Failed;
        failed.failure.get_or_insert_with(|| reason.to_string());
        self.comment(&failed, Phase::Finished).await;
    }

    /// The job was cancelled: `error` status and the cancelled comment.
    pub async fn cancelled(&self, report: &RunReport, signal: &str) {
        if let Some(d) = &self.deployment {
            d.finish_error(&format!("Cancelled ({signal}) before the deploy finished"))
                .await;
        }
        self.comment(report, Phase::Cancelled).await;
    }
}
