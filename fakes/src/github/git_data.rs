//! Fake GitHub Git database, read side, as documented: `GET /repos/{o}/{r}/git/commits/{sha}`
//! (the commit object, with `tree.sha`), `GET /repos/{o}/{r}/git/trees/{tree_sha}` (the tree;
//! with `recursive`, every entry below it, directories as `type: "tree"` entries too, and
//! `truncated`: "If `truncated` is `true` in the response then the number of items in the
//! `tree` array exceeded our maximum limit", https://docs.github.com/rest/git/trees#get-a-tree)
//! and `GET /repos/{o}/{r}/git/blobs/{sha}` ("The content in the response will always be Base64
//! encoded", https://docs.github.com/rest/git/blobs#get-a-blob; broken into lines of 60
//! characters as GitHub sends it). Blob SHAs are Git's own (`blob <len>\0<bytes>`), so a
//! checkout's file can be compared with them as with GitHub's; a tree's SHA is not its commit's.
//! What is not scripted is 404 "Not Found". A commit SHA passed as a tree SHA is refused (404):
//! the record names tree SHAs and refs only.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use serde_json::{Value, json};

use super::{GitHubState, record};

/// A commit's files: (path, content), sorted by path.
pub type Files = Vec<(String, Vec<u8>)>;

/// Scripted commits and their files.
#[derive(Debug, Default)]
pub struct GitWorld {
    /// Commit SHA → its files (path, content), sorted by path.
    pub commits: Vec<(String, Files)>,
    /// Commits whose recursive tree GitHub cuts short: (commit, entries kept).
    pub truncated: Vec<(String, usize)>,
}

impl GitWorld {
    /// Commit `sha` holds exactly `files` (path, text).
    pub fn commit(&mut self, sha: &str, files: &[(&str, &str)]) {
        let mut files: Files = (files.iter())
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect();
        files.sort();
        self.commits.retain(|(c, _)| c != sha);
        self.commits.push((sha.to_string(), files));
    }

    /// GitHub answers commit `sha`'s recursive tree with `truncated: true` and only its first
    /// `kept` entries.
    pub fn truncate(&mut self, sha: &str, kept: usize) {
        self.truncated.push((sha.to_string(), kept));
    }

    fn files_of_tree(&self, tree: &str) -> Option<(&str, &Files)> {
        (self.commits.iter())
            .find(|(c, _)| tree_sha(c) == tree)
            .map(|(c, f)| (c.as_str(), f))
    }

    fn blob(&self, sha: &str) -> Option<&[u8]> {
        (self.commits.iter())
            .flat_map(|(_, f)| f.iter())
            .find(|(_, bytes)| blob_sha(bytes) == sha)
            .map(|(_, b)| b.as_slice())
    }
}

fn hex_sha1(parts: &[&[u8]]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    for p in parts {
        ctx.update(p);
    }
    (ctx.finish().as_ref().iter())
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Git's object name of a file's bytes.
pub fn blob_sha(bytes: &[u8]) -> String {
    hex_sha1(&[format!("blob {}\0", bytes.len()).as_bytes(), bytes])
}

/// The (fake) SHA of commit `commit`'s root tree: never the commit's own.
pub fn tree_sha(commit: &str) -> String {
    hex_sha1(&[b"tree of ", commit.as_bytes()])
}

fn not_found() -> Response {
    let body = json!({"message": "Not Found", "status": "404"});
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

async fn commit(
    State(s): State<GitHubState>,
    Path((_o, _r, sha)): Path<(String, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&s, &method, &uri, &headers, &[]);
    let w = s.world.lock().unwrap_or_else(|e| e.into_inner());
    if !w.git.commits.iter().any(|(c, _)| *c == sha) {
        return not_found();
    }
    let tree = tree_sha(&sha);
    let body = json!({
        "sha": sha,
        "node_id": format!("C_{sha}"),
        "message": "a commit",
        "tree": {"sha": tree, "url": format!("http://fake/git/trees/{tree}")},
        "parents": [],
    });
    (StatusCode::OK, Json(body)).into_response()
}

#[derive(serde::Deserialize)]
struct TreeQuery {
    recursive: Option<String>,
}

async fn tree(
    State(s): State<GitHubState>,
    Path((_o, _r, sha)): Path<(String, String, String)>,
    Query(q): Query<TreeQuery>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&s, &method, &uri, &headers, &[]);
    let w = s.world.lock().unwrap_or_else(|e| e.into_inner());
    let Some((commit, files)) = w.git.files_of_tree(&sha) else {
        return not_found();
    };
    let recursive = q.recursive.is_some();
    let mut entries: Vec<Value> = Vec::new();
    let mut dirs: Vec<String> = Vec::new();
    for (path, bytes) in files {
        let parts: Vec<&str> = path.split('/').collect();
        for i in 1..parts.len() {
            let dir = parts[..i].join("/");
            if (recursive || i == 1) && !dirs.contains(&dir) {
                dirs.push(dir.clone());
                let dsha = hex_sha1(&[b"dir ", dir.as_bytes()]);
                entries.push(json!({"path": dir, "mode": "040000", "type": "tree", "sha": dsha}));
            }
        }
        if recursive || parts.len() == 1 {
            entries.push(json!({
                "path": path,
                "mode": "100644",
                "type": "blob",
                "sha": blob_sha(bytes),
                "size": bytes.len(),
            }));
        }
    }
    let cut = (w.git.truncated.iter()).find(|(c, _)| c == commit);
    if let Some((_, kept)) = cut.filter(|_| recursive) {
        entries.truncate(*kept);
    }
    let body = json!({
        "sha": sha,
        "url": format!("http://fake/git/trees/{sha}"),
        "tree": entries,
        "truncated": cut.is_some() && recursive,
    });
    (StatusCode::OK, Json(body)).into_response()
}

async fn blob(
    State(s): State<GitHubState>,
    Path((_o, _r, sha)): Path<(String, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&s, &method, &uri, &headers, &[]);
    let w = s.world.lock().unwrap_or_else(|e| e.into_inner());
    let Some(bytes) = w.git.blob(&sha) else {
        return not_found();
    };
    let packed = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut content = String::new();
    for chunk in packed.as_bytes().chunks(60) {
        content.push_str(&String::from_utf8_lossy(chunk));
        content.push('\n');
    }
    let body = json!({
        "sha": sha,
        "node_id": format!("B_{sha}"),
        "size": bytes.len(),
        "url": format!("http://fake/git/blobs/{sha}"),
        "content": content,
        "encoding": "base64",
    });
    (StatusCode::OK, Json(body)).into_response()
}

pub fn routes() -> Router<GitHubState> {
    Router::new()
        .route("/repos/{owner}/{repo}/git/commits/{sha}", get(commit))
        .route("/repos/{owner}/{repo}/git/trees/{sha}", get(tree))
        .route("/repos/{owner}/{repo}/git/blobs/{sha}", get(blob))
}
