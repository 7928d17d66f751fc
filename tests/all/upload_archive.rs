//! What goes into the upload archive, and that identical trees give identical bytes.

use std::fs;
use std::path::Path;

use fakes::railway::upload::{Member, unpack};
use railway_deploy::upload::archive::{ArchiveOptions, write_archive, write_tar};

fn write(root: &Path, rel: &str, data: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, data).unwrap();
}

/// A tree exercising every selection rule.
fn sample_tree(root: &Path) {
    write(root, ".gitignore", "*.log\n/dist\nsecrets/\n!keep.log\n");
    write(root, "app/.gitignore", "tmp/\n!important.tmp\n*.tmp\n");
    write(root, ".railwayignore", "docs/\n!dist/public.txt\n");
    write(root, "app/main.rs", "fn main() {}\n");
    write(root, "app/tmp/cache.bin", "cache");
    write(root, "app/a.tmp", "tmp");
    write(
        root,
        "app/important.tmp",
        "still tmp: a later rule wins, as in git",
    );
    write(root, "debug.log", "log");
    write(root, "keep.log", "negated: kept");
    write(root, "dist/bundle.js", "built");
    write(
        root,
        "dist/public.txt",
        "re-included by .railwayignore? no: its parent is excluded",
    );
    write(root, "secrets/key", "k");
    write(root, "docs/guide.md", "docs");
    write(root, ".env.example", "hidden files are uploaded");
    write(root, ".github/workflows/ci.yml", "on: push");
    write(root, ".git/HEAD", "ref: refs/heads/main");
    write(root, ".git/info/exclude", "excluded-by-info.txt\n");
    write(root, "excluded-by-info.txt", "x");
    write(root, "node_modules/left-pad/index.js", "module.exports = 1");
    write(
        root,
        "web/node_modules/x/index.js",
        "nested node_modules too",
    );
    write(root, "web/index.html", "<html>");
    fs::create_dir_all(root.join("empty/inner")).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("../../etc/passwd", root.join("app/escape")).unwrap();
        std::os::unix::fs::symlink("main.rs", root.join("app/main-link.rs")).unwrap();
        std::os::unix::fs::symlink("/etc", root.join("etc-dir")).unwrap();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        write(root, "run.sh", "#!/bin/sh\n");
        fs::set_permissions(root.join("run.sh"), fs::Permissions::from_mode(0o775)).unwrap();
        fs::set_permissions(root.join("keep.log"), fs::Permissions::from_mode(0o600)).unwrap();
    }
}

fn archive(root: &Path) -> (railway_deploy::upload::archive::ArchiveStats, Vec<u8>) {
    write_archive(root, ArchiveOptions::default(), Vec::new()).unwrap()
}

fn names(members: &[Member]) -> Vec<&str> {
    members.iter().map(|m| m.name.as_str()).collect()
}

#[cfg(unix)]
#[test]
fn members_follow_gitignore_railwayignore_and_the_fixed_exclusions() {
    let dir = tempfile::tempdir().unwrap();
    sample_tree(dir.path());
    let (stats, bytes) = archive(dir.path());
    let members = unpack(&bytes).unwrap();
    assert_eq!(
        names(&members),
        vec![
            "./.env.example",
            "./.github/",
            "./.github/workflows/",
            "./.github/workflows/ci.yml",
            "./.gitignore",
            "./.railwayignore",
            "./app/",
            "./app/.gitignore",
            "./app/escape",
            "./app/main-link.rs",
            "./app/main.rs",
            "./empty/",
            "./empty/inner/",
            "./etc-dir",
            "./keep.log",
            "./run.sh",
            "./web/",
            "./web/index.html",
        ]
    );
    let by = |n: &str| members.iter().find(|m| m.name == n).unwrap().clone();
    let escape = by("./app/escape");
    assert_eq!(
        (escape.kind, escape.link.as_deref()),
        ("symlink", Some("../../etc/passwd"))
    );
    assert_eq!(
        by("./etc-dir").kind,
        "symlink",
        "a link to a directory is not followed"
    );
    assert_eq!(by("./app/main-link.rs").link.as_deref(), Some("main.rs"));
    assert_eq!(by("./app/main.rs").data, b"fn main() {}\n");
    // Normalised headers: fixed mtime, root owner, 0644 / 0755 whatever the disk says.
    assert_eq!(by("./run.sh").mode, 0o755);
    assert_eq!(by("./keep.log").mode, 0o644);
    assert_eq!(by("./empty/").mode, 0o755);
    for m in &members {
        assert_eq!((m.uid, m.gid, m.mtime), (0, 0, 1153704088), "{}", m.name);
    }
    assert_eq!(stats.files, 9);
    assert_eq!(stats.symlinks, 3);
    assert_eq!(stats.dirs, 6);
    assert_eq!(
        stats.escaping_links,
        vec!["app/escape -> ../../etc/passwd", "etc-dir -> /etc"]
    );
    assert_eq!(stats.archive_bytes as usize, bytes.len());
}

#[test]
fn railwayignore_can_re_include_a_gitignored_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".gitignore", "*.gen.ts\n.env\n");
    write(dir.path(), ".railwayignore", "!schema.gen.ts\n");
    write(
        dir.path(),
        "schema.gen.ts",
        "generated, needed by the build",
    );
    write(dir.path(), "other.gen.ts", "generated");
    write(dir.path(), ".env", "SECRET=1");
    let (_, bytes) = archive(dir.path());
    let members = unpack(&bytes).unwrap();
    assert_eq!(
        names(&members),
        vec!["./.gitignore", "./.railwayignore", "./schema.gen.ts"]
    );
}

#[test]
fn gitignore_is_honoured_outside_a_git_repository_and_from_parent_directories() {
    let dir = tempfile::tempdir().unwrap();
    // No .git anywhere: the monorepo root's .gitignore still applies to `path: backend`.
    write(dir.path(), ".gitignore", "*.pyc\n");
    write(dir.path(), "backend/app.py", "print(1)");
    write(dir.path(), "backend/app.pyc", "bytecode");
    let (_, bytes) = archive(&dir.path().join("backend"));
    assert_eq!(names(&unpack(&bytes).unwrap()), vec!["./app.py"]);
}

#[cfg(unix)]
#[test]
fn identical_trees_give_identical_bytes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    sample_tree(a.path());
    // Build the second tree in a different creation order and at a different time.
    std::thread::sleep(std::time::Duration::from_millis(20));
    sample_tree(b.path());
    filetime_touch(&b.path().join("app/main.rs"));
    let (_, x) = archive(a.path());
    let (_, y) = archive(b.path());
    assert_eq!(x, y);
    let (_, again) = archive(a.path());
    assert_eq!(x, again);
}

fn filetime_touch(p: &Path) {
    let data = fs::read(p).unwrap();
    fs::remove_file(p).unwrap();
    fs::write(p, data).unwrap();
}

#[test]
fn an_empty_directory_gives_a_valid_empty_archive() {
    let dir = tempfile::tempdir().unwrap();
    let (stats, bytes) = archive(dir.path());
    assert!(unpack(&bytes).unwrap().is_empty());
    assert_eq!(stats.files, 0);
}

#[cfg(unix)]
#[test]
fn long_names_and_link_targets_survive() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("{}/{}", "d".repeat(90), "f".repeat(120));
    write(dir.path(), &format!("{deep}.txt"), "deep");
    let target = format!("{}/x", "t".repeat(150));
    std::os::unix::fs::symlink(&target, dir.path().join("long-link")).unwrap();
    let (_, bytes) = archive(dir.path());
    let members = unpack(&bytes).unwrap();
    assert_eq!(
        names(&members),
        vec![
            format!("./{}/", "d".repeat(90)).as_str(),
            format!("./{deep}.txt").as_str(),
            "./long-link"
        ]
    );
    assert_eq!(members[1].data, b"deep");
    assert_eq!(members[2].link.as_deref(), Some(target.as_str()));
}

/// A tree of several compression blocks: text that repeats across block boundaries and noise.
fn multi_block_tree(root: &Path) {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for i in 0..12 {
        let data: Vec<u8> = (0..150_000usize)
            .map(|j| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if i % 3 == 2 {
                    x as u8
                } else {
                    b"let deployment = railway.start(service)?;\n"[j % 42]
                }
            })
            .collect();
        fs::create_dir_all(root.join(format!("src/m{}", i % 4))).unwrap();
        fs::write(root.join(format!("src/m{}/f{i}.rs", i % 4)), data).unwrap();
    }
}

fn archive_with(root: &Path, workers: usize) -> Vec<u8> {
    let options = ArchiveOptions {
        workers,
        ..ArchiveOptions::default()
    };
    write_archive(root, options, Vec::new()).unwrap().1
}

#[test]
fn the_bytes_do_not_depend_on_the_number_of_compression_workers() {
    let dir = tempfile::tempdir().unwrap();
    multi_block_tree(dir.path());
    let one = archive_with(dir.path(), 1);
    assert_eq!(archive_with(dir.path(), 4), one);
    assert_eq!(archive_with(dir.path(), 2), one);
    // One gzip member whose content is exactly the tar stream, read back by flate2.
    let mut tar = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&one[..]), &mut tar).unwrap();
    let (stats, plain) = write_tar(dir.path(), Vec::new()).unwrap();
    assert_eq!(tar, plain);
    assert_eq!(stats.files, 12);
    assert!(
        one.len() < plain.len() / 2,
        "{} of {}",
        one.len(),
        plain.len()
    );
}

/// Runs `cmd` with `input` on stdin; `None` when the tool is not installed.
fn run_with_stdin(cmd: &[&str], input: &[u8]) -> Option<std::process::Output> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = match Command::new(cmd[0])
        .args(&cmd[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("{cmd:?}: {e}"),
    };
    child.stdin.take().unwrap().write_all(input).unwrap();
    Some(child.wait_with_output().unwrap())
}

#[cfg(unix)]
#[test]
fn gnu_gzip_and_tar_accept_the_parallel_archive() {
    let dir = tempfile::tempdir().unwrap();
    multi_block_tree(dir.path());
    let bytes = archive_with(dir.path(), 3);
    let Some(gzip) = run_with_stdin(&["gzip", "-t"], &bytes) else {
        eprintln!("gzip not installed: not checked");
        return;
    };
    assert!(
        gzip.status.success(),
        "{}",
        String::from_utf8_lossy(&gzip.stderr)
    );
    let Some(tar) = run_with_stdin(&["tar", "-tzf", "-"], &bytes) else {
        eprintln!("tar not installed: not checked");
        return;
    };
    assert!(
        tar.status.success(),
        "{}",
        String::from_utf8_lossy(&tar.stderr)
    );
    let listed = String::from_utf8(tar.stdout).unwrap();
    assert!(listed.lines().any(|l| l == "./src/m3/f11.rs"), "{listed}");
    assert_eq!(listed.lines().filter(|l| l.ends_with(".rs")).count(), 12);
}
