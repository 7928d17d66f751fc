//! Owns the record of the deployments this run started, and what became of each: the deploy
//! stage records a deployment as soon as its id is known and marks it when it reaches a final
//! state. On cancellation (`crate::cancel`), [`StartedDeployments::cancel_not_live`] cancels on
//! Railway the ones that are not live yet, concurrently and within a budget; live ones are left.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::join_all;

use crate::railway::RailwayClient;
use crate::railway::cancel::deployment_cancel;
use crate::railway::status::Phase;
use crate::workflow;

/// What the run last knew of a deployment it started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// Started, not final yet (queued, building, deploying): cancelled on a signal.
    NotLive,
    /// Reached SUCCESS (or SLEEPING): left as it is.
    Live,
    /// Failed, removed or cancelled: nothing to do.
    Ended,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Started {
    pub id: String,
    pub service: String,
    pub seen: Seen,
}

#[derive(Default)]
struct Inner {
    client: Option<RailwayClient>,
    list: Vec<Started>,
}

/// Shared between the deploy stage (which fills it) and the signal handler (which reads it).
#[derive(Clone, Default)]
pub struct StartedDeployments {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for StartedDeployments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.list()).finish()
    }
}

impl StartedDeployments {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The run started deployment `id` of `service` through `client`.
    pub fn record(&self, client: &RailwayClient, id: &str, service: &str) {
        self.with(|i| {
            i.client.get_or_insert_with(|| client.clone());
            i.list.push(Started {
                id: id.to_string(),
                service: service.to_string(),
                seen: Seen::NotLive,
            });
        });
    }

    /// Deployment `id` was seen in `phase`.
    pub fn seen(&self, id: &str, phase: &Phase) {
        let seen = match phase {
            Phase::Live => Seen::Live,
            Phase::Failed(_) => Seen::Ended,
            Phase::InProgress | Phase::AwaitingApproval => Seen::NotLive,
        };
        self.set(id, seen);
    }

    fn set(&self, id: &str, seen: Seen) {
        self.with(|i| {
            if let Some(s) = i.list.iter_mut().find(|s| s.id == id) {
                s.seen = seen;
            }
        });
    }

    pub fn list(&self) -> Vec<Started> {
        self.with(|i| i.list.clone())
    }

    /// Sends `deploymentCancel` for every deployment not live yet, all at once, each bounded by
    /// `budget`; prints one line per deployment. Returns the ids it cancelled.
    pub async fn cancel_not_live(&self, budget: Duration) -> Vec<String> {
        let (client, pending) = self.with(|i| {
            let pending: Vec<Started> = i
                .list
                .iter()
                .filter(|s| s.seen == Seen::NotLive)
                .cloned()
                .collect();
            (i.client.clone(), pending)
        });
        let Some(client) = client else {
            return Vec::new();
        };
        let sends = pending.iter().map(|s| {
            let client = &client;
            async move {
                let sent = tokio::time::timeout(budget, deployment_cancel(client, &s.id)).await;
                (s, sent)
            }
        });
        let mut cancelled = Vec::new();
        for (s, sent) in join_all(sends).await {
            match sent {
                Ok(Ok(())) => {
                    workflow::info(format!(
                        "{}: cancelled deployment {} on Railway (it was not live yet)",
                        s.service, s.id
                    ));
                    self.set(&s.id, Seen::Ended);
                    cancelled.push(s.id.clone());
                }
                Ok(Err(e)) => workflow::warning(format!(
                    "{}: could not cancel deployment {} on Railway: {e}; cancel it in the dashboard",
                    s.service, s.id
                )),
                Err(_) => workflow::warning(format!(
                    "{}: Railway did not answer the cancellation of deployment {} within {}s; cancel it in the dashboard",
                    s.service,
                    s.id,
                    budget.as_secs_f32()
                )),
            }
        }
        cancelled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::railway::auth::RailwayToken;
    use crate::secret::Secret;
    use crate::timing::Timing;

    fn client(url: url::Url) -> RailwayClient {
        let _ = rustls::crypto::ring::default_provider().install_default();
        RailwayClient::new(
            url,
            RailwayToken::Project(Secret::new("t")),
            Timing::default(),
        )
        .unwrap()
    }

    /// A Railway that accepts connections and never answers.
    async fn stalled() -> (tokio::net::TcpListener, url::Url) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/graphql/v2", l.local_addr().unwrap());
        (l, url::Url::parse(&url).unwrap())
    }

    #[test]
    fn only_deployments_not_yet_live_stay_cancellable() {
        let url = url::Url::parse("http://127.0.0.1:9/graphql/v2").unwrap();
        let c = client(url);
        let s = StartedDeployments::default();
        for id in ["a", "b", "c"] {
            s.record(&c, id, "web");
        }
        s.seen("a", &Phase::Live);
        s.seen("b", &Phase::Failed("failed"));
        s.seen("c", &Phase::InProgress);
        let seen: Vec<Seen> = s.list().iter().map(|d| d.seen).collect();
        assert_eq!(seen, vec![Seen::Live, Seen::Ended, Seen::NotLive]);
    }

    #[tokio::test]
    async fn a_stalled_railway_bounds_the_cancellations_which_run_at_once() {
        let (listener, url) = stalled().await;
        let held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((sock, _)) = listener.accept().await {
                open.push(sock);
            }
        });
        let c = client(url);
        let s = StartedDeployments::default();
        for id in ["a", "b", "c"] {
            s.record(&c, id, "web");
        }
        let started = std::time::Instant::now();
        let cancelled = s.cancel_not_live(Duration::from_millis(300)).await;
        let took = started.elapsed();
        held.abort();
        assert!(cancelled.is_empty());
        // Three stalled requests, each bounded by 300 ms, sent concurrently.
        assert!(took >= Duration::from_millis(300), "{took:?}");
        assert!(took < Duration::from_millis(800), "{took:?}");
        assert!(s.list().iter().all(|d| d.seen == Seen::NotLive));
    }
}
