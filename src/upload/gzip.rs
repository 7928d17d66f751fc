//! Owns the upload's gzip: one gzip member made of fixed-size blocks compressed on every core at
//! once (pigz's layout), streamed to any `Write` in order with a fixed number of blocks in flight.
//!
//! Each block of [`BLOCK`] input bytes is deflated on its own, primed with the previous block's
//! last 32 KiB as dictionary (so matches still reach back across the boundary) and ended with a
//! sync flush (a byte-aligned empty stored block), the last one with the final block bit. The
//! CRC-32 of each block is computed beside it and combined in order. The bytes depend only on the
//! input and the level: block size and dictionary are fixed, so the worker count changes speed,
//! never output.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use flate2::{Compress, Compression, Crc, FlushCompress, Status};

/// Input bytes per independently compressed block (pigz's default).
pub const BLOCK: usize = 128 * 1024;
/// Deflate's window: how much of the previous block primes the next.
const DICT: usize = 32 * 1024;
/// Blocks queued or being compressed per worker before the writer waits for the oldest one.
const IN_FLIGHT_PER_WORKER: usize = 2;
/// More workers than this add memory (a compressor and two blocks each) for an upload whose
/// uplink is slower than a few cores of deflate anyway.
pub const MAX_WORKERS: usize = 16;

/// The workers to use by default: the cores this process may run on, at most [`MAX_WORKERS`].
pub fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(MAX_WORKERS)
}

struct Job {
    data: Arc<Vec<u8>>,
    /// The previous block, whose tail primes this one.
    dict: Option<Arc<Vec<u8>>>,
    last: bool,
    reply: SyncSender<io::Result<Done>>,
}

struct Done {
    deflate: Vec<u8>,
    crc: Crc,
}

/// A gzip writer compressing on `workers` threads. Call [`ParallelGz::finish`] to end the member;
/// dropping it unfinished stops the workers and leaves the output truncated.
pub struct ParallelGz<W: Write> {
    out: W,
    buf: Vec<u8>,
    prev: Option<Arc<Vec<u8>>>,
    pending: VecDeque<Receiver<io::Result<Done>>>,
    max_pending: usize,
    jobs: Option<Sender<Job>>,
    workers: Vec<JoinHandle<()>>,
    crc: Crc,
    total_in: u64,
}

impl<W: Write> ParallelGz<W> {
    /// Writes the gzip header (no name, no time) and starts the workers (at least one).
    pub fn new(mut out: W, level: u32, workers: usize) -> io::Result<Self> {
        let level = Compression::new(level.min(9));
        out.write_all(&header(level))?;
        let workers = workers.clamp(1, MAX_WORKERS);
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let mut handles = Vec::with_capacity(workers);
        for i in 0..workers {
            let rx = Arc::clone(&rx);
            let handle = std::thread::Builder::new()
                .name(format!("upload-gzip-{i}"))
                .spawn(move || work(level, &rx))?;
            handles.push(handle);
        }
        Ok(ParallelGz {
            out,
            buf: Vec::with_capacity(BLOCK),
            prev: None,
            pending: VecDeque::new(),
            max_pending: workers * IN_FLIGHT_PER_WORKER,
            jobs: Some(tx),
            workers: handles,
            crc: Crc::new(),
            total_in: 0,
        })
    }

    /// Compresses what is left, writes every block and the trailer, and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.dispatch(true)?;
        while !self.pending.is_empty() {
            self.write_oldest()?;
        }
        let mut trailer = [0u8; 8];
        trailer[..4].copy_from_slice(&self.crc.sum().to_le_bytes());
        // ISIZE is the input length modulo 2^32 (RFC 1952): the truncation is the format's.
        trailer[4..].copy_from_slice(&(self.total_in as u32).to_le_bytes());
        self.out.write_all(&trailer)?;
        self.out.flush()?;
        self.jobs = None;
        for h in self.workers.drain(..) {
            // A worker that panicked already failed its block, reported above.
            let _ = h.join();
        }
        Ok(self.out)
    }

    /// Sends the buffered block to the workers, then writes whatever is already compressed (in
    /// order), waiting for the oldest block while too many are in flight.
    fn dispatch(&mut self, last: bool) -> io::Result<()> {
        let data = Arc::new(std::mem::replace(&mut self.buf, Vec::with_capacity(BLOCK)));
        let (reply, rx) = mpsc::sync_channel(1);
        let job = Job {
            data: Arc::clone(&data),
            dict: self.prev.replace(data),
            last,
            reply,
        };
        let sent = self.jobs.as_ref().map(|jobs| jobs.send(job).is_ok());
        if sent != Some(true) {
            return Err(worker_gone());
        }
        self.pending.push_back(rx);
        while let Some(front) = self.pending.front() {
            match front.try_recv() {
                Ok(done) => {
                    self.pending.pop_front();
                    self.write_done(done?)?;
                }
                Err(TryRecvError::Empty) if self.pending.len() > self.max_pending => {
                    self.write_oldest()?;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return Err(worker_gone()),
            }
        }
        Ok(())
    }

    fn write_oldest(&mut self) -> io::Result<()> {
        let rx = self.pending.pop_front().ok_or_else(worker_gone)?;
        let done = rx.recv().map_err(|_| worker_gone())??;
        self.write_done(done)
    }

    fn write_done(&mut self, done: Done) -> io::Result<()> {
        self.out.write_all(&done.deflate)?;
        self.crc.combine(&done.crc);
        Ok(())
    }
}

impl<W: Write> Write for ParallelGz<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = (BLOCK - self.buf.len()).min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        self.total_in += n as u64;
        if self.buf.len() == BLOCK {
            self.dispatch(false)?;
        }
        Ok(n)
    }

    /// Writes out what is compressed already; a partial block stays buffered (flushing it would
    /// make the bytes depend on when the caller flushed).
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn worker_gone() -> io::Error {
    io::Error::other("a gzip worker thread stopped")
}

/// RFC 1952 header: deflate, no flags, no time, XFL as zlib sets it, OS "unknown" (as `flate2`
/// writes it, so the bytes do not depend on the runner's OS).
fn header(level: Compression) -> [u8; 10] {
    let xfl = if level.level() >= 9 {
        2
    } else if level.level() <= 1 {
        4
    } else {
        0
    };
    [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255]
}

/// A worker: takes blocks until the writer hangs up, answers each on its own reply channel.
fn work(level: Compression, jobs: &Mutex<Receiver<Job>>) {
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let result = compress(level, &job);
        // The writer may have been dropped meanwhile; nobody is left to tell.
        let _ = job.reply.send(result);
    }
}

/// One block as raw deflate: primed with the previous block's tail, ended by a sync flush (or,
/// for the last block, by the final block).
///
/// A fresh compressor per block: `Compress::reset` keeps the previous window's bytes, which matches
/// near the end of the input may read, so a reused one made the bytes depend on which worker had
/// compressed what before (measured: uploads of one tree differing by a few bytes). A new one
/// starts from a zeroed window; its allocation is small beside deflating 128 KiB.
fn compress(level: Compression, job: &Job) -> io::Result<Done> {
    let mut deflate = Compress::new(level, false);
    let deflate = &mut deflate;
    if let Some(prev) = &job.dict {
        deflate
            .set_dictionary(&prev[prev.len().saturating_sub(DICT)..])
            .map_err(io::Error::other)?;
    }
    let flush = if job.last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    // Room for incompressible input (stored blocks add 5 bytes per 16 KiB) and the flush, so a
    // block normally needs one call and no reallocation.
    let mut out = Vec::with_capacity(job.data.len() + job.data.len() / 1024 + 64);
    let mut input = &job.data[..];
    loop {
        if out.len() == out.capacity() {
            out.reserve(out.capacity().max(1024));
        }
        let (in_before, out_before) = (deflate.total_in(), out.len());
        let status = deflate
            .compress_vec(input, &mut out, flush)
            .map_err(io::Error::other)?;
        let consumed = (deflate.total_in() - in_before) as usize;
        input = &input[consumed..];
        let room_left = out.len() < out.capacity();
        match status {
            Status::StreamEnd => break,
            // A sync flush is complete once all input is taken and output space is left over.
            _ if !job.last && input.is_empty() && room_left => break,
            Status::BufError if consumed == 0 && out.len() == out_before && room_left => {
                return Err(io::Error::other("deflate made no progress"));
            }
            _ => {}
        }
    }
    let mut crc = Crc::new();
    crc.update(&job.data);
    Ok(Done { deflate: out, crc })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn sample(len: usize) -> Vec<u8> {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        (0..len)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Half text-like (compressible, repeats across blocks), half noise.
                if (i / 50_000) % 2 == 0 {
                    b"fn main() { let value = config; }\n"[i % 34]
                } else {
                    x as u8
                }
            })
            .collect()
    }

    fn gz(data: &[u8], level: u32, workers: usize, chunk: usize) -> Vec<u8> {
        let mut w = ParallelGz::new(Vec::new(), level, workers).unwrap();
        for c in data.chunks(chunk.max(1)) {
            w.write_all(c).unwrap();
        }
        w.finish().unwrap()
    }

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn output_is_one_valid_member_whatever_the_worker_count_or_write_sizes() {
        let data = sample(5 * BLOCK + 12_345);
        let one = gz(&data, 4, 1, 8192);
        for (workers, chunk) in [(4, 8192), (2, 1), (3, BLOCK), (16, 3 * BLOCK + 7)] {
            assert_eq!(gz(&data, 4, workers, chunk), one, "{workers} workers");
        }
        assert_eq!(gunzip(&one), data);
        // Priming with the previous block keeps the cross-block repeats compressible.
        assert!(one.len() < data.len() * 6 / 10, "{} bytes", one.len());
    }

    /// Same input, many blocks, several runs and worker counts: same bytes (see `compress` on why
    /// a compressor is not reused).
    #[test]
    fn repeated_runs_over_many_blocks_give_the_same_bytes() {
        let mut data = sample(40 * BLOCK + 999);
        // Blocks whose tails differ from the start of the next block's content.
        for (i, b) in data.iter_mut().enumerate() {
            if (i / 7919) % 5 == 0 {
                *b = b.wrapping_add((i / BLOCK) as u8);
            }
        }
        let first = gz(&data, 4, 1, 65_536);
        for level in [1, 4, 6] {
            let one = gz(&data, level, 1, 65_536);
            for _ in 0..3 {
                assert_eq!(gz(&data, level, 4, 65_536), one, "level {level}");
            }
        }
        assert_eq!(gunzip(&first), data);
    }

    #[test]
    fn every_level_round_trips_including_empty_and_exact_block_inputs() {
        for level in [0, 1, 3, 6, 9] {
            for len in [0, 1, BLOCK, 2 * BLOCK, 2 * BLOCK + 1] {
                let data = sample(len);
                assert_eq!(gunzip(&gz(&data, level, 2, 4096)), data, "{level}/{len}");
            }
        }
    }
}
