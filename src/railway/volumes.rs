//! Typed calls for Railway volumes and their backups: the volume instances of an environment,
//! starting a manual backup, listing a volume's backups, and the status of the workflow that
//! takes a backup.

use serde::Deserialize;
use serde_json::json;

use super::api::Edges;
use super::ops::{ENVIRONMENT_VOLUMES, VOLUME_BACKUP_CREATE, VOLUME_BACKUPS, WORKFLOW_STATUS};
use super::{RailwayClient, RailwayError};

/// A volume mounted in one environment (`VolumeInstance`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VolumeInstance {
    pub id: String,
    /// The service it is mounted on (`None`: not attached).
    pub service_id: Option<String>,
    pub mount_path: String,
    /// How much of it is used, in MB.
    #[serde(rename = "currentSizeMB")]
    pub current_size_mb: f64,
    /// Its capacity, in MB.
    #[serde(rename = "sizeMB")]
    pub size_mb: i64,
    /// Railway's `VolumeState` (`READY`, `MIGRATING` ...), kept as text.
    pub state: Option<String>,
    pub volume: VolumeName,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct VolumeName {
    pub id: String,
    pub name: String,
}

/// One backup of a volume instance (`VolumeInstanceBackup`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VolumeBackup {
    pub id: String,
    pub name: Option<String>,
    pub created_at: String,
}

/// Railway's `WorkflowStatus`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub enum WorkflowState {
    Running,
    Complete,
    Error,
    NotFound,
    /// A value this version does not know.
    #[serde(other)]
    Unknown,
}

/// Railway's `WorkflowResult`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct WorkflowResult {
    pub status: WorkflowState,
    pub error: Option<String>,
}

/// The volume instances of environment `environment_id`.
pub async fn environment_volumes(
    c: &RailwayClient,
    environment_id: &str,
) -> Result<Vec<VolumeInstance>, RailwayError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Environment {
        volume_instances: Edges<VolumeInstance>,
    }
    #[derive(Deserialize)]
    struct Data {
        environment: Environment,
    }
    let d: Data = c
        .execute(&ENVIRONMENT_VOLUMES, &json!({ "id": environment_id }))
        .await?;
    d.environment
        .volume_instances
        .whole_page(ENVIRONMENT_VOLUMES.name, "volume instances")
}

/// Starts a manual backup named `name`; answers the workflow id Railway gave (`None`: Railway
/// gave none).
pub async fn create_backup(
    c: &RailwayClient,
    volume_instance_id: &str,
    name: &str,
) -> Result<Option<String>, RailwayError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct WorkflowId {
        workflow_id: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        volume_instance_backup_create: WorkflowId,
    }
    let vars = json!({ "volumeInstanceId": volume_instance_id, "name": name });
    let d: Data = c.execute(&VOLUME_BACKUP_CREATE, &vars).await?;
    Ok(d.volume_instance_backup_create.workflow_id)
}

/// The backups of a volume instance.
pub async fn backups(
    c: &RailwayClient,
    volume_instance_id: &str,
) -> Result<Vec<VolumeBackup>, RailwayError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        volume_instance_backup_list: Vec<VolumeBackup>,
    }
    let vars = json!({ "volumeInstanceId": volume_instance_id });
    let d: Data = c.execute(&VOLUME_BACKUPS, &vars).await?;
    Ok(d.volume_instance_backup_list)
}

/// Where workflow `workflow_id` is.
pub async fn workflow_status(
    c: &RailwayClient,
    workflow_id: &str,
) -> Result<WorkflowResult, RailwayError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        workflow_status: WorkflowResult,
    }
    let vars = json!({ "workflowId": workflow_id });
    let d: Data = c.execute(&WORKFLOW_STATUS, &vars).await?;
    Ok(d.workflow_status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_instances_and_workflow_results_read_as_railway_sends_them() {
        let v: VolumeInstance = serde_json::from_value(json!({
            "id": "vi-1", "serviceId": "svc-pg", "mountPath": "/var/lib/postgresql/data",
            "currentSizeMB": 120.5, "sizeMB": 5000, "state": "READY",
            "volume": { "id": "vol-1", "name": "pg-data" }
        }))
        .unwrap();
        assert_eq!(v.volume.name, "pg-data");
        assert_eq!(v.size_mb, 5000);
        let w: WorkflowResult =
            serde_json::from_value(json!({ "status": "Complete", "error": null })).unwrap();
        assert_eq!(w.status, WorkflowState::Complete);
        let odd: WorkflowResult =
            serde_json::from_value(json!({ "status": "Paused", "error": null })).unwrap();
        assert_eq!(odd.status, WorkflowState::Unknown);
    }
}
