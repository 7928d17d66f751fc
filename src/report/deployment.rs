//! Owns the mapping from the run's record to its GitHub Deployment: the payload, the final state
//! and the descriptions, as the plain values `crate::github::deployments` sends.
//!
//! Decision: the payload is written when the Deployment is created (GitHub never lets it change),
//! so it holds what is known then: the version, the sha and each service with its previous
//! deployment (and its new Railway deployment id when the caller already has it). The final
//! status's description names the new Railway deployment ids, so they are on GitHub either way.

use serde_json::{Value, json};

use crate::github::deployments::{
    DESCRIPTION_MAX, DeploymentFinal, DeploymentOpening, PAYLOAD_TOOL,
};
use crate::github::keyed::ServiceSet;
use crate::record::{RunReport, RunStatus};
use crate::text::truncate;

/// What the Deployment of `report`'s run is created with.
pub fn opening(report: &RunReport, sha: &str) -> DeploymentOpening {
    DeploymentOpening {
        payload: payload(report, sha),
        description: format!(
            "railway-deploy {}",
            report.version.as_deref().unwrap_or(sha)
        ),
        task: ServiceSet::new(report.services.iter().map(|s| s.name.as_str())).task(),
    }
}

/// The final status of a finished run: `success` (with `environment_url` = the first service's
/// URL), `failure`, or `inactive`.
pub fn final_status(report: &RunReport) -> DeploymentFinal {
    let state = final_state(report.status);
    let url = report.services.iter().find_map(|s| s.url.clone());
    DeploymentFinal {
        state,
        description: final_description(report),
        environment_url: if state == "success" { url } else { None },
    }
}

/// The payload recorded on the Deployment: version, sha and services. The release guard reads
/// `version` back from it.
pub fn payload(report: &RunReport, sha: &str) -> Value {
    let services: Vec<Value> = report
        .services
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "service_id": s.service_id,
                "deployment_id": s.deployment_id,
                "previous_deployment_id": s.previous_deployment_id,
            })
        })
        .collect();
    json!({
        "tool": PAYLOAD_TOOL,
        "command": report.command,
        "version": report.version,
        "sha": sha,
        "project_id": report.project_id,
        "environment_id": report.environment_id,
        "services": services,
    })
}

/// The final Deployment state for a finished run: `success`, `failure` (deploy, migration or
/// health failed, also after a rollback) or `inactive` (nothing was deployed).
pub fn final_state(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Success => "success",
        RunStatus::Failed | RunStatus::RolledBack => "failure",
        RunStatus::Skipped => "inactive",
    }
}

/// The final status's one-line description.
pub fn final_description(report: &RunReport) -> String {
    let ids: Vec<String> = report
        .services
        .iter()
        .filter_map(|s| s.deployment_id.as_ref().map(|d| format!("{} {d}", s.name)))
        .collect();
    let head = match report.status {
        RunStatus::Success => "Deployed to Railway".to_string(),
        RunStatus::RolledBack => "Failed and rolled back".to_string(),
        RunStatus::Failed => match &report.failure {
            Some(f) => format!("Failed: {f}"),
            None => "Failed".to_string(),
        },
        RunStatus::Skipped => "Nothing was deployed".to_string(),
    };
    let text = if ids.is_empty() {
        head
    } else {
        format!("{head} ({})", ids.join(", "))
    };
    truncate(&text, DESCRIPTION_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ServiceReport;

    #[test]
    fn states() {
        assert_eq!(final_state(RunStatus::Success), "success");
        assert_eq!(final_state(RunStatus::Failed), "failure");
        assert_eq!(final_state(RunStatus::RolledBack), "failure");
        assert_eq!(final_state(RunStatus::Skipped), "inactive");
    }

    #[test]
    fn description_names_the_railway_deployments_and_fits_github() {
        let mut r = RunReport::new("deploy", "commit", false, chrono::Utc::now());
        r.status = RunStatus::Failed;
        r.failure = Some("x".repeat(300));
        let mut s = ServiceReport::planned("svc1", "web");
        s.deployment_id = Some("dep-1".into());
        r.services.push(s);
        let d = final_description(&r);
        assert!(d.chars().count() <= DESCRIPTION_MAX, "{}", d.len());
        r.failure = Some("health check failed".into());
        assert_eq!(
            final_description(&r),
            "Failed: health check failed (web dep-1)"
        );
    }
}
