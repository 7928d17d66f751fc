//! The plan's backup step (`Step::Backup`), from the configuration and what resolution found:
//! whether the run backs the database up before migrating, and the request it executes.

use crate::backup::{BackupRequest, Lookup};
use crate::config::{BackupMode, CommandKind, Config};
use crate::secret::Secret;

/// What resolution read about the database: the URL of `migrations` and the volume to back up.
#[derive(Clone, Debug)]
pub struct Database {
    /// Read and checked for `migrations` (`None` without them).
    pub url: Option<Secret>,
    /// The volume found for the backup ([`Lookup::NotNeeded`]: not looked up).
    pub backup: Lookup,
}

/// Whether the run backs the database up before migrating: something may be migrated (SQL
/// migrations, or a `migrate-command`) and `backup` is not `false`.
pub fn wants_backup(cfg: &Config) -> bool {
    cfg.backup.mode != BackupMode::Off
        && cfg.command != CommandKind::Rollback
        && (cfg.migrations.is_some() || cfg.migrate_command.is_some())
}

/// The backup step from what resolution found.
pub(super) fn backup_request(cfg: &Config, lookup: Lookup) -> BackupRequest {
    let skipped_warns = matches!(lookup, Lookup::Unreadable(_));
    let (target, skipped) = match lookup {
        Lookup::Found(t) => (Some(*t), None),
        Lookup::Missing(why) | Lookup::Unreadable(why) => (None, Some(why)),
        Lookup::NotNeeded => (None, None),
    };
    BackupRequest {
        target,
        skipped,
        skipped_warns,
        timeout: cfg.backup.timeout,
        sha: cfg.sha.clone(),
        only_when_pending: cfg.migrate_command.is_none(),
    }
}
