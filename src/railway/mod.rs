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
pub mod sub_trace;
pub mod subscription;
pub mod upload;
pub mod variables;
pub mod volumes;

pub use client::{RailwayClient, RailwayError};

/// The Railway dashboard's page of a service in an environment: `tab` is empty for its
/// deployments, else `/backups`, `/settings` …. Every dashboard link is built here.
fn service_page(project_id: &str, service_id: &str, tab: &str, environment_id: &str) -> String {
    format!(
        "https://railway.com/project/{project_id}/service/{service_id}{tab}?environmentId={environment_id}"
    )
}

/// The Railway dashboard page of a deployment.
pub fn dashboard_url(
    project_id: &str,
    service_id: &str,
    environment_id: &str,
    deployment_id: &str,
) -> String {
    let page = service_page(project_id, service_id, "", environment_id);
    format!("{page}&id={deployment_id}")
}

/// The Railway dashboard page of a service's Backups tab (where a volume's backups are listed
/// and restored): the deployment's page, on its Backups tab.
pub fn backups_url(project_id: &str, service_id: &str, environment_id: &str) -> String {
    service_page(project_id, service_id, "/backups", environment_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashboard_links_share_one_shape() {
        assert_eq!(
            dashboard_url("p1", "s1", "e1", "d1"),
            "https://railway.com/project/p1/service/s1?environmentId=e1&id=d1"
        );
        assert_eq!(
            backups_url("p1", "s1", "e1"),
            "https://railway.com/project/p1/service/s1/backups?environmentId=e1"
        );
    }
}
