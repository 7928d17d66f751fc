//! Owns the GitHub context: the standard `GITHUB_*` variables, the event payload, the trigger they
//! describe, and the environment and version that trigger selects (pure functions).

pub mod event;
pub mod trigger;

pub use event::Event;
pub use trigger::{Selection, Trigger};

/// The standard variables a runner sets (all optional: the CLI runs outside Actions too).
#[derive(Clone, Debug, Default)]
pub struct GitHubEnv {
    pub actions: bool,
    pub event_name: Option<String>,
    pub event_path: Option<String>,
    pub sha: Option<String>,
    pub git_ref: Option<String>,
    pub ref_name: Option<String>,
    pub ref_type: Option<String>,
    pub repository: Option<String>,
    pub run_id: Option<u64>,
    pub run_attempt: Option<u32>,
    pub job: Option<String>,
    pub server_url: String,
    pub api_url: String,
    pub workflow_ref: Option<String>,
    pub output_path: Option<String>,
    pub summary_path: Option<String>,
}

impl GitHubEnv {
    pub fn read(env: &impl Fn(&str) -> Option<String>) -> GitHubEnv {
        let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        GitHubEnv {
            actions: get("GITHUB_ACTIONS").as_deref() == Some("true"),
            event_name: get("GITHUB_EVENT_NAME"),
            event_path: get("GITHUB_EVENT_PATH"),
            sha: get("GITHUB_SHA"),
            git_ref: get("GITHUB_REF"),
            ref_name: get("GITHUB_REF_NAME"),
            ref_type: get("GITHUB_REF_TYPE"),
            repository: get("GITHUB_REPOSITORY"),
            run_id: get("GITHUB_RUN_ID").and_then(|v| v.parse().ok()),
            run_attempt: get("GITHUB_RUN_ATTEMPT").and_then(|v| v.parse().ok()),
            job: get("GITHUB_JOB"),
            server_url: get("GITHUB_SERVER_URL")
                .unwrap_or_else(|| "https://github.com".to_string()),
            api_url: get("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".to_string()),
            workflow_ref: get("GITHUB_WORKFLOW_REF"),
            output_path: get("GITHUB_OUTPUT"),
            summary_path: get("GITHUB_STEP_SUMMARY"),
        }
    }

    /// The workflow run's page, for log links.
    pub fn run_url(&self) -> Option<String> {
        Some(format!(
            "{}/{}/actions/runs/{}",
            self.server_url.trim_end_matches('/'),
            self.repository.as_ref()?,
            self.run_id?
        ))
    }
}

/// The commit to deploy: a pull request's head (not the test-merge commit in `GITHUB_SHA`), a
/// push's `after`, else `GITHUB_SHA`.
pub fn commit_sha(env: &GitHubEnv, event: &Event) -> Option<String> {
    if let Some(head) = event.pull_request.as_ref().and_then(|p| p.head_sha.clone()) {
        return Some(head);
    }
    if env.event_name.as_deref() == Some("push")
        && let Some(after) = event.after.clone()
    {
        return Some(after);
    }
    env.sha.clone()
}
