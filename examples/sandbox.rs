//! The sandbox: see railway-deploy work without a Railway or GitHub account.
//!
//! `cargo run --example sandbox [-- [--scenario happy|rollback] [OUT_DIR]]` starts the project's
//! own fake Railway, fake GitHub and a tiny app to health-check, all on loopback; then runs the
//! real `railway-deploy` binary exactly as the Actions runner would (`INPUT_*` variables, an event
//! file, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`) for a push to `main` with an open pull request.
//! `happy` (the default) deploys and passes its health check; `rollback` serves a health check
//! that fails after the deploy went live, so the run rolls back to the previous deployment (exit
//! status 1). It prints the log as a workflow's run page shows it, then writes the job summary,
//! the PR comment, the GitHub Deployment's statuses and `report.html` (the summary and the comment
//! rendered as GitHub shows them) to `OUT_DIR` (default `target/sandbox/<scenario>`). Nothing is
//! simulated outside the fakes.
//!
//! The binary is built by an inner `cargo build` of the same profile into the same target
//! directory as this example, with the variables `cargo run` sets for the example removed: they
//! would otherwise dirty build scripts (`ring`, the database crates) and rebuild them every run.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::exit,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "a developer tool, not the action: it prints, exits and reads its environment itself"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use axum::Router;
use axum::routing::get;
use fakes::Server;
use fakes::github::GitHubState;
use fakes::github::checks::{Snapshot, actions_check_run};
use fakes::railway::{FakeRailway, RailwayWorld};

const SHA: &str = "5f3c1e0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e";
const PULL: u64 = 12;

/// Builds the binary (a no-op when it is fresh) and returns its path next to this example's.
fn binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // target/<profile>/examples/sandbox → target/<profile> and target.
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("cannot locate the target directory")?;
    let target_dir = profile_dir
        .parent()
        .ok_or("cannot locate the target directory")?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(&cargo);
    // With `--example sandbox` the dependencies resolve to the same features (dev-dependencies
    // included) as this example's own build, so their compiled artifacts are reused as they are.
    build.args(["build", "--bin", "railway-deploy", "--example", "sandbox"]);
    build.arg("--target-dir");
    build.arg(target_dir);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    // `cargo run` gives the example CARGO_MANIFEST_DIR, CARGO_PKG_*, CARGO_ENCODED_RUSTFLAGS...,
    // and OUT_DIR (the package has a build script): an inner build that inherits them sees a
    // changed environment and reruns build scripts (`ring`'s watches OUT_DIR), then the outer
    // `cargo run` rebuilds them back.
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(|k| {
            (k.starts_with("CARGO_") && !matches!(k, "CARGO_HOME" | "CARGO_TERM_COLOR"))
                || k == "OUT_DIR"
        }) {
            build.env_remove(&key);
        }
    }
    println!("── building railway-deploy (seconds when it is already built) ──");
    let status = build
        .status()
        .map_err(|e| format!("could not run `{cargo} build`: {e}"))?;
    if !status.success() {
        return Err("building railway-deploy failed (see above)".into());
    }
    let bin = profile_dir.join("railway-deploy");
    bin.exists()
        .then_some(bin.clone())
        .ok_or_else(|| format!("{} was not built", bin.display()))
}

/// What the sandbox shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scenario {
    /// Deploy, health check passes.
    Happy,
    /// Deploy, the health check fails after going live, the previous deployment is restored.
    Rollback,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Happy => "happy",
            Scenario::Rollback => "rollback",
        }
    }
}

/// `[--scenario happy|rollback] [OUT_DIR]`.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<(Scenario, PathBuf), String> {
    let mut scenario = Scenario::Happy;
    let mut out = None;
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        let value = match a.strip_prefix("--scenario") {
            Some("") => args.next().unwrap_or_default(),
            Some(v) if v.starts_with('=') => v[1..].to_string(),
            _ if a.starts_with('-') => return Err(format!("unknown option `{a}`")),
            _ => {
                out = Some(PathBuf::from(a));
                continue;
            }
        };
        scenario = match value.as_str() {
            "happy" => Scenario::Happy,
            "rollback" => Scenario::Rollback,
            other => return Err(format!("unknown scenario `{other}` (happy or rollback)")),
        };
    }
    // Each scenario its own folder, so running both keeps both.
    let out = out.unwrap_or_else(|| PathBuf::from("target/sandbox").join(scenario.name()));
    Ok((scenario, out))
}

fn write(dir: &Path, name: &str, text: &str) -> Result<PathBuf, String> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(path)
}

/// The fake Railway (standard world) with build and deploy logs scripted for `web`.
async fn fake_railway() -> FakeRailway {
    let railway = FakeRailway::start(RailwayWorld::standard()).await;
    // Status and build logs arrive over the fake's websocket, as from Railway.
    railway.world().script_logs(
        "svc-web",
        &[
            "[internal] load build definition from Dockerfile",
            "#5 [2/3] RUN npm ci",
            "#6 [3/3] COPY . .",
            "#7 exporting to image",
        ],
        &["listening on :8080"],
    );
    railway
}

/// The fake GitHub: one passing check on `SHA`, and pull request `PULL` open for it.
fn fake_github() -> Result<GitHubState, String> {
    let github = GitHubState::default();
    {
        let mut w = github.world.lock().map_err(|_| "fake GitHub poisoned")?;
        let run = actions_check_run(1, "test", 99, "completed", Some("success"));
        w.checks.script(SHA, vec![Snapshot::new(vec![run], vec![])]);
        w.comments.pulls_by_sha.insert(SHA.into(), vec![PULL]);
    }
    Ok(github)
}

/// The variables the runner would give the step (paths to files come on top).
fn step_env(
    scenario: Scenario,
    railway: &str,
    github: &str,
    health: &str,
) -> Vec<(&'static str, String)> {
    let rollback = scenario == Scenario::Rollback;
    let fixed = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_EVENT_NAME", "push"),
        ("GITHUB_REF", "refs/heads/main"),
        ("GITHUB_REF_NAME", "main"),
        ("GITHUB_REF_TYPE", "branch"),
        ("GITHUB_SHA", SHA),
        ("GITHUB_REPOSITORY", "acme/shop"),
        ("GITHUB_RUN_ID", "4242"),
        ("GITHUB_RUN_ATTEMPT", "1"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("INPUT_RAILWAY-TOKEN", "tok-staging"),
        ("INPUT_GITHUB-TOKEN", "sandbox-github-token"),
        ("INPUT_SERVICE", "web"),
        ("INPUT_SOURCE", "commit"),
        (
            "INPUT_HEALTH-EXPECT-BODY",
            if rollback { "ok" } else { "ok {sha}" },
        ),
        // Poll intervals a hundred times shorter than real ones; deadlines stay real, so the
        // failing health check of `rollback` gives up after 3 s, then rolls back.
        ("RAILWAY_DEPLOY_TIME_SCALE", "0.01"),
        ("INPUT_HEALTH-TIMEOUT", if rollback { "3s" } else { "2m" }),
    ];
    let mut env: Vec<(&'static str, String)> =
        fixed.iter().map(|(k, v)| (*k, v.to_string())).collect();
    env.push(("GITHUB_API_URL", github.to_string()));
    env.push(("INPUT_RAILWAY-API-URL", railway.to_string()));
    env.push(("INPUT_HEALTH-URL", health.to_string()));
    env
}

/// A checkout holding the example `rollback.yml`, so the report links to it.
fn workspace(out: &Path) -> Result<PathBuf, String> {
    let ws = out.join("workspace");
    let workflows = ws.join(".github/workflows");
    std::fs::create_dir_all(&workflows)
        .map_err(|e| format!("creating {}: {e}", workflows.display()))?;
    let example = include_str!("workflows/rollback.yml");
    write(&workflows, "rollback.yml", example)?;
    Ok(ws)
}

async fn sandbox(scenario: Scenario, out: &Path) -> Result<i32, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    let bin = binary()?;
    let railway = fake_railway().await;
    let github = fake_github()?;
    let github_server = Server::start(fakes::github::router(github.clone())).await;
    let app = Server::start(health_app(scenario, railway.state.recorder.clone())).await;

    let event = serde_json::json!({
        "ref": "refs/heads/main", "after": SHA, "deleted": false,
        "repository": {"full_name": "acme/shop"}
    });
    let event = write(out, "event.json", &event.to_string())?;
    let output = out.join("github_output.txt");
    let summary = out.join("job_summary.md");
    let _ = std::fs::remove_file(&output);
    let _ = std::fs::remove_file(&summary);
    let health_url = format!("{}/healthz", app.url());
    let env = step_env(
        scenario,
        &railway.api_url(),
        &github_server.url(),
        &health_url,
    );

    let what = match scenario {
        Scenario::Happy => "a deploy that passes its health check",
        Scenario::Rollback => "a deploy whose health check fails after going live: it rolls back",
    };
    println!("── railway-deploy, as a workflow step would run it: {what} ──");
    println!(
        "   (the log as the run page shows it; the fakes answer at once and poll intervals are 100× shorter, so elapsed times read in seconds, not minutes)\n"
    );
    let mut cmd = tokio::process::Command::new(&bin);
    cmd.env_clear()
        .envs(env)
        .env("GITHUB_WORKSPACE", workspace(out)?)
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary);
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    let output_of = cmd
        .stdout(std::process::Stdio::piped())
        .output()
        .await
        .map_err(|e| format!("running {}: {e}", bin.display()))?;
    for line in String::from_utf8_lossy(&output_of.stdout).lines() {
        if let Some(shown) = as_run_page_shows(line) {
            println!("{shown}");
        }
    }
    let code = output_of.status.code().unwrap_or(1);
    println!("── exit status {code} ──\n");
    println!("Railway mutations: {}", railway.mutations().join(", "));
    write_results(&github, out)?;
    println!("Step outputs:      {}", output.display());
    println!("Job summary:       {}", summary.display());
    let page = write_page(out, &summary)?;
    println!(
        "Open in a browser: {} (the summary and the comment as GitHub shows them)",
        page.display()
    );
    Ok(code)
}

/// A line of the step's stdout as the run page shows it: workflow commands become what GitHub
/// renders (a group's title, `Error:` ...), `::add-mask::` and `::endgroup::` show nothing.
fn as_run_page_shows(line: &str) -> Option<String> {
    let Some(command) = line.strip_prefix("::") else {
        return Some(line.to_string());
    };
    let (head, message) = command.split_once("::").unwrap_or((command, ""));
    let kind = head.split_whitespace().next().unwrap_or(head);
    let message = message
        .replace("%0A", "\n")
        .replace("%0D", "")
        .replace("%25", "%");
    match kind {
        "add-mask" | "endgroup" => None,
        "group" => Some(format!("▸ {message}")),
        "error" => Some(format!("Error: {message}")),
        "warning" => Some(format!("Warning: {message}")),
        "notice" => Some(format!("Notice: {message}")),
        "debug" => None,
        _ => Some(line.to_string()),
    }
}

/// `report.html`: the job summary and the PR comment rendered as GitHub does (GitHub-flavoured
/// markdown and mermaid, loaded from a CDN by the browser that opens it).
fn write_page(out: &Path, summary: &Path) -> Result<PathBuf, String> {
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let page = PAGE
        .replace("{summary}", &escape(&read(summary)))
        .replace("{comment}", &escape(&read(&out.join("pr_comment.md"))));
    write(out, "report.html", &page)
}

const PAGE: &str = r#"<!doctype html><html><head><meta charset="utf-8"><title>railway-deploy sandbox</title>
<style>
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI","Noto Sans",Helvetica,Arial,sans-serif;font-size:14px;line-height:1.5;color:#1f2328;max-width:900px;margin:24px auto;padding:0 16px}
.box{border:1px solid #d1d9e0;border-radius:6px;padding:16px 24px;margin:12px 0 32px}
.label{color:#59636e;font-weight:600}
table{border-collapse:collapse;display:block;overflow:auto}th,td{border:1px solid #d1d9e0;padding:6px 13px}tr:nth-child(2n){background:#f6f8fa}
code{background:rgba(129,139,152,.12);border-radius:6px;padding:.2em .4em;font-size:85%;font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
pre{background:#f6f8fa;border-radius:6px;padding:16px;overflow:auto}pre code{background:none;padding:0}
blockquote{border-left:.25em solid #d1d9e0;color:#59636e;padding:0 1em;margin:0}
</style></head><body>
<p class="label">Job summary (the run's page)</p><div class="box" id="summary"></div>
<p class="label">Pull request comment</p><div class="box" id="comment"></div>
<script type="text/markdown" id="summary-md">{summary}</script>
<script type="text/markdown" id="comment-md">{comment}</script>
<script src="https://cdn.jsdelivr.net/npm/marked@15/marked.min.js"></script>
<script type="module">
import mermaid from "https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.esm.min.mjs";
const unescape = (t) => t.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
for (const id of ["summary", "comment"]) {
  const md = unescape(document.getElementById(id + "-md").textContent);
  document.getElementById(id).innerHTML = marked.parse(md, { gfm: true });
}
document.querySelectorAll("code.language-mermaid").forEach((c) => {
  const pre = c.parentElement; pre.className = "mermaid"; pre.textContent = c.textContent;
});
mermaid.initialize({ startOnLoad: false }); await mermaid.run();
</script></body></html>
"#;

/// Writes the PR comment and the GitHub Deployments' statuses the fake GitHub received.
fn write_results(github: &GitHubState, out: &Path) -> Result<(), String> {
    let (comment, deployments) = {
        let w = github.world.lock().map_err(|_| "fake GitHub poisoned")?;
        let comment = w
            .comments
            .on_issue(PULL)
            .last()
            .map(|c| c.body.clone())
            .unwrap_or_else(|| "(no comment was written: is `comment: true`?)\n".into());
        let deployments: Vec<String> = w
            .deployments
            .deployments
            .iter()
            .map(|d| {
                format!(
                    "GitHub Deployment {} to {}: {}\n",
                    d.id,
                    d.body["environment"].as_str().unwrap_or("?"),
                    d.states().join(" → ")
                )
            })
            .collect();
        (comment, deployments.concat())
    };
    let comment_path = write(out, "pr_comment.md", &comment)?;
    let deployments_path = write(out, "github_deployments.txt", &deployments)?;
    print!("{deployments}");
    println!("PR #{PULL} comment:    {}", comment_path.display());
    println!("Deployments:       {}", deployments_path.display());
    Ok(())
}

/// The stand-in app: healthy, or (for `rollback`) answering 503 until the fake Railway has been
/// asked to roll back, as a release that cannot reach its database would.
fn health_app(scenario: Scenario, railway: fakes::recorder::Recorder) -> Router {
    match scenario {
        Scenario::Happy => Router::new().route("/healthz", get(|| async { format!("ok {SHA}") })),
        Scenario::Rollback => Router::new().route(
            "/healthz",
            get(move || {
                let rolled_back = railway.all().iter().any(|r| {
                    r.body_json()
                        .is_some_and(|b| b["operationName"] == "DeploymentRollback")
                });
                async move {
                    if rolled_back {
                        (axum::http::StatusCode::OK, "ok")
                    } else {
                        let e = "database connection refused";
                        (axum::http::StatusCode::SERVICE_UNAVAILABLE, e)
                    }
                }
            }),
        ),
    }
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (scenario, out) = match parse_args(std::env::args().skip(1)) {
        Ok(v) => v,
        Err(e) => {
            eprintln!(
                "sandbox: {e}\nusage: cargo run --example sandbox -- [--scenario happy|rollback] [OUT_DIR]"
            );
            std::process::exit(2);
        }
    };
    match sandbox(scenario, &out).await {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("sandbox: {e}");
            std::process::exit(1);
        }
    }
}
