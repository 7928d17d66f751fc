//! The fake Railway's world: one project with environments, services, service instances and
//! deployments, plus the tokens that may see it and scripted behaviour (status sequences a new
//! deployment goes through, its build/deploy log lines and `deploymentEvents`, 429s to answer,
//! whether websockets work).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[derive(Clone, Debug)]
pub struct Instance {
    pub healthcheck_path: Option<String>,
    pub pre_deploy_command: Value,
    /// The custom start command (`startCommand`; `None`: the image's own).
    pub start_command: Option<String>,
    pub image: Option<String>,
    pub repo: Option<String>,
    /// The branch of `repo` the instance is connected to.
    pub branch: Option<String>,
    /// The commit "already associated with the service" that `serviceInstanceDeployV2` without
    /// `commitSha` deploys (Railway's docs); `None`: the branch's latest. What a copy made with
    /// `skipInitialDeploys` and never deployed is associated with is not public: the fake
    /// gives it [`STALE_COMMIT`] (adversarial), never the branch's latest.
    pub associated_commit: Option<String>,
    pub custom_domains: Vec<String>,
    pub service_domains: Vec<String>,
    pub root_directory: Option<String>,
    pub watch_patterns: Vec<String>,
}

/// The commit a copied, never-deployed repository instance is associated with: not the latest
/// of its branch.
pub const STALE_COMMIT: &str = "5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e";
/// The latest commit of `main` of `acme/shop` in the standard world.
pub const MAIN_HEAD: &str = "4eadc0de4eadc0de4eadc0de4eadc0de4eadc0de";

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
    /// Build log lines, replayed whole to every `buildLogs` subscription.
    pub build_logs: Vec<String>,
    /// Deploy (runtime) log lines, replayed whole to every `deploymentLogs` subscription.
    pub deploy_logs: Vec<String>,
    /// `deploymentEvents` nodes (`{id, step, createdAt, completedAt, payload}`).
    pub events: Vec<Value>,
    /// Log subscriptions opened for it (the websocket status waits for the first, briefly, so
    /// tests see the logs of a fast scripted deploy deterministically).
    pub log_watchers: u32,
    pub created: Instant,
    /// Script steps taken so far.
    pub steps: usize,
    /// Wall-clock `createdAt` (deployments this world starts); `None`: a fixed past time.
    pub created_at: Option<String>,
}

impl FakeDeployment {
    /// Moves one status on (the last status stays).
    pub fn step(&mut self) {
        if let Some(next) = self.script.pop_front() {
            self.status = next;
            self.steps += 1;
        }
    }

    pub fn is_final(&self) -> bool {
        self.script.is_empty()
            && matches!(
                self.status.as_str(),
                "SUCCESS" | "FAILED" | "CRASHED" | "REMOVED" | "SKIPPED"
            )
    }
}

/// What new deployments of a service log and report as their steps.
#[derive(Clone, Debug, Default)]
pub struct ServiceLogs {
    pub build: Vec<String>,
    pub deploy: Vec<String>,
    pub events: Vec<Value>,
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
    /// Service id → the logs and events of its new deployments.
    pub logs: HashMap<String, ServiceLogs>,
    /// `false`: websocket upgrades on `/graphql/v2` are refused (503), as behind a proxy that
    /// blocks them, so clients must fall back to polling.
    pub websockets: bool,
    /// How often the websocket `deployment(id)` subscription moves a deployment one status on.
    pub ws_step: Duration,
    /// `Some(d)`: statuses advance with time (one step every `d` since creation) instead of one
    /// step per read, so a long deploy costs pollers what it would cost against Railway.
    pub step_every: Option<Duration>,
    /// (service id, environment id) → rendered variables (`variables` query).
    pub variables: HashMap<(String, String), serde_json::Map<String, Value>>,
    /// Operation name (or `"upload"`) → how its next answer is lost after it was processed.
    pub lose_answer: HashMap<String, super::faults::LostAnswer>,
    /// (service id, environment id) → `deploymentTriggers` nodes (`{id, branch, checkSuites,
    /// repository}`); none by default.
    pub triggers: HashMap<(String, String), Vec<Value>>,
    /// Deployments Railway's own autodeploy makes by itself: (service id, environment id,
    /// commit, reads left), created (with the service's script) once the service's deployments
    /// have been listed that many more times: a delay that does not depend on the machine's speed.
    pub autodeploys: Vec<(String, String, String, u32)>,
    /// What the watch after going live reads: instances, HTTP metrics, the app's health.
    pub observe: super::observe::ObserveWorld,
    /// Ephemeral flags, volumes and scripted races of environments (previews).
    pub envs: super::environments::EnvironmentsWorld,
    /// Volumes mounted on services, with their backups (`super::volumes`); none by default.
    pub volumes: Vec<super::volumes::FakeVolume>,
    /// Backup workflows started.
    pub workflows: Vec<super::volumes::FakeWorkflow>,
    /// `Some(message)`: `EnvironmentVolumes` answers this GraphQL error (Railway's "Not
    /// Authorized" for a token that may not see the volumes).
    pub volumes_refused: Option<String>,
    /// `Some(message)`: `VolumeInstanceBackupList` answers this GraphQL error (a token that may
    /// see the volumes but not their backups).
    pub backups_refused: Option<String>,
    /// `true`: `WorkflowStatus` answers "Not Authorized" for backup workflows, as Railway does
    /// for workflow types that do not register the queries it authorizes against (railwayapp/cli
    /// commit fc0331d1); whether backup workflows are among them is not public.
    pub workflow_status_refused: bool,
    /// (repository, branch) → the branch's latest commit.
    pub branch_heads: HashMap<(String, String), String>,
    /// How many listings of a service's deployments pass before the deployment a
    /// `serviceInstanceDeploy(latestCommit: true)` of a repository started is listed (0: at
    /// once; its answer is only `true`, so when it appears is Railway's). Such a late deployment's
    /// `meta` names the commit but no branch.
    pub latest_deploy_reads: u32,
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
            logs: HashMap::new(),
            websockets: true,
            ws_step: Duration::from_millis(10),
            step_every: None,
            variables: HashMap::new(),
            lose_answer: HashMap::new(),
            triggers: HashMap::new(),
            autodeploys: Vec::new(),
            observe: Default::default(),
            envs: Default::default(),
            volumes: Vec::new(),
            workflows: Vec::new(),
            volumes_refused: None,
            backups_refused: None,
            workflow_status_refused: false,
            branch_heads: HashMap::from([(
                ("acme/shop".to_string(), "main".to_string()),
                MAIN_HEAD.to_string(),
            )]),
            latest_deploy_reads: 0,
        };
        // A created environment's instances are listed from the second read on (its copy
        // completes after it is listed; adversarial by default).
        w.envs.copy_reads = 1;
        for (env_id, env_suffix) in [("env-prod", "prod"), ("env-stg", "stg")] {
            for (svc_id, svc) in [("svc-web", "web"), ("svc-worker", "worker")] {
                w.instances.insert(
                    (svc_id.into(), env_id.into()),
                    Instance {
                        healthcheck_path: None,
                        pre_deploy_command: Value::Null,
                        start_command: None,
                        image: None,
                        repo: Some("acme/shop".into()),
                        branch: Some("main".into()),
                        associated_commit: None,
                        custom_domains: vec![],
                        service_domains: vec![format!("{svc}-{env_suffix}.up.railway.app")],
                        root_directory: None,
                        watch_patterns: vec![],
                    },
                );
                let id = format!("dep-old-{svc}-{env_suffix}");
                w.add_deployment(&id, svc_id, env_id, "SUCCESS");
            }
        }
        w
    }

    /// The latest commit of the branch `i` is connected to, when the world knows one.
    pub fn branch_head(&self, i: &Instance) -> Option<String> {
        let key = (i.repo.clone()?, i.branch.clone()?);
        self.branch_heads.get(&key).cloned()
    }

    /// Sets a variable of a service in an environment.
    pub fn set_variable(
        &mut self,
        service_id: &str,
        environment_id: &str,
        name: &str,
        value: &str,
    ) {
        self.variables
            .entry((service_id.into(), environment_id.into()))
            .or_default()
            .insert(name.into(), Value::String(value.into()));
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
            build_logs: Vec::new(),
            deploy_logs: Vec::new(),
            events: Vec::new(),
            log_watchers: 0,
            created: Instant::now(),
            steps: 0,
            created_at: None,
        });
    }

    /// A deployment someone else started, now `status`, that goes through `then` as it is read
    /// (one step per read), with Railway's `meta`.
    pub fn add_in_flight(
        &mut self,
        id: &str,
        service_id: &str,
        environment_id: &str,
        status: &str,
        then: &[&str],
        meta: Value,
    ) {
        self.add_deployment(id, service_id, environment_id, status);
        if let Some(d) = self.deployment_mut(id) {
            d.script = then.iter().map(|s| s.to_string()).collect();
            d.meta = meta;
        }
    }

    /// Railway autodeploys `branch` of the service in the environment (`check_suites`: "Wait for
    /// CI").
    pub fn add_trigger(
        &mut self,
        service_id: &str,
        environment_id: &str,
        branch: &str,
        check_suites: bool,
    ) {
        let node = json!({"id": format!("trig-{service_id}"), "branch": branch, "checkSuites": check_suites, "repository": "acme/shop"});
        self.triggers
            .entry((service_id.into(), environment_id.into()))
            .or_default()
            .push(node);
    }

    /// Railway's autodeploy makes a deployment of `sha` by itself, after the service's
    /// deployments have been listed `reads` times (resolution lists them once).
    pub fn autodeploy_after(
        &mut self,
        service_id: &str,
        environment_id: &str,
        sha: &str,
        reads: u32,
    ) {
        self.autodeploys
            .push((service_id.into(), environment_id.into(), sha.into(), reads));
    }

    /// One listing of `service_id`'s deployments in `environment_id`: creates the autodeploys due.
    pub fn list_deployments_of(&mut self, service_id: &str, environment_id: &str) {
        let mut due = Vec::new();
        for a in self.autodeploys.iter_mut() {
            if a.0 == service_id && a.1 == environment_id {
                a.3 = a.3.saturating_sub(1);
                if a.3 == 0 {
                    due.push(a.2.clone());
                }
            }
        }
        self.autodeploys.retain(|a| a.3 > 0);
        for sha in due {
            self.start_deployment(
                service_id,
                environment_id,
                json!({"commitHash": sha, "reason": "deploy"}),
            );
        }
    }

    /// Makes new deployments of `service_id` log these lines.
    pub fn script_logs(&mut self, service_id: &str, build: &[&str], deploy: &[&str]) {
        let l = self.logs.entry(service_id.into()).or_default();
        l.build = build.iter().map(|s| s.to_string()).collect();
        l.deploy = deploy.iter().map(|s| s.to_string()).collect();
    }

    /// Makes new deployments of `service_id` report these `deploymentEvents` nodes.
    pub fn script_events(&mut self, service_id: &str, events: Vec<Value>) {
        self.logs.entry(service_id.into()).or_default().events = events;
    }

    /// The events of a deployment that built, ran its pre-deploy command, then deployed.
    pub fn passed_pre_deploy_events() -> Vec<Value> {
        vec![
            json!({"id": "ev-1", "step": "BUILD_IMAGE", "createdAt": "2026-11-22T08:00:00.000Z",
                   "completedAt": "2026-11-22T08:00:40.000Z", "payload": {"durationMs": 40000, "error": null, "reason": null, "skipped": false, "attempt": 1, "maxAttempts": 1}}),
            json!({"id": "ev-2", "step": "PRE_DEPLOY_COMMAND", "createdAt": "2026-11-22T08:00:41.000Z",
                   "completedAt": "2026-11-22T08:00:45.000Z", "payload": {"durationMs": 4000, "error": null, "reason": null, "skipped": false, "attempt": 1, "maxAttempts": 1}}),
            json!({"id": "ev-3", "step": "DEPLOY", "createdAt": "2026-11-22T08:00:46.000Z",
                   "completedAt": null, "payload": {"durationMs": null, "error": null, "reason": null, "skipped": false, "attempt": 1, "maxAttempts": 1}}),
        ]
    }

    /// The events of a deployment that built, then failed `step` with `error`.
    pub fn failed_step_events(step: &str, error: &str) -> Vec<Value> {
        vec![
            json!({"id": "ev-1", "step": "BUILD_IMAGE", "createdAt": "2026-11-22T08:00:00.000Z",
                   "completedAt": "2026-11-22T08:00:40.000Z", "payload": {"durationMs": 40000, "error": null, "reason": null, "skipped": false, "attempt": 1, "maxAttempts": 1}}),
            json!({"id": "ev-2", "step": step, "createdAt": "2026-11-22T08:00:41.000Z",
                   "completedAt": "2026-11-22T08:00:45.000Z", "payload": {"durationMs": 4000, "error": error, "reason": null, "skipped": false, "attempt": 1, "maxAttempts": 1}}),
        ]
    }

    /// Reads a deployment as a client sees it now, moving its script on: one step per read, or
    /// by elapsed time when `step_every` is set.
    pub fn observe(&mut self, id: &str) -> Option<&FakeDeployment> {
        let every = self.step_every;
        let d = self.deployment_mut(id)?;
        match every {
            None => d.step(),
            Some(every) => {
                let due = d.created.elapsed().as_nanos() / every.as_nanos().max(1);
                while (d.steps as u128) < due && !d.script.is_empty() {
                    d.step();
                }
            }
        }
        Some(d)
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
        let mut logs = self.logs.get(service_id).cloned().unwrap_or_default();
        // Unscripted: a service with a pre-deploy command reports its step, as Railway does
        // (a scripted list, even one without that step, is what the test wants Railway to say).
        let command_set = self
            .instances
            .get(&(service_id.to_string(), environment_id.to_string()))
            .is_some_and(|i| {
                !matches!(&i.pre_deploy_command, Value::Null) && i.pre_deploy_command != json!([])
            });
        if logs.events.is_empty() && command_set {
            logs.events = Self::passed_pre_deploy_events();
        }
        self.deployments.push(FakeDeployment {
            id: id.clone(),
            service_id: service_id.into(),
            environment_id: environment_id.into(),
            // A new deployment waits in the queue first (the order the tests model: QUEUED,
            // INITIALIZING, BUILDING ...); it used to print INITIALIZING before QUEUED.
            status: "QUEUED".into(),
            script,
            can_rollback: true,
            meta,
            static_url: Some(format!("{service_id}-{env_name}-{seq}.up.railway.app")),
            seq,
            build_logs: logs.build,
            deploy_logs: logs.deploy,
            events: logs.events,
            log_watchers: 0,
            created: Instant::now(),
            steps: 0,
            created_at: Some(super::faults::now_rfc3339()),
        });
        id
    }

    pub fn deployment_json(d: &FakeDeployment) -> Value {
        json!({
            "id": d.id,
            "status": d.status,
            "createdAt": d.created_at.clone().unwrap_or_else(|| format!("2026-11-22T08:{:02}:00.000Z", d.seq % 60)),
            "serviceId": d.service_id,
            "environmentId": d.environment_id,
            "snapshotId": super::ws::snapshot_of(&d.id),
            "staticUrl": d.static_url,
            "url": d.static_url.as_ref().map(|u| format!("https://{u}")),
            "canRollback": d.can_rollback,
            "meta": d.meta,
        })
    }
}
