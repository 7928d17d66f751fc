//! Owns Railway's websocket subscriptions: the `graphql-transport-ws` protocol over
//! tokio-tungstenite (HTTP/1.1 upgrade, as Railway's CLI connects through reqwest-websocket;
//! whether Railway takes anything else is not known; rustls through the process's ring
//! provider). The Railway token rides on the upgrade request and in `connection_init`; the socket
//! is kept alive with protocol pings and declared dead when nothing arrives for three intervals
//! (never less than [`IDLE_FLOOR`] of real time: network latency does not shrink with the clock
//! scale, so a scaled silence bound would kill healthy sockets on a loaded machine).
//! Several subscriptions share one socket; each yields JSON payloads tagged with its id. The run's
//! sockets are opened and multiplexed by `railway::socket::Hub`.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use url::Url;

use crate::railway::auth::RailwayToken;
use crate::secret::redact;
use crate::timing::Timing;

pub const PROTOCOL: &str = "graphql-transport-ws";
/// Opening the socket and receiving `connection_ack` (a network bound, not scaled).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
/// Protocol ping interval (scaled by `Timing`); silence for three of them means a dead socket.
const KEEPALIVE: Duration = Duration::from_secs(20);
/// The shortest silence that declares a socket dead (real time, not scaled).
pub const IDLE_FLOOR: Duration = Duration::from_secs(5);

#[derive(Clone, Debug, thiserror::Error)]
pub enum SubscriptionError {
    #[error("`railway-api-url` {0} has no websocket form (expected http or https)")]
    Url(String),
    #[error("could not open Railway's websocket: {0}")]
    Connect(String),
    #[error("Railway's websocket did not acknowledge the connection within {0:?}")]
    AckTimeout(Duration),
    #[error("Railway closed the websocket (code {code}: {reason})")]
    Closed { code: u16, reason: String },
    #[error("Railway's websocket went silent")]
    Idle,
    #[error("Railway's websocket failed: {0}")]
    Transport(String),
}

/// One message for one subscription.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A result: `{"data": ..., "errors": [...]?}`.
    Next { id: String, payload: Value },
    /// The subscription was refused (validation or authorisation): GraphQL errors.
    Error { id: String, errors: Value },
    /// The server ended the subscription.
    Complete { id: String },
}

impl Event {
    /// The subscription this event belongs to.
    pub fn id(&self) -> &str {
        match self {
            Event::Next { id, .. } | Event::Error { id, .. } | Event::Complete { id } => id,
        }
    }
}

/// `https://host/graphql/v2` → `wss://host/graphql/v2`; `http` → `ws` (loopback fakes).
pub fn ws_url(api_url: &Url) -> Result<Url, SubscriptionError> {
    let scheme = match api_url.scheme() {
        "https" => "wss",
        "http" => "ws",
        _ => return Err(SubscriptionError::Url(api_url.to_string())),
    };
    let mut u = api_url.clone();
    u.set_scheme(scheme)
        .map_err(|_| SubscriptionError::Url(api_url.to_string()))?;
    u.set_fragment(None);
    Ok(u)
}

/// An open, acknowledged socket.
pub struct Subscriptions {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    keepalive: Duration,
    /// Silence longer than this means a dead socket.
    idle_after: Duration,
    last_seen: Instant,
    next_ping: Instant,
    secret: RailwayToken,
}

impl SubscriptionError {
    /// True when the socket never opened (refused upgrade, no acknowledgement, bad URL): a retry
    /// soon after would most likely fail the same way.
    pub fn never_opened(&self) -> bool {
        matches!(
            self,
            SubscriptionError::Url(_)
                | SubscriptionError::Connect(_)
                | SubscriptionError::AckTimeout(_)
        )
    }
}

impl Subscriptions {
    /// Opens the socket (one HTTP request: the upgrade) and completes `connection_init`.
    pub async fn connect(
        api_url: &Url,
        token: &RailwayToken,
        timing: &Timing,
    ) -> Result<Self, SubscriptionError> {
        let url = ws_url(api_url)?;
        let (name, value) = token.header();
        let clean = |s: String| redact(&s, &[token.secret()]);
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|e| SubscriptionError::Connect(clean(e.to_string())))?;
        let headers = request.headers_mut();
        headers.insert("Sec-WebSocket-Protocol", HeaderValue::from_static(PROTOCOL));
        let mut auth = HeaderValue::from_str(&value).map_err(|_| {
            SubscriptionError::Connect("the token is not a valid header value".into())
        })?;
        auth.set_sensitive(true);
        headers.insert(name, auth);

        let handshake = async {
            let (mut ws, _) = tokio_tungstenite::connect_async(request)
                .await
                .map_err(|e| SubscriptionError::Connect(clean(e.to_string())))?;
            let init = json!({"type": "connection_init", "payload": { name: value }});
            ws.send(Message::text(init.to_string()))
                .await
                .map_err(|e| SubscriptionError::Transport(e.to_string()))?;
            loop {
                match ws.next().await {
                    Some(Ok(Message::Text(t))) => {
                        let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                        match v.get("type").and_then(Value::as_str) {
                            Some("connection_ack") => return Ok(ws),
                            Some("ping") => {
                                let _ = ws.send(Message::text(r#"{"type":"pong"}"#)).await;
                            }
                            _ => {}
                        }
                    }
                    Some(Ok(Message::Close(frame))) => return Err(closed(frame)),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(SubscriptionError::Transport(e.to_string())),
                    None => {
                        return Err(SubscriptionError::Closed {
                            code: 1006,
                            reason: "closed before acknowledging".into(),
                        });
                    }
                }
            }
        };
        let ws = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake)
            .await
            .map_err(|_| SubscriptionError::AckTimeout(HANDSHAKE_TIMEOUT))??;
        let keepalive = timing.scaled(KEEPALIVE).max(Duration::from_millis(5));
        let now = Instant::now();
        Ok(Subscriptions {
            ws,
            next_id: 0,
            keepalive,
            idle_after: (keepalive * 3).max(IDLE_FLOOR),
            last_seen: now,
            next_ping: now + keepalive,
            secret: token.clone(),
        })
    }

    /// Starts a subscription; its events carry the returned id.
    pub async fn subscribe(
        &mut self,
        query: &str,
        variables: Value,
    ) -> Result<String, SubscriptionError> {
        self.next_id += 1;
        let id = self.next_id.to_string();
        let msg = json!({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}});
        self.ws
            .send(Message::text(msg.to_string()))
            .await
            .map_err(|e| SubscriptionError::Transport(e.to_string()))?;
        Ok(id)
    }

    /// The next event of any subscription. `Ok(None)`: the server closed the socket normally.
    pub async fn next(&mut self) -> Result<Option<Event>, SubscriptionError> {
        loop {
            let msg = tokio::select! {
                m = self.ws.next() => m,
                _ = tokio::time::sleep_until(self.next_ping) => {
                    if self.last_seen.elapsed() > self.idle_after {
                        return Err(SubscriptionError::Idle);
                    }
                    self.next_ping = Instant::now() + self.keepalive;
                    self.send_text(r#"{"type":"ping"}"#).await?;
                    continue;
                }
            };
            self.last_seen = Instant::now();
            let text = match msg {
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(Message::Close(frame))) => {
                    return match frame {
                        Some(f) if u16::from(f.code) == 1000 => Ok(None),
                        other => Err(closed(other)),
                    };
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    return Err(SubscriptionError::Transport(redact(
                        &e.to_string(),
                        &[self.secret.secret()],
                    )));
                }
                None => {
                    return Err(SubscriptionError::Closed {
                        code: 1006,
                        reason: "connection dropped".into(),
                    });
                }
            };
            let v: Value = match serde_json::from_str(text.as_str()) {
                Ok(v) => v,
                Err(_) => continue,
            };
            let id = v
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            match v.get("type").and_then(Value::as_str) {
                Some("next") => {
                    let payload = v.get("payload").cloned().unwrap_or(Value::Null);
                    return Ok(Some(Event::Next { id, payload }));
                }
                Some("error") => {
                    let errors = v.get("payload").cloned().unwrap_or(Value::Null);
                    return Ok(Some(Event::Error { id, errors }));
                }
                Some("complete") => return Ok(Some(Event::Complete { id })),
                Some("ping") => self.send_text(r#"{"type":"pong"}"#).await?,
                _ => {}
            }
        }
    }

    /// Ends one subscription (`complete`): Railway stops sending its events.
    pub async fn complete(&mut self, id: &str) -> Result<(), SubscriptionError> {
        let msg = json!({"id": id, "type": "complete"});
        self.send_text(&msg.to_string()).await
    }

    /// Ends every subscription and closes the socket politely.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }

    async fn send_text(&mut self, s: &str) -> Result<(), SubscriptionError> {
        self.ws
            .send(Message::text(s.to_string()))
            .await
            .map_err(|e| SubscriptionError::Transport(e.to_string()))
    }
}

fn closed(
    frame: Option<tokio_tungstenite::tungstenite::protocol::CloseFrame>,
) -> SubscriptionError {
    match frame {
        Some(f) => SubscriptionError::Closed {
            code: f.code.into(),
            reason: f.reason.to_string(),
        },
        None => SubscriptionError::Closed {
            code: 1005,
            reason: "no reason given".into(),
        },
    }
}

/// Joins GraphQL error messages (`[{message}]`).
pub fn messages(errors: &Value) -> String {
    match errors.as_array() {
        Some(list) => list
            .iter()
            .map(|e| {
                e.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown error")
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("; "),
        None => errors.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_websocket_url_mirrors_the_api_url() {
        let u = |s: &str| ws_url(&Url::parse(s).unwrap()).map(|u| u.to_string());
        assert_eq!(
            u("https://backboard.railway.com/graphql/v2").unwrap(),
            "wss://backboard.railway.com/graphql/v2"
        );
        assert_eq!(
            u("http://127.0.0.1:9/graphql/v2").unwrap(),
            "ws://127.0.0.1:9/graphql/v2"
        );
        assert!(u("ftp://x/graphql").is_err());
    }
}
