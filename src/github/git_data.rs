//! Owns reading a commit's files through GitHub's Git database: the commit's tree
//! (`GET /repos/{o}/{r}/git/commits/{sha}` for its `tree.sha`, then
//! `GET /repos/{o}/{r}/git/trees/{tree_sha}?recursive=1`) and a file's content
//! (`GET /repos/{o}/{r}/git/blobs/{sha}`). Used when the changed files must be known completely
//! (a comparison lists at most 300) or read at a commit the checkout does not hold.
//!
//! The record (https://docs.github.com/rest/git/trees#get-a-tree): `tree_sha` is "the SHA1 value
//! or ref (branch or tag) name of the tree"; a commit's SHA is not named, so the commit object is
//! read first (https://docs.github.com/rest/git/commits#get-a-commit-object, `tree.sha`). "If
//! `truncated` is `true` in the response then the number of items in the `tree` array exceeded
//! our maximum limit" (100,000 entries, 7 MB with `recursive`): [`Tree::truncated`] says so and
//! the caller must not take the list as complete. Blobs
//! (https://docs.github.com/rest/git/blobs#get-a-blob): "The content in the response will always
//! be Base64 encoded" (GitHub breaks the text into lines), blobs up to 100 MB. A commit, tree or
//! blob GitHub does not have (404, or 409/422 for an empty or unreadable repository) is
//! `Ok(None)`.

use base64::Engine as _;
use serde::Deserialize;

use super::GitHub;
use super::request::{GitHubError, Method, send};

/// One file of a tree: its path from the repository root, its blob's SHA and size (bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeFile {
    pub path: String,
    pub sha: String,
    pub size: Option<u64>,
}

/// A commit's files, as far as GitHub listed them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    pub files: Vec<TreeFile>,
    /// GitHub cut the list at its limit: files may be missing.
    pub truncated: bool,
}

#[derive(Deserialize)]
struct CommitObject {
    tree: TreeRef,
}

#[derive(Deserialize)]
struct TreeRef {
    sha: String,
}

#[derive(Deserialize)]
struct TreeReply {
    #[serde(default)]
    tree: Vec<Entry>,
    #[serde(default)]
    truncated: bool,
}

#[derive(Deserialize)]
struct Entry {
    path: String,
    #[serde(rename = "type")]
    kind: String,
    sha: String,
    #[serde(default)]
    size: Option<u64>,
}

#[derive(Deserialize)]
struct BlobReply {
    content: String,
    encoding: String,
}

/// What GitHub answers for an object it does not have (or cannot serve) in this repository.
fn missing(status: u16) -> bool {
    matches!(status, 404 | 409 | 422)
}

impl GitHub {
    /// Every file of commit `commit` (two requests: the commit object, then its tree).
    pub async fn commit_files(&self, commit: &str) -> Result<Option<Tree>, GitHubError> {
        let route = self.route(&format!("/git/commits/{commit}"));
        let reply = send(self, Method::Get, &route, None, missing).await?;
        if missing(reply.status) {
            return Ok(None);
        }
        let tree_sha = reply.json::<CommitObject>(&route)?.tree.sha;
        let route = self.route(&format!("/git/trees/{tree_sha}?recursive=1"));
        let reply = send(self, Method::Get, &route, None, missing).await?;
        if missing(reply.status) {
            return Ok(None);
        }
        let tree: TreeReply = reply.json(&route)?;
        let files = (tree.tree.into_iter())
            .filter(|e| e.kind == "blob")
            .map(|e| TreeFile {
                path: e.path,
                sha: e.sha,
                size: e.size,
            })
            .collect();
        Ok(Some(Tree {
            files,
            truncated: tree.truncated,
        }))
    }

    /// The content of blob `sha` (decoded from GitHub's Base64).
    pub async fn blob(&self, sha: &str) -> Result<Option<Vec<u8>>, GitHubError> {
        let route = self.route(&format!("/git/blobs/{sha}"));
        let reply = send(self, Method::Get, &route, None, missing).await?;
        if missing(reply.status) {
            return Ok(None);
        }
        let blob: BlobReply = reply.json(&route)?;
        let decode = |detail: String| GitHubError::Decode {
            route: route.clone(),
            detail,
        };
        if blob.encoding != "base64" {
            return Err(decode(format!(
                "the blob's encoding is `{}`, not the documented `base64`",
                blob.encoding
            )));
        }
        let packed: String = blob.content.split_whitespace().collect();
        base64::engine::general_purpose::STANDARD
            .decode(packed)
            .map(Some)
            .map_err(|e| decode(format!("the blob's Base64 does not decode ({e})")))
    }
}
