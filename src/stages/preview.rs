//! Owns the Railway side of previews, each driven by a request the plan built: creating a pull
//! request's environment as an ephemeral copy (or reusing it; two runs racing end with one),
//! giving each deployed service a Railway domain, and deleting a preview. A mutation whose answer
//! was lost is read back, never sent blindly again (a lost create is looked for until Railway
//! lists it, bounded); the run's services are waited for in it before anything is deployed
//! (`super::preview_copy`: Railway may list a copy before it is complete); only an ephemeral
//! environment is ever deleted. [`ensure`] and
//! [`give_domains`] are the preview's steps; removing one is `super::preview_remove`.

use super::context::Context;
use crate::railway::RailwayClient;
use crate::railway::api;
use crate::railway::client::RailwayError;
use crate::railway::environments::{self, EnvironmentInfo, is_name_taken};
use crate::record::{RunReport, Stage, StageTiming, Stop};
use crate::wait::{Next, Waiter};
use crate::workflow;

/// `command: preview`: the environment `name`, created from `source` when `existing` is `None`,
/// holding the run's `services` (waited for within `copy_timeout`, `deploy-timeout`).
#[derive(Clone, Debug)]
pub struct EnsureRequest {
    pub project_id: String,
    pub name: String,
    pub source: EnvironmentInfo,
    pub existing: Option<EnvironmentInfo>,
    pub services: Vec<api::Named>,
    pub copy_timeout: std::time::Duration,
}

/// The preview environment and whether this run created it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ensured {
    pub environment: EnvironmentInfo,
    pub created: bool,
}

/// The log's headline of a preview step that stopped the run.
pub(crate) const FAILED: &str = "Preview failed";

/// Runs the environment step: the preview created or reused, recorded in the run's preview
/// record, once the run's services are listed in it. A permanent environment in its place is
/// invalid input; a create that fails, or a copy not complete within `deploy-timeout`, stops
/// the run (failed).
pub async fn ensure(
    cx: &Context<'_>,
    req: &EnsureRequest,
    report: &mut RunReport,
) -> Result<(), Stop> {
    let (started_at, started) = (chrono::Utc::now(), std::time::Instant::now());
    let ensured = ensure_environment(&cx.client, req).await;
    let copied = match &ensured {
        Ok(e) => {
            record_ensured(req, e, report);
            let copy = super::preview_copy::CopyWait {
                project_id: &req.project_id,
                environment: &e.environment,
                source: &req.source.name,
                services: &req.services,
                timeout: req.copy_timeout,
            };
            super::preview_copy::wait(&cx.client, &copy).await
        }
        Err(_) => Ok(()),
    };
    let ok = ensured.is_ok() && copied.is_ok();
    let timing = StageTiming::ended(Stage::Preview, None, started_at, started, ok);
    report.stages.push(timing);
    ensured?;
    copied
}

/// The preview created or reused, said in the log and the run's preview record.
fn record_ensured(req: &EnsureRequest, ensured: &Ensured, report: &mut RunReport) {
    let verb = if ensured.created {
        "Created"
    } else {
        "Reusing"
    };
    workflow::info(format!("{verb} the preview environment `{}`", req.name));
    let preview = report.preview.get_or_insert_with(Default::default);
    preview.name = Some(req.name.clone());
    preview.created = ensured.created;
    preview.source = ensured.created.then(|| req.source.name.clone());
}

/// Runs the domains step: each service gets its domain (a failure is a warning: the service is
/// deployed without a URL), recorded in the preview's record and as the service's URL.
pub async fn give_domains(
    cx: &Context<'_>,
    reqs: &[DomainRequest],
    report: &mut RunReport,
) -> Result<(), Stop> {
    let environment_id = &cx.scope()?.environment.id;
    for req in reqs {
        match ensure_domain(&cx.client, environment_id, req).await {
            Ok(domain) => {
                let name = &req.service_name;
                workflow::info(format!("Gave `{name}` the Railway domain {domain}"));
                let preview = report.preview.get_or_insert_with(Default::default);
                preview.domains_created.push(format!("{name}: {domain}"));
                let service = report
                    .services
                    .iter_mut()
                    .find(|s| s.service_id == req.service_id);
                if let Some(s) = service {
                    s.url = Some(format!("https://{domain}"));
                }
            }
            Err(why) => workflow::warning(why),
        }
    }
    Ok(())
}

/// The message for a `preview-name` that names a permanent environment.
pub fn permanent_message(name: &str) -> String {
    format!(
        "input `preview-name`: `{name}` is a permanent environment in Railway (not ephemeral); a preview never deploys over or deletes it. Choose a `preview-name` no permanent environment has, e.g. `pr-{{number}}`"
    )
}

/// Finds or creates the preview. On "name taken" (another run created it meanwhile) or a lost
/// answer, the environment is read back by name; it is created at most once by this run.
pub async fn ensure_environment(c: &RailwayClient, req: &EnsureRequest) -> Result<Ensured, Stop> {
    if let Some(e) = &req.existing {
        return Ok(Ensured {
            environment: e.clone(),
            created: false,
        });
    }
    let err =
        match environments::create_ephemeral(c, &req.project_id, &req.name, &req.source.id).await {
            Ok(environment) => {
                return Ok(Ensured {
                    environment,
                    created: true,
                });
            }
            Err(e) if is_name_taken(&e) || e.answer_lost() => e,
            Err(e) => return Err(failed(&req.name, &e)),
        };
    let found = read_back(c, req, &err).await?;
    match found {
        Some(env) if !env.is_ephemeral => Err(Stop::Input(permanent_message(&req.name))),
        Some(env) => Ok(Ensured {
            environment: env,
            // A lost answer: ours; a taken name: another run's.
            created: !is_name_taken(&err),
        }),
        None if is_name_taken(&err) => Err(Stop::failed(
            FAILED,
            format!(
                "Railway says an environment named `{}` exists, but the project does not list it as a live environment ({err}); it may have been deleted recently (whether Railway frees a deleted environment's name at once is not known): re-run the workflow in a few minutes, or choose another `preview-name`",
                req.name
            ),
        )),
        None => Err(Stop::failed(
            FAILED,
            format!(
                "the answer to creating `{}` was lost ({err}) and the project did not list it within {:.0?}; Railway may still be copying it: re-run the workflow in a few minutes (the next run reuses it if it appears, or creates it)",
                req.name,
                READ_BACK_ROUNDS * READ_BACK_EVERY
            ),
        )),
    }
}

/// How often, and how many times, a create whose answer was lost is looked for: Railway may
/// list the environment only once it has copied the source (how long that takes is not public).
const READ_BACK_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
const READ_BACK_ROUNDS: u32 = 12;

/// The environment `req.name` as the project lists it after a create that failed with `err`.
/// A taken name is listed already (one read); a lost answer is looked for again every
/// [`READ_BACK_EVERY`] until it is listed, at most [`READ_BACK_ROUNDS`] times.
async fn read_back(
    c: &RailwayClient,
    req: &EnsureRequest,
    err: &RailwayError,
) -> Result<Option<EnvironmentInfo>, Stop> {
    let rounds = if is_name_taken(err) {
        1
    } else {
        READ_BACK_ROUNDS
    };
    let mut waiter = Waiter::rounds(rounds, *c.timing());
    loop {
        let read = environments::project_environments(c, &req.project_id)
            .await
            .map_err(|e| failed(&req.name, &e))?;
        if let Some(env) = read.named(&req.name) {
            return Ok(Some(env.clone()));
        }
        let note = |w: std::time::Duration| {
            crate::workflow::info(format!(
                "`{}` is not listed yet (Railway may still be copying it); looking again in {w:.0?}",
                req.name
            ));
        };
        if waiter.pause(READ_BACK_EVERY, note).await == Next::StillRunning {
            return Ok(None);
        }
    }
}

fn failed(name: &str, e: &RailwayError) -> Stop {
    Stop::failed(
        FAILED,
        format!("could not create the preview environment `{name}`: {e}"),
    )
}

/// A service deployed to the preview that has no domain yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainRequest {
    pub service_id: String,
    pub service_name: String,
}

/// Gives the service a Railway domain in `environment_id`; returns the domain. A lost answer is
/// read back from the service instance (a domain there is the one created).
pub async fn ensure_domain(
    c: &RailwayClient,
    environment_id: &str,
    req: &DomainRequest,
) -> Result<String, String> {
    let lost = match environments::create_service_domain(c, &req.service_id, environment_id).await {
        Ok(domain) => return Ok(domain),
        Err(e) if e.answer_lost() => e,
        Err(e) => return Err(domain_failed(req, &e)),
    };
    let instance = api::service_instance(c, &req.service_id, environment_id)
        .await
        .map_err(|e| domain_failed(req, &e))?;
    match instance.domains.service_domains.first() {
        Some(d) => Ok(d.domain.clone()),
        None => Err(domain_failed(req, &lost)),
    }
}

fn domain_failed(req: &DomainRequest, e: &RailwayError) -> String {
    format!(
        "could not give `{}` a Railway domain in the preview: {e}; the preview is deployed without a URL for it",
        req.service_name
    )
}

/// What deleting a preview did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deleted {
    Deleted,
    /// It did not exist (any more).
    AlreadyGone,
}

/// Deletes `environment`, which must be ephemeral (a permanent one is refused here as well as by
/// the plan). A lost answer is read back: gone means deleted.
pub async fn delete_preview(
    c: &RailwayClient,
    project_id: &str,
    environment: &EnvironmentInfo,
) -> Result<Deleted, Stop> {
    if !environment.is_ephemeral {
        return Err(Stop::Input(permanent_message(&environment.name)));
    }
    let lost = match environments::delete_environment(c, &environment.id).await {
        Ok(()) => return Ok(Deleted::Deleted),
        Err(e) if e.is_not_found() => return Ok(Deleted::AlreadyGone),
        Err(e) if e.answer_lost() => e,
        Err(e) => return Err(delete_failed(&environment.name, &e)),
    };
    let read = environments::project_environments(c, project_id)
        .await
        .map_err(|e| delete_failed(&environment.name, &e))?;
    if read.find(&environment.id).is_none() {
        return Ok(Deleted::Deleted);
    }
    Err(delete_failed(&environment.name, &lost))
}

fn delete_failed(name: &str, e: &RailwayError) -> Stop {
    Stop::failed(
        FAILED,
        format!(
            "could not delete the preview environment `{name}`: {e}; delete it in Railway's dashboard or re-run the workflow"
        ),
    )
}

/// The pull request number of a preview named `name` by `template` (`pr-{number}`), if it is one.
pub fn preview_number(template: &str, name: &str) -> Option<u64> {
    let (prefix, _) = template.split_once("{number}")?;
    let rest = name.strip_prefix(prefix)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let number: u64 = digits.parse().ok()?;
    // The whole name must be the template's, e.g. `pr-7-web` is not `pr-{number}`'s.
    (template.replace("{number}", &number.to_string()) == name && digits == number.to_string())
        .then_some(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_names_give_back_their_number() {
        assert_eq!(preview_number("pr-{number}", "pr-7"), Some(7));
        assert_eq!(preview_number("pr-{number}", "pr-123"), Some(123));
        assert_eq!(
            preview_number("preview-{number}-app", "preview-9-app"),
            Some(9)
        );
        assert_eq!(preview_number("pr-{number}", "pr-7-web"), None);
        assert_eq!(preview_number("pr-{number}", "pr-07"), None);
        assert_eq!(preview_number("pr-{number}", "staging"), None);
        assert_eq!(preview_number("pr-{number}", "pr-"), None);
        assert_eq!(preview_number("{number}", "42"), Some(42));
    }

    #[test]
    fn the_permanent_message_names_the_input() {
        let m = permanent_message("staging");
        assert!(m.starts_with("input `preview-name`"), "{m}");
        assert!(m.contains("`staging`"), "{m}");
    }
}
