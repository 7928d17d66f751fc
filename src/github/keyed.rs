//! Owns what tells one deploy's report on GitHub from another's in the same environment: the
//! service set (sorted, lower-case, deduplicated service names), the GitHub Deployment `task`
//! that names it (`deploy:web,worker`), the sticky comment's marker, and making inactive only the
//! older Deployments of the same environment and service set.
//!
//! Decision: the GitHub environment keeps the Railway environment's name, and the service set
//! goes in the Deployment's `task` (GitHub lists Deployments by `environment` and `task`), so two
//! workflows deploying `web` and `worker` to `staging` from one commit keep one Deployment and
//! one comment each. GitHub's own `auto_inactive` would make every older success in the
//! environment inactive, the other set's too, so statuses are written with `auto_inactive: false`
//! and [`deactivate_older`] does it for this set only.

use serde_json::json;

use crate::github::GitHub;
use crate::github::comments::marker;
use crate::github::deployment_list::DeploymentQuery;
use crate::github::request::GitHubError;

/// Older Deployments of the set whose state is looked up at most (one request each). After the
/// first run of this version, only the previous success of the set is still active.
const MAX_LOOKUPS: usize = 10;
/// The newest Deployments of the set listed (one page).
const LISTED: u32 = 30;

/// The services one run deploys: sorted, lower-case, deduplicated names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceSet(Vec<String>);

impl ServiceSet {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut names: Vec<String> = names
            .into_iter()
            .map(|n| {
                n.trim()
                    .to_lowercase()
                    .chars()
                    // `,` separates names and `-->` would end the comment marker.
                    .map(|c| {
                        if c.is_alphanumeric() || "._-".contains(c) {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect::<String>()
                    .replace("--", "-_")
            })
            .filter(|n| !n.is_empty())
            .collect();
        names.sort();
        names.dedup();
        ServiceSet(names)
    }

    /// `web,worker` (empty for no services).
    pub fn key(&self) -> String {
        self.0.join(",")
    }

    /// The Deployment's `task`: `deploy:web,worker`, or GitHub's default `deploy` for no services.
    pub fn task(&self) -> String {
        if self.0.is_empty() {
            "deploy".to_string()
        } else {
            format!("deploy:{}", self.key())
        }
    }
}

/// The hidden marker of the comment for `environment` and `services`: the environment's marker
/// ([`marker`]) followed by the service set's, so a comment is found by both.
pub fn comment_marker(environment: &str, services: &ServiceSet) -> String {
    if services.0.is_empty() {
        return marker(environment);
    }
    format!(
        "{}<!-- railway-deploy-services:{} -->",
        marker(environment),
        services.key()
    )
}

/// Whether a comment with `body` that lacks `marker` is still the one to edit: one written by a
/// version that keyed comments by environment only (its environment marker, no service set), so
/// upgrading edits it once instead of leaving it stale beside a new one.
pub fn adopts(marker: &str, body: &str) -> bool {
    const SERVICES: &str = "<!-- railway-deploy-services:";
    match marker.find(SERVICES) {
        Some(at) => body.contains(&marker[..at]) && !body.contains(SERVICES),
        None => false,
    }
}

/// Marks inactive the Deployments of `environment` with `task` older than `newest` whose latest
/// status is `success` (what `auto_inactive` does, for one service set). Returns their ids.
pub async fn deactivate_older(
    gh: &GitHub,
    environment: &str,
    task: &str,
    newest: u64,
) -> Result<Vec<u64>, GitHubError> {
    let query = DeploymentQuery::environment(environment).task(task);
    let listed = gh.deployments(&query, LISTED, 1).all().await?.items;
    let mut done = Vec::new();
    for d in listed.iter().filter(|d| d.id < newest).take(MAX_LOOKUPS) {
        let latest = gh.deployment_statuses(d.id, 1).await?;
        if latest.first().is_none_or(|s| s.state != "success") {
            continue;
        }
        let body = json!({
            "state": "inactive",
            "description": "Replaced by a newer deploy of the same services",
            "auto_inactive": false,
        });
        // An `inactive` status twice is the same as once: safe to repeat.
        gh.create_deployment_status(d.id, &body).await?;
        done.push(d.id);
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_is_sorted_lower_case_and_deduplicated() {
        let set = ServiceSet::new(["Worker", "web", " WEB ", "api,x"]);
        assert_eq!(set.key(), "api_x,web,worker");
        assert_eq!(set.task(), "deploy:api_x,web,worker");
        assert_eq!(ServiceSet::new([]).task(), "deploy");
    }

    #[test]
    fn markers_differ_by_service_set_and_start_with_the_environments() {
        let web = comment_marker("staging", &ServiceSet::new(["web"]));
        let worker = comment_marker("staging", &ServiceSet::new(["worker"]));
        assert_ne!(web, worker);
        assert!(web.starts_with(&marker("staging")));
        assert!(!web.contains(&worker) && !worker.contains(&web));
        assert_eq!(
            web,
            "<!-- railway-deploy:staging --><!-- railway-deploy-services:web -->"
        );
        let odd = comment_marker("staging", &ServiceSet::new(["a-->b"]));
        assert_eq!(odd.matches("-->").count(), 2, "{odd}");
        assert_eq!(
            comment_marker("staging", &ServiceSet::new([])),
            marker("staging")
        );
    }

    #[test]
    fn an_environment_only_comment_is_adopted_but_another_sets_is_not() {
        let web = comment_marker("staging", &ServiceSet::new(["web"]));
        let worker = comment_marker("staging", &ServiceSet::new(["worker"]));
        assert!(adopts(&web, &format!("{}\nold", marker("staging"))));
        assert!(!adopts(&web, &format!("{worker}\nother set")));
        assert!(!adopts(&web, &format!("{}\nold", marker("production"))));
        assert!(!adopts(&marker("staging"), "anything"));
    }
}
