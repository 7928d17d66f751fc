//! Owns every Railway byte: the GraphQL client, its operations (one `.graphql` file each, under
//! `ops/`), typed calls, the websocket subscriptions, the upload transport (`upload`), the
//! deployment status type (`status`) and the resolution of project, environment and services.

pub mod api;
pub mod auth;
pub mod cancel;
pub mod client;
pub mod environments;
pub mod events;
pub mod observe;
pub mod ops;
pub mod resolve;
pub mod rollback;
pub mod socket;
pub mod status;
pub mod subscription;
pub mod upload;
pub mod variables;
pub mod volumes;

pub use client::{RailwayClient, RailwayError};

/// The Railway dashboard page of a deployment.
pub fn dashboard_url(
    project_id: &str,
    service_id: &str,
    environment_id: &str,
    deployment_id: &str,
) -> String {
    format!(
        "https://railway.com/project/{project_id}/service/{service_id}?environmentId={environment_id}&id={deployment_id}"
    )
}

/// The Railway dashboard page of a service's Backups tab (where a volume's backups are listed
/// and restored).
pub fn backups_url(project_id: &str, service_id: &str, environment_id: &str) -> String {
    format!(
        "https://railway.com/project/{project_id}/service/{service_id}/backups?environmentId={environment_id}"
    )
}
