//! Writes the contract's step outputs to `GITHUB_OUTPUT` in the multiline-safe
//! `name<<DELIMITER` format (on success and on failure); outside Actions they are printed.

use std::io::Write;

use serde_json::json;

use crate::record::{RunReport, RunStatus, ServiceState};

/// The contract's outputs, in order, as (name, value).
pub fn outputs(r: &RunReport) -> Vec<(&'static str, String)> {
    let first = r.services.first();
    let field = |f: fn(&crate::record::ServiceReport) -> Option<String>| {
        first.and_then(f).unwrap_or_default()
    };
    vec![
        ("status", r.status.as_str().to_string()),
        ("environment", r.environment.clone().unwrap_or_default()),
        ("deployment-id", field(|s| s.deployment_id.clone())),
        (
            "previous-deployment-id",
            field(|s| s.previous_deployment_id.clone()),
        ),
        ("url", field(|s| s.url.clone())),
        ("version", r.version.clone().unwrap_or_default()),
        ("dashboard-url", field(|s| s.dashboard_url.clone())),
        ("rollback-command", field(|s| s.rollback_command.clone())),
        ("deployments", deployments(r).to_string()),
        ("removed-environments", removed_environments(r)),
        ("migration-findings", migration_findings(r)),
        ("checks", json!(r.checks).to_string()),
    ]
}

/// `removed-environments`: the previews this run deleted (a closed pull request's `preview`,
/// `preview-cleanup`), as a JSON array; `[]` for every other run.
fn removed_environments(r: &RunReport) -> String {
    let removed = r.preview.as_ref().map(|p| p.removed.as_slice());
    json!(removed.unwrap_or_default()).to_string()
}

/// A service's outcome in the words of the `status` output (contract v3, Outputs): a service this
/// run did not deploy (skipped on purpose, a dry run, or a run that stopped before its turn) is
/// `skipped`.
pub fn service_status(state: ServiceState) -> RunStatus {
    match state {
        ServiceState::Deployed => RunStatus::Success,
        ServiceState::FailedBeforeLive | ServiceState::FailedLive => RunStatus::Failed,
        ServiceState::RolledBack => RunStatus::RolledBack,
        ServiceState::Planned | ServiceState::Skipped => RunStatus::Skipped,
    }
}

/// `migration-findings`: the statements flagged before any change, as a JSON array (`[]` when
/// none, or when no SQL was read).
fn migration_findings(r: &RunReport) -> String {
    serde_json::to_value(&r.migration_safety.findings)
        .unwrap_or_else(|_| json!([]))
        .to_string()
}

/// The `deployments` output: one object per service (the notification's JSON carries it too).
/// `status` is the service's outcome in the `status` output's words; Railway's own status word of
/// the new deployment (`SUCCESS`, `CRASHED` ...) is `railway-status`.
pub fn deployments(r: &RunReport) -> serde_json::Value {
    let entries: Vec<serde_json::Value> = r
        .services
        .iter()
        .map(|s| {
            let mut entry = json!({
                "service": s.name,
                "service-id": s.service_id,
                "state": s.state,
                "status": service_status(s.state).as_str(),
                "railway-status": s.final_status,
                "deployment-id": s.deployment_id,
                "previous-deployment-id": s.previous_deployment_id,
                "url": s.url,
                "dashboard-url": s.dashboard_url,
                "rollback-command": s.rollback_command,
                "health": s.health.as_ref().map(|h| json!({"passed": h.passed, "url": h.url, "attempts": h.attempts, "status": h.last_status})),
                "failure": s.failure,
            });
            // The backup taken before this release (only when one was: older readers see the
            // same keys as before).
            if let Some(b) = &r.backup {
                entry["backup"] = json!({
                    "name": b.name, "volume": b.volume, "service": b.service,
                    "id": b.id, "restore-url": b.restore_url,
                });
            }
            entry
        })
        .collect();
    serde_json::Value::Array(entries)
}

/// Outputs for a run that stopped before it had a report (invalid input, a broken action).
pub fn failed_outputs(status: RunStatus) -> Vec<(&'static str, String)> {
    vec![
        ("status", status.as_str().to_string()),
        ("deployments", "[]".to_string()),
        // JSON arrays stay parseable (`fromJSON`) whatever the run's end.
        ("removed-environments", "[]".to_string()),
        ("migration-findings", "[]".to_string()),
        ("checks", "[]".to_string()),
    ]
}

/// Outputs for a run refused as invalid input once the migrations' SQL was read
/// (`destructive-migrations: refuse`): those of any invalid input, with `migration-findings`
/// carrying what caused the refusal.
pub fn refused_outputs(findings: &[crate::record::Finding]) -> Vec<(&'static str, String)> {
    let mut out = failed_outputs(RunStatus::Failed);
    let found = serde_json::to_value(findings).unwrap_or_else(|_| json!([]));
    for (name, value) in out.iter_mut() {
        if *name == "migration-findings" {
            *value = found.to_string();
        }
    }
    out
}

/// Formats outputs as `GITHUB_OUTPUT` expects; the delimiter never occurs in a value.
pub fn format(outputs: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (name, value) in outputs {
        let mut delimiter = "ghadelimiter_railway_deploy".to_string();
        let mut n = 0u32;
        while value.contains(&delimiter) {
            n += 1;
            delimiter = format!("ghadelimiter_railway_deploy_{n}");
        }
        out.push_str(&format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"));
    }
    out
}

/// Appends to the `GITHUB_OUTPUT` file, or prints `name=value` lines when there is none.
pub fn write(path: Option<&str>, outputs: &[(&str, String)]) -> std::io::Result<()> {
    match path {
        Some(p) => {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)?;
            // Outputs carry texts from outside (Railway's errors, URLs): redacted like the log.
            f.write_all(crate::secret::redact_registered(&format(outputs)).as_bytes())
        }
        None => {
            for (name, value) in outputs.iter().filter(|(_, v)| !v.is_empty() && v != "[]") {
                // The JSON arrays are printed line by line by their own reporters.
                if *name != "deployments" && *name != "checks" {
                    crate::workflow::info(format!("{name}: {value}"));
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_deployment_carries_its_outcome_in_the_status_outputs_words() {
        let mut r = RunReport::new("deploy", "commit", false, chrono::Utc::now());
        let states = [
            (ServiceState::Deployed, Some("SUCCESS"), "success"),
            (ServiceState::FailedLive, Some("CRASHED"), "failed"),
            (ServiceState::FailedBeforeLive, Some("FAILED"), "failed"),
            (ServiceState::RolledBack, Some("SUCCESS"), "rolled-back"),
            (ServiceState::Skipped, None, "skipped"),
            (ServiceState::Planned, None, "skipped"),
        ];
        for (i, (state, railway, _)) in states.iter().enumerate() {
            let mut s =
                crate::record::ServiceReport::planned(&format!("svc-{i}"), &format!("s{i}"));
            s.state = *state;
            s.final_status = railway.map(str::to_string);
            r.services.push(s);
        }
        let out = deployments(&r);
        for (i, (_, railway, want)) in states.iter().enumerate() {
            assert_eq!(out[i]["status"], *want, "{state:?}", state = states[i].0);
            assert_eq!(out[i]["railway-status"].as_str(), *railway);
        }
    }

    #[test]
    fn a_run_that_stopped_early_still_writes_parseable_json_arrays() {
        let outs = failed_outputs(RunStatus::Failed);
        for name in [
            "deployments",
            "removed-environments",
            "migration-findings",
            "checks",
        ] {
            let value = outs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str());
            assert_eq!(value, Some("[]"), "{name}");
        }
    }

    #[test]
    fn multiline_values_are_delimited_and_delimiters_never_collide() {
        let text = format(&[
            ("a", "one".into()),
            ("b", "x\nghadelimiter_railway_deploy\ny".into()),
        ]);
        assert_eq!(
            text,
            "a<<ghadelimiter_railway_deploy\none\nghadelimiter_railway_deploy\nb<<ghadelimiter_railway_deploy_1\nx\nghadelimiter_railway_deploy\ny\nghadelimiter_railway_deploy_1\n"
        );
    }

    #[test]
    fn every_contract_output_is_written() {
        let r = RunReport::new("deploy", "commit", false, chrono::Utc::now());
        let names: Vec<&str> = outputs(&r).iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "status",
                "environment",
                "deployment-id",
                "previous-deployment-id",
                "url",
                "version",
                "dashboard-url",
                "rollback-command",
                "deployments",
                "removed-environments",
                "migration-findings",
                "checks"
            ]
        );
        let table: Vec<&str> = crate::config::outputs::OUTPUTS
            .iter()
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(
            names, table,
            "the values follow the table action.yml is built from"
        );
    }
}
