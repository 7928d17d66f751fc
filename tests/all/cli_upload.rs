//! `source: upload` through the built binary, as the Actions runner runs it, against the fake
//! Railway (GraphQL, upload endpoint and websocket on one server and one world): the archive that
//! arrives, live status over the socket, build logs in one group per service, the failing step of a
//! failed deploy, the request budget with and without websockets, and no token in any output.

use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::support::cli::Runner;
use crate::support::secrets::assert_no_token;
use fakes::Recorded;
use fakes::railway::upload::unpack;
use fakes::railway::{FakeRailway, RailwayWorld};

fn write(root: &Path, rel: &str, data: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, data).unwrap();
}

/// A checkout with everything the selection rules care about.
fn checkout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, ".gitignore", "*.log\n/dist\n!keep.log\n");
    write(root, "src/.gitignore", "*.tmp\n");
    write(root, ".railwayignore", "docs/\n");
    write(root, "src/main.rs", "fn main() {}\n");
    write(root, "src/cache.tmp", "ignored by the nested .gitignore");
    write(root, "debug.log", "ignored");
    write(root, "keep.log", "negated: kept");
    write(root, "dist/app.js", "built output, ignored");
    write(root, "docs/guide.md", "ignored by .railwayignore");
    write(root, ".env.example", "hidden files are uploaded");
    write(root, ".git/HEAD", "ref: refs/heads/main");
    write(root, "node_modules/left-pad/index.js", "never uploaded");
    write(root, "package.json", "{}");
    dir
}

const MEMBERS: &[&str] = &[
    "./.env.example",
    "./.gitignore",
    "./.railwayignore",
    "./keep.log",
    "./package.json",
    "./src/",
    "./src/.gitignore",
    "./src/main.rs",
];

const BUILD_LOGS: &[&str] = &[
    "[internal] load build definition from Dockerfile",
    "#5 [2/4] RUN npm ci",
    "#6 [3/4] COPY . .",
    "#7 exporting to image",
];

async fn fake() -> FakeRailway {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    for svc in ["svc-web", "svc-worker"] {
        rw.world()
            .script_logs(svc, BUILD_LOGS, &["listening on :8080"]);
    }
    rw
}

/// The default source (`upload`) of `dir`.
fn upload_runner(rw: &FakeRailway, dir: &Path) -> Runner {
    let mut r = Runner::new(&rw.api_url());
    r.unset("INPUT_SOURCE").input("path", dir.to_str().unwrap());
    r
}

/// Requests from the first upload on: what the deploy itself cost (resolving the project and
/// services before it is the same for every source).
fn deploy_requests(rw: &FakeRailway) -> Vec<Recorded> {
    let all = rw.requests();
    let first = all
        .iter()
        .position(|r| r.path.ends_with("/up"))
        .expect("an upload was received");
    all[first..].to_vec()
}

/// The lines between `::group::{title}` and the next `::endgroup::`.
fn group<'a>(stdout: &'a str, title: &str) -> Vec<&'a str> {
    let opener = format!("::group::{title}");
    stdout
        .lines()
        .skip_while(|l| *l != opener)
        .skip(1)
        .take_while(|l| *l != "::endgroup::")
        .collect()
}

#[tokio::test]
async fn the_default_source_uploads_the_checkout_and_follows_it_live() {
    let rw = fake().await;
    let dir = checkout();
    let run = upload_runner(&rw, dir.path()).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "success");

    let uploads = rw.uploads();
    assert_eq!(uploads.len(), 1);
    let up = &uploads[0];
    assert_eq!(up.path, "/project/proj-1/environment/env-stg/up");
    assert_eq!(
        up.query.as_deref(),
        Some("serviceId=svc-web&message=railway-deploy+abc1234")
    );
    assert_eq!(up.header("content-type"), Some("application/gzip"));
    assert_eq!(up.header("project-access-token"), Some("tok-staging"));
    assert_eq!(&up.body[..2], &[0x1f, 0x8b], "a gzip body");
    let members = unpack(&up.body).unwrap();
    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, MEMBERS);

    // The deployment the upload created is the one reported.
    let id = run.output("deployment-id").to_string();
    let world = rw.world();
    let d = world.deployment(&id).expect("the upload's deployment");
    assert_eq!(d.meta["source"], "upload");
    assert_eq!(d.status, "SUCCESS");
    drop(world);

    // Live status over the socket: no polling fallback, one read for the verdict.
    assert!(
        !run.stdout.contains("live status unavailable"),
        "{}",
        run.log()
    );
    // One read for the verdict after the socket said SUCCESS, one by the health stage.
    let reads = rw
        .operations()
        .iter()
        .filter(|o| *o == "Deployment")
        .count();
    assert!(reads <= 2, "{:?}", rw.operations());

    // Build logs in one collapsed group for the service.
    assert_eq!(
        run.stdout.matches("::group::Railway logs: web").count(),
        1,
        "{}",
        run.stdout
    );
    let logs = group(&run.stdout, "Railway logs: web");
    for l in BUILD_LOGS {
        assert_eq!(
            logs.iter().filter(|x| *x == l).count(),
            1,
            "{l} once in the group:\n{}",
            run.stdout
        );
    }
    assert_no_token(&run);
}

#[tokio::test]
async fn a_failed_pre_deploy_command_shows_the_last_lines_and_names_the_step() {
    let rw = fake().await;
    {
        let mut w = rw.world();
        w.script("svc-web", &["BUILDING", "DEPLOYING", "FAILED"]);
        w.script_logs(
            "svc-web",
            &["#5 [2/4] RUN npm ci", "#7 exporting to image"],
            &[
                "> prisma migrate deploy",
                "Error: P3009 migrate found failed migrations",
            ],
        );
        w.script_events(
            "svc-web",
            RailwayWorld::failed_step_events(
                "PRE_DEPLOY_COMMAND",
                "Pre-deploy command failed with exit code 1",
            ),
        );
    }
    let dir = checkout();
    let run = upload_runner(&rw, dir.path()).run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(run.output("status"), "failed");
    let id = run.output("deployment-id").to_string();
    let annotation = format!(
        "::error::web: deployment {id} ended FAILED: the pre-deploy command step failed: Pre-deploy command failed with exit code 1; the previous deployment dep-old-web-stg is still serving"
    );
    assert_eq!(
        run.stdout.lines().filter(|l| *l == annotation).count(),
        1,
        "one annotation naming the step:\n{}",
        run.stdout
    );
    // The last lines come after the log group closed, outside any group.
    let lines: Vec<&str> = run.stdout.lines().collect();
    let end = lines.iter().position(|l| *l == "::endgroup::").unwrap();
    let tail = lines
        .iter()
        .position(|l| l.starts_with("Last 4 log lines of web"))
        .unwrap_or_else(|| panic!("no tail:\n{}", run.stdout));
    assert!(tail > end, "{}", run.stdout);
    assert_eq!(
        lines[tail + 4],
        "  Error: P3009 migrate found failed migrations"
    );
    assert!(
        !lines[tail..].iter().any(|l| l.starts_with("::group::")),
        "{}",
        run.stdout
    );
    assert!(
        rw.operations().contains(&"DeploymentEvents".to_string()),
        "{:?}",
        rw.operations()
    );
    assert!(run.summary.contains("P3009"), "{}", run.summary);
    assert_no_token(&run);
}

/// A ten-minute deploy in the scaled time the binary runs on (`RAILWAY_DEPLOY_TIME_SCALE=0.001`):
/// BUILDING after 5 minutes, SUCCESS after 10, whoever asks and however often.
fn ten_minute_deploy(rw: &FakeRailway) {
    let mut w = rw.world();
    w.script("svc-web", &["BUILDING", "SUCCESS"]);
    w.step_every = Some(Duration::from_millis(300));
}

#[tokio::test]
async fn over_the_websocket_a_ten_minute_deploy_costs_at_most_10_requests() {
    let rw = fake().await;
    ten_minute_deploy(&rw);
    let dir = checkout();
    let run = upload_runner(&rw, dir.path()).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let deploy = deploy_requests(&rw);
    let upgrades = deploy.iter().filter(|r| r.method == "GET").count();
    assert_eq!(upgrades, 1, "one socket for the status and the logs");
    assert!(
        deploy.len() <= 10,
        "{} requests for the deploy ({} for the whole run)",
        deploy.len(),
        rw.requests().len()
    );
    assert!(rw.requests().len() <= 10, "{}", rw.requests().len());
    // Issue 14: the whole run costs at most 5 HTTP requests besides the 2 sockets: resolution in
    // one request, the serving deployment, the upload, and one read after the health check (the
    // status subscription's final event carries the deployment: no read after it); on a branch
    // push, the environment's deployment triggers (issue 11: one read per run, for every service).
    assert_eq!(
        rw.operations(),
        [
            "ProjectToken",
            "Deployments",
            "DeploymentTriggers",
            "Deployment"
        ],
        "{}",
        run.log()
    );
    let http = rw.requests().len() - rw.upgrades().len();
    assert!(http <= 5, "{http} HTTP requests besides the sockets");
    assert_eq!(rw.upgrades().len(), 1);
    // Issue 20 (`fidelity:`): the status and the CLI's two log streams (was 2).
    let mut subs = rw.subscriptions();
    subs.sort();
    assert_eq!(subs, ["buildLogs", "deployment", "deploymentLogs"]);
    assert_no_token(&run);
}

#[tokio::test]
async fn without_websockets_a_ten_minute_deploy_polls_within_40_requests() {
    let rw = fake().await;
    ten_minute_deploy(&rw);
    rw.world().websockets = false;
    let dir = checkout();
    let run = upload_runner(&rw, dir.path()).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.output("status"), "success");
    assert!(
        run.stdout.contains("web: live status unavailable"),
        "{}",
        run.log()
    );
    assert!(
        run.stdout.contains("(log stream unavailable:"),
        "{}",
        run.log()
    );
    let deploy = deploy_requests(&rw);
    let reads = deploy
        .iter()
        .filter(|r| r.body_text().contains("\"Deployment\""))
        .count();
    assert!(reads >= 5, "it really polled: {reads}");
    assert!(
        deploy.len() <= 40,
        "{} requests for the deploy ({reads} polls)",
        deploy.len()
    );
    // The log subscription is not retried once its socket was refused; the status socket is
    // tried twice more (with backoff) while polling: one upgrade for logs, three for status.
    assert_eq!(rw.upgrades().len(), 4);
    assert!(rw.subscriptions().is_empty(), "{:?}", rw.subscriptions());
    assert_no_token(&run);
}

#[tokio::test]
async fn two_services_with_one_path_get_identical_archives_and_their_own_groups() {
    let rw = fake().await;
    let dir = checkout();
    let mut r = upload_runner(&rw, dir.path());
    r.input("service", "web\nworker");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let uploads = rw.uploads();
    assert_eq!(uploads.len(), 2);
    let mut services: Vec<_> = uploads
        .iter()
        .filter_map(|u| u.query.as_deref()?.split('&').next().map(str::to_string))
        .collect();
    services.sort();
    assert_eq!(services, ["serviceId=svc-web", "serviceId=svc-worker"]);
    assert_eq!(uploads[0].body, uploads[1].body, "byte-identical archives");
    // Proportional budget (issue 14): one resolution request and one trigger read (a branch push,
    // issue 11) for both, then per service the serving deployment, the upload and the read after
    // the health check; one socket for both, three subscriptions each (issue 20).
    let ops = rw.operations();
    assert_eq!(ops.iter().filter(|o| *o == "ProjectToken").count(), 1);
    assert_eq!(ops.iter().filter(|o| *o == "DeploymentTriggers").count(), 1);
    let http = rw.requests().len() - rw.upgrades().len();
    assert!(http <= 2 + 3 * 2, "{http} HTTP requests: {ops:?}");
    assert!(rw.upgrades().len() <= 2 * 2, "{}", rw.upgrades().len());
    assert_eq!(rw.upgrades().len(), 1);
    // Issue 20 (`fidelity:`): three per service (was two).
    assert_eq!(rw.subscriptions().len(), 3 * 2, "{:?}", rw.subscriptions());
    assert_eq!(run.stdout.matches("uploaded ").count(), 2, "{}", run.stdout);
    for svc in ["web", "worker"] {
        let title = format!("Railway logs: {svc}");
        assert_eq!(run.stdout.matches(&format!("::group::{title}")).count(), 1);
        let logs = group(&run.stdout, &title);
        let expected: Vec<String> = BUILD_LOGS.iter().map(|l| format!("[{svc}] {l}")).collect();
        for l in &expected {
            assert!(logs.contains(&l.as_str()), "{l}:\n{}", run.stdout);
        }
        assert!(
            logs.iter()
                .all(|l| l.starts_with(&format!("[{svc}] ")) || l.starts_with(&format!("{svc}: "))),
            "only {svc}'s lines in its group:\n{}",
            run.stdout
        );
    }
    assert_no_token(&run);
}

#[tokio::test]
async fn a_dry_run_describes_the_archive_and_uploads_nothing() {
    let rw = fake().await;
    let dir = checkout();
    let mut r = upload_runner(&rw, dir.path());
    r.input("dry-run", "true");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(rw.uploads().is_empty());
    assert!(rw.mutations().is_empty());
    assert!(
        run.stdout.contains(&format!(
            "the archive of `{}` holds 7 files",
            dir.path().display()
        )),
        "{}",
        run.stdout
    );
    assert_no_token(&run);
}
