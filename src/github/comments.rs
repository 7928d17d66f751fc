//! Owns the sticky pull-request comment on GitHub: which PRs a run comments on, who "we" are, and
//! one comment per PR, environment and service set (`github::keyed`), found by a hidden marker across every page of comments,
//! edited in place and created only when absent. Never fails a deploy: a refusal is a warning
//! naming the missing permission.
//!
//! Decision (who wrote a comment): `GET /user` names a personal or app-user token's account. An
//! Actions `GITHUB_TOKEN` (an installation token) gets 403 "Resource not accessible by
//! integration" there, and its comments are authored by `github-actions[bot]`, a `Bot`; a GitHub
//! App token's comments are by `<app>[bot]`, also a `Bot`. So when `/user` fails, a comment is
//! ours when its author is a `Bot` and it carries our marker: a human cannot post as a `Bot`, so
//! a person pasting the marker never hijacks the comment.

use serde::Deserialize;
use serde_json::json;

use crate::github::GitHub;
use crate::github::deployments::explain;
use crate::github::pages::{MAX_PER_PAGE, Pages, array};
use crate::github::request::{Failure, GitHubError, Method, get_json, send, send_repeatable};
use crate::workflow;

/// Pages of 100 comments read at most while looking for ours (10,000 comments).
const MAX_PAGES: u32 = 100;
/// Pull requests commented on at most for one commit.
const MAX_PULLS: usize = 10;

/// The hidden marker of the comment for `environment`. Characters that could end an HTML
/// comment or break the line are replaced, so any environment name gives one stable marker.
pub fn marker(environment: &str) -> String {
    let safe = environment
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "._-/()+".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        // `--` may not appear inside an HTML comment.
        .replace("--", "-_");
    format!("<!-- railway-deploy:{safe} -->")
}

/// Whose comments may be edited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Author {
    /// `GET /user` answered with this login.
    Login(String),
    /// `GET /user` was refused (an installation token): any `Bot` author.
    AnyBot,
}

impl Author {
    fn matches(&self, user: &CommentUser) -> bool {
        match self {
            Author::Login(login) => user.login.eq_ignore_ascii_case(login),
            Author::AnyBot => user.kind == "Bot",
        }
    }
}

#[derive(Debug, Deserialize)]
struct CommentUser {
    login: String,
    #[serde(rename = "type", default)]
    kind: String,
}

#[derive(Debug, Deserialize)]
struct Comment {
    id: u64,
    #[serde(default)]
    body: Option<String>,
    user: Option<CommentUser>,
}

#[derive(Debug, Deserialize)]
struct PullRef {
    number: u64,
}

impl GitHub {
    /// Who the token is (see the module's decision).
    pub async fn whoami(&self) -> Author {
        #[derive(Deserialize)]
        struct User {
            login: String,
        }
        match get_json::<User>(self, "/user").await {
            Ok(u) => Author::Login(u.login),
            Err(_) => Author::AnyBot,
        }
    }

    /// The pull requests associated with commit `sha` (open or merged), one page of 100
    /// (https://docs.github.com/rest/commits/commits#list-pull-requests-associated-with-a-commit).
    pub async fn pull_requests_of_commit(&self, sha: &str) -> Result<Vec<u64>, GitHubError> {
        let route = self.route(&format!("/commits/{sha}/pulls?per_page=100"));
        let pulls: Vec<PullRef> = get_json(self, &route).await?;
        Ok(pulls.into_iter().map(|p| p.number).collect())
    }

    /// The comments of pull request `pull`, 100 a page, at most [`MAX_PAGES`] pages
    /// (https://docs.github.com/rest/issues/comments#list-issue-comments).
    fn pull_comments(&self, pull: u64) -> Pages<'_, Comment> {
        let route = self.route(&format!("/issues/{pull}/comments"));
        Pages::new(self, route, MAX_PER_PAGE, MAX_PAGES, array)
    }

    async fn create_comment(&self, pull: u64, body: &str) -> Result<u64, GitHubError> {
        let route = self.route(&format!("/issues/{pull}/comments"));
        let body = json!({ "body": body });
        let reply = send(self, Method::Post, &route, Some(&body), |_| false).await?;
        Ok(reply.json::<Comment>(&route)?.id)
    }

    /// Edits comment `id`; `Ok(false)` when it is gone (404).
    async fn update_comment(&self, id: u64, body: &str) -> Result<bool, GitHubError> {
        let route = self.route(&format!("/issues/comments/{id}"));
        let body = json!({ "body": body });
        // A PATCH that sets the whole body is idempotent: repeating it after a 5xx or a lost
        // answer leaves the same comment, so the final edit is retried like a read.
        let reply = send_repeatable(self, Method::Patch, &route, Some(&body), |s| s == 404).await?;
        Ok(reply.status != 404)
    }
}

/// The PRs to comment on: the event's PR on `pull_request` runs, else the PRs associated with
/// the commit (open or merged, at most [`MAX_PULLS`]).
pub async fn target_pulls(
    gh: &GitHub,
    event_pull: Option<u64>,
    sha: &str,
) -> Result<Vec<u64>, GitHubError> {
    if let Some(n) = event_pull {
        return Ok(vec![n]);
    }
    let mut numbers = gh.pull_requests_of_commit(sha).await?;
    numbers.dedup();
    numbers.truncate(MAX_PULLS);
    Ok(numbers)
}

/// The id of our comment carrying `marker` on PR `pull`, reading every page; failing that, our
/// comment that an earlier version keyed by environment only (see `github::keyed::adopts`).
pub async fn find_comment(
    gh: &GitHub,
    pull: u64,
    marker: &str,
    author: &Author,
) -> Result<Option<u64>, GitHubError> {
    let mut earlier = None;
    let mut pages = gh.pull_comments(pull);
    while let Some(comments) = pages.next().await? {
        let mine = comments
            .iter()
            .filter(|c| c.user.as_ref().is_some_and(|u| author.matches(u)));
        for c in mine {
            let body = c.body.as_deref().unwrap_or_default();
            if body.contains(marker) {
                return Ok(Some(c.id));
            }
            if earlier.is_none() && crate::github::keyed::adopts(marker, body) {
                earlier = Some(c.id);
            }
        }
    }
    Ok(earlier)
}

/// What [`upsert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upserted {
    Created(u64),
    Updated(u64),
}

impl Upserted {
    pub fn id(self) -> u64 {
        match self {
            Upserted::Created(id) | Upserted::Updated(id) => id,
        }
    }
}

/// Writes `body` as the one comment on `pull`: edits `known` (an id from an earlier write of this
/// run) or the comment found by `marker`, or creates it. A comment deleted meanwhile (404) is
/// created again.
pub async fn upsert(
    gh: &GitHub,
    pull: u64,
    marker: &str,
    author: &Author,
    known: Option<u64>,
    body: &str,
) -> Result<Upserted, GitHubError> {
    let existing = match known {
        Some(id) => Some(id),
        None => find_comment(gh, pull, marker, author).await?,
    };
    if let Some(id) = existing
        && gh.update_comment(id, body).await?
    {
        return Ok(Upserted::Updated(id));
    }
    gh.create_comment(pull, body).await.map(Upserted::Created)
}

#[derive(Clone, Debug)]
struct Target {
    pull: u64,
    /// Our comment's id once known.
    comment: Option<u64>,
    /// GitHub refused a write with 403: the token cannot comment here, so stop trying.
    refused: bool,
}

/// The run's comments: one per target PR for one environment, remembered across writes so the
/// final write edits what the first one made.
#[derive(Clone, Debug)]
pub struct StickyComments {
    gh: GitHub,
    marker: String,
    author: Author,
    targets: Vec<Target>,
}

impl StickyComments {
    /// Finds who we are and which PRs to comment on; `marker` tells our comment (see
    /// `github::keyed::comment_marker`). With no PR (a push nobody opened a PR for), writes do
    /// nothing.
    pub async fn new(gh: &GitHub, marker: &str, event_pull: Option<u64>, sha: &str) -> Self {
        let pulls = match target_pulls(gh, event_pull, sha).await {
            Ok(p) => p,
            Err(e) => {
                workflow::warning(explain(
                    "list the pull requests of the commit",
                    &e,
                    "contents: read",
                ));
                Vec::new()
            }
        };
        let author = if pulls.is_empty() {
            Author::AnyBot
        } else {
            gh.whoami().await
        };
        StickyComments {
            gh: gh.clone(),
            marker: marker.to_string(),
            author,
            targets: pulls
                .into_iter()
                .map(|pull| Target {
                    pull,
                    comment: None,
                    refused: false,
                })
                .collect(),
        }
    }

    pub fn pulls(&self) -> Vec<u64> {
        self.targets.iter().map(|t| t.pull).collect()
    }

    pub fn marker(&self) -> &str {
        &self.marker
    }

    /// Writes `body` (the marker is added when missing) to every target PR. Returns how many
    /// PRs now show it; each failure is a warning naming `pull-requests: write`.
    pub async fn write(&mut self, body: &str) -> usize {
        let body = if body.contains(&self.marker) {
            body.to_string()
        } else {
            format!("{}\n{body}", self.marker)
        };
        let mut written = 0;
        for target in self.targets.iter_mut().filter(|t| !t.refused) {
            let pull = target.pull;
            let (gh, marker, author) = (&self.gh, &self.marker, &self.author);
            match upsert(gh, pull, marker, author, target.comment, &body).await {
                Ok(done) => {
                    target.comment = Some(done.id());
                    written += 1;
                }
                Err(e) => {
                    target.refused = e.failure() == Failure::Refused;
                    workflow::warning(explain(
                        &format!("write the deploy comment on pull request #{pull}"),
                        &e,
                        "pull-requests: write",
                    ))
                }
            }
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_stable_and_cannot_close_the_html_comment() {
        assert_eq!(marker("production"), "<!-- railway-deploy:production -->");
        assert_eq!(marker("pr-12 -->x"), "<!-- railway-deploy:pr-12_-__x -->");
        assert_ne!(marker("staging"), marker("production"));
    }

    #[test]
    fn authors_match_by_login_or_bot_type() {
        let bot = CommentUser {
            login: "github-actions[bot]".into(),
            kind: "Bot".into(),
        };
        let human = CommentUser {
            login: "octocat".into(),
            kind: "User".into(),
        };
        assert!(Author::AnyBot.matches(&bot));
        assert!(!Author::AnyBot.matches(&human));
        assert!(Author::Login("OctoCat".into()).matches(&human));
        assert!(!Author::Login("octocat".into()).matches(&bot));
    }
}
