//! Owns what a preview run records: the preview environment (created or reused, copied from
//! where), the Railway domains it gave services, and, for a closed pull request or
//! `preview-cleanup`, the environments deleted and those kept (with why); the preview's other
//! services deployed as configured because they had never been deployed there
//! ([`SupportingDeploy`]).

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A preview environment `preview-cleanup` looked at and left alone, with why.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct KeptPreview {
    pub name: String,
    pub reason: String,
}

/// One of the preview's other services (not the run's), deployed from its configured source
/// because it had never been deployed in the preview (e.g. its database).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SupportingDeploy {
    pub service: String,
    /// What was deployed: the image, or the latest commit of its branch (with the commit and
    /// branch its deployment names, once read back).
    pub deployed: String,
    /// The deployment started (`None`: it could not be started).
    pub deployment_id: Option<String>,
    /// Railway's last status of it (`SUCCESS`, `FAILED`, ...), when one was seen.
    pub status: Option<String>,
    /// Why it did not go live (`None`: it did).
    pub failure: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct PreviewReport {
    /// The pull request's preview environment (`command: preview`).
    pub name: Option<String>,
    /// The environment it was copied from (when this run created it).
    pub source: Option<String>,
    /// This run created the environment (else it existed already).
    pub created: bool,
    /// `service: domain` of the Railway domains this run created.
    pub domains_created: Vec<String>,
    /// The environments deleted (`removed-environments`).
    pub removed: Vec<String>,
    /// When the preview was deleted (a closed pull request).
    pub removed_at: Option<DateTime<Utc>>,
    /// The preview was already gone when the pull request closed.
    pub already_gone: bool,
    /// `preview-cleanup`: the previews kept.
    pub kept: Vec<KeptPreview>,
    /// This run tears down (a closed pull request, or `preview-cleanup`): `removed-environments`
    /// is an output.
    pub teardown: bool,
    /// The preview's other services this run deployed as configured, in service order.
    pub supporting: Vec<SupportingDeploy>,
    /// Why a preview could not be removed, one per preview (the run then fails).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
}
