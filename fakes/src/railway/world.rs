//! The fake Railway's world: one project with environments, services, service instances and
//! deployments, plus the tokens that may see it and scripted behaviour (status sequences a new
//! deployment goes through, 429s to answer).

use std::collections::{HashMap, VecDeque};

use serde_json::{Value, json};

#[derive(Clone, Debug)]
pub struct Instance {
    pub healthcheck_path: Option<String>,
    pub pre_deploy_command: Value,
    pub image: Option<String>,
    pub repo: Option<String>,
    pub custom_domains: Vec<String>,
    pub service_domains: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct FakeDeployment {
    pub id: String,
    pub service_id: String,
    pub environment_id: String,
    pub status: String,
    /// Statuses still to come: each read of the deployment moves one step.
    pub script: VecDeque<String>,
    pub can_rollback: bool,
    pub meta: Value,
    pub static_url: Option<String>,
    /// Creation order; higher is newer.
    pub seq: u64,
}

#[derive(Clone, Debug)]
pub struct RailwayWorld {
    pub project_id: String,
    pub project_name: String,
    pub environments: Vec<(String, String)>,
    pub services: Vec<(String, String)>,
    /// Project token → (project id, environment id).
    pub project_tokens: HashMap<String, (String, String)>,
    pub account_tokens: Vec<String>,
    /// (service id, environment id) → instance.
    pub instances: HashMap<(String, String), Instance>,
    pub deployments: Vec<FakeDeployment>,
    /// Service id → statuses a new deployment of it goes through (the last one stays).
    pub scripts: HashMap<String, Vec<String>>,
    /// Answer this many of the next requests with HTTP 429 and `Retry-After: 0`.
    pub rate_limit_next: u32,
    pub next_seq: u64,
}

pub const STANDARD_SCRIPT: &[&str] = &["QUEUED", "BUILDING", "DEPLOYING", "SUCCESS"];

impl RailwayWorld {
    /// Project `shop` (`proj-1`) with `production` (`env-prod`) and `staging` (`env-stg`), services
    /// `web` (`svc-web`) and `worker` (`svc-worker`), each serving a SUCCESS deployment
    /// (`dep-old-web`, `dep-old-worker` in each environment, with `-prod` / `-stg` suffixes).
    /// Tokens: `tok-staging` and `tok-production` (project tokens), `acct-token` (account).
    pub fn standard() -> Self {
        let mut w = RailwayWorld {
            project_id: "proj-1".into(),
            project_name: "shop".into(),
            environments: vec![
                ("env-prod".into(), "production".into()),
                ("env-stg".into(), "staging".into()),
            ],
            services: vec![
                ("svc-web".into(), "web".into()),
                ("svc-worker".into(), "worker".into()),
            ],
            project_tokens: HashMap::from([
                (
                    "tok-staging".to_string(),
                    ("proj-1".to_string(), "env-stg".to_string()),
                ),
                (
                    "tok-production".to_string(),
                    ("proj-1".to_string(), "env-prod".to_string()),
                ),
            ]),
            account_tokens: vec!["acct-token".into()],
            instances: HashMap::new(),
            deployments: Vec::new(),
            scripts: HashMap::new(),
            rate_limit_next: 0,
            next_seq: 1,
        };
        for (env_id, env_suffix) in [("env-prod", "prod"), ("env-stg", "stg")] {
            for (svc_id, svc) in [("svc-web", "web"), ("svc-worker", "worker")] {
                w.instances.insert(
                    (svc_id.into(), env_id.into()),
                    Instance {
                        healthcheck_path: None,
                        pre_deploy_command: Value::Null,
                        image: None,
                        repo: Some("acme/shop".into()),
                        custom_domains: vec![],
                        service_domains: vec![format!("{svc}-{env_suffix}.up.railway.app")],
                    },
                );
                let id = format!("dep-old-{svc}-{env_suffix}");
                w.add_deployment(&id, svc_id, env_id, "SUCCESS");
            }
        }
        w
    }

    pub fn add_deployment(
        &mut self,
        id: &str,
        service_id: &str,
        environment_id: &str,
        status: &str,
    ) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.deployments.push(FakeDeployment {
            id: id.into(),
            service_id: service_id.into(),
            environment_id: environment_id.into(),
            status: status.into(),
            script: VecDeque::new(),
            can_rollback: true,
            meta: json!({}),
            static_url: None,
            seq,
        });
    }

    /// Makes new deployments of `service_id` go through `statuses`.
    pub fn script(&mut self, service_id: &str, statuses: &[&str]) {
        self.scripts.insert(
            service_id.into(),
            statuses.iter().map(|s| s.to_string()).collect(),
        );
    }

    pub fn deployment(&self, id: &str) -> Option<&FakeDeployment> {
        self.deployments.iter().find(|d| d.id == id)
    }

    pub fn deployment_mut(&mut self, id: &str) -> Option<&mut FakeDeployment> {
        self.deployments.iter_mut().find(|d| d.id == id)
    }

    /// Creates a deployment that follows the service's script; returns its id.
    pub fn start_deployment(
        &mut self,
        service_id: &str,
        environment_id: &str,
        meta: Value,
    ) -> String {
        let seq = self.next_seq;
        self.next_seq += 1;
        let id = format!("dep-new-{seq}");
        let script: VecDeque<String> = self
            .scripts
            .get(service_id)
            .cloned()
            .unwrap_or_else(|| STANDARD_SCRIPT.iter().map(|s| s.to_string()).collect())
            .into();
        let env_name = self
            .environments
            .iter()
            .find(|(i, _)| i == environment_id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default();
        self.deployments.push(FakeDeployment {
            id: id.clone(),
            service_id: service_id.into(),
            environment_id: environment_id.into(),
            status: "INITIALIZING".into(),
            script,
            can_rollback: true,
            meta,
            static_url: Some(format!("{service_id}-{env_name}-{seq}.up.railway.app")),
            seq,
        });
        id
    }

    pub fn deployment_json(d: &FakeDeployment) -> Value {
        json!({
            "id": d.id,
            "status": d.status,
            "createdAt": format!("2026-11-22T08:{:02}:00.000Z", d.seq % 60),
            "serviceId": d.service_id,
            "environmentId": d.environment_id,
            "staticUrl": d.static_url,
            "url": d.static_url.as_ref().map(|u| format!("https://{u}")),
            "canRollback": d.can_rollback,
            "meta": d.meta,
        })
    }
}
