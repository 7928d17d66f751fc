//! A loopback webhook receiver (what `notify-webhook` points at in tests): records every request
//! and answers each with the next scripted reply (status and `Retry-After`, a body that echoes
//! the URL), then 200.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

use crate::{Recorded, Recorder, Server};

/// One scripted answer: an HTTP status and, optionally, `Retry-After` seconds.
#[derive(Clone, Copy, Debug)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<u64>,
}

#[derive(Clone, Default)]
struct Receiver {
    recorder: Recorder,
    replies: Arc<Mutex<VecDeque<Reply>>>,
}

/// A running receiver.
pub struct FakeWebhook {
    pub server: Server,
    recorder: Recorder,
    replies: Arc<Mutex<VecDeque<Reply>>>,
}

impl FakeWebhook {
    pub async fn start() -> FakeWebhook {
        let receiver = Receiver::default();
        let router = Router::new()
            .route("/{*path}", any(handle))
            .with_state(receiver.clone());
        FakeWebhook {
            server: Server::start(router).await,
            recorder: receiver.recorder,
            replies: receiver.replies,
        }
    }

    /// The URL to give `notify-webhook` (a path with a token in it, as real webhooks have).
    pub fn url(&self) -> String {
        format!("{}/hooks/T0KEN-s3cret-path", self.server.url())
    }

    /// Answers the next requests with these replies, in order (then 200).
    pub fn reply_next(&self, replies: &[Reply]) {
        let mut q = self.replies.lock().unwrap_or_else(|e| e.into_inner());
        q.extend(replies.iter().copied());
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.recorder.all()
    }
}

async fn handle(
    State(r): State<Receiver>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    r.recorder
        .push(Recorder::from_parts(&method, &uri, &headers, &body));
    let next = r
        .replies
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pop_front();
    match next {
        None => (StatusCode::OK, "ok").into_response(),
        Some(reply) => {
            let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
            // As some receivers do, the refusal echoes the URL (with its secret path).
            let body = format!("scripted refusal of {uri}");
            match reply.retry_after {
                Some(s) => (status, [("retry-after", s.to_string())], body).into_response(),
                None => (status, body).into_response(),
            }
        }
    }
}
