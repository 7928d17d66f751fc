//! The preview steps as data, built by pure functions from the configuration and what was read
//! (the project's environments, the services, the pull requests' states): which environment a
//! preview is created from or reuses, which services get a domain, which previews are deleted
//! and which are kept (with why). A permanent environment is refused here, before any change.
//! [`describe`] renders the steps for the dry run and the summary.

use crate::config::{ChecksMode, Config};
use crate::github::keyed::{ServiceSet, comment_marker};
use crate::github::previews::PullState;
use crate::railway::environments::{EnvironmentInfo, ProjectEnvironments};
use crate::record::{KeptPreview, PlannedAction};
use crate::stages::ServiceTarget;
use crate::stages::preview::{DomainRequest, EnsureRequest, permanent_message, preview_number};

use super::plan::{Plan, Step};
use crate::stages::preview_remove::RemoveRequest;

/// `command: preview`: the environment to create (from `preview-from`, default the staging
/// environment) or reuse. Err is invalid input: a permanent environment named like the
/// preview, or a source that does not exist.
pub fn setup(
    cfg: &Config,
    envs: &ProjectEnvironments,
    name: &str,
) -> Result<EnsureRequest, String> {
    let existing = envs.named(name).cloned();
    if existing.as_ref().is_some_and(|e| !e.is_ephemeral) {
        return Err(permanent_message(name));
    }
    let from = cfg
        .preview
        .from
        .clone()
        .unwrap_or_else(|| cfg.staging_environment.clone());
    let source = envs.find(&from).cloned().ok_or_else(|| {
        format!(
            "input `preview-from`: environment `{from}` not found in project `{}`; environments: {}. Set `preview-from` (or `staging-environment`) to the environment previews are copied from",
            envs.project.name,
            envs.names()
        )
    })?;
    if source.name == name {
        return Err(format!(
            "input `preview-from`: `{from}` is the preview itself; copy previews from a permanent environment such as staging"
        ));
    }
    let project = crate::railway::api::Project {
        id: envs.project.id.clone(),
        name: envs.project.name.clone(),
        environments: Vec::new(),
        services: envs.services.clone(),
    };
    let services = crate::railway::resolve::find_services(&project, &cfg.services)?;
    Ok(EnsureRequest {
        project_id: envs.project.id.clone(),
        name: name.to_string(),
        source,
        existing,
        services,
        copy_timeout: cfg.deploy_timeout,
    })
}

/// The preview's first phase: the gate (before the first change: no environment is made for a
/// failing commit; not on a dry run), then the environment `req`, created or reused.
pub fn setup_plan(cfg: &Config, req: &EnsureRequest) -> Plan {
    let mut steps = Vec::new();
    if cfg.wait_for_checks != ChecksMode::Off && !cfg.dry_run {
        steps.push(Step::Gate(super::plan::gate_request(cfg)));
    }
    steps.push(Step::PreviewEnvironment(req.clone()));
    Plan::of(&req.name, steps)
}

/// The services deployed to the preview that have no domain yet (`None` when all have one).
pub fn domains(services: &[ServiceTarget]) -> Option<Step> {
    let missing: Vec<DomainRequest> = services
        .iter()
        .filter(|s| s.instance.domains.primary().is_none())
        .map(|s| DomainRequest {
            service_id: s.service.id.clone(),
            service_name: s.service.name.clone(),
        })
        .collect();
    (!missing.is_empty()).then_some(Step::PreviewDomains(missing))
}

/// A closed pull request: remove its preview `name` (already gone when absent). Err is invalid
/// input: `name` is a permanent environment.
pub fn removal(
    cfg: &Config,
    envs: &ProjectEnvironments,
    name: &str,
    pull: Option<u64>,
) -> Result<Step, String> {
    let environment = envs.named(name).cloned();
    if environment.as_ref().is_some_and(|e| !e.is_ephemeral) {
        return Err(permanent_message(name));
    }
    // The whole environment is gone, so the comment is found by the environment's marker
    // alone, which every comment about it carries whatever service set it names: `service` as
    // an id, in another case or a subset finds the comment the deploy wrote.
    let services = ServiceSet::new([]);
    Ok(Step::RemovePreview(RemoveRequest {
        project_id: envs.project.id.clone(),
        name: name.to_string(),
        environment,
        pull,
        comment_marker: cfg.comment.then(|| comment_marker(name, &services)),
        sha: cfg.sha.clone(),
        deactivate: cfg.github_deployment,
    }))
}

/// `preview-cleanup`: the ephemeral environments named by `template`, with their pull request
/// numbers (what GitHub is asked about), and the permanent ones the template matches (kept).
pub fn candidates(
    template: &str,
    envs: &ProjectEnvironments,
) -> (Vec<(EnvironmentInfo, u64)>, Vec<KeptPreview>) {
    let mut ask = Vec::new();
    let mut kept = Vec::new();
    for e in &envs.environments {
        let Some(number) = preview_number(template, &e.name) else {
            continue;
        };
        if e.is_ephemeral {
            ask.push((e.clone(), number));
        } else {
            kept.push(KeptPreview {
                name: e.name.clone(),
                reason: "a permanent environment: never deleted as a preview".into(),
            });
        }
    }
    (ask, kept)
}

/// `preview-cleanup`: what GitHub said of each candidate's pull request decides: closed or
/// missing → removed; open, or unknown (GitHub could not say) → kept.
pub fn cleanup(
    deactivate: bool,
    project_id: &str,
    answers: Vec<(EnvironmentInfo, u64, Result<PullState, String>)>,
    mut kept: Vec<KeptPreview>,
) -> (Vec<Step>, Vec<KeptPreview>) {
    let mut steps = Vec::new();
    for (env, number, state) in answers {
        let reason = match state {
            Ok(PullState::Open) => format!("pull request #{number} is open"),
            Err(e) => {
                format!("GitHub could not say whether pull request #{number} is closed ({e})")
            }
            Ok(PullState::Closed | PullState::Missing) => {
                steps.push(Step::RemovePreview(RemoveRequest {
                    project_id: project_id.to_string(),
                    name: env.name.clone(),
                    environment: Some(env),
                    pull: None,
                    comment_marker: None,
                    sha: None,
                    deactivate,
                }));
                continue;
            }
        };
        kept.push(KeptPreview {
            name: env.name,
            reason,
        });
    }
    (steps, kept)
}

/// The changes a preview step makes, as sentences (`environment`: the run's environment).
pub fn describe(step: &Step, environment: &str) -> Vec<PlannedAction> {
    let line = |service: Option<&str>, description: String| PlannedAction {
        service: service.map(str::to_string),
        description,
    };
    match step {
        Step::PreviewEnvironment(req) if req.existing.is_none() => vec![line(
            None,
            format!(
                "create the ephemeral environment `{}` as a copy of `{}` (its services, variables and volumes; no initial deploys)",
                req.name, req.source.name
            ),
        )],
        Step::PreviewDomains(reqs) => reqs
            .iter()
            .map(|r| {
                let name = &r.service_name;
                line(
                    Some(name),
                    format!("give `{name}` a Railway domain in `{environment}`"),
                )
            })
            .collect(),
        Step::RemovePreview(req) => {
            let mut lines = Vec::new();
            if req.environment.is_some() {
                lines.push(line(
                    None,
                    format!("delete the preview environment `{}`", req.name),
                ));
            }
            if req.deactivate {
                lines.push(line(
                    None,
                    format!("mark the GitHub Deployments of `{}` inactive", req.name),
                ));
            }
            if let (Some(pull), Some(_)) = (req.pull, &req.comment_marker) {
                lines.push(line(
                    None,
                    format!(
                        "say in pull request #{pull}'s comment that `{}` is gone",
                        req.name
                    ),
                ));
            }
            lines
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::railway::api::Named;

    fn env(id: &str, name: &str, ephemeral: bool) -> EnvironmentInfo {
        EnvironmentInfo {
            id: id.into(),
            name: name.into(),
            is_ephemeral: ephemeral,
        }
    }

    fn project() -> ProjectEnvironments {
        ProjectEnvironments {
            project: Named {
                id: "proj-1".into(),
                name: "shop".into(),
            },
            environments: vec![
                env("e-stg", "staging", false),
                env("e-2", "pr-2", true),
                env("e-3", "pr-3", true),
                env("e-4", "pr-4", true),
                env("e-5", "pr-5", false),
                env("e-x", "review-x", true),
            ],
            services: vec![],
        }
    }

    #[test]
    fn cleanup_asks_only_about_ephemeral_previews_and_removes_closed_ones() {
        let (ask, kept) = candidates("pr-{number}", &project());
        let asked: Vec<(&str, u64)> = ask.iter().map(|(e, n)| (e.name.as_str(), *n)).collect();
        assert_eq!(asked, [("pr-2", 2), ("pr-3", 3), ("pr-4", 4)]);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].name, "pr-5");
        let answers = ask
            .into_iter()
            .zip([
                Ok(PullState::Open),
                Ok(PullState::Closed),
                Err("HTTP 500".to_string()),
            ])
            .map(|((e, n), s)| (e, n, s))
            .collect();
        let (steps, kept) = cleanup(true, "proj-1", answers, kept);
        let removed: Vec<&str> = steps
            .iter()
            .filter_map(|s| match s {
                Step::RemovePreview(r) => Some(r.name.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(removed, ["pr-3"], "an unknown state keeps the preview");
        let kept: Vec<&str> = kept.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(kept, ["pr-5", "pr-2", "pr-4"]);
        let lines: Vec<String> = steps
            .iter()
            .flat_map(|s| describe(s, "pr-{number}"))
            .map(|a| a.description)
            .collect();
        assert_eq!(
            lines,
            [
                "delete the preview environment `pr-3`",
                "mark the GitHub Deployments of `pr-3` inactive"
            ]
        );
    }

    #[test]
    fn only_services_without_a_domain_get_one() {
        let target = |id: &str, domain: Option<&str>| {
            let domains = crate::railway::api::Domains {
                custom_domains: vec![],
                service_domains: domain
                    .map(|d| crate::railway::api::Domain { domain: d.into() })
                    .into_iter()
                    .collect(),
            };
            let instance = serde_json::from_value::<crate::railway::api::ServiceInstance>(
                serde_json::json!({"id": "si", "serviceId": id, "serviceName": id}),
            )
            .map(|mut i| {
                i.domains = domains;
                i
            })
            .unwrap();
            ServiceTarget {
                service: Named {
                    id: id.into(),
                    name: id.into(),
                },
                instance,
                serving: None,
                in_flight: vec![],
            }
        };
        let services = [
            target("web", None),
            target("api", Some("api.up.railway.app")),
        ];
        match domains(&services) {
            Some(Step::PreviewDomains(reqs)) => {
                let names: Vec<&str> = reqs.iter().map(|r| r.service_name.as_str()).collect();
                assert_eq!(names, ["web"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(domains(&services[1..]).is_none());
    }
}
