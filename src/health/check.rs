//! Owns the health stage for one live service: choose the URL, probe it, and confirm the
//! deployment did not crash meanwhile (CRASHED after SUCCESS counts as failing after going live).

use crate::config::HealthConfig;
use crate::health::probe::{ProbeSpec, probe};
use crate::health::target::{ProbeTarget, ServiceDomains, choose_target, expected_body};
use crate::railway::RailwayClient;
use crate::railway::api::{self, ServiceInstance};
use crate::railway::status::DeploymentStatus;
use crate::record::HealthReport;
use crate::timing::Timing;
use crate::workflow;

/// The domains of a service instance, in the form [`choose_target`] reads.
pub fn domains_of(instance: &ServiceInstance) -> ServiceDomains {
    ServiceDomains {
        custom: instance
            .domains
            .custom_domains
            .iter()
            .map(|d| d.domain.clone())
            .collect(),
        railway: instance
            .domains
            .service_domains
            .iter()
            .map(|d| d.domain.clone())
            .collect(),
    }
}

/// The health check of one service, built by the plan (in the order of the run's services).
#[derive(Clone, Debug)]
pub struct ServiceHealth {
    pub service_id: String,
    pub service_name: String,
    pub probe: Probe,
}

/// The health check of one service, decided before anything changes: probe this, or skip it
/// (with the reason, printed as a warning).
#[derive(Clone, Debug, PartialEq)]
pub enum Probe {
    Check(ProbeSpec),
    Skip(String),
}

impl Probe {
    /// The form [`verify_live`] takes.
    pub fn as_result(&self) -> Result<&ProbeSpec, &str> {
        match self {
            Probe::Check(spec) => Ok(spec),
            Probe::Skip(reason) => Err(reason),
        }
    }

    /// The same probe without a body expectation: a rolled-back release is an older one, so a
    /// body that names this run's commit or version cannot match.
    pub fn without_body(&self) -> Probe {
        match self {
            Probe::Check(spec) => Probe::Check(ProbeSpec {
                expect_body: None,
                ..spec.clone()
            }),
            Probe::Skip(reason) => Probe::Skip(reason.clone()),
        }
    }
}

/// Builds the probe for a service. Err is invalid input (exit 2): the plan builds every probe
/// before anything changes, so a bad `health-*` setting stops the run first.
pub fn probe_spec(
    cfg: &HealthConfig,
    instance: &ServiceInstance,
    sha: Option<&str>,
    version: Option<&str>,
) -> Result<Probe, String> {
    let expect_body = match &cfg.expect_body {
        Some(t) => Some(expected_body(t, sha.unwrap_or_default(), version)?),
        None => None,
    };
    let target = choose_target(
        cfg.url.as_ref(),
        cfg.path.as_deref(),
        instance.healthcheck_path.as_deref(),
        &domains_of(instance),
    )?;
    Ok(match target {
        ProbeTarget::Probe(url) => Probe::Check(ProbeSpec {
            url,
            expect_status: cfg.expect_status,
            expect_body,
            timeout: cfg.timeout,
        }),
        ProbeTarget::Skip(reason) => Probe::Skip(reason),
    })
}

/// True when the check ran and failed (a skipped check is not a failure).
pub fn failed(r: &HealthReport) -> bool {
    !r.passed && r.skipped_reason.is_none()
}

/// A skipped check: a warning, not a failure.
pub fn skipped(reason: String) -> HealthReport {
    HealthReport {
        skipped_reason: Some(reason),
        ..HealthReport::default()
    }
}

/// Probes a live deployment, then re-reads it: a deployment that answered but is now CRASHED
/// failed after going live. Returns the health report and, when it failed, why.
pub async fn verify_live(
    c: &RailwayClient,
    http: &reqwest::Client,
    spec: Result<&ProbeSpec, &str>,
    deployment_id: &str,
    label: &str,
    timing: &Timing,
) -> (HealthReport, Option<String>) {
    let report = match spec {
        Ok(spec) => {
            workflow::info(format!("{label}: health check {}", spec.url));
            probe(http, spec, timing).await
        }
        Err(reason) => {
            workflow::warning(format!("{label}: health check skipped: {reason}"));
            skipped(reason.to_string())
        }
    };
    if failed(&report) {
        let why = report
            .error
            .clone()
            .unwrap_or_else(|| "the health check failed".into());
        return (report, Some(why));
    }
    if report.passed {
        workflow::info(format!(
            "{label}: healthy after {} attempt(s)",
            report.attempts
        ));
    }
    match api::deployment(c, deployment_id).await {
        Ok(d) if d.status == DeploymentStatus::Crashed => {
            let why = format!("deployment {deployment_id} CRASHED after going live");
            (report, Some(why))
        }
        // Any other status: the probe already answered for this release.
        Ok(_) => (report, None),
        // A read error here is not a verdict on the release: the probe already answered.
        Err(_) => (report, None),
    }
}
