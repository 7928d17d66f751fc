//! Benchmark of `source: upload`: archive-and-upload of a generated tree to a loopback sink, beside
//! `tar -cf - | gzip -N` and `tar -cf - | pigz -p <cores> -N` of the same members at the same
//! level, the previous single-stream compressor over the same tar stream, the resolution's
//! pre-flight walk of the tree (opens every selected file, reads none), and a level table.
//!
//!   cargo run --example bench_upload -- [--quick] [--rounds N] [--level N] [--levels 1,3,4,6]
//!                                       [--files N] [--mb N] [--node-modules-mb N] [--tree DIR]
//!
//! Times are medians of `--rounds` (3; 1 with --quick), cases alternating within each round.
//! Peak RSS: ours from /proc/self/status VmHWM (covers the fake sink too); the pipelines' from
//! `/usr/bin/time` (the largest process). Exits 1 when our peak RSS exceeds 64 MB.
//! The tree lives in a temp dir removed at the end.
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

use std::path::Path;
use std::time::Instant;

use fakes::Server;
use fakes::railway::upload::{UploadFake, upload_routes};
use railway_deploy::railway::auth::RailwayToken;
use railway_deploy::railway::upload::{UploadTarget, upload};
use railway_deploy::secret::Secret;
use railway_deploy::timing::Timing;
use railway_deploy::upload::archive::{
    ArchiveOptions, ArchiveStats, DEFAULT_GZIP_LEVEL, write_archive,
};
use railway_deploy::upload::gzip::default_workers;
use railway_deploy::upload::preflight;
use railway_deploy::upload::source::ArchiveSource;
use url::Url;

mod compare;
mod tree;

use compare::{have, member_list, pipeline, single_stream};

const RSS_LIMIT_MB: f64 = 64.0;

struct Args {
    files: usize,
    mb: usize,
    node_modules_mb: usize,
    levels: Vec<u32>,
    level: u32,
    rounds: usize,
    /// Benchmark an existing directory instead of a generated tree (never modified or removed).
    tree: Option<std::path::PathBuf>,
}

fn args() -> Args {
    let mut a = Args {
        files: 20_000,
        mb: 500,
        node_modules_mb: 300,
        levels: vec![1, 3, 4, 6],
        level: DEFAULT_GZIP_LEVEL,
        rounds: 3,
        tree: None,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let num = |j: usize| argv.get(j).and_then(|v| v.parse::<usize>().ok());
        match argv[i].as_str() {
            "--quick" => {
                (a.files, a.mb, a.node_modules_mb) = (2_000, 20, 10);
                a.levels = Vec::new();
                a.rounds = 1;
            }
            "--level" => a.level = num(i + 1).map_or(a.level, |l| l as u32),
            "--rounds" => a.rounds = num(i + 1).unwrap_or(a.rounds).max(1),
            "--files" => a.files = num(i + 1).unwrap_or(a.files),
            "--mb" => a.mb = num(i + 1).unwrap_or(a.mb),
            "--node-modules-mb" => a.node_modules_mb = num(i + 1).unwrap_or(a.node_modules_mb),
            "--levels" => {
                a.levels = argv
                    .get(i + 1)
                    .map(|v| v.split(',').filter_map(|l| l.trim().parse().ok()).collect())
                    .unwrap_or_default()
            }
            "--tree" => a.tree = argv.get(i + 1).map(std::path::PathBuf::from),
            _ => {}
        }
        i += 1;
    }
    a
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// One upload of `root` to the loopback fake; returns (seconds, stats).
async fn upload_once(root: &Path, level: u32, api: &Url) -> Result<(f64, ArchiveStats), String> {
    let token = RailwayToken::Project(Secret::new("bench-token"));
    let target = UploadTarget {
        project_id: "p".into(),
        environment_id: "e".into(),
        service_id: "s".into(),
        message: None,
    };
    let options = ArchiveOptions {
        gzip_level: level,
        ..ArchiveOptions::default()
    };
    let source = ArchiveSource::new(root, options);
    let client = reqwest::Client::new();
    let t = Instant::now();
    upload(&client, api, &token, &target, &source, &Timing::default())
        .await
        .map_err(|e| format!("upload failed: {e}"))?;
    let secs = t.elapsed().as_secs_f64();
    let stats = source.finished().await.map_err(|e| e.to_string())?;
    Ok((secs, stats))
}

fn tree(a: &Args, dir: &Path) -> std::path::PathBuf {
    if let Some(t) = &a.tree {
        println!("tree: {} (existing directory)", t.display());
        return t.clone();
    }
    let root = dir.join("tree");
    let t = Instant::now();
    if let Err(e) = tree::generate(&root, a) {
        eprintln!("generating the tree failed: {e}");
        std::process::exit(2);
    }
    println!(
        "tree: {} files, ~{} MB, plus ignored node_modules ({} MB), build/ and .git (generated in {:.1}s)",
        a.files,
        a.mb,
        a.node_modules_mb,
        t.elapsed().as_secs_f64()
    );
    root
}

#[derive(Default)]
struct Rounds {
    ours: Vec<f64>,
    archive: Vec<f64>,
    single: Vec<f64>,
    gzip: Vec<f64>,
    pigz: Vec<f64>,
    preflight: Vec<f64>,
    ours_bytes: u64,
    single_bytes: u64,
    gzip_bytes: u64,
    pigz_bytes: u64,
    gzip_rss: f64,
    pigz_rss: f64,
}

async fn run_rounds(
    a: &Args,
    root: &Path,
    dir: &Path,
    api: &Url,
    pigz: bool,
) -> (Rounds, ArchiveStats, f64) {
    let mut r = Rounds::default();
    let mut stats = ArchiveStats::default();
    let mut rss_upload = f64::NAN;
    let list = member_list(root, dir);
    let cores = default_workers();
    for _ in 0..a.rounds {
        match upload_once(root, a.level, api).await {
            Ok((secs, s)) => {
                r.ours.push(secs);
                r.ours_bytes = s.archive_bytes;
                stats = s;
                rss_upload = peak_rss_mb();
            }
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
        if let Some((list, _)) = &list {
            if pigz
                && let Ok((secs, bytes, rss)) =
                    pipeline(root, list, &format!("pigz -p {cores} -{}", a.level))
            {
                (r.pigz_bytes, r.pigz_rss) = (bytes, rss);
                r.pigz.push(secs);
            }
            if let Ok((secs, bytes, rss)) = pipeline(root, list, &format!("gzip -{}", a.level)) {
                (r.gzip_bytes, r.gzip_rss) = (bytes, rss);
                r.gzip.push(secs);
            }
        }
        if let Ok((secs, bytes)) = single_stream(root, a.level) {
            r.single.push(secs);
            r.single_bytes = bytes;
        }
        let options = ArchiveOptions {
            gzip_level: a.level,
            ..ArchiveOptions::default()
        };
        let t = Instant::now();
        if write_archive(root, options, std::io::sink()).is_ok() {
            r.archive.push(t.elapsed().as_secs_f64());
        }
        let t = Instant::now();
        if preflight::check(root).is_ok() {
            r.preflight.push(t.elapsed().as_secs_f64());
        }
    }
    (r, stats, rss_upload)
}

fn print_rounds(a: &Args, r: &Rounds, stats: &ArchiveStats, pigz: bool) {
    let mb = stats.input_bytes as f64 / 1e6;
    let cores = default_workers();
    let ours = median(r.ours.clone());
    let line = |what: &str, secs: f64, bytes: u64| {
        println!(
            "  {what:<44} {:>7.1} MB/s  {:>7.1} MB  {:>6.2} s",
            mb / secs,
            bytes as f64 / 1e6,
            secs
        )
    };
    println!(
        "{} ({} input), level {}, {cores} cores, median of {}:",
        stats.summary(),
        railway_deploy::upload::archive::human_bytes(stats.input_bytes),
        a.level,
        r.ours.len()
    );
    line(
        "railway-deploy upload to the fake (parallel)",
        ours,
        r.ours_bytes,
    );
    let archive = median(r.archive.clone());
    line(
        "railway-deploy archive only (parallel)",
        archive,
        r.ours_bytes,
    );
    line(
        "previous single-stream gzip (archive only)",
        median(r.single.clone()),
        r.single_bytes,
    );
    if !r.gzip.is_empty() {
        line(
            &format!("tar -cf - | gzip -{} (RSS {:.1} MB)", a.level, r.gzip_rss),
            median(r.gzip.clone()),
            r.gzip_bytes,
        );
    }
    if pigz && !r.pigz.is_empty() {
        let p = median(r.pigz.clone());
        line(
            &format!(
                "tar -cf - | pigz -p {cores} -{} (RSS {:.1} MB)",
                a.level, r.pigz_rss
            ),
            p,
            r.pigz_bytes,
        );
        println!(
            "  throughput ratio to pigz: archive only {:.2}x, upload {:.2}x (goal >= 0.9x)",
            p / archive,
            p / ours
        );
    } else {
        println!("  pigz: not installed, column skipped (apt-get install -y pigz)");
    }
    println!(
        "  single-stream -> parallel (archive only): {:.2}x faster",
        median(r.single.clone()) / archive
    );
    if !r.preflight.is_empty() {
        let walk = median(r.preflight.clone());
        println!(
            "  pre-flight walk at resolution (opens every file, reads none): {:.0} ms, {:.1}% of the upload",
            walk * 1e3,
            100.0 * walk / ours
        );
    }
}

fn level_table(a: &Args, root: &Path) {
    if a.levels.is_empty() {
        return;
    }
    println!(
        "level table (archive only to a sink, parallel gzip, median of {}):",
        a.rounds
    );
    for level in a.levels.iter().copied() {
        let mut times = Vec::new();
        let mut out = None;
        for _ in 0..a.rounds {
            let options = ArchiveOptions {
                gzip_level: level,
                ..ArchiveOptions::default()
            };
            let t = Instant::now();
            match write_archive(root, options, std::io::sink()) {
                Ok((s, _)) => {
                    times.push(t.elapsed().as_secs_f64());
                    out = Some(s);
                }
                Err(e) => println!("  level {level}: failed ({e})"),
            }
        }
        if let Some(s) = out {
            println!(
                "  level {level}: {:>7.1} MB/s  {:>7.1} MB ({:.1} % of input)",
                s.input_bytes as f64 / 1e6 / median(times),
                s.archive_bytes as f64 / 1e6,
                100.0 * s.archive_bytes as f64 / s.input_bytes.max(1) as f64
            );
        }
    }
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let a = args();
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("cannot create a temp dir: {e}");
            std::process::exit(2);
        }
    };
    let root = tree(&a, dir.path());
    let fake = UploadFake::new().discard_bodies();
    let server = Server::start(upload_routes(fake.clone())).await;
    let api = Url::parse(&format!("{}/graphql/v2", server.url())).expect("loopback url");
    let pigz = have("pigz");
    let (rounds, stats, rss_upload) = run_rounds(&a, &root, dir.path(), &api, pigz).await;
    print_rounds(&a, &rounds, &stats, pigz);
    println!("  received by the fake: {:?} bytes", fake.body_lens());
    level_table(&a, &root);
    let rss = peak_rss_mb();
    println!(
        "peak RSS: {rss_upload:.1} MB during the uploads, {rss:.1} MB overall (limit {RSS_LIMIT_MB} MB)"
    );
    drop(server);
    drop(dir);
    if rss_upload > RSS_LIMIT_MB {
        eprintln!("peak RSS above {RSS_LIMIT_MB} MB");
        std::process::exit(1);
    }
}
