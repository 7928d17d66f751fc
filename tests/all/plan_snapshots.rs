//! Every command's plan, snapshot-tested (insta): each step's name and the sentences it says
//! (`Plan::outline`), for deploy, promote, rollback, preview (its phases in order), a closed pull
//! request's teardown, `preview-cleanup` and `check`. The dry run, the executor and these snapshots read
//! the same steps. Update with `INSTA_UPDATE=always`.

use railway_deploy::config::{Config, LoadError, Source};
use railway_deploy::github::previews::PullState;
use railway_deploy::pipeline::plan::{self, Checked, Database, Plan};
use std::sync::Arc;

use railway_deploy::pipeline::{check_plan, preview_plan, supporting};
use railway_deploy::railway::api::{Named, Project, ServiceInstance};
use railway_deploy::railway::environments::{EnvironmentInfo, ProjectEnvironments};
use railway_deploy::railway::resolve::Scope;
use railway_deploy::setup_check::{self, CheckReads};
use railway_deploy::stages::ServiceTarget;
use railway_deploy::stages::promote::Promotion;

use crate::support::cli::Runner;
use crate::support::events;

/// The configuration a runner with these inputs (and, for a preview, this pull request event)
/// loads.
fn config(inputs: &[(&str, &str)], event: Option<&str>) -> (Config, Runner) {
    let mut r = Runner::new("http://127.0.0.1:9/graphql");
    r.input("service", "web, worker")
        .input("environment", "production");
    for (k, v) in inputs {
        r.input(k, v);
    }
    if let Some(e) = event {
        r.unset("INPUT_RAILWAY-TOKEN")
            .unset("INPUT_ENVIRONMENT")
            .input("railway-api-token", "acct-token")
            .input("project", "proj-1")
            .input("github-token", "ghs_test")
            .input("comment", "true")
            .input("github-deployment", "true")
            .event("pull_request", &events::own(&format!("pull_request/{e}")));
    }
    let env = r.env.clone();
    let cfg = match Config::load(["railway-deploy".to_string()], |k| env.get(k).cloned()) {
        Ok(c) => c,
        Err(LoadError::Input(e)) => panic!("{e}"),
        Err(LoadError::Usage(e)) => panic!("{e}"),
    };
    (cfg, r)
}

fn target(id: &str, name: &str, domain: bool) -> ServiceTarget {
    let domains: Vec<_> = domain
        .then(|| serde_json::json!({ "domain": format!("{name}.up.railway.app") }))
        .into_iter()
        .collect();
    let instance: ServiceInstance = serde_json::from_value(serde_json::json!({
        "id": format!("inst-{id}"),
        "serviceId": id,
        "serviceName": name,
        "healthcheckPath": "/health",
        "preDeployCommand": null,
        "source": { "image": format!("ghcr.io/acme/{name}:1"), "repo": null },
        "domains": { "serviceDomains": domains }
    }))
    .unwrap();
    ServiceTarget {
        service: Named {
            id: id.into(),
            name: name.into(),
        },
        instance,
        serving: None,
        in_flight: Vec::new(),
    }
}

fn scope(environment: &str) -> Scope {
    let named = |id: &str, name: &str| Named {
        id: id.into(),
        name: name.into(),
    };
    let project = Project {
        id: "proj-1".into(),
        name: "shop".into(),
        environments: vec![named("env-1", environment)],
        services: vec![named("svc-web", "web"), named("svc-worker", "worker")],
    };
    Scope {
        environment: project.environments[0].clone(),
        project,
    }
}

fn services() -> Vec<ServiceTarget> {
    let mut web = target("svc-web", "web", true);
    web.in_flight = vec![
        serde_json::from_value(serde_json::json!({"id": "d-9", "status": "BUILDING"})).unwrap(),
    ];
    vec![web, target("svc-worker", "worker", true)]
}

fn build(cfg: &Config, environment: &str, services: Vec<ServiceTarget>, checked: Checked) -> Plan {
    let probes = plan::health_probes(cfg, &services).unwrap();
    let database = Database {
        url: None,
        backup: railway_deploy::backup::Lookup::NotNeeded,
    };
    plan::build_ordered(
        cfg,
        scope(environment),
        services,
        probes,
        &[],
        database,
        checked,
    )
}

#[test]
fn deploy() {
    let (cfg, _r) = config(
        &[
            ("migrate-command", "npm run migrate"),
            ("watch", "5m"),
            ("wait-for-checks", "true"),
        ],
        None,
    );
    let plan = build(&cfg, "production", services(), Checked::default());
    insta::assert_snapshot!(plan.outline().join("\n"));
}

#[test]
fn promote() {
    let (cfg, _r) = config(&[("command", "promote"), ("source", "image")], None);
    let promotions = [
        Promotion {
            service_id: "svc-worker".into(),
            service_name: "worker".into(),
            from_deployment_id: "d-2".into(),
            source: Source::Image {
                reference: "ghcr.io/acme/worker@sha256:bb".into(),
            },
            commit_sha: None,
        },
        Promotion {
            service_id: "svc-web".into(),
            service_name: "web".into(),
            from_deployment_id: "d-1".into(),
            source: Source::Commit,
            commit_sha: Some("fedcba9876".into()),
        },
    ];
    let services = vec![
        target("svc-web", "web", true),
        target("svc-worker", "worker", true),
    ];
    let probes = plan::health_probes(&cfg, &services).unwrap();
    let plan = plan::build(
        &cfg,
        scope("production"),
        services,
        probes,
        &promotions,
        None,
    );
    insta::assert_snapshot!(plan.outline().join("\n"));
}

#[test]
fn rollback() {
    let (cfg, _r) = config(&[("command", "rollback")], None);
    let checked = Checked {
        rollback_to: vec![("svc-web".into(), "d-7".into())],
        ..Default::default()
    };
    let plan = build(&cfg, "production", services(), checked);
    insta::assert_snapshot!(plan.outline().join("\n"));
}

/// `command: check`: one step per check the inputs need, each line saying what it reads.
#[test]
fn check() {
    let (cfg, _r) = config(
        &[
            ("command", "check"),
            ("watch", "5m"),
            ("from-environment", "staging"),
            ("migrate-command", "npm run migrate"),
        ],
        None,
    );
    let reads = CheckReads {
        environment: "production".into(),
        selected_by: "input `environment`".into(),
        project: None,
        token: None,
        resolved: Err("not read in this test".into()),
        database_url: Ok(None),
        probes: Vec::new(),
        health_url: None,
        health_path: None,
    };
    let plan = check_plan::steps("production", setup_check::plan::plan(&cfg), Arc::new(reads));
    insta::assert_snapshot!(plan.outline().join("\n"));
}

fn envs() -> ProjectEnvironments {
    let env = |id: &str, name: &str, ephemeral: bool| EnvironmentInfo {
        id: id.into(),
        name: name.into(),
        is_ephemeral: ephemeral,
    };
    ProjectEnvironments {
        project: Named {
            id: "proj-1".into(),
            name: "shop".into(),
        },
        environments: vec![
            env("env-stg", "staging", false),
            env("env-2", "pr-2", true),
            env("env-3", "pr-3", true),
            env("env-9", "pr-9", false),
        ],
        // The configuration's `service: web, worker` (a preview waits for them in its copy).
        services: ["web", "worker"]
            .map(|n| Named {
                id: format!("svc-{n}"),
                name: n.into(),
            })
            .to_vec(),
    }
}

/// The preview's phases, in the order they run: gate and environment, domains, then the plan
/// with the supporting deploys first.
#[test]
fn preview() {
    let (cfg, _r) = config(
        &[("command", "preview"), ("wait-for-checks", "true")],
        Some("opened.json"),
    );
    let name = "pr-7";
    let req = preview_plan::setup(&cfg, &envs(), name).unwrap();
    let setup = preview_plan::setup_plan(&cfg, &req);
    let services = vec![
        target("svc-web", "web", false),
        target("svc-worker", "worker", true),
    ];
    let domains = Plan::of(name, preview_plan::domains(&services).into_iter().collect());
    let db = target("svc-db", "postgres", false).instance;
    let supporting = supporting::requests(&cfg, &[db], &services, false);
    let checked = Checked {
        supporting,
        ..Default::default()
    };
    let main = build(&cfg, name, services, checked);
    let phases = [setup, domains, main].map(|p| p.outline().join("\n"));
    insta::assert_snapshot!(phases.join("\n---\n"));
}

#[test]
fn preview_teardown() {
    let (cfg, _r) = config(&[("command", "preview")], Some("closed-merged.json"));
    let step = preview_plan::removal(&cfg, &envs(), "pr-2", Some(2)).unwrap();
    let plan = Plan::of("pr-2", vec![step]);
    insta::assert_snapshot!(plan.outline().join("\n"));
}

#[test]
fn preview_cleanup() {
    let (cfg, _r) = config(
        &[("command", "preview-cleanup")],
        Some("closed-merged.json"),
    );
    let template = &cfg.preview.name_template;
    let (ask, kept) = preview_plan::candidates(template, &envs());
    let answers = ask
        .into_iter()
        .zip([Ok(PullState::Closed), Ok(PullState::Open)])
        .map(|((e, n), s)| (e, n, s))
        .collect();
    let (steps, _) = preview_plan::cleanup(cfg.github_deployment, "proj-1", answers, kept);
    let plan = Plan::of(template, steps);
    insta::assert_snapshot!(plan.outline().join("\n"));
}
