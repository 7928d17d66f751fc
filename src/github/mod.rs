//! Owns every call to GitHub's REST API through one client ([`GitHub`], shaped like
//! `crate::railway`'s): it holds the run's timing and retry policy, sends every request
//! (`request`) and reads every list by page number (`pages`). Callers use its methods and never
//! build a route. Submodules: the client, the transport, pagination, rate limits, and one module
//! per feature that reads or writes GitHub. A client of an outside system: it imports no stage,
//! pipeline or report code.

pub mod client;
pub mod pages;
pub mod rate_limit;
pub mod request;
mod traced;

pub use client::GitHub;
pub mod checks;
pub mod comments;
pub mod compare;
pub mod deployment_list;
pub mod deployments;
pub mod git_data;
pub mod keyed;
pub mod previews;
pub mod unanswered;
