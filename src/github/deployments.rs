//! Owns GitHub Deployments for a run: one Deployment per run that changes something (ref = the
//! sha, the Railway environment's name, no auto-merge, no required contexts: the gate is ours), an
//! `in_progress` status at start linking the workflow run, and exactly one final status
//! (`success` with the service URL, `failure`, or `error`), so a Deployment is never left
//! `in_progress`. Reporting never fails a deploy: every problem here becomes a warning. The
//! Deployment's `task` names the run's service set (`github::keyed`).
//!
//! Decision: the payload is written when the Deployment is created (GitHub never lets it change),
//! so it holds what is known then: the version, the sha and each service with its previous
//! deployment (and its new Railway deployment id when the caller already has it). The final
//! status's description names the new Railway deployment ids, so they are on GitHub either way.

use serde_json::{Value, json};

use crate::github::GitHub;
use crate::github::keyed::{ServiceSet, deactivate_older};
use crate::github::request::{GitHubError, Method, send};
use crate::report::{RunReport, RunStatus};
use crate::retry::RetryPolicy;
use crate::text::truncate;
use crate::timing::Timing;
use crate::workflow;

/// The `tool` field of every payload we write, so our Deployments are told from others'.
pub const PAYLOAD_TOOL: &str = "railway-deploy";

/// GitHub limits a status description to 140 characters.
const DESCRIPTION_MAX: usize = 140;

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
    /// The workflow run URL ([`workflow_run_url`]), used as every status's `log_url`.
    pub log_url: Option<String>,
}

/// The payload recorded on the Deployment: version, sha and services. The release guard reads
/// `version` back from it.
pub fn payload(report: &RunReport, sha: &str) -> Value {
    let services: Vec<Value> = report
        .services
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "service_id": s.service_id,
                "deployment_id": s.deployment_id,
                "previous_deployment_id": s.previous_deployment_id,
            })
        })
        .collect();
    json!({
        "tool": PAYLOAD_TOOL,
        "command": report.command,
        "version": report.version,
        "sha": sha,
        "project_id": report.project_id,
        "environment_id": report.environment_id,
        "services": services,
    })
}

/// The final Deployment state for a finished run: `success`, `failure` (deploy, migration or
/// health failed, also after a rollback) or `inactive` (nothing was deployed).
pub fn final_state(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Success => "success",
        RunStatus::Failed | RunStatus::RolledBack => "failure",
        RunStatus::Skipped => "inactive",
    }
}

/// The final status's one-line description.
pub fn final_description(report: &RunReport) -> String {
    let ids: Vec<String> = report
        .services
        .iter()
        .filter_map(|s| s.deployment_id.as_ref().map(|d| format!("{} {d}", s.name)))
        .collect();
    let head = match report.status {
        RunStatus::Success => "Deployed to Railway".to_string(),
        RunStatus::RolledBack => "Failed and rolled back".to_string(),
        RunStatus::Failed => match &report.failure {
            Some(f) => format!("Failed: {f}"),
            None => "Failed".to_string(),
        },
        RunStatus::Skipped => "Nothing was deployed".to_string(),
    };
    let text = if ids.is_empty() {
        head
    } else {
        format!("{head} ({})", ids.join(", "))
    };
    truncate(&text, DESCRIPTION_MAX)
}

fn policy() -> RetryPolicy {
    // Reporting must not hold a finished deploy hostage: a few tries, short server waits.
    RetryPolicy {
        max_attempts: 3,
        max_server_wait: std::time::Duration::from_secs(30),
        ..RetryPolicy::default()
    }
}

/// Explains a failed reporting call as a warning that says what to do.
pub fn explain(action: &str, err: &GitHubError, permission: &str) -> String {
    match err.status() {
        Some(403) | Some(404) => format!(
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
    timing: Timing,
    id: u64,
    environment: String,
    /// `deploy:<service set>` (see `github::keyed`).
    task: String,
    log_url: Option<String>,
}

impl DeploymentTracker {
    /// Creates the Deployment and its `in_progress` status. `None` (after a warning) when GitHub
    /// refuses: a 202 (GitHub auto-merged the default branch instead of deploying), a 409 (merge
    /// conflict or failed required contexts), a read-only token, or an outage.
    pub async fn start(
        gh: &GitHub,
        timing: &Timing,
        start: &DeploymentStart,
        report: &RunReport,
    ) -> Option<Self> {
        let route = format!("{}/deployments", gh.repo_route());
        let task = ServiceSet::new(report.services.iter().map(|s| s.name.as_str())).task();
        let body = json!({
            "ref": start.sha,
            "task": task,
            "environment": start.environment,
            "auto_merge": false,
            "required_contexts": [],
            "production_environment": start.production,
            "transient_environment": false,
            "payload": payload(report, &start.sha),
            "description": truncate(
                &format!("railway-deploy {}", report.version.as_deref().unwrap_or(&start.sha)),
                DESCRIPTION_MAX,
            ),
        });
        let reply = send(
            gh,
            Method::POST,
            &route,
            Some(&body),
            &policy(),
            timing,
            |s| s == 202 || s == 409,
        )
        .await;
        let reply = match reply {
            Ok(r) => r,
            Err(e) => {
                workflow::warning(explain(
                    "create the GitHub Deployment",
                    &e,
                    "deployments: write",
                ));
                return None;
            }
        };
        if reply.status == 202 || reply.status == 409 {
            workflow::warning(format!(
                "GitHub did not create a Deployment for {} (HTTP {}: {}). The Railway deploy \
                 goes on; check the repository's branch and environment protection rules",
                start.environment,
                reply.status,
                reply.message()
            ));
            return None;
        }
        let id = match reply.json::<Value>(&route).map(|v| v["id"].as_u64()) {
            Ok(Some(id)) => id,
            Ok(None) => {
                workflow::warning("GitHub's Deployment reply had no id; no Deployment is tracked");
                return None;
            }
            Err(e) => {
                workflow::warning(format!("{e}; no Deployment is tracked"));
                return None;
            }
        };
        let tracker = DeploymentTracker {
            gh: gh.clone(),
            timing: *timing,
            id,
            environment: start.environment.clone(),
            task,
            log_url: start.log_url.clone(),
        };
        let description = format!("Deploying to {}", start.environment);
        if let Err(e) = tracker.post("in_progress", &description, None).await {
            workflow::warning(explain(
                "mark the GitHub Deployment in progress",
                &e,
                "deployments: write",
            ));
        }
        Some(tracker)
    }

    /// The GitHub Deployment id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Writes the final status from the finished run: `success` (with `environment_url` = the
    /// first service's URL; then the same service set's older Deployments turn inactive, see
    /// `github::keyed`), `failure`, or `inactive`. Failures to write are warnings.
    pub async fn finish(&self, report: &RunReport) {
        let state = final_state(report.status);
        let url = report.services.iter().find_map(|s| s.url.clone());
        let env_url = if state == "success" { url } else { None };
        if let Err(e) = self
            .post(state, &final_description(report), env_url.as_deref())
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
            let (gh, t, env) = (&self.gh, &self.timing, &self.environment);
            if let Err(e) = deactivate_older(gh, t, env, &self.task, self.id).await {
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
        let route = format!("{}/deployments/{}/statuses", self.gh.repo_route(), self.id);
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
        send(
            &self.gh,
            Method::POST,
            &route,
            Some(&body),
            &policy(),
            &self.timing,
            |_| false,
        )
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ServiceReport;

    #[test]
    fn run_url_and_states() {
        assert_eq!(
            workflow_run_url("https://github.com/", "o/r", "42"),
            "https://github.com/o/r/actions/runs/42"
        );
        assert_eq!(final_state(RunStatus::Success), "success");
        assert_eq!(final_state(RunStatus::Failed), "failure");
        assert_eq!(final_state(RunStatus::RolledBack), "failure");
        assert_eq!(final_state(RunStatus::Skipped), "inactive");
    }

    #[test]
    fn description_names_the_railway_deployments_and_fits_github() {
        let mut r = RunReport::new("deploy", "commit", false, chrono::Utc::now());
        r.status = RunStatus::Failed;
        r.failure = Some("x".repeat(300));
        let mut s = ServiceReport::planned("svc1", "web");
        s.deployment_id = Some("dep-1".into());
        r.services.push(s);
        let d = final_description(&r);
        assert!(d.chars().count() <= DESCRIPTION_MAX, "{}", d.len());
        r.failure = Some("health check failed".into());
        assert_eq!(
            final_description(&r),
            "Failed: health check failed (web dep-1)"
        );
    }
}
