//! Takes the backup: one `volumeInstanceBackupCreate` (never repeated blindly: when its answer
//! is lost, the volume's backups are read back for one of this name), then `workflowStatus`
//! until Railway reports it complete, failed, or `backup-timeout` passes. Every failure is a
//! sentence that says what Railway reported and that the database is untouched.

use std::time::Duration;

use tokio::time::Instant;

use super::BackupTarget;
use crate::railway::volumes::{self, WorkflowState};
use crate::railway::{RailwayClient, RailwayError};
use crate::timing::Backoff;
use crate::wait::{self, Waited, Waiter};
use crate::workflow;

/// How the backup ended well: Railway's id when it was read back.
#[derive(Clone, Debug, PartialEq)]
pub struct Taken {
    pub id: Option<String>,
}

/// Said after every failure: the run stops before anything changes.
const UNTOUCHED: &str = "nothing was migrated or deployed; the database is untouched";

/// Backs `target` up as `name`, within `timeout`. `Err` is the run's failure message.
pub async fn take(
    c: &RailwayClient,
    target: &BackupTarget,
    name: &str,
    timeout: Duration,
) -> Result<Taken, String> {
    let deadline = Instant::now() + timeout;
    let what = format!(
        "the backup of volume `{}` of `{}`",
        target.volume.volume.name, target.service_name
    );
    if let Some(state) = target.not_ready() {
        return Err(format!(
            "{what} was not started: Railway reports the volume `{state}`, not READY (it may be migrating, restoring or resizing); wait until the volume is ready in Railway and run again; {UNTOUCHED}"
        ));
    }
    match volumes::create_backup(c, &target.volume.id, name).await {
        Ok(Some(workflow_id)) => {
            workflow::info(format!("Backup `{name}` started (workflow {workflow_id})"));
            follow(c, target, name, &workflow_id, deadline, timeout)
                .await
                .map(|()| Taken { id: None })
                .map_err(|why| format!("{what} {why}; {UNTOUCHED}"))
        }
        // No workflow to follow (none given, or the answer was lost): the list says.
        Ok(None) => read_back(c, target, name, deadline, timeout, &what).await,
        Err(e) if e.answer_lost() => {
            workflow::warning(format!(
                "Railway's answer to the backup request was lost ({e}); reading the volume's backups back instead of asking again"
            ));
            read_back(c, target, name, deadline, timeout, &what).await
        }
        Err(e) => Err(refused(target, &what, &e)),
    }
}

/// Railway refused to start the backup: its documented half-size limit said as such.
fn refused(target: &BackupTarget, what: &str, e: &RailwayError) -> String {
    let v = &target.volume;
    if target.over_half_full() {
        format!(
            "Railway refused {what}: {e}. Railway limits a manual backup to half of the volume's size, and the volume uses {:.0} MB of {} MB: grow the volume (Settings of `{}` in Railway) or ask Railway's support to raise the limit; {UNTOUCHED}",
            v.current_size_mb, v.size_mb, target.service_name
        )
    } else {
        format!("Railway refused {what}: {e}; {UNTOUCHED}")
    }
}

/// Follows the backup's workflow until it completes (`Ok`), fails or the deadline passes
/// (`Err`: what Railway last reported, to follow "the backup of …").
async fn follow(
    c: &RailwayClient,
    target: &BackupTarget,
    name: &str,
    workflow_id: &str,
    deadline: Instant,
    timeout: Duration,
) -> Result<(), String> {
    let mut waiter = Waiter::until(deadline, *c.timing());
    let mut backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(15));
    let seen = wait::poll(
        &mut waiter,
        |_| backoff.next_delay(),
        |last: &String, _| workflow::info(format!("Backup: {last}, waiting")),
        || async {
            match volumes::workflow_status(c, workflow_id).await {
                Ok(r) => match r.status {
                    WorkflowState::Complete => wait::Step::Done(Ok(())),
                    WorkflowState::Error => wait::Step::Done(Err(format!(
                        "failed: Railway reported `{}`",
                        r.error.as_deref().unwrap_or("Error (no detail)")
                    ))),
                    // A workflow Railway no longer knows may have finished: the list says.
                    WorkflowState::NotFound if listed(c, target, name).await => {
                        wait::Step::Done(Ok(()))
                    }
                    // Running, or not known yet: look again until the deadline.
                    other => wait::Step::Pending(format!("Railway reports {other:?}")),
                },
                // The client retried already; a read that still fails is looked at again.
                Err(e) => wait::Step::Pending(format!("Railway's status could not be read ({e})")),
            }
        },
    )
    .await;
    match seen {
        Waited::Done(r) => r,
        Waited::StillRunning(last) => Err(format!(
            "did not complete within `backup-timeout` ({}; {last})",
            crate::text::duration(timeout)
        )),
    }
}

/// Whether a backup named `name` is among the volume's backups and complete (a failed read:
/// not known, no).
async fn listed(c: &RailwayClient, target: &BackupTarget, name: &str) -> bool {
    volumes::backups(c, &target.volume.id)
        .await
        .is_ok_and(|list| {
            list.iter()
                .any(|b| b.name.as_deref() == Some(name) && b.complete())
        })
}

/// Reads the volume's backups until one named `name` is listed complete (done) or the deadline:
/// a backup listed but not complete yet is waited on, never taken as done.
async fn read_back(
    c: &RailwayClient,
    target: &BackupTarget,
    name: &str,
    deadline: Instant,
    timeout: Duration,
    what: &str,
) -> Result<Taken, String> {
    let mut waiter = Waiter::until(deadline, *c.timing());
    let mut backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(15));
    let seen = wait::poll(
        &mut waiter,
        |_| backoff.next_delay(),
        |listed: &bool, _| {
            workflow::info(if *listed {
                format!("Backup: `{name}` is listed, not complete yet; waiting")
            } else {
                format!("Backup: looking for `{name}` among the volume's backups")
            })
        },
        || async {
            match volumes::backups(c, &target.volume.id).await {
                Ok(list) => match list.iter().find(|b| b.name.as_deref() == Some(name)) {
                    Some(b) if b.complete() => wait::Step::Done(b.id.clone()),
                    Some(_) => wait::Step::Pending(true),
                    None => wait::Step::Pending(false),
                },
                Err(_) => wait::Step::Pending(false),
            }
        },
    )
    .await;
    let timeout = crate::text::duration(timeout);
    match seen {
        Waited::Done(id) => Ok(Taken { id: Some(id) }),
        Waited::StillRunning(true) => Err(format!(
            "{what} was not confirmed: Railway's answer was lost, and the backup `{name}` it lists was not complete within `backup-timeout` ({timeout}); {UNTOUCHED}"
        )),
        Waited::StillRunning(false) => Err(format!(
            "{what} was not confirmed: Railway's answer was lost and no backup named `{name}` appeared in the volume's backups within `backup-timeout` ({timeout}); {UNTOUCHED}"
        )),
    }
}
