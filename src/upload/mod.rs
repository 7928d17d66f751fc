//! Owns `source: upload`: the deterministic, streamed tar.gz of the checkout and its upload.
//!
//! Pipeline entry points: one [`source::ArchiveCache`] per run, then [`start`] per service (the
//! services sharing a `path` share one archive build); [`describe`] for a dry run's plan.
pub mod archive;
pub mod gzip;
pub mod select;
pub mod send;
pub mod source;
mod tar_names;

use std::path::Path;

use archive::{ArchiveStats, human_bytes};
use send::{UploadError, UploadTarget, UploadedDeployment};
use source::ArchiveCache;

use crate::railway::RailwayClient;
use crate::workflow;

/// Uploads `path` for one service and returns the deployment Railway created. Prints one line
/// before and one after (size, counts), and a warning for links that leave the tree.
pub async fn start(
    c: &RailwayClient,
    archives: &ArchiveCache,
    path: &Path,
    target: &UploadTarget,
    label: &str,
) -> Result<UploadedDeployment, UploadError> {
    crate::deploy::logs::progress(format!("{label}: uploading {}", path.display()));
    let source = archives.source(path);
    let deployment = send::upload(
        c.http(),
        c.api_url(),
        c.token(),
        target,
        &source,
        c.timing(),
    )
    .await?;
    if let Ok(stats) = source.finished().await {
        crate::deploy::logs::progress(format!("{label}: uploaded {}", stats.summary()));
        warn_about(label, &stats);
    }
    Ok(deployment)
}

/// A dry run's line for the plan: builds the archive (nothing is sent) and says what it holds.
pub async fn describe(archives: &ArchiveCache, path: &Path) -> Result<String, UploadError> {
    let stats = archives
        .source(path)
        .finished()
        .await
        .map_err(UploadError::Archive)?;
    Ok(format!(
        "the archive of `{}` holds {} files, {} uncompressed, {} compressed (built, not sent: a dry run uploads nothing)",
        path.display(),
        stats.files,
        human_bytes(stats.input_bytes),
        human_bytes(stats.archive_bytes)
    ))
}

fn warn_about(label: &str, stats: &ArchiveStats) {
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
