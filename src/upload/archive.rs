//! Owns the bytes of the upload: a deterministic gzip-compressed tar of the selected entries of
//! `path`, named `./<relative path>`, written to any `Write` as it is produced. The same tree gives
//! the same bytes: entries sorted, headers normalised by the `tar` crate's deterministic mode (fixed
//! mtime, uid/gid 0, mode 0644 or 0755), no owner names, a gzip header without name or time.
//! It also measures what it wrote (counts, sizes, largest directories) for messages such as 413.
//! The compression itself is [`super::gzip`]'s (every core, output independent of their number).

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use tar::{EntryType, Header, HeaderMode};

use super::gzip::{ParallelGz, default_workers};
use super::select::{self, EntryKind, SelectError, SelectWarning, Selected};
use super::tar_names::{append_named, member_name, os_bytes};

/// gzip level 3, measured with `bench/upload.sh` (500 MB generated tree, parallel gzip on 2 shared
/// cores, archive only, medians of 3): level 1 86 MB/s for 55.2 % of input, level 3 59 MB/s for
/// 43.4 %, level 4 40 MB/s for 41.8 %. Level 3 is ~1.5x faster than 4 for 3.6 % more bytes (the
/// level the Railway CLI uses); level 1 is faster still but 1.3x larger, which costs more upload
/// time than it saves and nears Railway's size limit sooner.
pub const DEFAULT_GZIP_LEVEL: u32 = 3;

/// How many directories the size report keeps.
const LARGEST_DIRS: usize = 5;
/// Cap on listed warnings/links so a pathological tree cannot grow memory.
const LIST_CAP: usize = 20;

#[derive(Clone, Copy, Debug)]
pub struct ArchiveOptions {
    pub gzip_level: u32,
    /// Compression threads; changes the speed, never the bytes.
    pub workers: usize,
}

impl Default for ArchiveOptions {
    fn default() -> Self {
        ArchiveOptions {
            gzip_level: DEFAULT_GZIP_LEVEL,
            workers: default_workers(),
        }
    }
}

/// What went into an archive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArchiveStats {
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    /// Bytes of file contents (uncompressed).
    pub input_bytes: u64,
    /// Bytes of the tar.gz.
    pub archive_bytes: u64,
    /// Directories (one and two levels deep; `.` for files at the root) by uncompressed size,
    /// largest first.
    pub largest_dirs: Vec<(String, u64)>,
    /// Symlinks whose target lies outside `path` (stored as links; they dangle on Railway).
    pub escaping_links: Vec<String>,
    /// Sockets, FIFOs and devices left out.
    pub skipped_special: Vec<String>,
    pub warnings: Vec<String>,
}

impl ArchiveStats {
    /// `"12.3 MB in 2,345 files"`-style summary line.
    pub fn summary(&self) -> String {
        format!(
            "{} compressed ({} of files) in {} files, {} directories, {} symlinks",
            human_bytes(self.archive_bytes),
            human_bytes(self.input_bytes),
            self.files,
            self.dirs,
            self.symlinks
        )
    }

    /// `"assets 300.0 MB, assets/video 280.0 MB"`.
    pub fn largest_dirs_text(&self) -> String {
        self.largest_dirs
            .iter()
            .map(|(d, b)| format!("{d} {}", human_bytes(*b)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Bytes as `1.5 MB` (decimal units, as Railway's dashboard).
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1000.0 && i < UNITS.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error(transparent)]
    Select(#[from] SelectError),
    #[error(
        "{0} changed while it was being archived: make sure nothing writes into `path` while the deploy step runs"
    )]
    Changed(PathBuf),
    #[error("writing the upload archive failed: {0}")]
    Write(#[source] io::Error),
    #[error("the upload stream was closed before the archive was complete")]
    Aborted,
}

/// Counts bytes passing to the inner writer.
struct Counting<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Reads exactly `remaining` bytes of a file, failing if it shrinks or grows meanwhile (a header
/// announcing one size followed by another amount of data would corrupt the archive).
struct Exact<R> {
    inner: R,
    remaining: u64,
    changed: bool,
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? != 0 {
                self.changed = true;
                return Err(io::Error::other("file grew while archiving"));
            }
            return Ok(0);
        }
        let want = buf
            .len()
            .min(self.remaining.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            self.changed = true;
            return Err(io::Error::other("file shrank while archiving"));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[derive(Default)]
struct Tally {
    stats: ArchiveStats,
    dir_sizes: HashMap<String, u64>,
}

impl Tally {
    fn add_file(&mut self, rel: &Path, size: u64) {
        self.stats.files += 1;
        self.stats.input_bytes += size;
        let parts: Vec<String> = rel
            .parent()
            .map(|p| {
                p.components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        if parts.is_empty() {
            *self.dir_sizes.entry(".".into()).or_default() += size;
        }
        for depth in 1..=parts.len().min(2) {
            *self.dir_sizes.entry(parts[..depth].join("/")).or_default() += size;
        }
    }

    fn push_capped(list: &mut Vec<String>, item: String) {
        if list.len() < LIST_CAP {
            list.push(item);
        }
    }

    fn finish(mut self, archive_bytes: u64) -> ArchiveStats {
        let mut dirs: Vec<(String, u64)> = self.dir_sizes.into_iter().collect();
        dirs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        dirs.truncate(LARGEST_DIRS);
        self.stats.largest_dirs = dirs;
        self.stats.archive_bytes = archive_bytes;
        self.stats
    }
}

/// Writes the tar.gz of the selected entries of `root` to `out` and returns what it wrote.
/// `out` receives the bytes as they are produced; nothing is buffered beyond the blocks the
/// compressor has in flight (a fixed number, see [`super::gzip`]).
pub fn write_archive<W: Write>(
    root: &Path,
    options: ArchiveOptions,
    out: W,
) -> Result<(ArchiveStats, W), ArchiveError> {
    let counting = Counting {
        inner: out,
        count: 0,
    };
    let gz = ParallelGz::new(counting, options.gzip_level, options.workers)
        .map_err(ArchiveError::Write)?;
    let (mut stats, gz) = write_tar(root, gz)?;
    let counting = gz.finish().map_err(ArchiveError::Write)?;
    stats.archive_bytes = counting.count;
    Ok((stats, counting.inner))
}

/// Writes the uncompressed tar of the selected entries of `root` to `out` (what
/// [`write_archive`] compresses; `archive_bytes` counts the tar's bytes here). Public so the
/// benchmark can time other compressors over exactly the same stream.
pub fn write_tar<W: Write>(root: &Path, out: W) -> Result<(ArchiveStats, W), ArchiveError> {
    let counting = Counting {
        inner: out,
        count: 0,
    };
    let mut tar = tar::Builder::new(counting);
    tar.mode(HeaderMode::Deterministic);
    tar.follow_symlinks(false);
    let mut tally = Tally::default();
    let mut warnings = Vec::new();

    select::walk(
        root,
        |entry| append(&mut tar, &mut tally, entry),
        |SelectWarning(w)| Tally::push_capped(&mut warnings, w),
    )?;

    let counting = tar.into_inner().map_err(ArchiveError::Write)?;
    tally.stats.warnings = warnings;
    let stats = tally.finish(counting.count);
    Ok((stats, counting.inner))
}

fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    tally: &mut Tally,
    entry: Selected,
) -> Result<(), ArchiveError> {
    let meta = match std::fs::symlink_metadata(&entry.path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Tally::push_capped(
                &mut tally.stats.warnings,
                format!(
                    "{} disappeared while archiving; skipped",
                    entry.rel.display()
                ),
            );
            return Ok(());
        }
        Err(source) => {
            return Err(SelectError::Unreadable {
                path: entry.path,
                source,
            }
            .into());
        }
    };
    let mut header = Header::new_gnu();
    header.set_metadata_in_mode(&meta, HeaderMode::Deterministic);
    match entry.kind {
        EntryKind::Dir => {
            header.set_entry_type(EntryType::Directory);
            header.set_size(0);
            let name = member_name(&entry.rel, true);
            append_named(tar, &mut header, &name, None, io::empty())
                .map_err(ArchiveError::Write)?;
            tally.stats.dirs += 1;
        }
        EntryKind::File { size } => {
            let file = std::fs::File::open(&entry.path).map_err(|source| {
                ArchiveError::Select(SelectError::Unreadable {
                    path: entry.path.clone(),
                    source,
                })
            })?;
            header.set_size(size);
            let mut exact = Exact {
                inner: file,
                remaining: size,
                changed: false,
            };
            let name = member_name(&entry.rel, false);
            match append_named(tar, &mut header, &name, None, &mut exact) {
                Ok(()) => {}
                Err(_) if exact.changed => return Err(ArchiveError::Changed(entry.rel)),
                Err(e) => return Err(ArchiveError::Write(e)),
            }
            tally.add_file(&entry.rel, size);
        }
        EntryKind::Symlink { target, escapes } => {
            header.set_entry_type(EntryType::Symlink);
            header.set_size(0);
            header.set_mode(0o777);
            let name = member_name(&entry.rel, false);
            let link = os_bytes(target.as_os_str());
            append_named(tar, &mut header, &name, Some(&link), io::empty())
                .map_err(ArchiveError::Write)?;
            tally.stats.symlinks += 1;
            if escapes {
                Tally::push_capped(
                    &mut tally.stats.escaping_links,
                    format!("{} -> {}", entry.rel.display(), target.display()),
                );
            }
        }
        EntryKind::Special => {
            Tally::push_capped(
                &mut tally.stats.skipped_special,
                entry.rel.display().to_string(),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_human() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500_000), "1.5 MB");
        assert_eq!(human_bytes(45_000_000_000), "45.0 GB");
    }

    #[test]
    fn directory_sizes_are_tallied_two_levels_deep() {
        let mut t = Tally::default();
        t.add_file(Path::new("a/b/c/d.bin"), 100);
        t.add_file(Path::new("a/x.bin"), 10);
        t.add_file(Path::new("root.txt"), 1);
        let s = t.finish(0);
        assert_eq!(
            s.largest_dirs,
            vec![("a".into(), 110), ("a/b".into(), 100), (".".into(), 1)]
        );
        assert_eq!((s.files, s.input_bytes), (3, 111));
    }

    #[test]
    fn a_file_that_changes_size_is_refused() {
        let mut r = Exact {
            inner: &b"abc"[..],
            remaining: 5,
            changed: false,
        };
        let mut v = Vec::new();
        assert!(r.read_to_end(&mut v).is_err());
        assert!(r.changed);
        let mut r = Exact {
            inner: &b"abcdef"[..],
            remaining: 3,
            changed: false,
        };
        let mut v = Vec::new();
        assert!(r.read_to_end(&mut v).is_err());
        assert!(r.changed);
    }
}
