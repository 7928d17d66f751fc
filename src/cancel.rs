//! Owns what happens when the job is cancelled: the runner sends SIGINT, then SIGTERM about 7.5 s
//! later, then SIGKILL 2.5 s after that. [`until_signal`] races the pipeline against SIGTERM and
//! SIGINT; on a signal, [`CancelGuard::on_cancel`] first cancels on Railway the deployments the
//! run started that are not live yet (all at once, within [`RAILWAY_CANCEL_BUDGET`]; the
//! registry is `crate::deploy::started`, filled by the deploy stage), then writes the
//! Deployment's final `error` status and the "cancelled" comment within [`FINAL_WRITES_BUDGET`],
//! so a cancelled run never leaves a build running, a Deployment `in_progress` or a comment
//! saying "deploying".
//!
//! The guard itself (what to finish) is `crate::stages::guard`, re-exported here; this module
//! is the signal handling beside `main`.
//!
//! Wiring: the report step (`crate::stages::publish`) calls `guard.arm(publisher)` once it has
//! published the start, and the executor (`crate::pipeline::execute::run_steps`) calls
//! `guard.update(&report)` after every step; main runs the pipeline through [`run_to_end`], so
//! every ending, including an early `return`, an internal error, a signal or a panic of the
//! action itself, writes exactly one final status and comment.
//!
//! Decision (a crash of the action): the release profile unwinds (`panic = "unwind"` in
//! Cargo.toml; `abort` would skip every final write). [`run_to_end`] catches the pipeline's
//! panic, turns it into `Ending::Broken`, and settles the Deployment (`error`) and the comment
//! ("failed") like any other broken run. A panic outside the pipeline future (none is expected)
//! still prints through main's panic hook and exits non-zero.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;

use crate::record::Ending;
pub use crate::record::Signal;
pub use crate::stages::guard::{CancelGuard, FINAL_WRITES_BUDGET, RAILWAY_CANCEL_BUDGET};
use crate::workflow;

/// How long the final writes of a finished (or crashed) run may take in all: a stalled GitHub
/// must not keep a finished run alive (each request is bounded too, see `github::request`).
/// With `crate::stages::publish::START_BUDGET`, a GitHub that stalls everywhere adds under a
/// minute to the run's own deadlines (the contract's promise).
pub const SETTLE_BUDGET: Duration = Duration::from_secs(30);

/// Runs the pipeline future `fut` to its [`Ending`], whatever happens, and settles what it
/// published: its own ending; `Broken` when it panicked; the cancelled status and comment on
/// SIGTERM/SIGINT.
pub async fn run_to_end<F>(guard: &CancelGuard, fut: F) -> Ending
where
    F: Future<Output = Ending>,
{
    let ending = match until_signal(AssertUnwindSafe(fut).catch_unwind()).await {
        Ok(Ok(ending)) => ending,
        Ok(Err(payload)) => Ending::Broken(format!(
            "internal error (a bug in railway-deploy, please report it): {}",
            panic_message(payload.as_ref())
        )),
        Err(sig) => {
            guard.on_cancel(sig).await;
            return Ending::Broken(format!("cancelled by {}", sig.as_str()));
        }
    };
    if tokio::time::timeout(SETTLE_BUDGET, guard.settle(&ending))
        .await
        .is_err()
    {
        workflow::warning(
            "GitHub did not take the final status and comment in time; the Deployment may still show in progress",
        );
    }
    ending
}

/// The text a panic was raised with.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// Runs `fut` to completion unless SIGTERM or SIGINT arrives first (then `fut` is dropped).
/// When the handlers cannot be installed, `fut` simply runs.
pub async fn until_signal<F: Future>(fut: F) -> Result<F::Output, Signal> {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        workflow::warning(
            "could not listen for cancellation signals; a cancelled job may leave the GitHub \
             Deployment in progress",
        );
        return Ok(fut.await);
    };
    tokio::select! {
        out = fut => Ok(out),
        _ = term.recv() => Err(Signal::Terminate),
        _ = int.recv() => Err(Signal::Interrupt),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_release_profile_unwinds_so_a_panic_still_settles() {
        let manifest = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"));
        let release = manifest
            .split("[profile.release]")
            .nth(1)
            .and_then(|rest| rest.split("\n[").next())
            .unwrap_or_default();
        assert!(release.contains("panic = \"unwind\""), "{release}");
    }

    #[test]
    fn panic_messages_are_read_from_both_payload_kinds() {
        let a: Box<dyn std::any::Any + Send> = Box::new("static");
        let b: Box<dyn std::any::Any + Send> = Box::new(String::from("owned"));
        let c: Box<dyn std::any::Any + Send> = Box::new(7_u8);
        assert_eq!(panic_message(a.as_ref()), "static");
        assert_eq!(panic_message(b.as_ref()), "owned");
        assert_eq!(panic_message(c.as_ref()), "a panic without a message");
    }
}
