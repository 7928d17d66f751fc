//! Owns the deploy step ([`run`]): every service of the request deployed and followed at once
//! (services sharing a `path` share one archive), each over its record in the run, found by
//! service id: what serves it now (`previous_deployment_id`, read again by the wait for
//! deployments in flight), and whether it is still to deploy (a service whose wait did not end
//! is already `failed-before-live`, one held back `skipped`: neither is deployed).

use futures_util::future::join_all;

use super::context::Context;
use super::deploy::{self, DeployRequest};
use super::record_of;
use crate::deploy::logs::LogPrinter;
use crate::record::{RunReport, ServiceState, Stop};
use crate::upload::source::ArchiveCache;

/// Runs the deploy step; each service's outcome replaces its record (by id).
pub async fn run(
    cx: &Context<'_>,
    reqs: &[DeployRequest],
    report: &mut RunReport,
) -> Result<(), Stop> {
    let scope = cx.scope()?;
    let archives = ArchiveCache::spooling_in(Default::default(), cx.spool_dirs.clone());
    // One log group per service; lines carry the service name when several deploy.
    let printer = LogPrinter::new(reqs.len() > 1);
    let mut to_deploy = Vec::new();
    for req in reqs {
        let record = record_of(report, scope, &cx.released_image, &req.target);
        if record.state == ServiceState::Planned {
            to_deploy.push((req, record.clone()));
        }
    }
    let work = to_deploy.into_iter().map(|(req, record)| {
        let (archives, printer) = (&archives, &printer);
        async move {
            let started = cx.guard.started();
            let o = deploy::run(&cx.client, scope, req, record, archives, printer, started);
            (req, o.await)
        }
    });
    for (req, o) in join_all(work).await {
        report.stages.extend(o.stages);
        *record_of(report, scope, &cx.released_image, &req.target) = o.report;
    }
    Ok(())
}
