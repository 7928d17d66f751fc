//! The generated tree: source-like text files, incompressible assets, and what the upload must
//! leave out (node_modules, a gitignored build/ and .git), from a fixed seed.

use std::io::Write;
use std::path::Path;

use super::Args;

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

pub fn generate(root: &Path, a: &Args) -> std::io::Result<()> {
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
    // Ignored too: a build output directory (by .gitignore) and the repository itself (always).
    for i in 0..(a.node_modules_mb * 2).max(1) {
        write_from(
            &root.join(format!("build/out{i}.o")),
            &noise,
            50_000,
            &mut r,
        )?;
        write_from(
            &root.join(format!(".git/objects/{:02x}/o{i}", i % 256)),
            &text,
            50_000,
            &mut r,
        )?;
    }
    std::fs::write(root.join(".gitignore"), "*.log\nbuild/\n")?;
    Ok(())
}
