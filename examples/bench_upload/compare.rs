//! What the upload is measured against: `tar | gzip`, `tar | pigz` and the previous single-stream
//! compressor over the same tar stream.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use railway_deploy::upload::archive::write_tar;
use railway_deploy::upload::select;

pub fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `tar -cf - -T list | <compressor>` of exactly the members we upload, under `/usr/bin/time`;
/// returns (seconds, compressed bytes, peak RSS MB of the largest process).
pub fn pipeline(root: &Path, list: &Path, compressor: &str) -> std::io::Result<(f64, u64, f64)> {
    let script = format!(
        "tar -C '{}' --no-recursion -cf - -T '{}' | {compressor}",
        root.display(),
        list.display()
    );
    let rss_file = list.with_extension("rss");
    let t = Instant::now();
    let mut child = Command::new("/usr/bin/time")
        .arg("-o")
        .arg(&rss_file)
        .args(["-f", "%M", "bash", "-o", "pipefail", "-c", &script])
        .stdout(Stdio::piped())
        .spawn()?;
    let mut out = child
        .stdout
        .take()
        .ok_or_else(|| std::io::Error::other("no stdout"))?;
    let total = std::io::copy(&mut out, &mut std::io::sink())?;
    let status = child.wait()?;
    let secs = t.elapsed().as_secs_f64();
    if !status.success() {
        return Err(std::io::Error::other(format!(
            "{compressor} failed: {status}"
        )));
    }
    let rss_kb: f64 = std::fs::read_to_string(&rss_file)?
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(f64::NAN);
    Ok((secs, total, rss_kb / 1024.0))
}

/// The previous compressor: the same tar stream through one `flate2` deflate stream.
pub fn single_stream(root: &Path, level: u32) -> Result<(f64, u64), String> {
    let t = Instant::now();
    let gz =
        flate2::write::GzEncoder::new(Counted(std::io::sink(), 0), flate2::Compression::new(level));
    let (_, gz) = write_tar(root, gz).map_err(|e| e.to_string())?;
    let Counted(_, bytes) = gz.finish().map_err(|e| e.to_string())?;
    Ok((t.elapsed().as_secs_f64(), bytes))
}

struct Counted<W>(W, u64);
impl<W: Write> Write for Counted<W> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let n = self.0.write(b)?;
        self.1 += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

pub fn member_list(root: &Path, dir: &Path) -> Option<(PathBuf, usize)> {
    let list = dir.join("members.txt");
    let mut names = Vec::new();
    let _ = select::walk::<select::SelectError>(
        root,
        |e| {
            names.push(format!("./{}", e.rel.display()));
            Ok(())
        },
        |_| {},
    );
    std::fs::write(&list, names.join("\n") + "\n").ok()?;
    Some((list, names.len()))
}
