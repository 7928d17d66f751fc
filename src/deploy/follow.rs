//! Follows a deployment to a final state by polling `deployment(id)` with backoff until the
//! deadline (through `crate::wait`). "Still running" is not an error: it is a progress line at most every ~15 s; a timeout
//! says which state the deployment was stuck in.

use std::time::{Duration, Instant};

use crate::railway::status::{DeploymentStatus, Phase};
use crate::railway::{RailwayClient, RailwayError, api};
use crate::timing::Backoff;
use crate::wait::{Next, Waiter};
use crate::workflow;

#[derive(Clone, Debug)]
pub enum Followed {
    /// Reached a final status (live or failed).
    Final {
        status: DeploymentStatus,
        deployment: Box<api::Deployment>,
        elapsed: Duration,
    },
    /// The deadline passed first.
    TimedOut {
        last: DeploymentStatus,
        elapsed: Duration,
    },
    /// Railway could not be asked (after retries).
    Error(RailwayError),
}

/// Where progress lines go and what they call the deployment (the service's name).
pub struct FollowOptions<'a> {
    pub label: &'a str,
    pub deadline: Instant,
    pub progress_every: Duration,
    /// Set to the moment the deployment was first seen past its build (deploying or final after
    /// a build), so the report can time the build and deploy stages apart.
    pub deploying_since: Option<&'a std::sync::OnceLock<Instant>>,
}

impl FollowOptions<'_> {
    /// Records that `status` was seen now.
    pub fn note(&self, status: &DeploymentStatus) {
        let past_build = matches!(
            status,
            DeploymentStatus::Deploying
                | DeploymentStatus::Success
                | DeploymentStatus::Sleeping
                | DeploymentStatus::Crashed
        );
        if let (true, Some(cell)) = (past_build, self.deploying_since) {
            let _ = cell.set(Instant::now());
        }
    }
}

/// Polls until final or `deadline`. The first poll is immediate; then 3 s growing to 20 s
/// (scaled by `Timing`), which keeps a 10-minute deploy under 40 requests.
pub async fn poll(c: &RailwayClient, deployment_id: &str, opts: &FollowOptions<'_>) -> Followed {
    let started = Instant::now();
    let mut waiter = Waiter::until_std(opts.deadline, *c.timing());
    let mut backoff = Backoff::new(Duration::from_secs(3), Duration::from_secs(20));
    let mut last;
    let mut last_line: Option<(Instant, DeploymentStatus)> = None;
    let mut approval_noticed = false;
    loop {
        match api::deployment(c, deployment_id).await {
            Ok(d) => {
                let status = d.status.clone();
                opts.note(&status);
                match status.phase() {
                    Phase::Live | Phase::Failed(_) => {
                        return Followed::Final {
                            status,
                            deployment: Box::new(d),
                            elapsed: started.elapsed(),
                        };
                    }
                    Phase::AwaitingApproval if !approval_noticed => {
                        workflow::notice(format!(
                            "{}: deployment {deployment_id} needs approval in Railway before it can proceed; someone with access must approve it in the dashboard",
                            opts.label
                        ));
                        approval_noticed = true;
                    }
                    Phase::AwaitingApproval | Phase::InProgress => {}
                }
                let due = match &last_line {
                    None => true,
                    Some((at, s)) => *s != status || at.elapsed() >= opts.progress_every,
                };
                if due {
                    super::printer::progress(format!(
                        "{}: {} ({}s elapsed)",
                        opts.label,
                        status.as_str(),
                        started.elapsed().as_secs()
                    ));
                    last_line = Some((Instant::now(), status.clone()));
                }
                last = status;
            }
            Err(e) => return Followed::Error(e),
        }
        // The last wait ends at the deadline, so the final poll happens right at it.
        if waiter.pause(backoff.next_delay(), |_| {}).await == Next::StillRunning {
            return Followed::TimedOut {
                last,
                elapsed: started.elapsed(),
            };
        }
    }
}
