//! Takes the backup: one `volumeInstanceBackupCreate` (never repeated blindly: when its answer
//! is lost, the volume's backups are read back for one of this name), then `workflowStatus`
//! until Railway reports it complete, failed, or `backup-timeout` passes. Every failure is a
//! sentence that says what Railway reported and that the database is untouched.
//!
//! What the public record says, and what this module does about it:
//! - A refused `workflowStatus` read is permanent: Railway authorizes it per workflow type and
//!   "retrying can't heal it" (railwayapp/cli commit fc0331d1, `postgres pitr`). On a refusal the
//!   volume's backups list is read at once instead of polling the status until the timeout.
//! - `volumeInstanceBackupList` has no status field, and a backup's `usedMB` is not documented as
//!   a completion signal (the CLI only prints it). Only `workflowStatus: Complete` confirms a
//!   backup; a backup that is only listed by name is taken as made, with a warning that Railway
//!   did not confirm its completion.

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
            follow(c, target, name, &workflow_id, deadline, timeout, &what).await
        }
        // No workflow to follow (none given, or the answer was lost): the list says.
        Ok(None) => {
            let cause = "Railway gave no workflow to follow and";
            read_back(c, target, name, deadline, timeout, &what, cause).await
        }
        Err(e) if e.answer_lost() => {
            workflow::warning(format!(
                "Railway's answer to the backup request was lost ({e}); reading the volume's backups back instead of asking again"
            ));
            let cause = "Railway's answer was lost and";
            read_back(c, target, name, deadline, timeout, &what, cause).await
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
/// (`Err`: the run's failure message, with what Railway last reported).
async fn follow(
    c: &RailwayClient,
    target: &BackupTarget,
    name: &str,
    workflow_id: &str,
    deadline: Instant,
    timeout: Duration,
    what: &str,
) -> Result<Taken, String> {
    let mut waiter = Waiter::until(deadline, *c.timing());
    let mut backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(15));
    let seen = wait::poll(
        &mut waiter,
        |_| backoff.next_delay(),
        |last: &String, _| workflow::info(format!("Backup: {last}, waiting")),
        || async {
            match volumes::workflow_status(c, workflow_id).await {
                Ok(r) => match r.status {
                    WorkflowState::Complete => wait::Step::Done(Ok(Followed::Complete)),
                    WorkflowState::Error => wait::Step::Done(Err(format!(
                        "failed: Railway reported `{}`",
                        r.error.as_deref().unwrap_or("Error (no detail)")
                    ))),
                    // A workflow Railway no longer knows may have finished: the list says.
                    WorkflowState::NotFound if listed(c, target, name).await => {
                        wait::Step::Done(Ok(Followed::Complete))
                    }
                    // Running, or not known yet: look again until the deadline.
                    other => wait::Step::Pending(format!("Railway reports {other:?}")),
                },
                // A refusal is permanent (railwayapp/cli fc0331d1): the list is read instead.
                Err(e) if e.is_input_problem() => {
                    wait::Step::Done(Ok(Followed::StatusRefused(e.to_string())))
                }
                // The client retried already; a read that still fails is looked at again.
                Err(e) => wait::Step::Pending(format!("Railway's status could not be read ({e})")),
            }
        },
    )
    .await;
    match seen {
        Waited::Done(Ok(Followed::Complete)) => Ok(Taken { id: None }),
        Waited::Done(Ok(Followed::StatusRefused(why))) => {
            workflow::warning(format!(
                "Railway would not show this token the backup's progress ({why}); retrying cannot change that, so the volume's backups are read instead"
            ));
            let cause = "Railway would not show its progress and";
            read_back(c, target, name, deadline, timeout, what, cause).await
        }
        Waited::Done(Err(why)) => Err(format!("{what} {why}; {UNTOUCHED}")),
        Waited::StillRunning(last) => Err(format!(
            "{what} did not complete within `backup-timeout` ({}; {last}); {UNTOUCHED}",
            crate::text::duration(timeout)
        )),
    }
}

/// How following the workflow ended well.
enum Followed {
    /// Railway reported the workflow `Complete`.
    Complete,
    /// Railway refused the status read (the error, for the warning).
    StatusRefused(String),
}

/// Whether a backup named `name` is among the volume's backups (a failed read: not known, no).
async fn listed(c: &RailwayClient, target: &BackupTarget, name: &str) -> bool {
    volumes::backups(c, &target.volume.id)
        .await
        .is_ok_and(|list| list.iter().any(|b| b.name.as_deref() == Some(name)))
}

/// Reads the volume's backups until one named `name` is listed (taken, with a warning that
/// Railway did not confirm its completion: the list has no status) or the deadline.
async fn read_back(
    c: &RailwayClient,
    target: &BackupTarget,
    name: &str,
    deadline: Instant,
    timeout: Duration,
    what: &str,
    cause: &str,
) -> Result<Taken, String> {
    let mut waiter = Waiter::until(deadline, *c.timing());
    let mut backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(15));
    let seen = wait::poll(
        &mut waiter,
        |_| backoff.next_delay(),
        |_: &(), _| {
            workflow::info(format!(
                "Backup: looking for `{name}` among the volume's backups"
            ))
        },
        || async {
            match volumes::backups(c, &target.volume.id).await {
                Ok(list) => match list.iter().find(|b| b.name.as_deref() == Some(name)) {
                    Some(b) => wait::Step::Done(b.id.clone()),
                    None => wait::Step::Pending(()),
                },
                Err(_) => wait::Step::Pending(()),
            }
        },
    )
    .await;
    let timeout = crate::text::duration(timeout);
    match seen {
        Waited::Done(id) => {
            workflow::warning(format!(
                "Backup `{name}` ({id}) is listed among the volume's backups; Railway's list gives no completion status, so its completion is not confirmed: check it in Railway before relying on it"
            ));
            Ok(Taken { id: Some(id) })
        }
        Waited::StillRunning(()) => Err(format!(
            "{what} was not confirmed: {cause} no backup named `{name}` appeared in the volume's backups within `backup-timeout` ({timeout}); {UNTOUCHED}"
        )),
    }
}
