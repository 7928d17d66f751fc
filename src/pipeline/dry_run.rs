//! The dry run: renders the plan's steps (the same ones the executor runs) and changes nothing.
//! SQL migrations are only listed, and an upload's archive is built but not sent.

use super::plan::{Plan, Step};
use crate::backup::BackupRequest;
use crate::config::Source;
use crate::record::{Ending, PlannedAction, RunReport, RunStatus};
use crate::stages::context::Context;
use crate::stages::migrate;
use crate::workflow;

/// Lists the pending SQL migrations, describes the upload, and prints the plan.
pub async fn run(cx: &Context<'_>, plan: &Plan, mut report: RunReport) -> Ending {
    for step in &plan.steps {
        if let Step::SqlMigrations(req) = step
            && let Err(stop) = migrate::run_sql(cx, req, &mut report).await
        {
            return stop.end(report);
        }
    }
    if let Some(step) = plan.steps.iter().find_map(|s| match s {
        Step::Backup(step) => Some(step),
        _ => None,
    }) {
        say_backup(&step.backup, &plan.environment, &mut report);
    }
    // `source: upload`: build the archive (nothing is sent) and say what it would hold.
    if let Some(path) = upload_path(plan) {
        let archives = crate::upload::source::ArchiveCache::spooling_in(
            Default::default(),
            cx.spool_dirs.clone(),
        );
        match crate::upload::describe(&archives, path).await {
            Ok(description) => report.plan.push(PlannedAction {
                service: None,
                description,
            }),
            Err(e) => {
                return Ending::InvalidInput(format!(
                    "`path` {} cannot be uploaded: {e}",
                    path.display()
                ));
            }
        }
    }
    print(&report.plan, &plan.environment);
    report.status = RunStatus::Skipped;
    Ending::Finished(Box::new(report))
}

/// Whether a backup would be taken: the plan's line stays when it would; a notice says why not
/// otherwise (no volume, or no SQL migration pending).
fn say_backup(req: &BackupRequest, environment: &str, report: &mut RunReport) {
    let none_pending = report
        .migrations
        .as_ref()
        .is_some_and(|m| m.pending.is_empty());
    let why_not = match (&req.skipped, req.describe(environment)) {
        (Some(why), _) => Some(why.clone()),
        (None, Some(line)) if req.only_when_pending && none_pending => {
            report.plan.retain(|a| a.description != line);
            Some("no backup would be taken: no migration is pending".to_string())
        }
        _ => None,
    };
    if let Some(why) = why_not {
        if req.skipped_warns {
            workflow::warning(&why);
        } else {
            workflow::notice(&why);
        }
        report.notices.push(why);
    }
}

/// The folder the deploy step uploads, when it uploads one.
fn upload_path(plan: &Plan) -> Option<&std::path::Path> {
    plan.steps.iter().find_map(|step| match step {
        Step::Deploy(reqs) => reqs.iter().find_map(|r| match &r.source {
            Source::Upload { path } => Some(path.as_path()),
            _ => None,
        }),
        _ => None,
    })
}

/// The plan's lines, as the dry run prints them (pure; knows no step kind).
pub fn render(actions: &[PlannedAction]) -> Vec<String> {
    actions
        .iter()
        .map(|a| format!("- {}", a.description))
        .collect()
}

/// Prints the plan's lines and the dry run's notice (`environment`: where the changes are).
pub fn print(actions: &[PlannedAction], environment: &str) {
    workflow::group_start("Plan (dry run: nothing will be changed)");
    for line in render(actions) {
        workflow::info(line);
    }
    workflow::group_end();
    // The count is of the lines listed above: they include what is only described (the upload's
    // archive), so "changes" would count more than a reader sees as changes.
    let lines = render(actions).len();
    let steps = if lines == 1 { "step" } else { "steps" };
    workflow::notice(format!(
        "Dry run: {lines} {steps} listed above for `{environment}`; nothing was changed"
    ));
}
