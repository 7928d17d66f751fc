//! Owns what goes into `source: upload`'s archive: selecting the files, the deterministic,
//! streamed tar.gz, and the spool/cache the services sharing a `path` share. No HTTP, no token:
//! the transport is `crate::railway::upload`.
//!
//! Entry points: one [`source::ArchiveCache`] per run; [`warn_about`] after an upload;
//! [`describe`] for a dry run's plan.
pub mod archive;
pub mod gzip;
pub mod preflight;
pub mod select;
pub mod source;
pub mod spool;
mod tar_names;

use std::path::Path;
use std::sync::Arc;

use archive::{ArchiveError, ArchiveStats, human_bytes};
use source::ArchiveCache;

use crate::workflow;

/// A dry run's line for the plan: builds the archive (nothing is sent) and says what it holds.
pub async fn describe(archives: &ArchiveCache, path: &Path) -> Result<String, Arc<ArchiveError>> {
    let stats = archives.source(path).finished().await?;
    Ok(format!(
        "the archive of `{}` holds {} files, {} uncompressed, {} compressed (built, not sent: a dry run uploads nothing)",
        path.display(),
        stats.files,
        human_bytes(stats.input_bytes),
        human_bytes(stats.archive_bytes)
    ))
}

/// Warnings about what the archive of a finished upload held (links leaving the tree, specials).
pub fn warn_about(label: &str, stats: &ArchiveStats) {
    if !stats.escaping_links.is_empty() {
        workflow::warning(format!(
            "{label}: symlinks pointing outside `path` were uploaded as links and will not resolve in Railway's build: {}",
            stats.escaping_links.join(", ")
        ));
    }
    if !stats.skipped_special.is_empty() {
        workflow::info(format!(
            "{label}: sockets/FIFOs/devices left out: {}",
            stats.skipped_special.join(", ")
        ));
    }
    for w in &stats.warnings {
        workflow::info(format!("{label}: {w}"));
    }
}
