//! The sandbox: see railway-deploy work without a Railway or GitHub account.
//!
//! `cargo run --example sandbox [-- OUT_DIR]` starts the project's own fake Railway, fake GitHub and
//! a tiny app to health-check, all on loopback; then runs the real `railway-deploy` binary exactly
//! as the Actions runner would (`INPUT_*` variables, an event file, `GITHUB_OUTPUT`,
//! `GITHUB_STEP_SUMMARY`) for a push to `main` with an open pull request. It prints the log a
//! workflow shows, then writes the job summary, the PR comment and the GitHub Deployment's
//! statuses to `OUT_DIR` (default `target/sandbox`). Nothing is simulated outside the fakes.

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
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .args(["build", "--quiet", "--bin", "railway-deploy"])
        .status()
        .map_err(|e| format!("could not run `{cargo} build`: {e}"))?;
    if !status.success() {
        return Err("building railway-deploy failed (see above)".into());
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // target/<profile>/examples/sandbox → target/<profile>/railway-deploy
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("railway-deploy"))
        .ok_or("cannot locate the target directory")?;
    bin.exists()
        .then_some(bin.clone())
        .ok_or_else(|| format!("{} was not built", bin.display()))
}

fn write(dir: &Path, name: &str, text: &str) -> Result<PathBuf, String> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(path)
}

async fn sandbox(out: &Path) -> Result<i32, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    let bin = binary()?;

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
    let github = GitHubState::default();
    {
        let mut w = github.world.lock().map_err(|_| "fake GitHub poisoned")?;
        w.checks.script(
            SHA,
            vec![Snapshot::new(
                vec![actions_check_run(
                    1,
                    "test",
                    99,
                    "completed",
                    Some("success"),
                )],
                vec![],
            )],
        );
        w.comments.pulls_by_sha.insert(SHA.into(), vec![PULL]);
    }
    let github_server = Server::start(fakes::github::router(github.clone())).await;
    let app =
        Server::start(Router::new().route("/healthz", get(|| async { format!("ok {SHA}") }))).await;

    let event = write(
        out,
        "event.json",
        &serde_json::json!({
            "ref": "refs/heads/main", "after": SHA, "deleted": false,
            "repository": {"full_name": "acme/shop"}
        })
        .to_string(),
    )?;
    let output = out.join("github_output.txt");
    let summary = out.join("job_summary.md");
    let _ = std::fs::remove_file(&output);
    let _ = std::fs::remove_file(&summary);

    let health_url = format!("{}/healthz", app.url());
    let env = [
        ("GITHUB_EVENT_NAME", "push"),
        ("GITHUB_REF", "refs/heads/main"),
        ("GITHUB_REF_NAME", "main"),
        ("GITHUB_REF_TYPE", "branch"),
        ("GITHUB_SHA", SHA),
        ("GITHUB_REPOSITORY", "acme/shop"),
        ("GITHUB_RUN_ID", "4242"),
        ("GITHUB_RUN_ATTEMPT", "1"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_API_URL", &github_server.url()),
        ("INPUT_RAILWAY-API-URL", &railway.api_url()),
        ("INPUT_RAILWAY-TOKEN", "tok-staging"),
        ("INPUT_GITHUB-TOKEN", "sandbox-github-token"),
        ("INPUT_SERVICE", "web"),
        ("INPUT_SOURCE", "commit"),
        ("INPUT_HEALTH-URL", &health_url),
        ("INPUT_HEALTH-EXPECT-BODY", "ok {sha}"),
        // Poll intervals a hundred times shorter than real ones; deadlines stay real.
        ("RAILWAY_DEPLOY_TIME_SCALE", "0.01"),
    ];
    println!("── railway-deploy, as a workflow step would run it ──");
    let mut cmd = tokio::process::Command::new(&bin);
    cmd.env_clear()
        .envs(env)
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary);
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    let status = cmd
        .status()
        .await
        .map_err(|e| format!("running {}: {e}", bin.display()))?;
    let code = status.code().unwrap_or(1);
    println!("── exit status {code} ──\n");

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
    println!("Railway mutations: {}", railway.mutations().join(", "));
    print!("{deployments}");
    println!("Step outputs:      {}", output.display());
    println!("Job summary:       {}", summary.display());
    println!("PR #{PULL} comment:    {}", comment_path.display());
    println!("Deployments:       {}", deployments_path.display());
    Ok(code)
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/sandbox"));
    match sandbox(&out).await {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("sandbox: {e}");
            std::process::exit(1);
        }
    }
}
