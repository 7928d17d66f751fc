//! The one integration-test binary: every integration test is a module here, so the crate is
//! linked into one test executable instead of one per file. Each module is one former
//! `tests/<name>.rs`; what they share lives once in `support/`. Snapshots are in `snapshots/`
//! (named `all__<module>__<name>.snap`), test data in `tests/data/`.
//!
//! Tests that need something this machine may lack (MariaDB, PostgreSQL's binaries, the reference
//! payloads in `../shared`) are compiled `#[ignore = "needs …"]` where `build.rs` did not find it.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests: a failed unwrap is a failed test, and tests set up their own environment"
)]

mod support;

mod cli_deploy;
mod cli_github;
mod cli_messages;
mod cli_migrate;
mod cli_rollback;
mod cli_upload;
mod events;
mod fidelity_backup;
mod fidelity_logs;
mod fidelity_metrics;
mod fidelity_pages;
mod fidelity_preview;
mod fidelity_trace;
mod fidelity_trace_github;
mod fidelity_trace_ws;
mod fidelity_upload;
mod gate_checks;
mod health_probe;
mod health_rollback;
mod input_errors;
mod layers;
mod migrate_sql;
mod migsafe_at_commit;
mod migsafe_cli;
mod migsafe_reading;
mod migsafe_rules;
mod order_changed;
mod order_history;
mod order_in_flight;
mod order_railway;
mod plan_snapshots;
mod plan_steps;
mod preview;
mod preview_cancel;
mod preview_events;
mod preview_hostile;
mod preview_lost;
mod preview_remove;
mod preview_supporting;
mod protect_backup;
mod protect_backup_lookup;
mod protect_notify;
mod protect_notify_limits;
mod readme_examples;
mod release_workflow;
mod report_cancel;
mod report_cli_cancel;
mod report_cli_lost_create;
mod report_cli_promote;
mod report_comments;
mod report_deployments;
mod report_github_run;
mod report_guard;
mod report_keyed;
mod report_promote;
mod report_settle;
mod report_snapshots;
mod robust_cancel;
mod robust_lost;
mod robust_net;
mod setup_check;
mod summary_timeline;
mod upload_archive;
mod upload_budget;
mod upload_follow;
mod upload_send;
mod upload_subscriptions;
mod watch_live;
mod watch_report;
