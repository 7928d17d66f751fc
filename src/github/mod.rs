//! Owns every call to GitHub's REST API (octocrab, plus raw requests where its typed API falls
//! short). Submodules: the client itself, and one module per feature that reads or writes GitHub.

pub mod client;
pub mod rate_limit;
pub mod request;

pub use client::GitHub;
pub mod comments;
pub mod compare;
pub mod deployments;
pub mod keyed;
pub mod previews;
