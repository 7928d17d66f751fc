//! Owns the run's websocket connection to Railway: every subscription of every service (each
//! deployment's status and its logs) is multiplexed over one `graphql-transport-ws` socket by a
//! [`Hub`], as the protocol allows. Each subscription is a [`Feed`] of its own events; dropping the
//! feed ends the subscription on Railway's side (`complete`).
//!
//! The socket opens on the first subscription (one HTTP request: the upgrade), closes once no
//! subscription has been live for [`LINGER`] (so a service whose upload ends a little later still
//! finds it open), and opens anew on the next subscription after it closed or died. When it dies,
//! every feed on it sees the error and its owner decides what next (the status falls back to
//! polling, the logs resubscribe). The hub counts connections and subscriptions for the budget.
//! Each feed is traced (`railway::sub_trace`): one line when it ends or is dropped.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::time::Instant;
use url::Url;

use super::auth::RailwayToken;
use super::sub_trace::SubTrace;
use super::subscription::{Event, SubscriptionError, Subscriptions};
use crate::timing::Timing;

/// How long a socket without live subscriptions stays open for the next one (scaled by `Timing`,
/// never under [`LINGER_FLOOR`] of real time: a loaded machine's latency does not scale).
pub const LINGER: Duration = Duration::from_secs(5);
const LINGER_FLOOR: Duration = Duration::from_millis(250);

/// One delivery to a feed: an event, `Ok(None)` when the server closed the socket normally, or
/// the socket's failure.
type Delivery = Result<Option<Event>, SubscriptionError>;

enum Command {
    Subscribe {
        query: String,
        variables: Value,
        events: mpsc::UnboundedSender<Delivery>,
        ack: oneshot::Sender<Result<String, SubscriptionError>>,
    },
    End(String),
}

/// The run's shared socket (cheap to clone: every clone uses the same connection).
#[derive(Clone)]
pub struct Hub {
    shared: Arc<Shared>,
}

struct Shared {
    api_url: Url,
    token: RailwayToken,
    timing: Timing,
    /// The open socket's command queue (closed once its pump ended).
    link: Mutex<Option<mpsc::UnboundedSender<Command>>>,
    connections: AtomicU32,
    subscriptions: AtomicU32,
}

impl Hub {
    pub fn new(api_url: Url, token: RailwayToken, timing: Timing) -> Self {
        Hub {
            shared: Arc::new(Shared {
                api_url,
                token,
                timing,
                link: Mutex::new(None),
                connections: AtomicU32::new(0),
                subscriptions: AtomicU32::new(0),
            }),
        }
    }

    pub fn timing(&self) -> &Timing {
        &self.shared.timing
    }

    /// Sockets opened so far (each one HTTP upgrade request), including refused ones.
    pub fn connections(&self) -> u32 {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// `subscribe` messages sent so far.
    pub fn subscriptions(&self) -> u32 {
        self.shared.subscriptions.load(Ordering::Relaxed)
    }

    /// Starts a subscription on the shared socket, opening it first when none is open.
    pub async fn subscribe(
        &self,
        query: &str,
        variables: Value,
    ) -> Result<Feed, SubscriptionError> {
        let trace = SubTrace::start(query, &variables);
        let started = self.start(query, variables).await;
        match started {
            Ok((id, events, cmds)) => Ok(Feed {
                id,
                events,
                cmds,
                trace,
            }),
            Err(e) => {
                if let Some(t) = trace {
                    t.not_started(&e);
                }
                Err(e)
            }
        }
    }

    /// Sends the `subscribe` command: the subscription's id, its event queue and the socket's
    /// command queue.
    async fn start(&self, query: &str, variables: Value) -> Result<Started, SubscriptionError> {
        // A socket may end (linger over, dropped) between the check and the command: then the
        // acknowledgement never comes, and one new socket is tried.
        for _ in 0..2 {
            let (cmds, fresh) = self.link().await?;
            let (events_tx, events) = mpsc::unbounded_channel();
            let (ack, acked) = oneshot::channel();
            let sent = cmds.send(Command::Subscribe {
                query: query.to_string(),
                variables: variables.clone(),
                events: events_tx,
                ack,
            });
            match (sent, acked.await) {
                (Ok(()), Ok(Ok(id))) => {
                    self.shared.subscriptions.fetch_add(1, Ordering::Relaxed);
                    return Ok((id, events, cmds));
                }
                (Ok(()), Ok(Err(e))) => return Err(e),
                _ if fresh => break,
                _ => continue,
            }
        }
        Err(SubscriptionError::Closed {
            code: 1006,
            reason: "the socket closed before the subscription started".into(),
        })
    }

    /// The open socket's queue, or a new socket's (`true`).
    async fn link(&self) -> Result<(mpsc::UnboundedSender<Command>, bool), SubscriptionError> {
        let mut link = self.shared.link.lock().await;
        if let Some(cmds) = link.as_ref().filter(|c| !c.is_closed()) {
            return Ok((cmds.clone(), false));
        }
        *link = None;
        let s = &self.shared;
        s.connections.fetch_add(1, Ordering::Relaxed);
        let subs = Subscriptions::connect(&s.api_url, &s.token, &s.timing).await?;
        let (cmds, queue) = mpsc::unbounded_channel();
        let linger = s.timing.scaled(LINGER).max(LINGER_FLOOR);
        tokio::spawn(pump(subs, queue, linger));
        *link = Some(cmds.clone());
        Ok((cmds, true))
    }
}

/// A started subscription: its id, its events, the socket's command queue.
type Started = (
    String,
    mpsc::UnboundedReceiver<Delivery>,
    mpsc::UnboundedSender<Command>,
);

/// One subscription's events.
pub struct Feed {
    id: String,
    events: mpsc::UnboundedReceiver<Delivery>,
    cmds: mpsc::UnboundedSender<Command>,
    /// Its trace line, written when it drops with the feed (`None` when tracing is off).
    trace: Option<SubTrace>,
}

impl Feed {
    /// The next event. `Ok(None)`: the server closed the socket normally (nothing more comes).
    pub async fn next(&mut self) -> Result<Option<Event>, SubscriptionError> {
        let delivery = self.events.recv().await.unwrap_or(Ok(None));
        if let Some(t) = self.trace.as_mut() {
            t.observe(&delivery);
        }
        delivery
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        // The pump may be gone already (socket closed): then there is nothing to end.
        let _ = self.cmds.send(Command::End(self.id.clone()));
    }
}

/// Owns one socket: starts subscriptions, routes each event to its feed, ends subscriptions whose
/// feed was dropped, and closes the socket after `linger` without live subscriptions, when it
/// fails (every feed is told), or when no hub is left.
async fn pump(
    mut subs: Subscriptions,
    mut queue: mpsc::UnboundedReceiver<Command>,
    linger: Duration,
) {
    let mut routes: HashMap<String, mpsc::UnboundedSender<Delivery>> = HashMap::new();
    let mut idle_since = Some(Instant::now());
    loop {
        let close_at = idle_since.map(|t| t + linger);
        let far = Instant::now() + Duration::from_secs(24 * 3600);
        tokio::select! {
            cmd = queue.recv() => match cmd {
                None => break,
                Some(Command::Subscribe { query, variables, events, ack }) => {
                    match subs.subscribe(&query, variables).await {
                        Ok(id) => {
                            routes.insert(id.clone(), events);
                            let _ = ack.send(Ok(id));
                        }
                        Err(e) => {
                            let _ = ack.send(Err(e.clone()));
                            tell_all(&routes, Err(e));
                            break;
                        }
                    }
                }
                Some(Command::End(id)) => {
                    if routes.remove(&id).is_some() && subs.complete(&id).await.is_err() {
                        tell_all(&routes, Err(SubscriptionError::Transport("the socket failed".into())));
                        break;
                    }
                }
            },
            ev = subs.next() => match ev {
                Ok(Some(event)) => {
                    let id = event.id().to_string();
                    let ended = !matches!(event, Event::Next { .. });
                    if let Some(feed) = routes.get(&id) {
                        let _ = feed.send(Ok(Some(event)));
                    }
                    if ended {
                        routes.remove(&id);
                    }
                }
                Ok(None) => {
                    tell_all(&routes, Ok(None));
                    break;
                }
                Err(e) => {
                    tell_all(&routes, Err(e));
                    break;
                }
            },
            _ = tokio::time::sleep_until(close_at.unwrap_or(far)), if close_at.is_some() => break,
        }
        idle_since = match (routes.is_empty(), idle_since) {
            (true, None) => Some(Instant::now()),
            (true, since) => since,
            (false, _) => None,
        };
    }
    // Commands still queued get no acknowledgement: `Hub::subscribe` then opens a new socket.
    queue.close();
    subs.close().await;
}

fn tell_all(routes: &HashMap<String, mpsc::UnboundedSender<Delivery>>, what: Delivery) {
    for feed in routes.values() {
        let _ = feed.send(what.clone());
    }
}
