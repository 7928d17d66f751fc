//! Owns the backup of the database's Railway volume before migrating: finding the volume (the
//! one mounted on the service that defines `database-url-variable`, read in resolution, before
//! any change: `find`), and taking the backup and waiting until Railway reports it complete
//! (`take`). The stage that runs it is `crate::stages::backup`.

pub mod find;
pub mod take;

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::railway::volumes::VolumeInstance;

/// The volume to back up, and where it lives.
#[derive(Clone, Debug, PartialEq)]
pub struct BackupTarget {
    pub volume: VolumeInstance,
    pub service_id: String,
    pub service_name: String,
    pub project_id: String,
    pub environment_id: String,
    pub environment_name: String,
}

impl BackupTarget {
    /// The service's Backups tab in the dashboard, where the backup is restored.
    pub fn restore_url(&self) -> String {
        crate::railway::backups_url(&self.project_id, &self.service_id, &self.environment_id)
    }

    /// Railway's state of the volume when it is not `READY` (migrating, restoring, being
    /// resized …): a backup is not started then. Unknown (`null`): taken as ready.
    pub fn not_ready(&self) -> Option<&str> {
        self.volume
            .state
            .as_deref()
            .filter(|s| !s.eq_ignore_ascii_case("READY"))
    }

    /// Railway refuses a manual backup of a volume more than half full (Railway's docs,
    /// `volumes/backups.md`: manual backups are limited to 50% of the volume's total size).
    pub fn over_half_full(&self) -> bool {
        self.volume.current_size_mb > self.volume.size_mb as f64 / 2.0
    }
}

/// What resolution found for the backup.
#[derive(Clone, Debug, PartialEq)]
pub enum Lookup {
    /// Nothing will be migrated, or `backup: false`: no backup step.
    NotNeeded,
    /// `backup: auto` found no Railway volume to back up: the reason, said as a notice.
    Missing(String),
    /// `backup: auto`, and Railway would not show the volumes (or the services' variables) to
    /// this token: no backup, said as a warning with the reason.
    Unreadable(String),
    Found(Box<BackupTarget>),
}

/// The backup step: what to back up, within how long, and whether it depends on SQL migrations
/// being pending.
#[derive(Clone, Debug)]
pub struct BackupRequest {
    /// `None`: skipped (the notice is `skipped`).
    pub target: Option<BackupTarget>,
    pub skipped: Option<String>,
    /// `skipped` is a warning (the lookup failed), not a notice (there is nothing to back up).
    pub skipped_warns: bool,
    /// `backup-timeout`.
    pub timeout: Duration,
    /// The commit, for the backup's name.
    pub sha: Option<String>,
    /// With SQL migrations only: the backup is taken only when some are pending (a
    /// `migrate-command` always backs up: what it will migrate is not known beforehand).
    pub only_when_pending: bool,
}

impl BackupRequest {
    /// The dry run's and the plan's sentence (`None` when skipped: the dry run says why in a
    /// notice).
    pub fn describe(&self, environment: &str) -> Option<String> {
        let t = self.target.as_ref()?;
        let when = if self.only_when_pending {
            " (only when a migration is pending)"
        } else {
            ""
        };
        let state = match t.not_ready() {
            Some(s) => format!(" (the volume is `{s}` now, not READY: the backup would not start)"),
            None => String::new(),
        };
        Some(format!(
            "back up volume `{}` of `{}` in `{environment}` before migrating{when}, waiting up to {}{state}",
            t.volume.volume.name,
            t.service_name,
            crate::text::duration(self.timeout)
        ))
    }
}

/// The backup's name: the commit (short) and the time, e.g.
/// `railway-deploy-abc1234-20261202T004012Z`.
pub fn backup_name(sha: Option<&str>, at: DateTime<Utc>) -> String {
    let time = at.format("%Y%m%dT%H%M%SZ");
    match sha {
        Some(sha) => format!("railway-deploy-{}-{time}", crate::text::short_sha(sha)),
        None => format!("railway-deploy-{time}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_short_commit_and_the_time() {
        let at = DateTime::parse_from_rfc3339("2026-12-02T00:40:12Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            backup_name(Some("abc1234def"), at),
            "railway-deploy-abc1234-20261202T004012Z"
        );
        assert_eq!(backup_name(None, at), "railway-deploy-20261202T004012Z");
    }
}
