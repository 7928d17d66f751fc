//! Owns deploying a preview's supporting services: the services copied into the preview that are
//! not the run's own (its database, a cache, workers) and were never deployed there. The preview
//! is created with `skipInitialDeploys` (the run's services are deployed at the pull request's
//! commit, not built once more from the source's branch), so without this nothing would run
//! them. Each is deployed from its configured source with the operation Railway's released CLI
//! uses for that (`serviceInstanceDeploy(latestCommit: true)`: the latest commit of its connected
//! branch, or its image pulled again; `crate::deploy::latest`), its deployment read back (the
//! answer is only `true`; a lost one is read back too, never resent), and followed to a final
//! state within `deploy-timeout` by the deploy stage's own machinery (over the socket or by
//! polling). The record says what was deployed: the image, or the commit (and branch) the
//! deployment names. A run cancelled meanwhile leaves them deploying: they are the preview's, as
//! Railway's own initial deploys would have been.

use std::time::Duration;

use futures_util::future::join_all;

use super::ServiceTarget;
use super::context::Context;
use super::deploy::{self, DeployRequest};
use crate::config::Source;
use crate::deploy::latest::{self, LatestRequest};
use crate::deploy::logs::LogPrinter;
use crate::deploy::started::StartedDeployments;
use crate::railway::RailwayClient;
use crate::railway::api::ServiceInstance;
use crate::railway::resolve::Scope;
use crate::record::{RunReport, ServiceState, Stage, StageTiming, Stop, SupportingDeploy};
use crate::workflow;

/// One supporting service to deploy from its configured source.
#[derive(Clone, Debug)]
pub struct SupportingRequest {
    pub target: ServiceTarget,
    /// `deploy-timeout`: how long it may take to reach a final state.
    pub timeout: Duration,
    /// The branch its deployment trigger names (a repository source), when one does.
    pub branch: Option<String>,
}

impl SupportingRequest {
    /// What it deploys: the instance's image, else the latest commit of its branch.
    pub fn what(&self) -> String {
        let source = self.target.instance.source.as_ref();
        let repo = source.and_then(|s| s.repo.as_deref());
        match (self.target.current_image(), repo, &self.branch) {
            (Some(image), _, _) => format!("image `{image}`"),
            (None, Some(repo), Some(branch)) => {
                format!("the latest commit of branch `{branch}` of `{repo}`")
            }
            (None, Some(repo), None) => {
                format!("the latest commit of the branch `{repo}` is connected to")
            }
            (None, None, _) => "the latest commit of its branch".to_string(),
        }
    }

    /// What its deployment `d` shows was deployed: the image, or the commit (and branch) its
    /// meta names; what was asked for when the deployment names no commit.
    fn deployed(&self, d: Option<&crate::railway::api::Deployment>) -> String {
        if self.target.current_image().is_some() {
            return self.what();
        }
        match latest::commit_deployed(d.and_then(|d| d.meta.as_ref())) {
            Some(commit) => format!("{}: {commit}", self.what()),
            None => self.what(),
        }
    }
}

/// The preview's instances that need a deploy: not one of `run_services` (ids), with a source
/// to deploy (an image or a repository: an empty service has nothing, and Railway would not
/// deploy it either), and never deployed there (`fresh`: the preview does not exist yet, so
/// none of them is). In the order Railway lists them.
pub fn needed(
    instances: &[ServiceInstance],
    run_services: &[&str],
    fresh: bool,
) -> Vec<ServiceInstance> {
    let has_source = |i: &&ServiceInstance| {
        i.source
            .as_ref()
            .is_some_and(|s| s.image.is_some() || s.repo.is_some())
    };
    instances
        .iter()
        .filter(|i| !run_services.contains(&i.service_id.as_str()))
        .filter(has_source)
        .filter(|i| fresh || i.latest_deployment.is_none())
        .cloned()
        .collect()
}

/// Runs the supporting deploys' step, recording each in the preview's record; a service that
/// does not go live stops the run (failed, before anything was migrated or deployed).
pub async fn run(
    cx: &Context<'_>,
    reqs: &[SupportingRequest],
    report: &mut RunReport,
) -> Result<(), Stop> {
    let names: Vec<&str> = reqs
        .iter()
        .map(|r| r.target.service.name.as_str())
        .collect();
    workflow::info(format!(
        "Deploying the preview's services never deployed there, as configured: {}",
        names.join(", ")
    ));
    let (started_at, started) = (chrono::Utc::now(), std::time::Instant::now());
    let (done, failed) = deploy_all(&cx.client, cx.scope()?, reqs, &cx.released_image).await;
    let ok = failed.is_none();
    let timing = StageTiming::ended(Stage::Preview, None, started_at, started, ok);
    report.stages.push(timing);
    report
        .preview
        .get_or_insert_with(Default::default)
        .supporting = done;
    match failed {
        None => Ok(()),
        Some(why) => Err(Stop::failed("A preview service did not deploy", why)),
    }
}

/// Deploys and follows every supporting service at once; returns what became of each, in
/// order, and the run's failure naming the first that did not go live (the run then stops
/// before migrating).
async fn deploy_all(
    c: &RailwayClient,
    scope: &Scope,
    reqs: &[SupportingRequest],
    released_image: &str,
) -> (Vec<SupportingDeploy>, Option<String>) {
    let printer = LogPrinter::new(reqs.len() > 1);
    // Not the run's record of what it started: a signal must not cancel the preview's database.
    let started = StartedDeployments::default();
    let work = reqs.iter().map(|r| {
        let req = DeployRequest {
            target: r.target.clone(),
            // Not sent (the start below is the latest-commit operation): what is deployed is
            // the instance's own configured source.
            source: Source::Commit,
            commit_sha: None,
            timeout: r.timeout,
            released_image: released_image.to_string(),
        };
        let (printer, started) = (&printer, &started);
        let record = deploy::initial_report(scope, released_image, &req.target);
        async move {
            let target = &req.target;
            let latest = LatestRequest {
                project_id: &scope.project.id,
                service_id: &target.service.id,
                environment_id: &scope.environment.id,
                image: target.current_image(),
                label: &target.service.name,
            };
            let start = latest::start(c, &latest);
            deploy::run_with(c, scope, &req, record, printer, started, start).await
        }
    });
    let outcomes = join_all(work).await;
    let done: Vec<SupportingDeploy> = outcomes
        .into_iter()
        .zip(reqs)
        .map(|(o, r)| SupportingDeploy {
            service: o.report.name.clone(),
            deployed: r.deployed(o.deployment.as_ref()),
            deployment_id: o.report.deployment_id.clone(),
            status: o.report.final_status.clone(),
            failure: match o.report.state {
                ServiceState::Deployed => None,
                _ => Some(
                    o.report
                        .failure
                        .unwrap_or_else(|| "it did not go live".into()),
                ),
            },
        })
        .collect();
    let failed = done.iter().find_map(failure_message);
    (done, failed)
}

/// The run's failure when a supporting service did not go live.
fn failure_message(d: &SupportingDeploy) -> Option<String> {
    let why = d.failure.as_ref()?;
    let status = match &d.status {
        Some(s) => format!(" (Railway status {s})"),
        None => String::new(),
    };
    Some(format!(
        "the preview's service `{}` did not deploy{status}: {why}. The run's own services need it (e.g. its database for the migrations), so nothing was migrated or deployed; fix `{}` in the preview's Railway dashboard and re-run",
        d.service, d.service
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(service: &str, latest: Option<&str>) -> ServiceInstance {
        let latest = latest.map(|id| serde_json::json!({ "id": id, "status": "SUCCESS" }));
        serde_json::from_value(serde_json::json!({
            "id": format!("si-{service}"), "serviceId": service, "serviceName": service,
            "healthcheckPath": null, "preDeployCommand": null,
            "source": { "image": format!("{service}:1"), "repo": null },
            "latestDeployment": latest,
        }))
        .unwrap()
    }

    #[test]
    fn only_other_services_never_deployed_are_needed() {
        let all = [
            instance("web", None),
            instance("postgres", None),
            instance("worker", Some("d-1")),
        ];
        let names =
            |v: Vec<ServiceInstance>| v.into_iter().map(|i| i.service_id).collect::<Vec<_>>();
        assert_eq!(names(needed(&all, &["web"], false)), ["postgres"]);
        assert_eq!(names(needed(&all, &["web"], true)), ["postgres", "worker"]);
        assert!(needed(&all, &["web", "postgres"], false).is_empty());
        let mut empty = instance("placeholder", None);
        empty.source = None;
        assert!(
            needed(&[empty], &["web"], true).is_empty(),
            "nothing to deploy"
        );
    }

    #[test]
    fn a_failure_names_the_service_and_the_status() {
        let d = SupportingDeploy {
            service: "postgres".into(),
            deployed: "image `postgres:16`".into(),
            deployment_id: Some("d-9".into()),
            status: Some("CRASHED".into()),
            failure: Some("deployment d-9 crashed".into()),
        };
        let m = failure_message(&d).unwrap();
        assert!(m.contains("`postgres`") && m.contains("CRASHED"), "{m}");
        assert!(m.contains("nothing was migrated or deployed"), "{m}");
        let ok = SupportingDeploy { failure: None, ..d };
        assert_eq!(failure_message(&ok), None);
    }
}
