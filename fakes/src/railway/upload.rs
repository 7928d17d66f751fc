//! Fake of Railway's upload endpoint, `POST /project/{projectId}/environment/{environmentId}/up`.
//! Records every request (bodies kept, or only counted for the benchmark), answers from a script
//! (200 with a deployment, 400, 413, 429 with Retry-After, any status), and unpacks uploaded
//! tar.gz bodies so tests can assert on the archive members. With `refuse_unsized`, an upload sent
//! without `Content-Length` (chunked, which no public client sends: the CLI sends a buffered body)
//! is refused with 411 before its body is read, as a proxy that requires the length answers. Standalone, accepted uploads get ids
//! `dep-up-N`; backed by a [`RailwayWorld`] (inside `FakeRailway`), the token is checked as the
//! GraphQL endpoint checks it and an accepted upload starts a deployment in that world.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures_util::StreamExt;

use super::world::RailwayWorld;
use crate::recorder::{Recorded, Recorder};

pub const UPLOAD_ROUTE: &str = "/project/{project_id}/environment/{environment_id}/up";

/// What the fake answers to the next upload.
#[derive(Clone, Debug)]
pub enum UploadReply {
    /// 200 with `{deploymentId, url, logsUrl, deploymentDomain}`; ids are `dep-up-1`, `dep-up-2`...
    Accept,
    /// 400 with `{"message": ...}`.
    BadRequest(String),
    /// 413 with a plain-text body, as a proxy in front of Railway answers.
    TooLarge,
    /// 429 with `Retry-After: secs`.
    RateLimited { retry_after_secs: u64 },
    /// Any status with a text body.
    Status(u16, String),
    /// Accepted (a deployment starts in the world), then the answer is lost.
    AcceptThenLose(super::faults::LostAnswer),
}

#[derive(Default)]
struct UploadState {
    script: VecDeque<UploadReply>,
    accepted: u32,
    discard_bodies: bool,
    refuse_unsized: bool,
    body_lens: Vec<u64>,
}

/// Scripted state of the fake; clone it freely (shared).
#[derive(Clone, Default)]
pub struct UploadFake {
    state: Arc<Mutex<UploadState>>,
    recorder: Recorder,
    world: Option<Arc<Mutex<RailwayWorld>>>,
}

impl UploadFake {
    pub fn new() -> Self {
        UploadFake::default()
    }

    /// Accepted uploads start deployments in `world`; requests go to `recorder`.
    pub fn backed_by(world: Arc<Mutex<RailwayWorld>>, recorder: Recorder) -> Self {
        UploadFake {
            state: Arc::default(),
            recorder,
            world: Some(world),
        }
    }

    /// Only count body bytes instead of keeping them (large benchmark uploads).
    pub fn discard_bodies(self) -> Self {
        self.lock().discard_bodies = true;
        self
    }

    /// Refuses every upload without `Content-Length` with 411 Length Required.
    pub fn refuse_unsized(&self) {
        self.lock().refuse_unsized = true;
    }

    /// Queues the answer to the next upload; with an empty queue every upload is accepted.
    pub fn reply_next(&self, reply: UploadReply) {
        self.lock().script.push_back(reply);
    }

    pub fn recorder(&self) -> Recorder {
        self.recorder.clone()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.recorder.all()
    }

    /// Body sizes of every upload received, in order.
    pub fn body_lens(&self) -> Vec<u64> {
        self.lock().body_lens.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, UploadState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The upload route, with its own state; merge it into the fake Railway router.
pub fn upload_routes(fake: UploadFake) -> Router {
    Router::new()
        .route(UPLOAD_ROUTE, post(handle))
        .with_state(fake)
}

async fn handle(
    State(fake): State<UploadFake>,
    Path((project_id, environment_id)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (discard, refuse_unsized) = {
        let st = fake.lock();
        (st.discard_bodies, st.refuse_unsized)
    };
    if refuse_unsized && !headers.contains_key(axum::http::header::CONTENT_LENGTH) {
        fake.recorder
            .push(Recorder::from_parts(&method, &uri, &headers, &[]));
        return (StatusCode::LENGTH_REQUIRED, "411 Length Required").into_response();
    }
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut len = 0u64;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(c) => {
                len += c.len() as u64;
                if !discard {
                    kept.extend_from_slice(&c);
                }
            }
            // The client aborted the body: record what arrived, answer nothing useful.
            Err(_) => {
                fake.recorder
                    .push(Recorder::from_parts(&method, &uri, &headers, &kept));
                fake.lock().body_lens.push(len);
                return StatusCode::BAD_REQUEST.into_response();
            }
        }
    }
    fake.recorder
        .push(Recorder::from_parts(&method, &uri, &headers, &kept));
    let reply = {
        let mut st = fake.lock();
        st.body_lens.push(len);
        st.script.pop_front().unwrap_or(UploadReply::Accept)
    };
    let service = uri
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("serviceId=")))
        .unwrap_or_default()
        .to_string();
    match reply {
        UploadReply::AcceptThenLose(how) => {
            if let Some(world) = &fake.world
                && let Err(refusal) =
                    start_in_world(world, &headers, &project_id, &environment_id, &service)
            {
                return *refusal;
            }
            super::faults::lost_response(how)
        }
        UploadReply::Accept => {
            let id = match &fake.world {
                Some(world) => {
                    match start_in_world(world, &headers, &project_id, &environment_id, &service) {
                        Ok(id) => id,
                        Err(refusal) => return *refusal,
                    }
                }
                None => {
                    let mut st = fake.lock();
                    st.accepted += 1;
                    format!("dep-up-{}", st.accepted)
                }
            };
            axum::Json(serde_json::json!({
                "deploymentId": id,
                "url": format!("https://railway.com/project/{project_id}/service/{service}?environmentId={environment_id}&id={id}"),
                "logsUrl": format!("https://railway.com/project/{project_id}/service/{service}?environmentId={environment_id}&id={id}#build"),
                "deploymentDomain": format!("{service}-production.up.railway.app"),
            }))
            .into_response()
        }
        UploadReply::BadRequest(message) => (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({ "message": message })),
        )
            .into_response(),
        UploadReply::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "413 Request Entity Too Large",
        )
            .into_response(),
        UploadReply::RateLimited { retry_after_secs } => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", retry_after_secs.to_string())],
            "rate limited",
        )
            .into_response(),
        UploadReply::Status(code, text) => (
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            text,
        )
            .into_response(),
    }
}

/// Checks the token and the service instance like Railway does, then starts a deployment that
/// follows the service's status script.
fn start_in_world(
    world: &Mutex<RailwayWorld>,
    headers: &HeaderMap,
    project_id: &str,
    environment_id: &str,
    service_id: &str,
) -> Result<String, Box<Response>> {
    let mut w = world.lock().unwrap_or_else(|e| e.into_inner());
    let refuse = |code: StatusCode, message: &str| {
        Box::new((code, axum::Json(serde_json::json!({ "message": message }))).into_response())
    };
    let allowed = match super::graphql::caller(&w, headers) {
        None => false,
        Some(super::graphql::Caller::Account) => true,
        Some(super::graphql::Caller::Project {
            project_id: p,
            environment_id: e,
        }) => p == project_id && e == environment_id,
    };
    if !allowed {
        return Err(refuse(StatusCode::UNAUTHORIZED, "Not Authorized"));
    }
    if w.project_id != project_id
        || !w
            .instances
            .contains_key(&(service_id.to_string(), environment_id.to_string()))
    {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "Service instance not found",
        ));
    }
    Ok(w.start_deployment(
        service_id,
        environment_id,
        serde_json::json!({ "source": "upload" }),
    ))
}

/// One member of an uploaded archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    /// `file`, `dir`, `symlink` or `other`.
    pub kind: &'static str,
    pub mode: u32,
    pub mtime: u64,
    pub uid: u64,
    pub gid: u64,
    pub link: Option<String>,
    pub data: Vec<u8>,
}

/// Unpacks a tar.gz body into its members, in archive order.
pub fn unpack(tar_gz: &[u8]) -> std::io::Result<Vec<Member>> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tar_gz));
    let mut out = Vec::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let header = entry.header().clone();
        let kind = match header.entry_type() {
            tar::EntryType::Regular => "file",
            tar::EntryType::Directory => "dir",
            tar::EntryType::Symlink => "symlink",
            _ => "other",
        };
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let link = entry
            .link_name_bytes()
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        let mut data = Vec::new();
        entry.read_to_end(&mut data)?;
        out.push(Member {
            name,
            kind,
            mode: header.mode()?,
            mtime: header.mtime()?,
            uid: header.uid()?,
            gid: header.gid()?,
            link,
            data,
        });
    }
    Ok(out)
}
