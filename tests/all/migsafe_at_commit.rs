//! `migrate-command`'s SQL read at the commit being deployed, through the built binary: when
//! GitHub's comparison may be cut short (it lists at most 300 files), or the checkout holds
//! another commit than the one deployed (`command: promote`), the changed migration files come
//! from both commits' Git trees and are read at the deployed commit (from the checkout where
//! its blob is the same, else from GitHub); a normal deploy makes none of those requests.

use crate::migsafe_reading::{checkout, git_reads};
use crate::support::cli::{GITHUB_TOKEN, Run, Runner};
use fakes::Server;
use fakes::github::GitHubState;
use fakes::railway::{FakeRailway, RailwayWorld};
use serde_json::{Value, json};

/// The run's own commit (`GITHUB_SHA` of [`Runner::new`]): what the checkout holds.
const SHA: &str = "abc1234def5678abc1234def5678abc1234def56";
const SERVED: &str = "0001111222233334444555566667777888899990";
const PROMOTED: &str = "5555666677778888999900001111222233334444";
const DROP: &str = "ALTER TABLE users DROP COLUMN name;\n";

fn findings(run: &Run) -> Vec<(String, String)> {
    let v: Value = serde_json::from_str(run.output("migration-findings")).unwrap_or_default();
    (v.as_array().cloned().unwrap_or_default().iter())
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("file"), s("rule"))
        })
        .collect()
}

/// 400 changed source files, then `last`: GitHub lists the first 300 only.
fn many_then(last: &str) -> Vec<String> {
    let mut files: Vec<String> = (0..400).map(|i| format!("src/f{i:03}.rs")).collect();
    files.push(last.to_string());
    files
}

struct Fakes {
    rw: FakeRailway,
    gh: GitHubState,
    _server: Server,
}

/// Railway with `web` serving [`SERVED`] (staging and production; with a `head` of
/// [`PROMOTED`], a newer tested staging deployment of it); GitHub comparing `SERVED...head` as
/// `files`.
async fn fakes(head: &str, files: &[String]) -> Fakes {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut world = RailwayWorld::standard();
    if head == PROMOTED {
        world.add_deployment("stg-web-tested", "svc-web", "env-stg", "SUCCESS");
        world.deployment_mut("stg-web-tested").unwrap().meta = json!({ "commitHash": PROMOTED });
    }
    let rw = FakeRailway::start(world).await;
    for d in ["dep-old-web-prod", "dep-old-web-stg"] {
        if let Some(dep) = rw.world().deployment_mut(d) {
            dep.meta = json!({ "commitHash": SERVED });
        }
    }
    let gh = GitHubState::default();
    let server = Server::start(fakes::github::router(gh.clone())).await;
    let listed: Vec<&str> = files.iter().map(String::as_str).collect();
    gh.world
        .lock()
        .unwrap()
        .compare
        .script(SERVED, head, "ahead", &listed);
    Fakes {
        rw,
        gh,
        _server: server,
    }
}

impl Fakes {
    /// Commit `sha` holds `files`.
    fn commit(&self, sha: &str, files: &[(&str, &str)]) {
        self.gh.world.lock().unwrap().git.commit(sha, files);
    }

    fn runner(&self, promote: bool) -> Runner {
        let mut r = Runner::new(&self.rw.api_url());
        r.set("GITHUB_API_URL", &self._server.url())
            .input("github-token", GITHUB_TOKEN)
            .input("migrate-command", "npm run migrate");
        if promote {
            r.input("command", "promote")
                .input("environment", "production")
                .input("railway-token", "")
                .set("RAILWAY_API_TOKEN", "acct-token")
                .input("project", "proj-1");
        }
        r
    }

    /// Refused as invalid input with nothing changed on Railway or GitHub.
    fn assert_refused(&self, run: &Run) {
        assert_eq!(run.code, 2, "{}", run.log());
        assert!(self.rw.mutations().is_empty(), "{:?}", self.rw.mutations());
        let writes: Vec<String> = (self.gh.recorder.all().iter())
            .filter(|q| q.method != "GET")
            .map(|q| format!("{} {}", q.method, q.path))
            .collect();
        assert!(writes.is_empty(), "{writes:?}");
    }
}

#[tokio::test]
async fn a_promote_whose_comparison_is_cut_at_300_files_refuses_a_destructive_migration_past_them()
{
    let f = fakes(PROMOTED, &many_then("db/migrations/20_drop.sql")).await;
    f.commit(SERVED, &[("src/f000.rs", "v1")]);
    f.commit(
        PROMOTED,
        &[("src/f000.rs", "v2"), ("db/migrations/20_drop.sql", DROP)],
    );
    let mut r = f.runner(true);
    checkout(&mut r, &[("src/f000.rs", "v3")]);
    r.input("destructive-migrations", "refuse");
    let run = r.run().await;
    f.assert_refused(&run);
    assert!(
        run.log()
            .contains("`db/migrations/20_drop.sql:1` ban-drop-column"),
        "{}",
        run.log()
    );
    // Not in the checkout: read from GitHub at the promoted commit.
    assert_eq!(git_reads(&f.gh, "/git/blobs/").len(), 1);
}

#[tokio::test]
async fn a_deploy_whose_comparison_is_cut_at_300_files_reads_every_changed_migration() {
    let f = fakes(SHA, &many_then("db/migrations/20_drop.sql")).await;
    f.commit(
        SERVED,
        &[
            ("src/f000.rs", "v1"),
            ("db/migrations/1_init.sql", "SELECT 1;"),
        ],
    );
    f.commit(
        SHA,
        &[
            ("src/f000.rs", "v2"),
            ("db/migrations/1_init.sql", "SELECT 1;"),
            ("db/migrations/20_drop.sql", DROP),
        ],
    );
    let mut r = f.runner(false);
    checkout(
        &mut r,
        &[
            ("src/f000.rs", "v2"),
            ("db/migrations/1_init.sql", "SELECT 1;"),
            ("db/migrations/20_drop.sql", DROP),
        ],
    );
    r.input("destructive-migrations", "refuse");
    let run = r.run().await;
    f.assert_refused(&run);
    assert!(
        run.log()
            .contains("`db/migrations/20_drop.sql:1` ban-drop-column"),
        "{}",
        run.log()
    );
    assert_eq!(
        git_reads(&f.gh, "/git/commits/"),
        [SERVED, SHA].map(|c| format!("/repos/acme/shop/git/commits/{c}"))
    );
    // The checkout holds the deployed commit: the file is read from it.
    assert!(git_reads(&f.gh, "/git/blobs/").is_empty());
}

#[tokio::test]
async fn a_promote_reads_the_promoted_content_not_the_checkouts_older_one() {
    let file = "db/migrations/10_users.sql";
    let f = fakes(PROMOTED, &[file.to_string()]).await;
    f.commit(SERVED, &[("src/app.rs", "v1")]);
    f.commit(PROMOTED, &[("src/app.rs", "v1"), (file, DROP)]);
    let mut r = f.runner(true);
    // The checkout's copy is an older draft of the same migration.
    checkout(&mut r, &[(file, "CREATE TABLE audit (id int);\n")]);
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(
        findings(&run),
        [(file.to_string(), "ban-drop-column".to_string())],
        "{}",
        run.log()
    );
    assert_eq!(git_reads(&f.gh, "/git/blobs/").len(), 1);
    // What a promote with `migrate-command` asks GitHub: the order checks' comparison, each
    // commit's object and tree, and the one file that differs in the checkout.
    let asked: Vec<String> = (f.gh.recorder.all().iter())
        .filter(|q| q.path.contains("/compare/") || q.path.contains("/git/"))
        .map(|q| q.path.rsplit('/').nth(1).unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        asked,
        ["compare", "commits", "trees", "commits", "trees", "blobs"]
    );
    assert!(
        run.log().contains("1 from GitHub"),
        "the log says where it was read: {}",
        run.log()
    );
}

#[tokio::test]
async fn a_normal_deploy_reads_no_tree_and_no_blob() {
    let file = "db/migrations/9_rename.sql";
    let f = fakes(SHA, &[file.to_string()]).await;
    f.commit(SERVED, &[]);
    f.commit(SHA, &[(file, DROP)]);
    let mut r = f.runner(false);
    checkout(&mut r, &[(file, DROP)]);
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(findings(&run).len(), 1, "{}", run.log());
    assert!(
        git_reads(&f.gh, "/git/").is_empty(),
        "{:?}",
        git_reads(&f.gh, "/git/")
    );
    let compares = git_reads(&f.gh, "/compare/");
    assert_eq!(compares.len(), 1, "{compares:?}");
}

#[tokio::test]
async fn a_cut_short_tree_is_never_taken_as_checked() {
    let file = "db/migrations/30_add.sql";
    let f = fakes(PROMOTED, &[file.to_string()]).await;
    f.commit(SERVED, &[]);
    f.commit(
        PROMOTED,
        &[("a.rs", "x"), (file, "CREATE TABLE t (id int);\n")],
    );
    f.gh.world.lock().unwrap().git.truncate(PROMOTED, 1);
    let mut r = f.runner(true);
    checkout(&mut r, &[]);
    r.input("destructive-migrations", "refuse");
    let run = r.run().await;
    f.assert_refused(&run);
    let log = run.log();
    assert!(
        log.contains("GitHub cut its list of the files of commit 5555666 short"),
        "{log}"
    );
    assert!(
        log.contains("could not be read, so it was not checked"),
        "{log}"
    );

    // `warn`: the same words as a warning, and the run goes on.
    let mut r = f.runner(true);
    checkout(&mut r, &[]);
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.log().contains("::warning") && run.log().contains("GitHub cut its list"),
        "{}",
        run.log()
    );
}

#[tokio::test]
async fn at_most_200_files_are_read_from_github_and_the_rest_are_named() {
    let names: Vec<String> = (0..201)
        .map(|i| format!("db/migrations/{i:03}_t.sql"))
        .collect();
    let f = fakes(PROMOTED, &names).await;
    let texts: Vec<String> = (0..201)
        .map(|i| format!("CREATE TABLE t{i} (id int);\n"))
        .collect();
    let files: Vec<(&str, &str)> = names
        .iter()
        .zip(&texts)
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    f.commit(SERVED, &[]);
    f.commit(PROMOTED, &files);
    let mut r = f.runner(true);
    checkout(&mut r, &[]);
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(git_reads(&f.gh, "/git/blobs/").len(), 200);
    assert!(
        run.log()
            .contains("1 more migration file(s) differ in the checkout from commit 5555666 and were not read (at most 200"),
        "{}",
        run.log()
    );
    assert!(
        run.log().contains("db/migrations/200_t.sql"),
        "{}",
        run.log()
    );
}

#[tokio::test]
async fn a_file_github_fails_to_serve_is_named_and_never_taken_as_checked() {
    use fakes::github::faults::{Action, Rule};
    let file = "db/migrations/40_add.sql";
    let f = fakes(PROMOTED, &[file.to_string()]).await;
    f.commit(SERVED, &[]);
    f.commit(PROMOTED, &[(file, "CREATE TABLE t (id int);\n")]);
    let fault = Rule::new("GET", "/git/blobs/", Action::Fail(502));
    f.gh.world.lock().unwrap().faults.add(fault);
    let mut r = f.runner(true);
    checkout(&mut r, &[]);
    r.input("destructive-migrations", "refuse");
    let run = r.run().await;
    f.assert_refused(&run);
    let log = run.log();
    assert!(
        log.contains(&format!(
            "`{file}` at commit 5555666 could not be read from GitHub"
        )),
        "{log}"
    );
    assert!(log.contains("was not checked"), "{log}");

    let mut r = f.runner(true);
    checkout(&mut r, &[]);
    let run = r.run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.log().contains("could not be read from GitHub"),
        "{}",
        run.log()
    );
}
