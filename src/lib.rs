//! railway-deploy: takes a commit from "tests passed" to "healthy on Railway" and says so on GitHub.
//!
//! Every command (deploy, promote, rollback, preview, preview-cleanup, check) reads the environment once
//! (`config`), resolves what is there, builds the run as a plan of typed steps, then executes
//! them (or render them, on a dry run): gate → backup → migrate → deploy →
//! follow → health → watch → rollback → report. Every stage records what it did in the run record
//! (`record`), which the reporters only read.
//!
//! The crate's map, in layers, top first. A module uses its own layer and the layers below it,
//! never one above, and no two modules use each other: `tests/all/layers.rs` holds this order
//! (written once, there) and fails on an upward import or a cycle.
//!
//! - `main.rs`, with `cancel` (signals, and settling the run however it ends) and `exit` (the
//!   only mapping from an ending to the exit code).
//! - `pipeline`: resolve (reads) → `plan` (a pure function) → `execute`, or `dry_run`; the
//!   preview commands' orders; `check_plan`, `command: check`'s reads made once and its steps.
//! - `stages`: one step of a run each, driven by a typed request the plan built (deploy, health,
//!   watch, rollback, migrate, backup, promote, release guard, previews, the order checks), the
//!   run's `context` and `guard` (what a run must finish however it ends); `setup_check`, the
//!   checks of `command: check` (reads only).
//! - Telling people: `report` (outputs, job summary, PR comment, GitHub Deployments, all
//!   rendered from the record) and `notify` (the `notify-webhook` message, in `report`'s words).
//! - Domain, what one stage does on the outside systems: `gate` (waits for the commit's other
//!   checks), `backup` (the database volume's backup before migrating), `migrate` (SQL
//!   migrations and the pre-deploy command), `deploy` (start, follow, logs, the deployments the
//!   run started), `health` (the probe and the rollback to the previous deployment), `watch`
//!   (the watch after going live: pure rules in `judge`, rounds in `run`).
//! - Clients of the outside systems, each owning its timing, retries and pagination: `railway`
//!   (every Railway byte: GraphQL operations under `src/railway/ops/`, the websocket, the upload
//!   transport, the typed statuses) and `github` (REST).
//! - What a run reads and keeps: `context` (the `GITHUB_*` variables, the event, the trigger),
//!   `config` (every input, checked before anything runs), `record` (the run record) and
//!   `upload` (the source archive the Railway client sends).
//! - Utilities: `text` (wording every layer shares: durations, rates, short SHAs, truncation,
//!   credential scrubbing), `secret`, `timing`, `retry` (the one retry policy), `wait` (the one
//!   deadline-and-backoff loop), `trace` (`RAILWAY_DEPLOY_TRACE`: one line per exchange, shapes only)
//!   and `workflow` (the one printer).

pub mod backup;
pub mod cancel;
pub mod config;
pub mod context;
pub mod deploy;
pub mod exit;
pub mod gate;
pub mod github;
pub mod health;
pub mod migrate;
pub mod notify;
pub mod pipeline;
pub mod railway;
pub mod record;
pub mod report;
pub mod retry;
pub mod secret;
pub mod setup_check;
pub mod stages;
pub mod text;
pub mod timing;
pub mod trace;
pub mod upload;
pub mod wait;
pub mod watch;
pub mod workflow;
