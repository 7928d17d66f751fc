//! Owns one archive build shared by every upload of the same `path`. The first upload streams the
//! archive while it is produced (a builder thread feeding a bounded channel: at most
//! `LIVE_CHUNKS` x `CHUNK` bytes in flight); every byte is also spooled to a temporary file, so
//! other services with the same `path`, or a retry after HTTP 429, re-send the same bytes without
//! building again. The spool lives in the first writable directory of the configured list (see
//! [`super::spool`]) and is deleted when the source is dropped.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::stream::{self, Stream, StreamExt};
use tokio::io::AsyncReadExt;
use tokio::sync::{mpsc, watch};

use super::archive::{ArchiveError, ArchiveOptions, ArchiveStats, write_archive};

/// Size of one chunk handed to the HTTP body.
pub const CHUNK: usize = 64 * 1024;
/// Chunks buffered between the builder thread and the HTTP body (the memory bound).
pub const LIVE_CHUNKS: usize = 4;

type Outcome = Result<Arc<Built>, Arc<ArchiveError>>;

struct Built {
    stats: ArchiveStats,
    spool: tempfile::NamedTempFile,
}

struct Inner {
    root: PathBuf,
    options: ArchiveOptions,
    spool_dirs: Arc<[PathBuf]>,
    started: Mutex<bool>,
    done: watch::Sender<Option<Outcome>>,
}

/// A lazily built archive of one directory. Cheap to clone; clones share the build.
#[derive(Clone)]
pub struct ArchiveSource {
    inner: Arc<Inner>,
}

/// The bytes of one upload, ready to become an HTTP body.
pub struct ArchiveBody {
    /// Known when the body comes from the finished spool; `None` while it is produced live.
    pub len: Option<u64>,
    stream: std::pin::Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send + 'static>>,
}

impl ArchiveBody {
    pub fn into_reqwest(self) -> reqwest::Body {
        reqwest::Body::wrap_stream(self.stream)
    }

    /// The stream of chunks (for tests and the benchmark).
    pub fn into_stream(self) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
        self.stream
    }
}

impl ArchiveSource {
    /// Nothing is read until the first [`ArchiveSource::body`] or [`ArchiveSource::finished`].
    /// The spool goes to the system temp dir.
    pub fn new(root: impl Into<PathBuf>, options: ArchiveOptions) -> Self {
        Self::spooling_in(root, options, vec![std::env::temp_dir()].into())
    }

    /// As [`ArchiveSource::new`], spooling into the first writable directory of `spool_dirs`.
    pub fn spooling_in(
        root: impl Into<PathBuf>,
        options: ArchiveOptions,
        spool_dirs: Arc<[PathBuf]>,
    ) -> Self {
        let (done, _) = watch::channel(None);
        ArchiveSource {
            inner: Arc::new(Inner {
                root: root.into(),
                options,
                spool_dirs,
                started: Mutex::new(false),
                done,
            }),
        }
    }

    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The first call streams the archive as it is built; later calls wait for the build to finish
    /// and stream the spooled copy (with a known length).
    pub async fn body(&self) -> Result<ArchiveBody, Arc<ArchiveError>> {
        if self.claim_start() {
            let (tx, rx) = mpsc::channel(LIVE_CHUNKS);
            self.spawn_build(Some(tx));
            let stream = stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|item| (item, rx))
            });
            return Ok(ArchiveBody {
                len: None,
                stream: Box::pin(stream),
            });
        }
        let built = self.wait().await?;
        spool_body(built)
            .await
            .map_err(|e| Arc::new(ArchiveError::Write(e)))
    }

    /// Waits for the build (starting it without a live reader if nobody has asked for a body) and
    /// returns what went into the archive.
    pub async fn finished(&self) -> Result<ArchiveStats, Arc<ArchiveError>> {
        if self.claim_start() {
            self.spawn_build(None);
        }
        Ok(self.wait().await?.stats.clone())
    }

    /// Statistics if the build has finished, without waiting.
    pub fn stats_if_done(&self) -> Option<ArchiveStats> {
        match &*self.inner.done.borrow() {
            Some(Ok(b)) => Some(b.stats.clone()),
            _ => None,
        }
    }

    fn claim_start(&self) -> bool {
        let mut started = self.inner.started.lock().unwrap_or_else(|e| e.into_inner());
        !std::mem::replace(&mut *started, true)
    }

    async fn wait(&self) -> Outcome {
        let mut rx = self.inner.done.subscribe();
        match rx.wait_for(Option::is_some).await {
            Ok(v) => v
                .clone()
                .unwrap_or_else(|| Err(Arc::new(ArchiveError::Aborted))),
            // The sender lives in `inner`, which we hold: it cannot be dropped while we wait.
            Err(_) => Err(Arc::new(ArchiveError::Aborted)),
        }
    }

    fn spawn_build(&self, live: Option<mpsc::Sender<io::Result<Bytes>>>) {
        let inner = self.inner.clone();
        let spawned = std::thread::Builder::new()
            .name("upload-archive".into())
            .spawn(move || {
                let outcome = build(&inner.root, inner.options, &inner.spool_dirs, live);
                inner.done.send_replace(Some(outcome));
            });
        if let Err(e) = spawned {
            self.inner
                .done
                .send_replace(Some(Err(Arc::new(ArchiveError::Write(e)))));
        }
    }
}

fn build(
    root: &Path,
    options: ArchiveOptions,
    spool_dirs: &[PathBuf],
    live: Option<mpsc::Sender<io::Result<Bytes>>>,
) -> Outcome {
    let on_error = live.clone();
    let result = (|| -> Result<Arc<Built>, ArchiveError> {
        let spool = super::spool::create(spool_dirs).map_err(ArchiveError::Write)?;
        let file = spool.as_file().try_clone().map_err(ArchiveError::Write)?;
        let tee = Tee {
            buf: Vec::with_capacity(CHUNK),
            live,
            spool: file,
        };
        let (stats, mut tee) = write_archive(root, options, tee)?;
        tee.emit().map_err(ArchiveError::Write)?;
        tee.spool.flush().map_err(ArchiveError::Write)?;
        Ok(Arc::new(Built { stats, spool }))
    })();
    if let (Err(e), Some(tx)) = (&result, on_error) {
        // End the live body with an error, so the HTTP request is aborted rather than completed
        // with a truncated archive.
        let _ = tx.blocking_send(Err(io::Error::other(e.to_string())));
    }
    result.map_err(Arc::new)
}

/// Writes every chunk to the spool and, while someone listens, to the live channel.
struct Tee {
    buf: Vec<u8>,
    live: Option<mpsc::Sender<io::Result<Bytes>>>,
    spool: std::fs::File,
}

impl Tee {
    fn emit(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.spool.write_all(&chunk)?;
        if let Some(tx) = &self.live {
            // A dropped receiver means that upload ended (answered early, or failed): keep
            // building for the spool, which other uploads of this path will read.
            if tx.blocking_send(Ok(Bytes::from(chunk))).is_err() {
                self.live = None;
            }
        }
        Ok(())
    }
}

impl Write for Tee {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buf.len();
        let n = room.min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= CHUNK {
            self.emit()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

async fn spool_body(built: Arc<Built>) -> io::Result<ArchiveBody> {
    let file = tokio::fs::File::open(built.spool.path()).await?;
    let len = built.stats.archive_bytes;
    // `built` rides along so the spool file outlives the stream.
    let stream = stream::unfold(Some((file, built)), |state| async move {
        let (mut file, built) = state?;
        let mut buf = vec![0u8; CHUNK];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), Some((file, built))))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    Ok(ArchiveBody {
        len: Some(len),
        stream: Box::pin(stream.fuse()),
    })
}

/// One [`ArchiveSource`] per distinct directory: services deployed from the same `path` share
/// one build.
pub struct ArchiveCache {
    options: ArchiveOptions,
    spool_dirs: Arc<[PathBuf]>,
    sources: Mutex<HashMap<PathBuf, ArchiveSource>>,
}

impl Default for ArchiveCache {
    fn default() -> Self {
        ArchiveCache::new(ArchiveOptions::default())
    }
}

impl ArchiveCache {
    /// Spools into the system temp dir.
    pub fn new(options: ArchiveOptions) -> Self {
        Self::spooling_in(options, vec![std::env::temp_dir()])
    }

    /// Spools into the first writable directory of `spool_dirs` (the configuration's list).
    pub fn spooling_in(options: ArchiveOptions, spool_dirs: Vec<PathBuf>) -> Self {
        ArchiveCache {
            options,
            spool_dirs: spool_dirs.into(),
            sources: Mutex::default(),
        }
    }

    /// The shared source for `path` (compared after resolving `.`/`..` and symlinks).
    pub fn source(&self, path: &Path) -> ArchiveSource {
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        let mut map = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(key)
            .or_insert_with(|| {
                ArchiveSource::spooling_in(path, self.options, self.spool_dirs.clone())
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(body: ArchiveBody) -> Vec<u8> {
        let mut s = body.into_stream();
        let mut out = Vec::new();
        while let Some(chunk) = s.next().await {
            out.extend_from_slice(&chunk.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn live_and_spooled_bodies_carry_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..50 {
            std::fs::write(
                dir.path().join(format!("f{i}.txt")),
                vec![b'x' + (i % 3) as u8; 9000],
            )
            .unwrap();
        }
        let cache = ArchiveCache::default();
        let a = cache.source(dir.path());
        let b = cache.source(&dir.path().join("."));
        let live = a.body().await.unwrap();
        assert_eq!(live.len, None);
        let live = collect(live).await;
        let spooled = b.body().await.unwrap();
        let stats = b.finished().await.unwrap();
        assert_eq!(spooled.len, Some(stats.archive_bytes));
        assert_eq!(collect(spooled).await, live);
        assert_eq!(stats.archive_bytes as usize, live.len());
        assert_eq!(stats.files, 50);
    }

    #[tokio::test]
    async fn a_dropped_live_reader_does_not_stop_the_build() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..40 {
            // Incompressible-ish content so the archive spans many chunks.
            let data: Vec<u8> = (0..50_000u32)
                .map(|j| (j.wrapping_mul(2654435761) >> (i % 7)) as u8)
                .collect();
            std::fs::write(dir.path().join(format!("f{i}.bin")), data).unwrap();
        }
        let src = ArchiveSource::new(dir.path(), ArchiveOptions::default());
        drop(src.body().await.unwrap());
        let stats = src.finished().await.unwrap();
        assert_eq!(stats.files, 40);
        let again = collect(src.body().await.unwrap()).await;
        assert_eq!(again.len() as u64, stats.archive_bytes);
    }

    #[tokio::test]
    async fn a_failed_build_ends_the_live_body_with_an_error() {
        let src = ArchiveSource::new("/no/such/dir/for/upload", ArchiveOptions::default());
        let mut s = src.body().await.unwrap().into_stream();
        let first = s.next().await.expect("an item");
        assert!(first.unwrap_err().to_string().contains("`path`"));
        assert!(src.finished().await.is_err());
    }
}
