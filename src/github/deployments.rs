//! Owns GitHub Deployments for a run: one Deployment per run that changes something (ref = the
//! sha, the Railway environment's name, no auto-merge, no required contexts: the gate is ours), an
//! `in_progress` status at start linking the workflow run, and exactly one final status
//! (`success` with the service URL, `failure`, or `error`), so a Deployment is never left
//! `in_progress`. Reporting never fails a deploy: every problem here becomes a warning. The
//! Deployment's `task` names the run's service set (`github::keyed`). A create whose answer never
//! comes is found and ended by `github::unanswered`.
//!
//! Takes plain values (payload, state, description, URLs); the mapping from the run's record is
//! `crate::report::deployment`.

use serde_json::{Value, json};

use crate::github::GitHub;
use crate::github::keyed::deactivate_older;
use crate::github::request::{Failure, GitHubError, Method, send};
use crate::github::unanswered::UnansweredCreate;
use crate::text::truncate;
use crate::workflow;

/// The `tool` field of every payload we write, so our Deployments are told from others'.
pub const PAYLOAD_TOOL: &str = "railway-deploy";

/// GitHub limits a status description to 140 characters.
pub const DESCRIPTION_MAX: usize = 140;

/// The workflow run page: `{server}/{owner}/{repo}/actions/runs/{run_id}`.
pub fn workflow_run_url(server_url: &str, repository: &str, run_id: &str) -> String {
    format!(
        "{}/{}/actions/runs/{}",
        server_url.trim_end_matches('/'),
        repository,
        run_id
    )
}

/// What the pipeline knows when it starts the Deployment.
#[derive(Clone, Debug)]
pub struct DeploymentStart {
    pub sha: String,
    /// The Railway environment's name.
    pub environment: String,
    /// True when `environment` is the `production-environment` input.
    pub production: bool,
    /// A pull request's preview: GitHub shows it as an environment that goes away.
    pub transient: bool,
    /// The workflow run URL ([`workflow_run_url`]), used as every status's `log_url`.
    pub log_url: Option<String>,
}

/// What the Deployment is created with: the payload (written once; GitHub never lets it change)
/// and the description of the Deployment itself. The caller maps its run to these.
#[derive(Clone, Debug)]
pub struct DeploymentOpening {
    pub payload: Value,
    pub description: String,
    /// `deploy:<service set>` (see `github::keyed`): Deployments are keyed by environment and set.
    pub task: String,
}

/// The final status: `success`, `failure` or `inactive`, its one-line description, and the URL
/// shown as the environment's (only with `success`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentFinal {
    pub state: &'static str,
    pub description: String,
    pub environment_url: Option<String>,
}

/// Explains a failed reporting call as a warning that says what to do.
pub fn explain(action: &str, err: &GitHubError, permission: &str) -> String {
    match err.failure() {
        Failure::Refused | Failure::NotFound => format!(
            "could not {action}: {err}. The token lacks `{permission}`; add it to the job's \
             `permissions:` (a pull request from a fork only ever gets a read-only token). \
             The deploy itself is not affected"
        ),
        _ => format!("could not {action}: {err}. The deploy itself is not affected"),
    }
}

/// A GitHub Deployment that this run created and must finish.
#[derive(Clone, Debug)]
pub struct DeploymentTracker {
    gh: GitHub,
    id: u64,
    environment: String,
    /// `deploy:<service set>` (see `github::keyed`).
    task: String,
    log_url: Option<String>,
}

impl DeploymentTracker {
    /// Creates the Deployment and its `in_progress` status. `None` (after a warning) when GitHub
    /// refuses or never answers (see [`DeploymentTracker::open`]).
    pub async fn start(
        gh: &GitHub,
        start: &DeploymentStart,
        opening: &DeploymentOpening,
    ) -> Option<Self> {
        match Self::open(&UnansweredCreate::new(gh, start, opening)).await {
            Opened::Known(t) => Some(*t),
            Opened::Unanswered | Opened::NotCreated => None,
        }
    }

    /// Sends `create` and writes the `in_progress` status. [`Opened::NotCreated`] (after a
    /// warning) when GitHub refuses: a 202 (GitHub auto-merged the default branch instead of
    /// deploying), a 409 (merge conflict or failed required contexts), or a read-only token.
    /// [`Opened::Unanswered`] (after a warning) when the request may have reached GitHub but no
    /// answer came (a timeout, a dropped connection, a 5xx): GitHub may have created it.
    pub async fn open(create: &UnansweredCreate) -> Opened {
        let (gh, start) = (create.gh(), create.start());
        let id = match gh.create_deployment(create.body()).await {
            Ok(Created::Id(id)) => id,
            Ok(Created::Declined { status, message }) => {
                workflow::warning(format!(
                    "GitHub did not create a Deployment for {} (HTTP {status}: {message}). The \
                     Railway deploy goes on; check the repository's branch and environment \
                     protection rules",
                    start.environment,
                ));
                return Opened::NotCreated;
            }
            Ok(Created::NoId) => {
                workflow::warning("GitHub's Deployment reply had no id; no Deployment is tracked");
                return Opened::NotCreated;
            }
            Err(e @ GitHubError::Decode { .. }) => {
                workflow::warning(format!("{e}; no Deployment is tracked"));
                return Opened::NotCreated;
            }
            Err(e) if e.failure() == Failure::Unreachable => {
                workflow::warning(format!(
                    "{}; GitHub may have created it: the run looks for it when it ends, to \
                     end it too",
                    explain("create the GitHub Deployment", &e, "deployments: write")
                ));
                return Opened::Unanswered;
            }
            Err(e) => {
                workflow::warning(explain(
                    "create the GitHub Deployment",
                    &e,
                    "deployments: write",
                ));
                return Opened::NotCreated;
            }
        };
        let tracker = DeploymentTracker::known(create, id);
        let description = format!("Deploying to {}", start.environment);
        if let Err(e) = tracker.post("in_progress", &description, None).await {
            workflow::warning(explain(
                "mark the GitHub Deployment in progress",
                &e,
                "deployments: write",
            ));
        }
        Opened::Known(Box::new(tracker))
    }

    /// The Deployment `id` that `create` created.
    pub(super) fn known(create: &UnansweredCreate, id: u64) -> Self {
        DeploymentTracker {
            gh: create.gh().clone(),
            id,
            environment: create.start().environment.clone(),
            task: create.task().to_string(),
            log_url: create.start().log_url.clone(),
        }
    }

    /// The GitHub Deployment id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Writes the final status: `success` (then the same service set's older Deployments turn
    /// inactive, see `github::keyed`), `failure`, or `inactive`. Failures to write are warnings.
    pub async fn finish(&self, fin: &DeploymentFinal) {
        let description = truncate(&fin.description, DESCRIPTION_MAX);
        let state = fin.state;
        if let Err(e) = self
            .post(fin.state, &description, fin.environment_url.as_deref())
            .await
        {
            workflow::warning(explain(
                "write the GitHub Deployment's final status",
                &e,
                "deployments: write",
            ));
            return;
        }
        if state == "success" {
            let (gh, env) = (&self.gh, &self.environment);
            if let Err(e) = deactivate_older(gh, env, &self.task, self.id).await {
                workflow::warning(explain(
                    "mark this service set's older GitHub Deployments inactive",
                    &e,
                    "deployments: write",
                ));
            }
        }
    }

    /// Writes the `error` status: the action itself broke, or the job was cancelled.
    pub async fn finish_error(&self, reason: &str) {
        let description = truncate(reason, DESCRIPTION_MAX);
        if let Err(e) = self.post("error", &description, None).await {
            workflow::warning(explain(
                "write the GitHub Deployment's error status",
                &e,
                "deployments: write",
            ));
        }
    }

    async fn post(
        &self,
        state: &str,
        description: &str,
        environment_url: Option<&str>,
    ) -> Result<(), GitHubError> {
        let mut body = json!({
            "state": state,
            "description": description,
            "environment": self.environment,
            "auto_inactive": false,
        });
        if let Some(log_url) = &self.log_url {
            body["log_url"] = json!(log_url);
        }
        if let Some(url) = environment_url {
            body["environment_url"] = json!(url);
        }
        // A status POST is sent again after a 5xx, a timeout or a dropped connection even though
        // the first one may have been recorded: a Deployment's state is its newest status, so a
        // duplicate (`success` twice) changes nothing, while a lost final status would leave the
        // Deployment `in_progress` for ever. Rate limits are waited out by the same policy.
        self.gh.create_deployment_status(self.id, &body).await
    }
}

/// What came of sending a create request ([`DeploymentTracker::open`]).
#[derive(Debug)]
pub enum Opened {
    Known(Box<DeploymentTracker>),
    /// No answer: GitHub may have created it (see `github::unanswered`).
    Unanswered,
    /// GitHub answered without creating one.
    NotCreated,
}

/// What GitHub did with a request to create a Deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Created {
    Id(u64),
    /// 202 (GitHub merged the default branch instead of deploying) or 409 (a merge conflict, or
    /// required contexts failed): no Deployment.
    Declined {
        status: u16,
        message: String,
    },
    /// A success without an id.
    NoId,
}

impl GitHub {
    /// Creates a Deployment (`POST /repos/{o}/{r}/deployments`,
    /// https://docs.github.com/rest/deployments/deployments#create-a-deployment: 201 created,
    /// 202 "merged branch", 409 "conflict"). Never repeated after a lost answer: a second one
    /// would be a second Deployment.
    pub async fn create_deployment(&self, body: &Value) -> Result<Created, GitHubError> {
        let route = self.route("/deployments");
        let reply = send(self, Method::Post, &route, Some(body), |s| {
            s == 202 || s == 409
        })
        .await?;
        if reply.status == 202 || reply.status == 409 {
            return Ok(Created::Declined {
                status: reply.status,
                message: reply.message(),
            });
        }
        Ok(match reply.json::<Value>(&route)?["id"].as_u64() {
            Some(id) => Created::Id(id),
            None => Created::NoId,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_url() {
        assert_eq!(
            workflow_run_url("https://github.com/", "o/r", "42"),
            "https://github.com/o/r/actions/runs/42"
        );
    }
}
