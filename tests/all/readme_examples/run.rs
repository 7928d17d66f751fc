//! Every example workflow runs the built binary, for each trigger of its `on:`, with the inputs
//! GitHub's runner passes: the step's `with:` (its expressions evaluated for that trigger) over
//! `action.yml`'s defaults (`support::cli::Runner` adds those), the trigger's real webhook payload
//! (`tests/data/github-events/`), in a workspace the checkout would fill, against the fakes. No run
//! may stop on invalid input (exit 2): each example is a workflow a user copies as it is.
//!
//! Also checked here: a `closed` pull request's run checks nothing out (the merge ref may be gone,
//! actions/checkout#393), and a pull request whose run gets no secrets (Dependabot's) is skipped.

use std::collections::BTreeMap;

use fakes::Server;
use fakes::github::GitHubState;
use fakes::github::checks::{Snapshot, actions_check_run, app_check_run};
use fakes::railway::{FakeRailway, RailwayWorld};
use serde_json::{Value, json};
use yaml_rust2::Yaml;

use super::expr::{Context, condition, interpolate};
use super::{examples, is_ours, load};
use crate::support::cli::Runner;
use crate::support::events;

const SHA: &str = "abc1234def5678abc1234def5678abc1234def56";
/// The head commit of pull request #2 in `tests/data/github-events/pull_request/`.
const PR_HEAD: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

/// One trigger: the event, `GITHUB_REF`, its payload, and whether the run gets secrets.
struct Trigger {
    what: String,
    event: &'static str,
    git_ref: String,
    payload: Value,
    secrets: bool,
}

fn payload(rel: &str) -> Value {
    serde_json::from_str(&events::own(rel)).unwrap()
}

fn trigger(event: &'static str, git_ref: &str, payload: Value) -> Trigger {
    let action = payload["action"].as_str().unwrap_or_default();
    Trigger {
        what: format!("{event} {git_ref} {action}"),
        event,
        git_ref: git_ref.to_string(),
        payload,
        secrets: true,
    }
}

/// The triggers a workflow's `on:` runs for, each with GitHub's payload.
fn triggers_of(on: &Yaml) -> Vec<Trigger> {
    let mut out = Vec::new();
    let push = &on["push"];
    if !push["branches"].is_badvalue() {
        out.push(trigger(
            "push",
            "refs/heads/main",
            payload("push/branch.json"),
        ));
    }
    if !push["tags"].is_badvalue() {
        out.push(trigger(
            "push",
            "refs/tags/v1.4.0",
            payload("push/tag.json"),
        ));
        let rc = payload("push/prerelease-tag.json");
        out.push(trigger("push", "refs/tags/v1.5.0-rc.1", rc));
    }
    if !on["release"].is_badvalue() {
        let stable = payload("release/published.json");
        out.push(trigger("release", "refs/tags/v1.4.0", stable));
        let pre = payload("release/prerelease.json");
        out.push(trigger("release", "refs/tags/v1.5.0-rc.1", pre));
    }
    if let Some(types) = on["pull_request"]["types"].as_vec() {
        let merge = "refs/pull/2/merge";
        for t in types.iter().filter_map(Yaml::as_str) {
            let mut p = match t {
                "closed" => payload("pull_request/closed-merged.json"),
                "synchronize" => payload("pull_request/synchronize.json"),
                _ => payload("pull_request/opened.json"),
            };
            p["action"] = t.into();
            out.push(trigger("pull_request", merge, p));
        }
        let fork = payload("pull_request/opened-from-fork.json");
        out.push(Trigger {
            secrets: false,
            ..trigger("pull_request", "refs/pull/7/merge", fork)
        });
        let mut dependabot = payload("pull_request/opened.json");
        let bot = json!({"login": "dependabot[bot]", "id": 49699333, "type": "Bot"});
        dependabot["pull_request"]["user"] = bot.clone();
        dependabot["sender"] = bot;
        out.push(Trigger {
            what: "pull_request from Dependabot (no secrets)".into(),
            secrets: false,
            ..trigger("pull_request", merge, dependabot)
        });
    }
    if !on["schedule"].is_badvalue() {
        out.push(trigger(
            "schedule",
            "refs/heads/main",
            payload("schedule.json"),
        ));
    }
    if !on["workflow_dispatch"].is_badvalue() {
        let mut p = payload("workflow_dispatch.json");
        for (k, spec) in on["workflow_dispatch"]["inputs"]
            .as_hash()
            .into_iter()
            .flatten()
        {
            let k = k.as_str().unwrap_or_default();
            p["inputs"][k] = dispatch_input(k, spec).into();
        }
        out.push(trigger("workflow_dispatch", "refs/heads/main", p));
    }
    assert!(!out.is_empty(), "no trigger known in {on:?}");
    out
}

/// What a person running the workflow by hand types: the default, else the first option, else
/// an existing service for `service`, else nothing.
fn dispatch_input(name: &str, spec: &Yaml) -> String {
    let first_option = spec["options"].as_vec().and_then(|o| o.first());
    let value = spec["default"]
        .as_str()
        .or(first_option.and_then(Yaml::as_str));
    match (value, name) {
        (Some(v), _) => v.to_string(),
        (None, "service") => "web".into(),
        (None, _) => String::new(),
    }
}

/// The expression context of `t`, with the secrets of GitHub environment `environment`.
fn context(t: &Trigger, environment: Option<&str>) -> Context {
    let (ref_type, name) = match t.git_ref.strip_prefix("refs/tags/") {
        Some(tag) => ("tag", tag),
        None => (
            "branch",
            t.git_ref.rsplit("refs/heads/").next().unwrap_or(""),
        ),
    };
    let project_token = match environment {
        Some("production") => "tok-production",
        _ => "tok-staging",
    };
    let secret = |v: &str| {
        if t.secrets {
            v.to_string()
        } else {
            String::new()
        }
    };
    let mut ctx: Context = [
        ("github.ref", t.git_ref.clone()),
        ("github.ref_name", name.to_string()),
        ("github.ref_type", ref_type.to_string()),
        ("github.event_name", t.event.to_string()),
        (
            "github.token",
            crate::support::cli::GITHUB_TOKEN.to_string(),
        ),
        ("secrets.RAILWAY_TOKEN", secret(project_token)),
        ("secrets.RAILWAY_API_TOKEN", secret("acct-token")),
        ("vars.RAILWAY_PROJECT_ID", "proj-1".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let action = t.payload["action"].as_str().unwrap_or_default();
    ctx.insert("github.event.action".into(), action.to_string());
    if let Some(n) = t.payload["pull_request"]["number"].as_u64() {
        ctx.insert("github.event.pull_request.number".into(), n.to_string());
    }
    for (k, v) in t.payload["inputs"].as_object().into_iter().flatten() {
        ctx.insert(format!("inputs.{k}"), v.as_str().unwrap_or_default().into());
    }
    ctx
}

/// The fakes one run needs: Railway's standard world (plus `api` for the monorepo, and staging's
/// deployments carrying the commit, so promote finds what passed) and a GitHub.
struct Fakes {
    rw: FakeRailway,
    _gh_server: Server,
    gh_url: String,
}

async fn fakes() -> Fakes {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut world = RailwayWorld::standard();
    world.services.push(("svc-api".into(), "api".into()));
    for env in ["env-prod", "env-stg"] {
        let web = world.instances[&("svc-web".to_string(), env.to_string())].clone();
        world.instances.insert(("svc-api".into(), env.into()), web);
        let suffix = if env == "env-prod" { "prod" } else { "stg" };
        world.add_deployment(&format!("dep-old-api-{suffix}"), "svc-api", env, "SUCCESS");
    }
    // One release serves, an earlier one is there to roll back to.
    for svc in ["web", "worker", "api"] {
        for (env, suffix) in [("env-prod", "prod"), ("env-stg", "stg")] {
            let id = format!("dep-serving-{svc}-{suffix}");
            world.add_deployment(&id, &format!("svc-{svc}"), env, "SUCCESS");
        }
    }
    for d in world.deployments.iter_mut() {
        d.meta = json!({ "commitHash": SHA });
    }
    let gh = GitHubState::default();
    // The commit's tests passed; this run's own job is in progress (the gate never waits on it).
    let passed = Snapshot::new(
        vec![
            app_check_run(1, "tests", "circleci", "completed", Some("success")),
            actions_check_run(2, "deploy", 4242, "in_progress", None),
        ],
        vec![],
    );
    for sha in [SHA, PR_HEAD] {
        gh.world
            .lock()
            .unwrap()
            .checks
            .script(sha, vec![passed.clone()]);
    }
    let gh_server = Server::start(fakes::github::router(gh)).await;
    let gh_url = gh_server.url();
    Fakes {
        rw: FakeRailway::start(world).await,
        _gh_server: gh_server,
        gh_url,
    }
}

/// The workspace after `actions/checkout`: the repository's folders the examples upload.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["apps/api", "apps/web"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        std::fs::write(dir.path().join(sub).join("index.js"), "ok").unwrap();
    }
    std::fs::write(dir.path().join("package.json"), "{}").unwrap();
    dir
}

fn is_checkout(step: &Yaml) -> bool {
    step["uses"]
        .as_str()
        .is_some_and(|u| u.starts_with("actions/checkout@"))
}

/// Runs each railway-deploy step of `file` for each of its triggers; returns, per run, where it
/// ran and its exit code and `status` output.
async fn run_example(file: &str) -> Vec<(String, i32, String)> {
    let text = &examples()[file];
    let wf = load(text, file);
    let mut results = Vec::new();
    for t in triggers_of(&wf["on"]) {
        for (job_name, job) in wf["jobs"].as_hash().expect("jobs") {
            let env = &job["environment"];
            let env = env["name"].as_str().or(env.as_str());
            let ctx = context(&t, None);
            let environment = env.map(|e| interpolate(e, &ctx).unwrap());
            let ctx = context(&t, environment.as_deref());
            let at = format!("{file}:{} on {}", job_name.as_str().unwrap(), t.what);
            if let Some(cond) = job["if"].as_str()
                && !condition(cond, &ctx).unwrap()
            {
                continue;
            }
            let steps = job["steps"].as_vec().expect("steps");
            let runs = |s: &&Yaml| s["if"].as_str().is_none_or(|c| condition(c, &ctx).unwrap());
            let checked_out = steps.iter().filter(runs).any(is_checkout);
            if t.payload["action"] == "closed" {
                assert!(
                    !checked_out,
                    "{at}: checks out on `closed`, where the merge ref may be gone"
                );
            }
            let ws = workspace();
            let bare = tempfile::tempdir().unwrap();
            for step in steps.iter().filter(runs).filter(|s| is_ours(s)) {
                let f = fakes().await;
                let mut r = Runner::new(&f.rw.api_url());
                // Only what the workflow's `with:` says; the rest are action.yml's defaults, but
                // for two addresses the fakes stand in for: Railway's endpoint, and the deployed
                // app's health URL (a service's `*.up.railway.app` domain is not on loopback).
                r.env.retain(|k, _| !k.starts_with("INPUT_"));
                r.input("railway-api-url", &f.rw.api_url())
                    .input("health-url", &f.rw.app_health_url())
                    .set("GITHUB_API_URL", &f.gh_url)
                    .set("GITHUB_REF", &t.git_ref)
                    .set("GITHUB_SHA", SHA)
                    .set(
                        "GITHUB_WORKFLOW_REF",
                        &format!("acme/shop/.github/workflows/{file}@{}", t.git_ref),
                    )
                    .input("github-token", crate::support::cli::GITHUB_TOKEN)
                    .event(t.event, &t.payload.to_string());
                let (ref_type, name) = match t.git_ref.strip_prefix("refs/tags/") {
                    Some(tag) => ("tag", tag),
                    None => ("branch", t.git_ref.trim_start_matches("refs/heads/")),
                };
                r.set("GITHUB_REF_TYPE", ref_type)
                    .set("GITHUB_REF_NAME", name);
                for (k, v) in step["with"].as_hash().into_iter().flatten() {
                    let value = match v {
                        Yaml::Boolean(b) => b.to_string(),
                        Yaml::Integer(i) => i.to_string(),
                        other => other.as_str().unwrap_or_default().to_string(),
                    };
                    let value = interpolate(&value, &ctx).unwrap_or_else(|e| panic!("{at}: {e}"));
                    r.input(k.as_str().unwrap(), &value);
                }
                // Without a checkout, the workspace is the runner's empty folder.
                let cwd = if checked_out { &ws } else { &bare };
                r.cwd = Some(cwd.path().to_path_buf());
                let run = r.run().await;
                assert_ne!(run.code, 2, "{at}: stopped on invalid input\n{}", run.log());
                assert!(!run.summary.is_empty(), "{at}: no job summary");
                if run.code != 0 {
                    eprintln!("=== {at}\n{}", run.log());
                }
                results.push((at.clone(), run.code, run.output("status").to_string()));
            }
        }
    }
    results
}

fn by_trigger(results: &[(String, i32, String)]) -> BTreeMap<String, (i32, String)> {
    results
        .iter()
        .map(|(at, code, status)| (at.clone(), (*code, status.clone())))
        .collect()
}

#[tokio::test]
async fn deploy_yml_runs_on_a_branch_push_a_tag_and_a_pre_release_tag() {
    let results = by_trigger(&run_example("deploy.yml").await);
    assert_eq!(results.len(), 3, "{results:?}");
    assert!(results.values().all(|r| r.0 == 0), "{results:?}");
}

#[tokio::test]
async fn monorepo_yml_runs_both_steps() {
    let results = run_example("monorepo.yml").await;
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(results.iter().all(|r| r.1 == 0), "{results:?}");
}

#[tokio::test]
async fn promote_yml_promotes_a_release_and_leaves_a_pre_release_alone() {
    let results = by_trigger(&run_example("promote.yml").await);
    // The pre-release's job is skipped by its `if:`; the release promotes what passed staging.
    assert_eq!(results.len(), 1, "{results:?}");
    let (code, status) = results.values().next().unwrap();
    assert_eq!((*code, status.as_str()), (0, "success"), "{results:?}");
}

#[tokio::test]
async fn preview_yml_runs_for_every_pull_request_action_and_skips_runs_without_secrets() {
    let results = by_trigger(&run_example("preview.yml").await);
    assert_eq!(results.len(), 7, "{results:?}");
    for (at, (code, status)) in &results {
        if at.contains("fork") || at.contains("Dependabot") || at.contains("/7/") {
            assert_eq!((*code, status.as_str()), (0, "skipped"), "{at}");
        }
    }
    assert!(results.values().all(|r| r.0 == 0), "{results:?}");
}

#[tokio::test]
async fn preview_cleanup_yml_runs_on_its_schedule_and_by_hand() {
    let results = run_example("preview-cleanup.yml").await;
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(results.iter().all(|(_, code, _)| *code == 0), "{results:?}");
}

#[tokio::test]
async fn rollback_yml_runs_by_hand() {
    let results = run_example("rollback.yml").await;
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0].1, 0, "{results:?}");
}

#[tokio::test]
async fn check_yml_runs_by_hand_and_changes_nothing() {
    let results = run_example("check.yml").await;
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0].1, 0, "{results:?}");
}

#[test]
fn every_example_is_run() {
    let run_here = [
        "check.yml",
        "deploy.yml",
        "monorepo.yml",
        "promote.yml",
        "preview.yml",
        "preview-cleanup.yml",
        "rollback.yml",
    ];
    let files: Vec<String> = examples().into_keys().collect();
    assert_eq!(files.len(), run_here.len(), "{files:?}: add a test above");
    for f in files {
        assert!(run_here.contains(&f.as_str()), "{f}: add a test above");
    }
}
