//! Invalid input through the built binary, tried as a new user would: every error is found before
//! the first write anywhere (no GitHub POST/PATCH, no Railway mutation), all of them are reported
//! at once, on stderr outside Actions, and `command: rollback` with a wrong `to`, or without `to`
//! and nothing earlier to go back to, says which ids would do.

use crate::support::cli::{Run, Runner};
use crate::support::secrets::{assert_not_shown, run_places};
use fakes::Server;
use fakes::github::GitHubState;
use fakes::github::checks::{Snapshot, app_check_run};
use fakes::railway::{FakeRailway, RailwayWorld};

const SHA: &str = "abc1234def5678abc1234def5678abc1234def56";

/// The fake GitHub (every check passing) and the fake Railway of one test.
struct Fakes {
    gh: GitHubState,
    gh_server: Server,
    rw: FakeRailway,
}

impl Fakes {
    async fn start(world: RailwayWorld) -> Fakes {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let gh = GitHubState::default();
        let passing = Snapshot::new(
            vec![app_check_run(1, "test", "ci", "completed", Some("success"))],
            vec![],
        );
        gh.world.lock().unwrap().checks.script(SHA, vec![passing]);
        let gh_server = Server::start(fakes::github::router(gh.clone())).await;
        let rw = FakeRailway::start(world).await;
        Fakes { gh, gh_server, rw }
    }

    /// A push to `main` with the gate, the GitHub Deployment and the comment on.
    fn runner(&self) -> Runner {
        let mut r = Runner::new(&self.rw.api_url());
        r.with_github(&self.gh_server.url());
        r
    }

    /// Asserts that nothing was written: no GitHub write, no Railway mutation.
    fn assert_nothing_written(&self, run: &Run) {
        let writes: Vec<String> = self
            .gh
            .recorder
            .all()
            .into_iter()
            .filter(|r| r.method != "GET")
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert!(writes.is_empty(), "GitHub writes {writes:?}\n{}", run.log());
        assert!(
            self.rw.mutations().is_empty(),
            "Railway mutations {:?}\n{}",
            self.rw.mutations(),
            run.log()
        );
    }
}

fn migrations_dir(r: &Runner) -> String {
    let dir = r.dir.path().join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("1_users.sql"), "CREATE TABLE users (id INT);\n").unwrap();
    dir.to_string_lossy().into_owned()
}

#[tokio::test]
async fn a_malformed_database_url_is_exit_2_before_the_gate_and_any_write() {
    let f = Fakes::start(RailwayWorld::standard()).await;
    for url in [
        "postgres//app:pw-N0tShown@db.example.com/shop",
        "mongodb://app:pw-N0tShown@db.example.com/shop",
        "postgres://app:pw-N0tShown@db.example.com",
    ] {
        let mut r = f.runner();
        let dir = migrations_dir(&r);
        r.input("migrations", &dir).input("database-url", url);
        let run = r.run().await;
        assert_eq!(run.code, 2, "{url}\n{}", run.log());
        assert!(run.stdout.contains("input `database-url`"), "{}", run.log());
        f.assert_nothing_written(&run);
        assert_eq!(f.gh.world.lock().unwrap().checks.polls(SHA), 0, "no gate");
        assert_not_shown(&[url, "pw-N0tShown"], &run_places(&run));
    }
}

#[tokio::test]
async fn a_malformed_database_url_from_a_railway_variable_is_exit_2_before_any_write() {
    let mut world = RailwayWorld::standard();
    let url = "https://app:pw-N0tShown@db.example.com/shop";
    world.set_variable("svc-worker", "env-stg", "DATABASE_PUBLIC_URL", url);
    let f = Fakes::start(world).await;
    let mut r = f.runner();
    let dir = migrations_dir(&r);
    r.input("migrations", &dir);
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(
        run.stdout
            .contains("`DATABASE_PUBLIC_URL` of service `worker`")
            && run.stdout.contains("scheme `https`"),
        "{}",
        run.log()
    );
    f.assert_nothing_written(&run);
    assert_eq!(f.gh.world.lock().unwrap().checks.polls(SHA), 0, "no gate");
    assert_not_shown(&[url, "pw-N0tShown"], &run_places(&run));
}

#[tokio::test]
async fn rollback_to_a_deployment_that_does_not_exist_is_exit_2_listing_the_ids() {
    let f = Fakes::start(RailwayWorld::standard()).await;
    let mut r = f.runner();
    r.input("command", "rollback")
        .input("environment", "staging")
        .input("to", "dep-typo");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(
        run.stdout.contains("no deployment `dep-typo`"),
        "{}",
        run.log()
    );
    assert!(run.stdout.contains("dep-old-web-stg"), "{}", run.log());
    f.assert_nothing_written(&run);
    // On a terminal, the same error goes to stderr.
    r.unset("GITHUB_ACTIONS");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(
        run.stderr
            .contains("error: invalid input: input `to`: there is no deployment `dep-typo`"),
        "{}",
        run.log()
    );
    assert!(!run.stdout.contains("dep-typo"), "{}", run.stdout);
}

#[tokio::test]
async fn rollback_to_another_services_deployment_is_exit_2_naming_it() {
    let f = Fakes::start(RailwayWorld::standard()).await;
    let mut r = f.runner();
    r.input("command", "rollback")
        .input("environment", "staging")
        .input("to", "dep-old-worker-stg");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(
        run.stdout
            .contains("belongs to service `worker`, not `web`"),
        "{}",
        run.log()
    );
    assert!(run.stdout.contains("dep-old-web-stg"), "{}", run.log());
    f.assert_nothing_written(&run);
    // Another environment's deployment of the same service is refused the same way.
    r.input("to", "dep-old-web-prod");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(run.stdout.contains("another environment"), "{}", run.log());
    f.assert_nothing_written(&run);
}

#[tokio::test]
async fn rollback_without_to_and_nothing_earlier_is_exit_2_naming_the_service() {
    // Staging's `web` has one deployment, the serving one: there is nothing to go back to.
    let f = Fakes::start(RailwayWorld::standard()).await;
    let mut r = f.runner();
    r.input("command", "rollback")
        .input("environment", "staging");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(
        run.stdout
            .contains("service `web` in `staging` has nothing to go back to"),
        "{}",
        run.log()
    );
    // It lists what there is and says what to do.
    assert!(
        run.stdout.contains("dep-old-web-stg SUCCESS"),
        "{}",
        run.log()
    );
    assert!(
        run.stdout.contains("give `to` a deployment id"),
        "{}",
        run.log()
    );
    f.assert_nothing_written(&run);
    // An earlier one Railway no longer keeps does not count either.
    let mut w = RailwayWorld::standard();
    w.add_deployment("dep-cur", "svc-web", "env-stg", "SUCCESS");
    let f = Fakes::start(w).await;
    f.rw.world()
        .deployment_mut("dep-old-web-stg")
        .expect("standard world")
        .can_rollback = false;
    let mut r = f.runner();
    r.input("command", "rollback")
        .input("environment", "staging");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(run.stdout.contains("limited time"), "{}", run.log());
    f.assert_nothing_written(&run);
}

#[tokio::test]
async fn an_unreadable_file_to_upload_is_exit_2_naming_it_before_any_write() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fakes::start(RailwayWorld::standard()).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package.json"), "{}").unwrap();
    let key = dir.path().join("deploy.pem");
    std::fs::write(&key, "private").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&key).is_ok() {
        println!(
            "SKIPPED: {} is still readable after chmod 000 (running as root?): an unreadable file cannot be tested here",
            key.display()
        );
        return;
    }
    let mut r = f.runner();
    r.unset("INPUT_SOURCE")
        .input("path", dir.path().to_str().unwrap());
    let run = r.run().await;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(
        run.stdout
            .contains("1 entry cannot be read, so the upload would fail: deploy.pem"),
        "{}",
        run.log()
    );
    assert!(run.stdout.contains(".railwayignore"), "{}", run.log());
    f.assert_nothing_written(&run);
}

#[tokio::test]
async fn outside_actions_every_input_error_goes_to_stderr_at_once() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let mut r = Runner::new(&rw.api_url());
    r.unset("GITHUB_ACTIONS")
        .input("wait-for-checks", "ture")
        .input("deploy-timeout", "soon")
        .input("health-path", "health");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(!run.stdout.contains("error"), "stdout: {}", run.stdout);
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: invalid input: input `"))
        .collect();
    assert_eq!(errors.len(), 3, "{}", run.stderr);
    for input in ["wait-for-checks", "deploy-timeout", "health-path"] {
        assert!(run.stderr.contains(&format!("`{input}`")), "{}", run.stderr);
    }
    assert!(run.stderr.contains("--help"), "{}", run.stderr);
    assert!(rw.requests().is_empty(), "nothing was asked of Railway");

    // In Actions, each is its own `::error` annotation on stdout.
    r.set("GITHUB_ACTIONS", "true");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    let annotations = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error title=Invalid input::input `"))
        .count();
    assert_eq!(annotations, 3, "{}", run.stdout);
}

#[tokio::test]
async fn a_typod_flag_gets_a_did_you_mean_and_help_reads_right() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    let mut r = Runner::new(&rw.api_url());
    r.unset("GITHUB_ACTIONS").arg("--servce").arg("web");
    let run = r.run().await;
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(run.stderr.contains("--service"), "{}", run.stderr);
    assert!(rw.requests().is_empty());

    let mut r = Runner::new(&rw.api_url());
    r.arg("--help");
    let help = r.run().await;
    assert_eq!(help.code, 0, "{}", help.log());
    assert!(!help.stdout.contains("${{"), "{}", help.stdout);
    assert!(
        help.stdout.contains("INPUT_SERVICE") && help.stdout.contains("GITHUB_TOKEN"),
        "{}",
        help.stdout
    );
}
