//! Benchmark of `source: upload`: archive-and-upload of a generated tree to a loopback sink,
//! beside GNU `tar czf` of the same file list, plus gzip levels 1/6/9 archive-only.
//!
//!   cargo run --example bench_upload -- [--quick] [--files N] [--mb N] [--node-modules-mb N]
//!
//! Prints the figures (peak RSS from /proc/self/status VmHWM, covering the fake sink too) and
//! exits 1 when peak RSS exceeds 64 MB. The tree lives in a temp dir removed at the end.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use fakes::Server;
use fakes::railway::upload::{UploadFake, upload_routes};
use railway_deploy::railway::auth::RailwayToken;
use railway_deploy::railway::upload::{UploadTarget, upload};
use railway_deploy::secret::Secret;
use railway_deploy::timing::Timing;
use railway_deploy::upload::archive::{ArchiveOptions, DEFAULT_GZIP_LEVEL, write_archive};
use railway_deploy::upload::select;
use railway_deploy::upload::source::ArchiveSource;
use url::Url;

const RSS_LIMIT_MB: f64 = 64.0;

struct Args {
    files: usize,
    mb: usize,
    node_modules_mb: usize,
    levels: Vec<u32>,
    /// Benchmark an existing directory instead of a generated tree (never modified or removed).
    tree: Option<std::path::PathBuf>,
}

fn args() -> Args {
    let mut a = Args {
        files: 20_000,
        mb: 500,
        node_modules_mb: 300,
        levels: vec![1, 6, 9],
        tree: None,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let num = |j: usize| argv.get(j).and_then(|v| v.parse::<usize>().ok());
        match argv[i].as_str() {
            "--quick" => {
                a = Args {
                    files: 2_000,
                    mb: 20,
                    node_modules_mb: 10,
                    levels: Vec::new(),
                    tree: None,
                }
            }
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

/// xorshift64*: deterministic filler, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
}

/// 1 MB of source-like text (compresses ~4:1) and 1 MB of noise (does not compress).
fn blocks() -> (Vec<u8>, Vec<u8>) {
    const WORDS: [&str; 24] = [
        "fn",
        "let",
        "mut",
        "return",
        "self",
        "impl",
        "struct",
        "match",
        "Some",
        "None",
        "Ok",
        "Err",
        "async",
        "await",
        "pub",
        "use",
        "for",
        "in",
        "if",
        "else",
        "value",
        "config",
        "request",
        "deployment",
    ];
    let mut r = Rng(0x9E3779B97F4A7C15);
    let mut text = Vec::with_capacity(1 << 20);
    while text.len() < (1 << 20) {
        let w = WORDS[(r.next() % WORDS.len() as u64) as usize];
        text.extend_from_slice(w.as_bytes());
        text.push(if r.next().is_multiple_of(9) {
            b'\n'
        } else {
            b' '
        });
        if r.next().is_multiple_of(13) {
            text.extend_from_slice(format!("{}", r.next() % 100_000).as_bytes());
        }
    }
    text.truncate(1 << 20);
    let noise: Vec<u8> = (0..(1 << 17))
        .flat_map(|_| r.next().to_le_bytes())
        .collect();
    (text, noise)
}

fn generate(root: &Path, a: &Args) -> std::io::Result<()> {
    let (text, noise) = blocks();
    let mut r = Rng(42);
    // 80 % of the bytes in text files, 20 % in binary assets (1 per 200 files).
    let assets = (a.files / 200).max(1);
    let text_files = a.files - assets;
    let text_each = a.mb * 800_000 / text_files.max(1);
    let asset_each = a.mb * 200_000 / assets;
    let write_from = |path: &Path, src: &[u8], size: usize, r: &mut Rng| -> std::io::Result<()> {
        std::fs::create_dir_all(path.parent().unwrap_or(root))?;
        let mut f = std::fs::File::create(path)?;
        let mut left = size;
        while left > 0 {
            let off = (r.next() % (src.len() as u64 / 2)) as usize;
            let n = left.min(src.len() - off);
            f.write_all(&src[off..off + n])?;
            left -= n;
        }
        Ok(())
    };
    for i in 0..text_files {
        let p = root.join(format!("src/mod{:03}/sub{}/file{i}.rs", i % 100, i % 7));
        let size = text_each / 2 + (r.next() as usize % text_each.max(1));
        write_from(&p, &text, size, &mut r)?;
    }
    for i in 0..assets {
        write_from(
            &root.join(format!("assets/blob{i}.bin")),
            &noise,
            asset_each,
            &mut r,
        )?;
    }
    let nm_files = (a.node_modules_mb * 10).max(1);
    for i in 0..nm_files {
        let p = root.join(format!("node_modules/pkg{}/lib/f{i}.js", i % 300));
        write_from(&p, &text, 100_000, &mut r)?;
    }
    std::fs::write(root.join(".gitignore"), "*.log\n")?;
    Ok(())
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

/// `tar czf -` of exactly the members we upload; returns (seconds, bytes).
fn gnu_tar(root: &Path, list: &Path) -> std::io::Result<(f64, u64)> {
    let t = Instant::now();
    let mut child = Command::new("tar")
        .arg("-C")
        .arg(root)
        .args(["--no-recursion", "-czf", "-", "-T"])
        .arg(list)
        .stdout(Stdio::piped())
        .spawn()?;
    let mut out = child
        .stdout
        .take()
        .ok_or_else(|| std::io::Error::other("no stdout"))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = out.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    let status = child.wait()?;
    if !status.success() {
        return Err(std::io::Error::other(format!("tar failed: {status}")));
    }
    Ok((t.elapsed().as_secs_f64(), total))
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
    let root = match &a.tree {
        Some(t) => {
            println!("tree: {} (existing directory)", t.display());
            t.clone()
        }
        None => {
            let root = dir.path().join("tree");
            let t = Instant::now();
            if let Err(e) = generate(&root, &a) {
                eprintln!("generating the tree failed: {e}");
                std::process::exit(2);
            }
            println!(
                "tree: {} files, ~{} MB, plus {} MB in node_modules (generated in {:.1}s)",
                a.files,
                a.mb,
                a.node_modules_mb,
                t.elapsed().as_secs_f64()
            );
            root
        }
    };

    let fake = UploadFake::new().discard_bodies();
    let server = Server::start(upload_routes(fake.clone())).await;
    let api = Url::parse(&format!("{}/graphql/v2", server.url())).expect("loopback url");
    let token = RailwayToken::Project(Secret::new("bench-token"));
    let target = UploadTarget {
        project_id: "p".into(),
        environment_id: "e".into(),
        service_id: "s".into(),
        message: None,
    };
    let source = ArchiveSource::new(&root, ArchiveOptions::default());
    let t = Instant::now();
    let result = upload(
        &reqwest::Client::new(),
        &api,
        &token,
        &target,
        &source,
        &Timing::default(),
    )
    .await;
    let ours = t.elapsed().as_secs_f64();
    if let Err(e) = result {
        eprintln!("upload failed: {e}");
        std::process::exit(1);
    }
    let stats = source.finished().await.expect("the build finished");
    let rss_upload = peak_rss_mb();
    let mb = stats.input_bytes as f64 / 1e6;
    println!(
        "railway-deploy: {} -> {:.1} MB uploaded in {ours:.2}s = {:.1} MB/s of input (gzip level {DEFAULT_GZIP_LEVEL}, received {:?} bytes)",
        stats.summary(),
        stats.archive_bytes as f64 / 1e6,
        mb / ours,
        fake.body_lens()
    );

    let list = dir.path().join("members.txt");
    let mut names = Vec::new();
    let _ = select::walk::<select::SelectError>(
        &root,
        |e| {
            names.push(format!("./{}", e.rel.display()));
            Ok(())
        },
        |_| {},
    );
    if std::fs::write(&list, names.join("\n") + "\n").is_ok() {
        match gnu_tar(&root, &list) {
            Ok((secs, bytes)) => println!(
                "tar czf (GNU tar + gzip -6, same {} members): {:.1} MB in {secs:.2}s = {:.1} MB/s of input",
                names.len(),
                bytes as f64 / 1e6,
                mb / secs
            ),
            Err(e) => println!("tar czf: not measured ({e})"),
        }
    }

    {
        for level in a.levels.iter().copied() {
            let t = Instant::now();
            match write_archive(&root, ArchiveOptions { gzip_level: level }, std::io::sink()) {
                Ok((s, _)) => println!(
                    "gzip level {level}: {:.1} MB ({:.1} % of input) at {:.1} MB/s (archive only)",
                    s.archive_bytes as f64 / 1e6,
                    100.0 * s.archive_bytes as f64 / s.input_bytes.max(1) as f64,
                    mb / t.elapsed().as_secs_f64()
                ),
                Err(e) => println!("gzip level {level}: failed ({e})"),
            }
        }
    }
    let rss = peak_rss_mb();
    println!(
        "peak RSS: {rss_upload:.1} MB during the upload, {rss:.1} MB overall (limit {RSS_LIMIT_MB} MB)"
    );
    drop(server);
    drop(dir);
    if rss_upload > RSS_LIMIT_MB {
        eprintln!("peak RSS above {RSS_LIMIT_MB} MB");
        std::process::exit(1);
    }
}
