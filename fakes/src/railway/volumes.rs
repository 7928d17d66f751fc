//! The fake Railway's volumes and their backups: volume instances mounted on services
//! (`EnvironmentVolumes`), manual backups (`VolumeInstanceBackupCreate`) taken by workflows that
//! run for a number of reads and then complete, fail or never end (`WorkflowStatus`), the
//! backups list (`VolumeInstanceBackupList`: a backup is listed from its start and leaves the
//! list when it fails; its `usedMB` is not documented as a completion signal, so the fake gives a
//! size from the start, as a cached size would be), the volume's `VolumeState`, a token Railway
//! will not show the volumes to, a `workflowStatus` Railway refuses to this token
//! (`RailwayWorld::workflow_status_refused`), and Railway's documented limit: a manual backup may
//! use at most half of the volume's size.

use serde_json::{Value, json};

use super::world::RailwayWorld;

/// What a backup of a volume does once started.
#[derive(Clone, Debug, PartialEq)]
pub enum BackupBehaviour {
    /// `Running` for this many status reads, then `Complete` (and listed).
    Complete { running_reads: u32 },
    /// `Running` for this many reads, then `Error` with Railway's message.
    Fail { running_reads: u32, error: String },
    /// `Running` forever.
    Stall,
    /// Completes (listed) after this many reads, but the workflow is then `NotFound`.
    Forgotten { running_reads: u32 },
}

#[derive(Clone, Debug)]
pub struct FakeVolume {
    /// The volume instance's id.
    pub instance_id: String,
    pub volume_id: String,
    pub name: String,
    pub service_id: String,
    pub environment_id: String,
    pub size_mb: i64,
    pub current_size_mb: f64,
    pub behaviour: BackupBehaviour,
    /// Railway's `VolumeState` (`READY` unless a test says otherwise).
    pub state: String,
    /// Listed backups (`VolumeInstanceBackup` nodes).
    pub backups: Vec<Value>,
}

/// A backup being taken.
#[derive(Clone, Debug)]
pub struct FakeWorkflow {
    pub id: String,
    pub instance_id: String,
    pub backup_name: Option<String>,
    pub reads: u32,
    pub done: bool,
}

/// The message the fake answers for a backup over the half-size limit (Railway's own wording
/// is not documented; the documented rule is the limit).
pub const HALF_SIZE_REFUSAL: &str =
    "Manual backups are limited to 50% of the volume's size; grow the volume to back it up";

impl RailwayWorld {
    /// Mounts a volume `name` (instance `si-vol-{name}`) on the service in the environment:
    /// `current_mb` used of `size_mb`; its backups complete after two running reads.
    pub fn add_volume(
        &mut self,
        service_id: &str,
        environment_id: &str,
        name: &str,
        current_mb: f64,
        size_mb: i64,
    ) -> String {
        let instance_id = format!("vi-{name}-{environment_id}");
        self.volumes.push(FakeVolume {
            instance_id: instance_id.clone(),
            volume_id: format!("vol-{name}"),
            name: name.into(),
            service_id: service_id.into(),
            environment_id: environment_id.into(),
            size_mb,
            current_size_mb: current_mb,
            behaviour: BackupBehaviour::Complete { running_reads: 2 },
            state: "READY".into(),
            backups: Vec::new(),
        });
        instance_id
    }

    /// Sets what new backups of volume instance `instance_id` do.
    pub fn script_backup(&mut self, instance_id: &str, behaviour: BackupBehaviour) {
        if let Some(v) = self
            .volumes
            .iter_mut()
            .find(|v| v.instance_id == instance_id)
        {
            v.behaviour = behaviour;
        }
    }

    fn volume_mut(&mut self, instance_id: &str) -> Option<&mut FakeVolume> {
        self.volumes
            .iter_mut()
            .find(|v| v.instance_id == instance_id)
    }

    /// One status read of a workflow: moves it on; answers `(status, error)`.
    fn step_workflow(&mut self, id: &str) -> Option<(&'static str, Option<String>)> {
        let w = self.workflows.iter_mut().find(|w| w.id == id)?;
        w.reads += 1;
        let (reads, instance, name, was_done) = (
            w.reads,
            w.instance_id.clone(),
            w.backup_name.clone(),
            w.done,
        );
        let v = self
            .volumes
            .iter_mut()
            .find(|v| v.instance_id == instance)?;
        let behaviour = v.behaviour.clone();
        let answer = match &behaviour {
            BackupBehaviour::Complete { running_reads }
            | BackupBehaviour::Forgotten { running_reads }
                if reads > *running_reads =>
            {
                let forgotten = matches!(behaviour, BackupBehaviour::Forgotten { .. });
                if !was_done {
                    let used = v.current_size_mb as i64;
                    if let Some(b) = listed_mut(v, name.as_deref()) {
                        b["usedMB"] = json!(used);
                    }
                }
                (if forgotten { "NotFound" } else { "Complete" }, None)
            }
            BackupBehaviour::Fail {
                running_reads,
                error,
            } if reads > *running_reads => {
                let error = error.clone();
                // A failed backup leaves the list.
                if !was_done {
                    v.backups.retain(|b| b["name"].as_str() != name.as_deref());
                }
                ("Error", Some(error))
            }
            _ => ("Running", None),
        };
        if answer.0 != "Running" {
            self.next_seq += 1;
            if let Some(w) = self.workflows.iter_mut().find(|w| w.id == id) {
                w.done = true;
            }
        }
        Some(answer)
    }
}

/// The listed backup named `name` (`None`: unnamed, or not listed).
fn listed_mut<'a>(v: &'a mut FakeVolume, name: Option<&str>) -> Option<&'a mut Value> {
    let name = name?;
    v.backups
        .iter_mut()
        .find(|b| b["name"].as_str() == Some(name))
}

fn errors(message: &str) -> Value {
    json!({ "data": null, "errors": [{ "message": message, "locations": [], "path": [] }] })
}

/// Answers the volume operations; `None` for any other operation.
pub(crate) fn answer(world: &mut RailwayWorld, op: &str, vars: &Value) -> Option<Value> {
    let v = |k: &str| {
        vars.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Some(match op {
        "EnvironmentVolumes" => {
            if let Some(message) = &world.volumes_refused {
                return Some(errors(message));
            }
            let env = v("id");
            if !world.environments.iter().any(|(id, _)| *id == env) {
                return Some(errors("Environment not found"));
            }
            let edges: Vec<Value> = world
                .volumes
                .iter()
                .filter(|vol| vol.environment_id == env)
                .map(|vol| {
                    json!({ "node": {
                    "id": vol.instance_id, "serviceId": vol.service_id,
                    "mountPath": "/var/lib/postgresql/data",
                    "currentSizeMB": vol.current_size_mb, "sizeMB": vol.size_mb, "state": vol.state,
                    "volume": { "id": vol.volume_id, "name": vol.name },
                } })
                })
                .collect();
            json!({ "data": { "environment": { "volumeInstances": { "edges": edges } } } })
        }
        "VolumeInstanceBackupCreate" => {
            let instance = v("volumeInstanceId");
            let seq = world.next_seq;
            let Some(vol) = world.volume_mut(&instance) else {
                return Some(errors("Volume instance not found"));
            };
            if vol.current_size_mb > vol.size_mb as f64 / 2.0 {
                return Some(errors(HALF_SIZE_REFUSAL));
            }
            // Listed from the start, already with a size (sizes are not a completion signal).
            vol.backups.push(json!({
                "id": format!("bak-{seq}"), "name": vars.get("name"),
                "createdAt": super::faults::now_rfc3339(), "usedMB": 1,
            }));
            world.next_seq += 1;
            let id = format!("wf-backup-{seq}");
            world.workflows.push(FakeWorkflow {
                id: id.clone(),
                instance_id: instance,
                backup_name: vars.get("name").and_then(Value::as_str).map(str::to_string),
                reads: 0,
                done: false,
            });
            json!({ "data": { "volumeInstanceBackupCreate": { "workflowId": id } } })
        }
        "WorkflowStatus" if world.workflow_status_refused => errors("Not Authorized"),
        "WorkflowStatus" => match world.step_workflow(&v("workflowId")) {
            Some((status, error)) => {
                json!({ "data": { "workflowStatus": { "status": status, "error": error } } })
            }
            None => {
                json!({ "data": { "workflowStatus": { "status": "NotFound", "error": null } } })
            }
        },
        "VolumeInstanceBackupList" => {
            if let Some(message) = &world.backups_refused {
                return Some(errors(message));
            }
            let instance = v("volumeInstanceId");
            // Reading the list moves the volume's backups on too (as time would).
            let running: Vec<String> = world
                .workflows
                .iter()
                .filter(|w| w.instance_id == instance && !w.done)
                .map(|w| w.id.clone())
                .collect();
            for id in running {
                world.step_workflow(&id);
            }
            match world.volume_mut(&instance) {
                None => errors("Volume instance not found"),
                Some(vol) => json!({ "data": { "volumeInstanceBackupList": vol.backups } }),
            }
        }
        _ => return None,
    })
}
