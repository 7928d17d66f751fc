//! Build script: tells the integration tests (`tests/all/`) which optional test environments this
//! machine lacks, so the tests that need one are compiled `#[ignore = "needs …"]` and libtest's own
//! summary counts and names them as ignored instead of printing `ok` for a test that never ran.
//! It sets three `cfg`s and nothing else; the program itself never reads them.
//!
//! - `rd_no_mysql`: `RAILWAY_DEPLOY_TEST_MYSQL_URL` is unset (start one: `eval "$(.ci/mariadb.sh)"`).
//! - `rd_no_postgres`: no `initdb`/`pg_ctl` in `RAILWAY_DEPLOY_TEST_PG_BIN` (default
//!   `/usr/lib/postgresql/15/bin`).
//! - `rd_no_shared`: no `../shared/fixtures/github-events` beside the repository (the reference
//!   payloads exist only on the maintainers' machines; the tests carry payloads of their own).
//!
//! With `CI=true` (or `1`) the database `cfg`s are never set: CI must run those tests, and a
//! missing server fails them.

// Cargo reads a build script's instructions from its stdout.
#![allow(
    clippy::print_stdout,
    clippy::disallowed_methods,
    reason = "a build script talks to cargo through stdout and reads the environment cargo gives it"
)]

use std::env;
use std::path::{Path, PathBuf};

const DEFAULT_PG_BIN: &str = "/usr/lib/postgresql/15/bin";

fn main() {
    for name in ["rd_no_mysql", "rd_no_postgres", "rd_no_shared"] {
        println!("cargo::rustc-check-cfg=cfg({name})");
    }
    println!("cargo::rerun-if-changed=build.rs");
    for var in [
        "CI",
        "RAILWAY_DEPLOY_TEST_MYSQL_URL",
        "RAILWAY_DEPLOY_TEST_PG_BIN",
    ] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    let in_ci = env::var("CI").is_ok_and(|v| v == "true" || v == "1");

    let mysql = env::var("RAILWAY_DEPLOY_TEST_MYSQL_URL").is_ok_and(|v| !v.is_empty());
    if !mysql && !in_ci {
        println!("cargo::rustc-cfg=rd_no_mysql");
    }

    let pg_bin = env::var_os("RAILWAY_DEPLOY_TEST_PG_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PG_BIN));
    watch_if_present(&pg_bin);
    let postgres = pg_bin.join("initdb").is_file() && pg_bin.join("pg_ctl").is_file();
    if !postgres && !in_ci {
        println!("cargo::rustc-cfg=rd_no_postgres");
    }

    // CARGO_MANIFEST_DIR is always set for build scripts; without it nothing is beside us.
    let manifest = env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let shared = manifest.map(|m| m.join("../shared/fixtures/github-events"));
    match shared {
        Some(dir) if dir.is_dir() => watch_if_present(&dir),
        _ => println!("cargo::rustc-cfg=rd_no_shared"),
    }
}

/// Re-run when an existing folder changes (so removing it is noticed). A folder that does not
/// exist is not watched: Cargo would treat the missing path as changed on every build.
fn watch_if_present(dir: &Path) {
    if dir.is_dir() {
        println!("cargo::rerun-if-changed={}", dir.display());
    }
}
