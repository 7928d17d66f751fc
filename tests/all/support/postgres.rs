//! A throwaway PostgreSQL server for tests: `initdb` and `pg_ctl` from the PostgreSQL 15 binaries
//! in a temp dir, on a free loopback port, with password authentication; run as `nobody` when the
//! tests run as root (PostgreSQL refuses root). Stopped, and its files removed, on drop.
//!
//! The tests that need it are compiled `#[ignore]` where `build.rs` found no binaries (outside CI);
//! a test that runs finds them, or fails saying what is missing ([`unavailable`]).

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

pub const PASSWORD: &str = "pg-test-S3cret";
const DEFAULT_BIN: &str = "/usr/lib/postgresql/15/bin";

pub struct TestPostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    as_nobody: bool,
}

/// Fails a test whose database is unavailable. Only tests that were not compiled `#[ignore]`
/// get here: with `CI=true`, or where `build.rs` found the database (see the README's
/// Development section).
pub fn unavailable(what: &str) -> ! {
    panic!(
        "{what} is unavailable. This test was not ignored because CI=true (CI must run the \
         database tests) or because build.rs found the database when the tests were built: \
         start it, or `touch build.rs` so that the next build looks again"
    );
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl TestPostgres {
    pub fn start() -> TestPostgres {
        let bin = PathBuf::from(
            std::env::var("RAILWAY_DEPLOY_TEST_PG_BIN").unwrap_or_else(|_| DEFAULT_BIN.into()),
        );
        if !bin.join("initdb").exists() || !bin.join("pg_ctl").exists() {
            unavailable(&format!(
                "PostgreSQL (no initdb/pg_ctl in {})",
                bin.display()
            ));
        }
        let as_nobody = is_root();
        let dir = tempfile::Builder::new().prefix("rd-pg-").tempdir().unwrap();
        // The server user must own its files and reach them through the temp dir.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, PASSWORD).unwrap();
        std::fs::set_permissions(&pwfile, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut pg = TestPostgres {
            dir,
            bin,
            port: 0,
            as_nobody,
        };
        let data = pg.data_dir();
        pg.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                &format!("--pwfile={}", pwfile.display()),
            ],
        );
        // A free port can be taken between probing and binding: try a few.
        for _ in 0..5 {
            pg.port = free_port();
            let opts = format!(
                "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c max_connections=50",
                pg.port,
                pg.dir.path().display()
            );
            let log = pg.dir.path().join("server.log");
            let ok = pg.try_run(
                "pg_ctl",
                &[
                    "start",
                    "-w",
                    "-t",
                    "30",
                    "-D",
                    data.to_str().unwrap(),
                    "-l",
                    log.to_str().unwrap(),
                    "-o",
                    &opts,
                ],
            );
            if ok {
                return pg;
            }
        }
        let log = std::fs::read_to_string(pg.dir.path().join("server.log")).unwrap_or_default();
        panic!("PostgreSQL did not start:\n{log}");
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `postgres://postgres:PASSWORD@127.0.0.1:PORT/{db}`
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres:{PASSWORD}@127.0.0.1:{}/{db}",
            self.port
        )
    }

    /// Creates a fresh database and returns its URL.
    pub async fn fresh_database(&self) -> String {
        use sqlx::Connection;
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "t{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let mut conn = sqlx::postgres::PgConnection::connect(&self.url("postgres"))
            .await
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        let _ = conn.close().await;
        self.url(&name)
    }

    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_nobody {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        cmd.args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    fn try_run(&self, tool: &str, args: &[&str]) -> bool {
        self.command(tool, args)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self.command(tool, args).output().unwrap();
        assert!(
            out.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let data = self.data_dir();
        let _ = self
            .command(
                "pg_ctl",
                &[
                    "stop",
                    "-m",
                    "immediate",
                    "-w",
                    "-D",
                    data.to_str().unwrap_or(""),
                ],
            )
            .output();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The tables of the `public` schema of the database at `url`, sorted: what a migration made.
pub async fn public_tables(url: &str) -> Vec<String> {
    use sqlx::Connection;
    let mut conn = sqlx::postgres::PgConnection::connect(url).await.unwrap();
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}
