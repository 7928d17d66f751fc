//! The plan is the program: built as data from the configuration and what resolution read, and
//! rendered (dry run, summary, logs) from the same steps the executor runs.

use railway_deploy::config::{Config, LoadError, Source};
use railway_deploy::health::check::Probe;
use railway_deploy::pipeline::dry_run::render;
use railway_deploy::pipeline::plan::{self, Plan, Step};
use railway_deploy::railway::api::{Named, Project, ServiceInstance};
use railway_deploy::railway::resolve::Scope;
use railway_deploy::stages::ServiceTarget;
use railway_deploy::stages::migrate::PreDeployRequest;
use railway_deploy::stages::promote::Promotion;

fn config(extra: &[(&str, &str)]) -> Config {
    let mut pairs: Vec<(String, String)> = [
        ("INPUT_RAILWAY-TOKEN", "tok-secret"),
        ("INPUT_SERVICE", "web, worker"),
        ("INPUT_SOURCE", "commit"),
        ("INPUT_ENVIRONMENT", "production"),
        ("INPUT_WAIT-FOR-CHECKS", "false"),
        ("GITHUB_SHA", "abc1234def"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        pairs.retain(|(n, _)| n != k);
        pairs.push((k.to_string(), v.to_string()));
    }
    let env = move |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    match Config::load(["railway-deploy".to_string()], env) {
        Ok(c) => c,
        Err(LoadError::Input(e)) => panic!("{e}"),
        Err(LoadError::Usage(e)) => panic!("{e}"),
    }
}

fn target(id: &str, name: &str) -> ServiceTarget {
    let instance: ServiceInstance = serde_json::from_value(serde_json::json!({
        "id": format!("inst-{id}"),
        "serviceId": id,
        "serviceName": name,
        "healthcheckPath": "/health",
        "preDeployCommand": null,
        "source": { "image": "ghcr.io/acme/old:1", "repo": null },
        "domains": { "serviceDomains": [{ "domain": format!("{name}.up.railway.app") }] }
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

fn scope() -> Scope {
    let named = |id: &str, name: &str| Named {
        id: id.into(),
        name: name.into(),
    };
    let project = Project {
        id: "proj-1".into(),
        name: "shop".into(),
        environments: vec![named("env-prod", "production")],
        services: vec![named("svc-web", "web"), named("svc-worker", "worker")],
    };
    Scope {
        environment: project.environments[0].clone(),
        project,
    }
}

fn build(cfg: &Config, promotions: &[Promotion]) -> Plan {
    let services = vec![target("svc-web", "web"), target("svc-worker", "worker")];
    let probes = plan::health_probes(cfg, &services).unwrap();
    plan::build(
        cfg,
        scope(),
        services,
        probes,
        promotions,
        cfg.database_url.clone(),
    )
}

#[test]
fn a_pushed_step_appears_in_the_dry_run_without_touching_the_renderer() {
    let cfg = config(&[]);
    let mut plan = build(&cfg, &[]);
    let before = render(&plan.describe());
    assert_eq!(
        before,
        vec![
            "- deploy commit abc1234 to `web` in `production`",
            "- deploy commit abc1234 to `worker` in `production`",
        ]
    );
    plan.steps.push(Step::PreDeployCommand(PreDeployRequest {
        command: "npm run migrate".into(),
        services: vec![target("svc-web", "web")],
    }));
    let after = render(&plan.describe());
    assert_eq!(after.len(), before.len() + 1, "{after:?}");
    assert_eq!(
        after.last().map(String::as_str),
        Some("- set the pre-deploy command of `web` in `production` to `npm run migrate`")
    );
}

#[test]
fn steps_are_in_the_order_they_execute() {
    let cfg = config(&[
        ("INPUT_MIGRATE-COMMAND", "npm run migrate"),
        ("INPUT_WAIT-FOR-CHECKS", "true"),
        ("INPUT_WATCH", "5m"),
    ]);
    let plan = build(&cfg, &[]);
    let kinds: Vec<&str> = plan.steps.iter().map(Step::name).collect();
    assert_eq!(
        kinds,
        [
            "gate",
            "report",
            "backup",
            "pre-deploy",
            "deploy",
            "pre-deploy-report",
            "health",
            "watch",
            "rollback"
        ]
    );
    // The probe is built once, here: each service's URL from its domain and health path.
    let Some(Step::Health(checks)) = plan.steps.iter().find(|s| matches!(s, Step::Health(_)))
    else {
        panic!("no health step");
    };
    let urls: Vec<String> = checks
        .iter()
        .map(|c| match &c.probe {
            Probe::Check(spec) => spec.url.to_string(),
            Probe::Skip(why) => why.clone(),
        })
        .collect();
    assert_eq!(
        urls,
        [
            "https://web.up.railway.app/health",
            "https://worker.up.railway.app/health"
        ]
    );
}

#[test]
fn promotion_is_resolved_into_each_service_deploy() {
    let cfg = config(&[("INPUT_COMMAND", "promote"), ("INPUT_SOURCE", "image")]);
    // Listed in another order than the services: matched by service, not by position.
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
    let plan = build(&cfg, &promotions);
    assert_eq!(
        render(&plan.describe()),
        vec![
            "- deploy commit fedcba9 to `web` in `production`",
            "- set the image of `worker` in `production` to `ghcr.io/acme/worker@sha256:bb`",
            "- deploy image `ghcr.io/acme/worker@sha256:bb` to `worker` in `production`",
        ]
    );
}

#[test]
fn bad_health_settings_are_invalid_input_at_plan_time() {
    let cfg = config(&[("INPUT_HEALTH-EXPECT-BODY", "{version}")]);
    let services = vec![target("svc-web", "web")];
    let err = plan::health_probes(&cfg, &services).unwrap_err();
    assert!(err.contains("{version}"), "{err}");
}

#[test]
fn rollback_command_plans_only_the_rollback() {
    let cfg = config(&[
        ("INPUT_COMMAND", "rollback"),
        ("INPUT_WAIT-FOR-CHECKS", "true"),
    ]);
    let plan = build(&cfg, &[]);
    assert!(
        matches!(
            plan.steps.as_slice(),
            [Step::Report(_), Step::RollbackCommand(r)] if r.len() == 2
        ),
        "{:?}",
        plan.steps
    );
    assert_eq!(
        render(&plan.describe()),
        vec![
            "- roll `web` in `production` back to its previous successful deployment",
            "- roll `worker` in `production` back to its previous successful deployment",
        ]
    );
}

#[test]
fn deployments_in_flight_are_awaited_right_before_the_deploy_and_only_for_their_services() {
    let cfg = config(&[("INPUT_MIGRATE-COMMAND", "npm run migrate")]);
    let mut web = target("svc-web", "web");
    web.in_flight = vec![
        serde_json::from_value(serde_json::json!({"id": "d-9", "status": "BUILDING"})).unwrap(),
    ];
    let services = vec![web, target("svc-worker", "worker")];
    let probes = plan::health_probes(&cfg, &services).unwrap();
    let plan = plan::build(&cfg, scope(), services, probes, &[], None);
    let at = plan
        .steps
        .iter()
        .position(|s| matches!(s, Step::AwaitInFlight(_)))
        .expect("an in-flight step");
    assert!(matches!(plan.steps[at - 1], Step::PreDeployCommand(_)));
    assert!(matches!(plan.steps[at + 1], Step::Deploy(_)));
    let Step::AwaitInFlight(reqs) = &plan.steps[at] else {
        unreachable!()
    };
    let ids: Vec<_> = reqs.iter().map(|r| r.target.service.id.as_str()).collect();
    assert_eq!(ids, ["svc-web"]);
    assert_eq!(reqs[0].timeout, cfg.deploy_timeout);
    // Waiting changes nothing: the dry run lists the same changes as without it.
    assert_eq!(plan.describe().len(), build(&cfg, &[]).describe().len());
    // Nothing in flight: no step.
    assert!(
        !build(&cfg, &[])
            .steps
            .iter()
            .any(|s| matches!(s, Step::AwaitInFlight(_)))
    );
}

#[test]
fn the_watch_is_planned_only_when_on_and_the_dry_run_says_for_how_long() {
    let off = build(&config(&[]), &[]);
    assert!(!off.steps.iter().any(|s| matches!(s, Step::Watch(_))));
    let cfg = config(&[("INPUT_WATCH", "5m"), ("INPUT_WATCH-MAX-ERROR-RATE", "2%")]);
    let plan = build(&cfg, &[]);
    let Some(Step::Watch(req)) = plan.steps.iter().find(|s| matches!(s, Step::Watch(_))) else {
        panic!("no watch step: {:?}", plan.steps);
    };
    assert_eq!(req.window, std::time::Duration::from_secs(300));
    assert_eq!(req.interval, std::time::Duration::from_secs(30));
    assert_eq!(req.rounds(), 10);
    assert_eq!(req.max_error_rate, 0.02);
    let ids: Vec<_> = req.checks.iter().map(|c| c.service_id.as_str()).collect();
    assert_eq!(ids, ["svc-web", "svc-worker"]);
    // It comes right after the health check, before the rollback.
    let at = plan
        .steps
        .iter()
        .position(|s| matches!(s, Step::Watch(_)))
        .unwrap();
    assert!(matches!(plan.steps[at - 1], Step::Health(_)));
    assert!(matches!(plan.steps[at + 1], Step::Rollback(_)));
    assert_eq!(
        render(&plan.describe()).last().map(String::as_str),
        Some(
            "- watch `web`, `worker` in `production` for 5m after the health check (instances, health probe and 5xx share every 30s); a breach rolls the release back like a failed health check"
        )
    );
}

/// A preview's never-deployed other services are deployed right after the run is published,
/// before anything migrates or deploys; those deployed already, and the run's own, are not.
#[test]
fn supporting_deploys_come_after_the_report_and_before_everything_else() {
    use railway_deploy::backup::Lookup;
    use railway_deploy::pipeline::supporting;
    let cfg = config(&[("INPUT_MIGRATE-COMMAND", "npm run migrate")]);
    let services = vec![target("svc-web", "web"), target("svc-worker", "worker")];
    let db = target("svc-db", "postgres").instance;
    let mut cache = target("svc-cache", "redis").instance;
    cache.latest_deployment =
        serde_json::from_value(serde_json::json!({ "id": "d-1", "status": "SUCCESS" })).unwrap();
    let web = target("svc-web", "web").instance;
    let instances = [web, db, cache];
    let reqs = supporting::requests(&cfg, &instances, &services, false);
    let names: Vec<&str> = reqs
        .iter()
        .map(|r| r.target.service.name.as_str())
        .collect();
    assert_eq!(names, ["postgres"]);
    let probes = plan::health_probes(&cfg, &services).unwrap();
    let database = plan::Database {
        url: None,
        backup: Lookup::NotNeeded,
    };
    let checked = plan::Checked {
        supporting: reqs,
        ..Default::default()
    };
    let plan = plan::build_ordered(
        &cfg,
        scope(),
        services.clone(),
        probes,
        &[],
        database,
        checked,
    );
    let at = |f: fn(&Step) -> bool| plan.steps.iter().position(f).unwrap();
    let supporting_at = at(|s| matches!(s, Step::SupportingDeploys(_)));
    assert_eq!(supporting_at, at(|s| matches!(s, Step::Report(_))) + 1);
    assert!(supporting_at < at(|s| matches!(s, Step::PreDeployCommand(_))));
    let lines: Vec<String> = plan.describe().into_iter().map(|a| a.description).collect();
    assert_eq!(
        lines[0],
        "deploy `postgres` in `production` as configured (never deployed there): image `ghcr.io/acme/old:1`"
    );
    // A fresh preview (a dry run reads the source): every other service, deployed there or not.
    let fresh = supporting::requests(&cfg, &instances, &services, true);
    assert_eq!(fresh.len(), 2);
    assert!(supporting::requests(&cfg, &instances[..1], &services, false).is_empty());
}
