//! Reads the GitHub event payload leniently: only the fields this action needs, so every real
//! payload parses (old formats and GHES included). Missing fields are `None`, never errors.

use serde::Deserialize;

const ZERO_SHA: &str = "0000000000000000000000000000000000000000";

#[derive(Debug, Default, Deserialize)]
struct Payload {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    after: Option<String>,
    deleted: Option<bool>,
    pull_request: Option<PullRequest>,
    release: Option<Release>,
    number: Option<u64>,
    action: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PullRequest {
    number: Option<u64>,
    head: Option<Head>,
    base: Option<Head>,
}

#[derive(Debug, Deserialize)]
struct Head {
    sha: Option<String>,
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    repo: Option<Repo>,
}

#[derive(Debug, Deserialize)]
struct Repo {
    full_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Release {
    tag_name: Option<String>,
    prerelease: Option<bool>,
}

/// What the event says, for the fields the action uses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Event {
    /// `ref` of push / workflow_dispatch payloads.
    pub git_ref: Option<String>,
    /// A push that deletes a branch or tag.
    pub deleted: bool,
    /// A push's `after` sha (absent when it is all zeros).
    pub after: Option<String>,
    pub pull_request: Option<PullRequestInfo>,
    pub release_tag: Option<String>,
    pub release_prerelease: Option<bool>,
    /// The payload's `action` (`opened`, `synchronize`, `closed` ...), when it has one.
    pub action: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PullRequestInfo {
    pub number: u64,
    pub head_sha: Option<String>,
    pub head_ref: Option<String>,
    /// The head lives in another repository: the token is read-only there.
    pub from_fork: bool,
}

impl Event {
    /// Parses a payload's bytes. Invalid JSON is an error naming the file; unknown shapes are not.
    pub fn parse(bytes: &[u8]) -> Result<Event, String> {
        let p: Payload = serde_json::from_slice(bytes)
            .map_err(|e| format!("the event payload is not valid JSON ({e})"))?;
        let pull_request = p.pull_request.and_then(|pr| {
            let number = pr.number.or(p.number)?;
            let head_repo = pr
                .head
                .as_ref()
                .and_then(|h| h.repo.as_ref())
                .and_then(|r| r.full_name.clone());
            let base_repo = pr
                .base
                .as_ref()
                .and_then(|h| h.repo.as_ref())
                .and_then(|r| r.full_name.clone());
            Some(PullRequestInfo {
                number,
                head_sha: pr.head.as_ref().and_then(|h| h.sha.clone()),
                head_ref: pr.head.as_ref().and_then(|h| h.git_ref.clone()),
                // `head.repo` is null once the fork is deleted: still a fork (no secrets).
                from_fork: match (head_repo, base_repo) {
                    (Some(h), Some(b)) => h != b,
                    (None, Some(_)) => pr.head.as_ref().is_some(),
                    _ => false,
                },
            })
        });
        Ok(Event {
            git_ref: p.git_ref,
            deleted: p.deleted.unwrap_or(false),
            after: p.after.filter(|s| s != ZERO_SHA && !s.is_empty()),
            pull_request,
            release_tag: p.release.as_ref().and_then(|r| r.tag_name.clone()),
            release_prerelease: p.release.as_ref().and_then(|r| r.prerelease),
            action: p.action,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_request_head_and_fork() {
        let json = br#"{"number":7,"pull_request":{"number":7,"head":{"sha":"abc","ref":"feat","repo":{"full_name":"fork/r"}},"base":{"repo":{"full_name":"o/r"}}}}"#;
        let e = Event::parse(json).unwrap();
        let pr = e.pull_request.unwrap();
        assert_eq!(
            (pr.number, pr.head_sha.as_deref(), pr.from_fork),
            (7, Some("abc"), true)
        );
        let closed = Event::parse(br#"{"action":"closed","number":7}"#).unwrap();
        assert_eq!(closed.action.as_deref(), Some("closed"));
    }

    #[test]
    fn zero_after_is_none_and_bad_json_is_an_error() {
        let e = Event::parse(br#"{"ref":"refs/tags/v1","deleted":true,"after":"0000000000000000000000000000000000000000"}"#).unwrap();
        assert!(e.deleted);
        assert_eq!(e.after, None);
        assert!(Event::parse(b"{nope").is_err());
    }
}
