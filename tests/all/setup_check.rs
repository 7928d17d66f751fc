//! `command: check` through the built binary, run as the Actions runner runs it, against the fake
//! Railway and the fake GitHub: a well-set-up world passes with no write of any kind (the fakes'
//! recorders hold no Railway mutation and no GitHub POST/PATCH/PUT/DELETE), and each check's
//! badly-set-up world fails (or warns about) that check, with the fix in the text. The
//! workflow-permissions check reads the repository's real example workflows.

use crate::support::cli::{Run, Runner};
use crate::support::postgres::TestPostgres;
use fakes::Server;
use fakes::github::GitHubState;
use fakes::github::checks::Snapshot;
use fakes::github::faults::{Action, Rule};
use fakes::railway::{FakeRailway, RailwayWorld};
use serde_json::Value;

/// The commit `Runner::new` pushes.
const SHA: &str = "abc1234def5678abc1234def5678abc1234def56";

struct Fakes {
    gh: GitHubState,
    gh_server: Server,
    rw: FakeRailway,
}

/// The standard world, set up well: a healthcheck path on every service, no autodeploy, a
/// database (`worker` here) with a volume a quarter full, and this run's jobs listed.
fn good_world() -> RailwayWorld {
    let mut w = RailwayWorld::standard();
    for i in w.instances.values_mut() {
        i.healthcheck_path = Some("/health".into());
    }
    w.set_variable(
        "svc-worker",
        "env-stg",
        "DATABASE_PUBLIC_URL",
        "postgresql://u:pw-Secret-9@db.example:5432/app",
    );
    w.add_volume("svc-worker", "env-stg", "pgdata", 250.0, 1000);
    w
}

impl Fakes {
    async fn start(world: RailwayWorld) -> Fakes {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let gh = GitHubState::default();
        {
            let mut w = gh.world.lock().unwrap();
            w.checks.run_jobs.insert(4242, vec![1]);
            w.checks.script(SHA, vec![Snapshot::new(vec![], vec![])]);
        }
        let gh_server = Server::start(fakes::github::router(gh.clone())).await;
        let rw = FakeRailway::start(world).await;
        Fakes { gh, gh_server, rw }
    }

    /// `command: check` on a push to `main` (→ `staging`), every GitHub feature on, the workflow
    /// being the repository's `examples/workflows/check.yml`.
    fn runner(&self) -> Runner {
        let mut r = Runner::new(&self.rw.api_url());
        r.with_github(&self.gh_server.url())
            .input("command", "check")
            .input("service", "web, worker")
            .input("migrate-command", "npm run migrate")
            .input("watch", "5m")
            .set("GITHUB_WORKSPACE", env!("CARGO_MANIFEST_DIR"))
            .set(
                "GITHUB_WORKFLOW_REF",
                "acme/shop/examples/workflows/check.yml@refs/heads/main",
            )
            .set("GITHUB_JOB", "check");
        r
    }

    fn github_writes(&self) -> Vec<String> {
        self.gh
            .recorder
            .all()
            .into_iter()
            .filter(|r| r.method != "GET")
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    fn fail_github(&self, path: &str, status: u16) {
        let mut w = self.gh.world.lock().unwrap();
        w.faults.add(Rule::new("GET", path, Action::Fail(status)));
    }

    /// Nothing was written anywhere.
    fn assert_nothing_written(&self) {
        assert_eq!(self.rw.mutations(), Vec::<String>::new());
        assert!(self.rw.uploads().is_empty());
        assert_eq!(self.github_writes(), Vec::<String>::new());
    }
}

/// The `checks` output, parsed: (name, result, detail).
fn checks(run: &Run) -> Vec<(String, String, String)> {
    let v: Value = serde_json::from_str(run.output("checks"))
        .unwrap_or_else(|e| panic!("checks output: {e}\n{}", run.output_file));
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap().to_string();
            (s("name"), s("result"), s("detail"))
        })
        .collect()
}

/// The check named `name` has `result`, and its detail says each of `texts`.
fn expect(run: &Run, name: &str, result: &str, texts: &[&str]) {
    let (got, detail) = check(run, name);
    assert_eq!(got, result, "{name}: {detail}\n{}", run.log());
    for t in texts {
        assert!(detail.contains(t), "{name}: no {t:?} in {detail}");
    }
}

/// The one check named `name`; fails the test when there is none.
fn check(run: &Run, name: &str) -> (String, String) {
    checks(run)
        .into_iter()
        .find(|(n, _, _)| n == name)
        .map(|(_, r, d)| (r, d))
        .unwrap_or_else(|| panic!("no check `{name}` in {:#?}\n{}", checks(run), run.log()))
}

#[tokio::test]
async fn a_well_set_up_world_passes_and_nothing_is_written() {
    let f = Fakes::start(good_world()).await;
    let run = f.runner().run().await;
    println!("{}", run.stdout);
    assert_eq!(run.code, 0, "{}", run.log());
    let all = checks(&run);
    let names: Vec<&str> = all.iter().map(|(n, _, _)| n.as_str()).collect();
    for (name, result, detail) in &all {
        assert_eq!(result, "ok", "{name}: {detail}\n{}", run.log());
    }
    for must in [
        "railway token",
        "project",
        "environment",
        "service `web` source",
        "service `web` health check",
        "service `worker` health check",
        "service `web` autodeploy",
        "service `web` pre-deploy",
        "backup",
        "service `web` metrics",
        "github checks",
        "github actions",
        "github deployments",
        "github pull requests",
        "workflow permissions",
    ] {
        assert!(names.contains(&must), "no `{must}` among {names:?}");
    }
    assert!(
        check(&run, "workflow permissions")
            .1
            .contains("examples/workflows/check.yml"),
        "{:?}",
        check(&run, "workflow permissions")
    );
    assert!(
        check(&run, "backup")
            .1
            .contains("volume `pgdata` of `worker`")
    );
    f.assert_nothing_written();
    // One line per check in the log, the same table in the summary.
    for (name, result, _) in &all {
        assert!(
            run.stdout.contains(&format!("{result:<7}  {name}: ")),
            "{name}\n{}",
            run.stdout
        );
        assert!(
            run.summary.contains(&format!("| {result} | {name} |")),
            "{}",
            run.summary
        );
    }
    assert!(
        run.summary.starts_with("## ✅ Setup check passed"),
        "{}",
        run.summary
    );
    assert_eq!(run.output("status"), "success");
    // Only the runner's mask commands carry the database URL read from Railway.
    let shown: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .collect();
    assert!(!shown.join("\n").contains("pw-Secret-9"), "{}", run.log());
    println!(
        "requests: Railway {}, GitHub {}",
        f.rw.requests().len(),
        f.gh.recorder.all().len()
    );
}

#[tokio::test]
async fn a_project_token_of_another_environment_fails_the_token_check() {
    let f = Fakes::start(good_world()).await;
    let mut r = f.runner();
    r.input("railway-token", "tok-production");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    let (result, detail) = check(&run, "railway token");
    assert_eq!(result, "failed");
    assert!(
        detail.contains("is for environment `production`"),
        "{detail}"
    );
    assert!(
        detail.contains("a `RAILWAY_TOKEN` secret per GitHub environment"),
        "{detail}"
    );
    // Said once: the resolution that fails for the same reason adds no second line.
    let failed = checks(&run)
        .into_iter()
        .filter(|(_, r, _)| r == "failed")
        .count();
    assert_eq!(failed, 1, "{:#?}", checks(&run));
    assert!(
        run.summary.contains("| failed | railway token |"),
        "{}",
        run.summary
    );
    f.assert_nothing_written();
}

#[tokio::test]
async fn an_unknown_token_and_an_unknown_service_are_findings() {
    let f = Fakes::start(good_world()).await;
    let mut r = f.runner();
    r.input("railway-token", "tok-revoked");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    expect(
        &run,
        "railway token",
        "failed",
        &["Project Settings → Tokens"],
    );

    let mut r = f.runner();
    r.input("service", "web, api");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    expect(
        &run,
        "project, environment and services",
        "failed",
        &["service `api` not found", "services: web, worker"],
    );
    f.assert_nothing_written();
}

#[tokio::test]
async fn a_service_without_a_domain_or_healthcheck_path_is_reported() {
    let mut w = good_world();
    let web = w
        .instances
        .get_mut(&("svc-web".to_string(), "env-stg".to_string()))
        .unwrap();
    web.service_domains.clear();
    web.healthcheck_path = None;
    let f = Fakes::start(w).await;
    let mut r = f.runner();
    r.unset("INPUT_HEALTH-URL");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    expect(
        &run,
        "service `web` health check",
        "warning",
        &["Settings → Networking", "`health-url`"],
    );
    let (result, detail) = check(&run, "service `worker` health check");
    assert_eq!(result, "ok", "{detail}");
    assert!(
        detail.contains("worker-stg.up.railway.app/health"),
        "{detail}"
    );

    // With a domain but no healthcheck path in Railway: a warning that says where to set it.
    let mut w = good_world();
    for i in w.instances.values_mut() {
        i.healthcheck_path = None;
    }
    let f = Fakes::start(w).await;
    let run = f.runner().run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let (result, detail) = check(&run, "service `web` health check");
    assert_eq!(result, "warning");
    assert!(
        detail.contains("Settings → Deploy → Healthcheck Path"),
        "{detail}"
    );
}

#[tokio::test]
async fn a_commit_source_needs_a_connected_repository() {
    let mut w = good_world();
    for i in w.instances.values_mut() {
        i.repo = None;
    }
    let f = Fakes::start(w).await;
    let run = f.runner().run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    expect(
        &run,
        "service `web` source",
        "failed",
        &["connect the repository", "`source: upload`"],
    );
}

#[tokio::test]
async fn railways_autodeploy_double_deploys_and_wait_for_ci_deadlocks() {
    let mut w = good_world();
    w.add_trigger("svc-web", "env-stg", "main", true);
    let f = Fakes::start(w).await;
    // Another source: Railway deploys each push as well (a warning).
    let run = f.runner().run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    expect(
        &run,
        "service `web` autodeploy",
        "warning",
        &["deployed twice", "`source: railway`"],
    );
    // `source: railway` with "Wait for CI": Railway waits for this job (failed), and a service
    // Railway does not autodeploy has nothing to follow (failed).
    let mut r = f.runner();
    r.input("source", "railway");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    expect(
        &run,
        "service `web` autodeploy",
        "failed",
        &["Turn \"Wait for CI\" off"],
    );
    expect(
        &run,
        "service `worker` autodeploy",
        "failed",
        &["Connect the branch"],
    );
    f.assert_nothing_written();
}

#[tokio::test]
async fn a_pre_deploy_command_only_in_railway_json_fails_without_migrate_command() {
    let f = Fakes::start(good_world()).await;
    let mut r = f.runner();
    let dir = r.dir.path().join("app");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("railway.json"),
        r#"{"deploy": {"preDeployCommand": "npx prisma migrate deploy", "healthcheckPath": "/ready"}}"#,
    )
    .unwrap();
    r.input("source", "upload")
        .input("path", dir.to_str().unwrap())
        .unset("INPUT_MIGRATE-COMMAND");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    expect(
        &run,
        "service `web` `railway.json`",
        "failed",
        &["`npx prisma migrate deploy`", "`migrate-command`"],
    );
    // With `migrate-command`, only the healthcheck path differs: a warning naming it.
    r.input("migrate-command", "npx prisma migrate deploy");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    expect(
        &run,
        "service `web` `railway.json`",
        "warning",
        &["healthcheck path `/ready`"],
    );
    f.assert_nothing_written();
}

#[tokio::test]
async fn volumes_a_token_may_not_read_fail_backup_true_and_warn_backup_auto() {
    let mut w = good_world();
    w.volumes_refused = Some("Not Authorized".into());
    let f = Fakes::start(w).await;
    let mut r = f.runner();
    r.input("backup", "true");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    let (result, detail) = check(&run, "backup");
    assert_eq!(result, "failed");
    assert!(detail.contains("this token may not read"), "{detail}");
    assert!(
        detail.contains("`backup: true` will stop every deploy"),
        "{detail}"
    );
    assert!(
        detail.contains("use `backup: auto` or an account token")
            || detail.contains("use `backup: auto`"),
        "{detail}"
    );
    r.input("backup", "auto");
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(check(&run, "backup").0, "warning");
    f.assert_nothing_written();
}

#[tokio::test]
async fn backups_a_token_may_not_list_and_a_half_full_volume_are_findings() {
    let mut w = good_world();
    w.backups_refused = Some("Not Authorized".into());
    let f = Fakes::start(w).await;
    let mut r = f.runner();
    r.input("backup", "true");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    expect(&run, "backup", "failed", &["the volume's backups"]);

    let mut w = good_world();
    w.volumes[0].current_size_mb = 700.0;
    let f = Fakes::start(w).await;
    let run = f.runner().run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    expect(&run, "backup", "failed", &["grow the volume"]);
    f.assert_nothing_written();
}

#[tokio::test]
async fn metrics_a_token_may_not_read_are_a_warning_for_watch() {
    let mut w = good_world();
    w.observe.metrics_error = Some("Not Authorized".into());
    let f = Fakes::start(w).await;
    let run = f.runner().run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    expect(
        &run,
        "service `web` metrics",
        "warning",
        &["`watch` will judge only"],
    );
    // Without `watch`, metrics are not read at all.
    let mut r = f.runner();
    r.input("watch", "0s");
    let run = r.run().await;
    assert!(checks(&run).iter().all(|(n, _, _)| !n.contains("metrics")));
}

#[tokio::test]
async fn previews_and_promote_need_an_account_token() {
    let f = Fakes::start(good_world()).await;
    let mut r = f.runner();
    r.input("from-environment", "staging")
        .input("environment", "production")
        .input("railway-token", "tok-production");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    expect(&run, "promote token", "failed", &["`railway-api-token`"]);
    let mut r = f.runner();
    r.unset("INPUT_RAILWAY-TOKEN")
        .input("railway-api-token", "acct-token")
        .input("project", "proj-1")
        .input("from-environment", "qa");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    let (result, detail) = check(&run, "promote token");
    assert_eq!(result, "failed");
    assert!(detail.contains("input `from-environment`"), "{detail}");
    assert!(
        detail.contains("environments: production, staging"),
        "{detail}"
    );
    let mut r = f.runner();
    r.input("preview-from", "staging");
    let run = r.run().await;
    expect(
        &run,
        "preview token",
        "failed",
        &["cannot create environments"],
    );
    f.assert_nothing_written();
}

#[tokio::test]
async fn github_refusals_name_the_permission_to_add() {
    for (path, name, result, fix) in [
        ("/check-runs", "github checks", "failed", "`checks: read`"),
        ("/status", "github checks", "failed", "`statuses: read`"),
        (
            "/actions/runs/",
            "github actions",
            "warning",
            "`actions: read`",
        ),
        (
            "/deployments",
            "github deployments",
            "failed",
            "`deployments: write`",
        ),
        (
            "/pulls",
            "github pull requests",
            "failed",
            "`pull-requests: write`",
        ),
    ] {
        let f = Fakes::start(good_world()).await;
        f.fail_github(path, 403);
        let run = f.runner().run().await;
        let (got, detail) = check(&run, name);
        assert_eq!(got, result, "{path}: {detail}");
        assert!(detail.contains(fix), "{path}: {detail}");
        assert!(
            !detail.contains("GitHub answered"),
            "the finding, not the raw error: {detail}"
        );
        assert_eq!(
            run.code,
            i32::from(result == "failed"),
            "{path}\n{}",
            run.log()
        );
        f.assert_nothing_written();
    }
}

/// A workflow file written into a checkout of its own, with `GITHUB_WORKFLOW_REF` naming it.
fn with_workflow(r: &mut Runner, text: &str) {
    let checkout = r.dir.path().join("checkout");
    std::fs::create_dir_all(checkout.join(".github/workflows")).unwrap();
    std::fs::write(checkout.join(".github/workflows/deploy.yml"), text).unwrap();
    let checkout = checkout.to_string_lossy().into_owned();
    r.set("GITHUB_WORKSPACE", &checkout)
        .set(
            "GITHUB_WORKFLOW_REF",
            "acme/shop/.github/workflows/deploy.yml@refs/heads/main",
        )
        .set("GITHUB_JOB", "deploy");
}

#[tokio::test]
async fn the_workflows_permissions_are_checked_against_the_features() {
    let f = Fakes::start(good_world()).await;
    // The repository's real deploy example declares everything.
    let mut r = f.runner();
    r.set(
        "GITHUB_WORKFLOW_REF",
        "acme/shop/examples/workflows/deploy.yml@refs/heads/main",
    )
    .set("GITHUB_JOB", "deploy");
    let run = r.run().await;
    expect(&run, "workflow permissions", "ok", &[]);
    // The real rollback example grants only `deployments: write`: a deploy with the gate and
    // comments on lacks the rest.
    let mut r = f.runner();
    r.set(
        "GITHUB_WORKFLOW_REF",
        "acme/shop/examples/workflows/rollback.yml@refs/heads/main",
    )
    .set("GITHUB_JOB", "rollback");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    let (result, detail) = check(&run, "workflow permissions");
    assert_eq!(result, "failed");
    for missing in [
        "`pull-requests: write`",
        "`checks: read`",
        "`statuses: read`",
        "`actions: read`",
    ] {
        assert!(detail.contains(missing), "{missing}: {detail}");
    }
    assert!(!detail.contains("`deployments: write`"), "{detail}");
    // Job-level permissions replace the workflow's.
    let mut r = f.runner();
    with_workflow(
        &mut r,
        "on: push\npermissions: write-all\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n      deployments: write\n    steps: []\n",
    );
    r.input("comment", "false")
        .input("wait-for-checks", "false");
    let run = r.run().await;
    assert_eq!(check(&run, "workflow permissions").0, "ok");
    r.input("comment", "true");
    let run = r.run().await;
    let (result, detail) = check(&run, "workflow permissions");
    assert_eq!(result, "failed");
    assert!(detail.contains("job `deploy`"), "{detail}");
    assert!(
        detail.contains("`pull-requests: write` for `comment: true` (granted: none)"),
        "{detail}"
    );
    // No permissions anywhere: the repository's default applies (a warning).
    let mut r = f.runner();
    with_workflow(
        &mut r,
        "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps: []\n",
    );
    let run = r.run().await;
    expect(
        &run,
        "workflow permissions",
        "warning",
        &["Workflow permissions"],
    );
    f.assert_nothing_written();
}

#[tokio::test]
async fn migrations_without_a_database_url_fail_the_check() {
    let f = Fakes::start(good_world()).await;
    let mut r = f.runner();
    let dir = r.dir.path().join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("1_users.sql"), "CREATE TABLE users (id INT);\n").unwrap();
    r.input("migrations", dir.to_str().unwrap())
        .input("database-url-variable", "NO_SUCH_URL")
        .unset("INPUT_MIGRATE-COMMAND");
    let run = r.run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    expect(&run, "migrations", "failed", &["NO_SUCH_URL"]);
    f.assert_nothing_written();
}

#[tokio::test]
#[cfg_attr(
    rd_no_postgres,
    ignore = "needs PostgreSQL: initdb and pg_ctl in /usr/lib/postgresql/15/bin or $RAILWAY_DEPLOY_TEST_PG_BIN"
)]
async fn migrations_connect_and_list_what_is_pending_without_creating_anything() {
    let pg = TestPostgres::start();
    let url = pg.fresh_database().await;
    let f = Fakes::start(good_world()).await;
    let mut r = f.runner();
    let dir = r.dir.path().join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("1_users.sql"), "CREATE TABLE users (id INT);\n").unwrap();
    std::fs::write(dir.join("2_orders.sql"), "CREATE TABLE orders (id INT);\n").unwrap();
    r.input("migrations", dir.to_str().unwrap())
        .input("database-url", &url);
    r.unset("INPUT_MIGRATE-COMMAND");
    let run = r.run().await;
    let (result, detail) = check(&run, "migrations");
    assert_eq!(result, "ok", "{detail}");
    assert!(
        detail.contains("2 pending: 1_users.sql, 2_orders.sql"),
        "{detail}"
    );
    // Read only: not even sqlx's bookkeeping table was created.
    use sqlx::Connection;
    let mut conn = sqlx::postgres::PgConnection::connect(&url).await.unwrap();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(tables.is_empty(), "{tables:?}");
    let shown: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .collect();
    assert!(!shown.join("\n").contains(&url), "{}", run.log());
    f.assert_nothing_written();
}

#[tokio::test]
async fn invalid_input_exits_2_before_any_request() {
    let f = Fakes::start(good_world()).await;
    let mut r = f.runner();
    r.input("checks-timeout", "soon");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(f.rw.requests().is_empty());
    assert!(f.gh.recorder.all().is_empty());
    assert_eq!(run.output("checks"), "[]");
}

#[tokio::test]
async fn a_badly_set_up_world_fails_each_broken_check_with_its_fix() {
    let mut w = good_world();
    w.instances
        .get_mut(&("svc-web".to_string(), "env-stg".to_string()))
        .unwrap()
        .repo = None;
    w.instances
        .get_mut(&("svc-worker".to_string(), "env-stg".to_string()))
        .unwrap()
        .healthcheck_path = None;
    w.add_trigger("svc-worker", "env-stg", "main", false);
    w.volumes_refused = Some("Not Authorized".into());
    w.observe.metrics_error = Some("Not Authorized".into());
    let f = Fakes::start(w).await;
    f.fail_github("/pulls", 403);
    let mut r = f.runner();
    with_workflow(
        &mut r,
        "on: push\npermissions:\n  contents: read\n  deployments: write\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps: []\n",
    );
    let checkout = r.env["GITHUB_WORKSPACE"].clone();
    std::fs::write(
        std::path::Path::new(&checkout).join("railway.toml"),
        "[deploy]\npreDeployCommand = \"npm run migrate\"\nhealthcheckPath = \"/ready\"\n",
    )
    .unwrap();
    r.input("backup", "true");
    let run = r.run().await;
    println!("{}", run.stdout);
    println!("{}", run.summary);
    assert_eq!(run.code, 1, "{}", run.log());
    let failed: Vec<String> = checks(&run)
        .into_iter()
        .filter(|(_, r, _)| r == "failed")
        .map(|(n, _, _)| n)
        .collect();
    assert_eq!(
        failed,
        [
            "service `web` source",
            "backup",
            "github pull requests",
            "workflow permissions"
        ]
    );
    let warned: Vec<String> = checks(&run)
        .into_iter()
        .filter(|(_, r, _)| r == "warning")
        .map(|(n, _, _)| n)
        .collect();
    assert_eq!(
        warned,
        [
            "service `worker` health check",
            "service `worker` autodeploy",
            "service `web` `railway.toml`",
            "service `worker` `railway.toml`",
            "service `web` metrics",
            "service `worker` metrics"
        ]
    );
    assert!(
        run.summary
            .starts_with("## ❌ Setup check failed: 4 checks failed, 6 warnings")
    );
    let (_, detail) = check(&run, "backup");
    assert!(detail.contains("this token may not read"), "{detail}");
    assert!(
        !detail.contains("Check that the token is valid"),
        "the finding, not the raw error: {detail}"
    );
    f.assert_nothing_written();
}
