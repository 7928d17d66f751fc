//! Every example workflow (`examples/workflows/*.yml`, which the README embeds) is exercised:
//! parsed as YAML, every `with:` input of a railway-deploy step checked against `action.yml`'s
//! inputs, and for a branch push, a stable tag, a pre-release tag and releases, the job's
//! `environment:` evaluated and compared with the Railway environment the action itself chooses
//! (`context::trigger::select`), `if:` honoured, and `concurrency` shown to serialise per
//! environment. The README's workflow blocks must be exactly these files. `run` runs each one's
//! steps through the binary for each of its triggers.

mod expr;
mod run;

use std::collections::BTreeMap;
use std::path::PathBuf;

use self::expr::{Context, condition, interpolate};
use railway_deploy::context::event::Event;
use railway_deploy::context::trigger::{Selection, SelectionInputs, Trigger, select};
use yaml_rust2::{Yaml, YamlLoader};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn examples() -> BTreeMap<String, String> {
    let dir = root().join("examples/workflows");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("examples/workflows exists") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yml") {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            out.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
    assert!(out.contains_key("deploy.yml"), "{:?}", out.keys());
    out
}

fn load(text: &str, what: &str) -> Yaml {
    let mut docs = YamlLoader::load_from_str(text).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(docs.len(), 1, "{what}: one YAML document");
    docs.remove(0)
}

fn action_inputs() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let action = load(&text, "action.yml");
    let inputs = action["inputs"].as_hash().expect("action.yml has inputs");
    inputs
        .keys()
        .filter_map(|k| k.as_str().map(str::to_string))
        .collect()
}

/// A trigger a workflow may run for: the event, `GITHUB_REF`, and the payload.
struct Scenario {
    event: &'static str,
    git_ref: &'static str,
    payload: &'static str,
}

const SCENARIOS: [Scenario; 6] = [
    Scenario {
        event: "push",
        git_ref: "refs/heads/main",
        payload: "{}",
    },
    Scenario {
        event: "push",
        git_ref: "refs/tags/v1.2.3",
        payload: "{}",
    },
    Scenario {
        event: "push",
        git_ref: "refs/tags/v1.3.0-rc.1",
        payload: "{}",
    },
    Scenario {
        event: "release",
        git_ref: "refs/tags/v1.2.3",
        payload: r#"{"release": {"tag_name": "v1.2.3", "prerelease": false}}"#,
    },
    Scenario {
        event: "release",
        git_ref: "refs/tags/v2.0.0-beta.2",
        payload: r#"{"release": {"tag_name": "v2.0.0-beta.2", "prerelease": true}}"#,
    },
    Scenario {
        event: "workflow_dispatch",
        git_ref: "refs/heads/main",
        payload: "{}",
    },
];

/// Whether the workflow's `on:` runs for `s` (push filters by `branches`/`tags`).
fn triggers(on: &Yaml, s: &Scenario) -> bool {
    let event = &on[s.event];
    let listed = match on {
        Yaml::String(e) => e == s.event,
        Yaml::Array(a) => a.iter().any(|e| e.as_str() == Some(s.event)),
        _ => !event.is_badvalue(),
    };
    if !listed || s.event != "push" {
        return listed;
    }
    let (branches, tags) = (&event["branches"], &event["tags"]);
    if branches.is_badvalue() && tags.is_badvalue() {
        return true;
    }
    let filter = if s.git_ref.starts_with("refs/tags/") {
        tags
    } else {
        branches
    };
    !filter.is_badvalue()
}

fn context(s: &Scenario, on: &Yaml) -> Context {
    let (ref_type, name) = match s.git_ref.strip_prefix("refs/tags/") {
        Some(tag) => ("tag", tag),
        None => ("branch", s.git_ref.trim_start_matches("refs/heads/")),
    };
    let mut ctx: Context = [
        ("github.ref", s.git_ref),
        ("github.ref_name", name),
        ("github.ref_type", ref_type),
        ("github.event_name", s.event),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if s.event == "workflow_dispatch"
        && let Some(inputs) = on["workflow_dispatch"]["inputs"].as_hash()
    {
        for (k, spec) in inputs {
            let k = k.as_str().unwrap_or_default();
            let value = spec["default"].as_str().map(str::to_string);
            ctx.insert(format!("inputs.{k}"), value.unwrap_or(format!("{k}-value")));
        }
    }
    ctx
}

/// The Railway environment the action chooses for a step's `with:` under `s`.
fn railway_environment(with: &Yaml, s: &Scenario, ctx: &Context) -> Option<String> {
    let input = |name: &str, default: &str| match with[name].as_str() {
        Some(v) => interpolate(v, ctx).unwrap_or_else(|e| panic!("{name}: {e}")),
        None => default.to_string(),
    };
    let given = input("environment", "");
    let (production, staging) = (
        input("production-environment", "production"),
        input("staging-environment", "staging"),
    );
    let prefix = input("tag-prefix", "v");
    let event = Event::parse(s.payload.as_bytes()).unwrap();
    let trigger = Trigger::from_context(Some(s.event), Some(s.git_ref), &event);
    let inputs = SelectionInputs {
        environment: (!given.is_empty()).then_some(given.as_str()),
        production: &production,
        staging: &staging,
        tag_prefix: &prefix,
    };
    match select(&trigger, &inputs) {
        Ok(Selection::Deploy { environment, .. }) => Some(environment),
        Ok(Selection::Skip { .. }) | Err(_) => None,
    }
}

fn is_ours(step: &Yaml) -> bool {
    step["uses"]
        .as_str()
        .is_some_and(|u| u.contains("/railway-deploy@"))
}

/// A step running `command: preview` or `preview-cleanup`: its environments are the pull
/// requests' previews, not the trigger's (see `the_preview_examples_*`).
fn is_preview(step: &Yaml) -> bool {
    step["with"]["command"]
        .as_str()
        .is_some_and(|c| c.starts_with("preview"))
}

/// A step running `command: check`: it deploys nothing (see `the_check_example_*`).
fn is_check(step: &Yaml) -> bool {
    step["with"]["command"].as_str() == Some("check")
}

/// One (workflow, scenario, job) that deploys: its environment and concurrency group.
#[derive(Debug)]
struct Run {
    at: String,
    environment: String,
    group: String,
}

fn check_job(
    name: &str,
    job: &Yaml,
    s: &Scenario,
    ctx: &Context,
    inputs: &[String],
) -> Option<Run> {
    let at = format!("{name} on {} {}", s.event, s.git_ref);
    if let Some(cond) = job["if"].as_str()
        && !condition(cond, ctx).unwrap_or_else(|e| panic!("{at}: if: {e}"))
    {
        return None;
    }
    let steps: Vec<&Yaml> = job["steps"]
        .as_vec()
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    let ours: Vec<&Yaml> = steps
        .into_iter()
        .filter(|s| is_ours(s) && !is_preview(s) && !is_check(s))
        .collect();
    if ours.is_empty() {
        return None;
    }
    let env = &job["environment"];
    let env = env["name"].as_str().or(env.as_str());
    let env = env.unwrap_or_else(|| panic!("{at}: the job names no GitHub environment"));
    let github_env = interpolate(env, ctx).unwrap_or_else(|e| panic!("{at}: {e}"));
    for step in &ours {
        let with = &step["with"];
        for key in with.as_hash().into_iter().flat_map(|h| h.keys()) {
            let key = key.as_str().unwrap_or_default();
            assert!(
                inputs.iter().any(|i| i == key),
                "{at}: `{key}` is no input of action.yml"
            );
        }
        let railway = railway_environment(with, s, ctx);
        assert_eq!(railway.as_deref(), Some(github_env.as_str()), "{at}");
    }
    let c = &job["concurrency"];
    let group = c["group"].as_str().or(c.as_str());
    let group = group.unwrap_or_else(|| panic!("{at}: no concurrency group"));
    let group = interpolate(group, ctx).unwrap_or_else(|e| panic!("{at}: {e}"));
    Some(Run {
        at,
        environment: github_env,
        group,
    })
}

fn runs_of(file: &str, text: &str, inputs: &[String]) -> Vec<Run> {
    let wf = load(text, file);
    let on = &wf["on"];
    assert!(!on.is_badvalue(), "{file}: no `on:`");
    let jobs = wf["jobs"]
        .as_hash()
        .unwrap_or_else(|| panic!("{file}: no jobs"));
    let mut runs = Vec::new();
    for s in SCENARIOS.iter().filter(|s| triggers(on, s)) {
        let ctx = context(s, on);
        for (name, job) in jobs {
            let name = format!("{file}:{}", name.as_str().unwrap_or_default());
            runs.extend(check_job(&name, job, s, &ctx, inputs));
        }
    }
    runs
}

#[test]
fn every_example_deploys_to_the_github_environment_of_the_railway_environment() {
    let inputs = action_inputs();
    let mut runs = Vec::new();
    for (file, text) in examples() {
        let these = runs_of(&file, &text, &inputs);
        assert!(
            !these.is_empty()
                || !text.contains("/railway-deploy@")
                || file.starts_with("preview")
                || file == "check.yml",
            "{file} never deploys"
        );
        runs.extend(these);
    }
    let at = |env: &str| runs.iter().any(|r| r.environment == env);
    assert!(at("staging") && at("production"), "{runs:?}");
    // The pre-release tag is a staging deploy, like a push to main.
    let rc = runs
        .iter()
        .find(|r| r.at == "deploy.yml:deploy on push refs/tags/v1.3.0-rc.1");
    assert_eq!(
        rc.map(|r| r.environment.as_str()),
        Some("staging"),
        "{runs:?}"
    );
    // Concurrency serialises per environment: same group exactly when same environment.
    for a in &runs {
        for b in &runs {
            assert_eq!(
                a.group == b.group,
                a.environment == b.environment,
                "{a:?} / {b:?}"
            );
        }
    }
}

#[test]
fn the_readmes_workflows_are_the_example_files() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let files = examples();
    let blocks: Vec<&str> = readme
        .split("```yaml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .filter(|b| b.contains("\njobs:"))
        .collect();
    assert!(!blocks.is_empty());
    for block in &blocks {
        assert!(
            files.values().any(|f| f == block),
            "a README workflow is not an examples/workflows file:\n{block}"
        );
    }
    for (name, text) in &files {
        let named = readme.contains(&format!("examples/workflows/{name}"));
        assert!(
            named || blocks.contains(&text.as_str()),
            "README never shows {name}"
        );
    }
}

#[test]
fn the_promote_example_may_read_the_runs_jobs() {
    let text = &examples()["promote.yml"];
    let wf = load(text, "promote.yml");
    assert_eq!(wf["permissions"]["actions"].as_str(), Some("read"));
    assert_eq!(wf["permissions"]["deployments"].as_str(), Some("write"));
}

/// The `command:` of the workflow's railway-deploy steps, and their inputs checked against
/// `action.yml`.
fn preview_steps(wf: &Yaml, inputs: &[String]) -> Vec<String> {
    let mut commands = Vec::new();
    for (_, job) in wf["jobs"].as_hash().expect("jobs") {
        for step in job["steps"]
            .as_vec()
            .into_iter()
            .flatten()
            .filter(|s| is_ours(s))
        {
            for key in step["with"].as_hash().into_iter().flat_map(|h| h.keys()) {
                let key = key.as_str().unwrap_or_default();
                assert!(inputs.iter().any(|i| i == key), "`{key}` is no input");
            }
            commands.extend(step["with"]["command"].as_str().map(str::to_string));
        }
    }
    commands
}

#[test]
fn the_preview_examples_run_on_pull_requests_and_on_a_schedule() {
    let inputs = action_inputs();
    let files = examples();
    let wf = load(&files["preview.yml"], "preview.yml");
    assert!(wf["on"]["pull_request_target"].is_badvalue());
    let types: Vec<&str> = wf["on"]["pull_request"]["types"]
        .as_vec()
        .expect("pull_request types")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    let wanted = [
        "opened",
        "reopened",
        "synchronize",
        "ready_for_review",
        "closed",
    ];
    assert_eq!(types, wanted);
    let job = &wf["jobs"]["preview"];
    let group = job["concurrency"]["group"].as_str().unwrap_or_default();
    assert!(
        group.contains("github.event.pull_request.number"),
        "{group}"
    );
    assert_eq!(
        job["concurrency"]["cancel-in-progress"].as_bool(),
        Some(false)
    );
    assert_eq!(wf["permissions"]["pull-requests"].as_str(), Some("write"));
    assert_eq!(wf["permissions"]["contents"].as_str(), Some("read"));
    assert_eq!(preview_steps(&wf, &inputs), ["preview"]);
    let wf = load(&files["preview-cleanup.yml"], "preview-cleanup.yml");
    assert!(!wf["on"]["schedule"].is_badvalue());
    assert_eq!(wf["permissions"]["pull-requests"].as_str(), Some("read"));
    assert!(
        wf["permissions"]["contents"].is_badvalue(),
        "no checkout needed"
    );
    assert_eq!(preview_steps(&wf, &inputs), ["preview-cleanup"]);
}

#[test]
fn the_check_example_runs_the_check_by_hand_with_the_deploy_jobs_permissions() {
    use railway_deploy::setup_check::permissions::{Declared, declared, judge};
    use railway_deploy::setup_check::plan::{Access, Need};
    let inputs = action_inputs();
    let files = examples();
    let text = &files["check.yml"];
    let wf = load(text, "check.yml");
    assert!(!wf["on"]["workflow_dispatch"].is_badvalue());
    assert_eq!(preview_steps(&wf, &inputs), ["check"]);
    // Everything the deploy example grants, the check example grants too.
    let deploy = load(&files["deploy.yml"], "deploy.yml");
    for (scope, level) in deploy["permissions"].as_hash().expect("deploy permissions") {
        assert_eq!(
            wf["permissions"][scope.as_str().unwrap()],
            *level,
            "{scope:?}"
        );
    }
    // The action's own reader of `permissions:` finds them all, for the job `check`.
    let needs: Vec<Need> = [
        ("deployments", Access::Write),
        ("pull-requests", Access::Write),
        ("checks", Access::Read),
        ("statuses", Access::Read),
        ("actions", Access::Read),
    ]
    .into_iter()
    .map(|(scope, access)| Need {
        scope,
        access,
        why: "test",
    })
    .collect();
    let d = declared(text, Some("check")).unwrap();
    assert!(matches!(d, Declared::Workflow(_)), "{d:?}");
    let r = judge("check.yml", Some("check"), &d, &needs);
    assert_eq!(r.result.as_str(), "ok", "{}", r.detail);
}

/// `deploy.yml` (a stable tag) and `promote.yml` (the release of that tag) both deploy
/// production: used together, they must run one after the other and neither gate may wait for
/// the other's job (which waits, queued, in the same concurrency group).
#[test]
fn deploy_and_promote_together_never_wait_on_each_other() {
    let files = examples();
    let job = |file: &str, name: &str| load(&files[file], file)["jobs"][name].clone();
    let (deploy, promote) = (job("deploy.yml", "deploy"), job("promote.yml", "promote"));
    let ignored = |job: &Yaml| -> Vec<String> {
        let steps = job["steps"].as_vec().cloned().unwrap_or_default();
        let ours = steps
            .iter()
            .find(|s| is_ours(s))
            .expect("a railway-deploy step");
        let list = ours["with"]["ignore-checks"].as_str().unwrap_or_default();
        list.split([',', '\n'])
            .map(|s| s.trim().to_string())
            .collect()
    };
    assert!(ignored(&deploy).contains(&"promote".to_string()));
    assert!(ignored(&promote).contains(&"deploy".to_string()));
    assert_eq!(
        promote["concurrency"]["group"].as_str(),
        Some("railway-production")
    );
    let stable = &SCENARIOS[1];
    let ctx = context(stable, &load(&files["deploy.yml"], "deploy.yml")["on"]);
    let group = deploy["concurrency"]["group"].as_str().unwrap();
    assert_eq!(interpolate(group, &ctx).unwrap(), "railway-production");
}

/// The README is for users: it never sends them to `../shared`, a folder beside the repository
/// on the maintainers' machines only.
#[test]
fn the_readme_names_no_maintainer_only_path() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(!readme.contains("../shared"), "the README names ../shared");
    assert!(
        !readme.contains("/work/"),
        "the README names a machine's path"
    );
}

/// The setup advice a newcomer needs: a ten-step first deploy, the monorepo's Root Directory,
/// and where the account token is kept.
#[test]
fn the_readme_gives_the_first_hours_setup_advice() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("## Your first deploy")
        .expect("a first-deploy checklist");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    let steps = section
        .lines()
        .filter(|l| {
            l.split_once(". ")
                .is_some_and(|(n, _)| n.parse::<u8>().is_ok())
        })
        .count();
    assert_eq!(steps, 10, "{section}");
    assert!(
        readme.contains("Clear the service's\n  Root Directory"),
        "monorepo advice"
    );
    assert!(
        readme.contains("protected GitHub\n  environment"),
        "account token advice"
    );
}
