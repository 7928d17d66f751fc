//! Owns the text of the sticky PR comment, rendered from a [`RunReport`] in one of three phases:
//! deploying (written at the start), finished (success, failure or rollback) and cancelled. The
//! finished and cancelled texts never say "deploying", so the last write always tells the truth.
//! GitHub refuses comments over 65,536 characters; this one stays under [`MAX_COMMENT_CHARS`].

use std::fmt::Write as _;

use crate::github::keyed::{ServiceSet, comment_marker};
use crate::record::{RunReport, RunStatus};
use crate::report::markdown::{
    cell, code_block, escape_html, failed_stage, link, log_tail, previous_deployment_link,
    service_durations, stage_line, stage_spans, state_word,
};
use crate::text::{scrub_credentials, short_sha};

/// Well under GitHub's 65,536-character limit for a comment body.
pub const MAX_COMMENT_CHARS: usize = 60_000;
const LOG_LINES: usize = 30;
const LOG_WIDTH: usize = 240;

/// Which moment of the run the comment describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The run has started changing things.
    Deploying,
    /// The run ended; `RunReport.status` says how.
    Finished,
    /// The job was cancelled (SIGTERM/SIGINT) before the run ended.
    Cancelled,
}

fn environment(r: &RunReport) -> String {
    escape_html(r.environment.as_deref().unwrap_or("(unknown environment)"))
}

fn what(r: &RunReport) -> String {
    match (&r.version, &r.sha) {
        (Some(v), _) => format!("`{}`", escape_html(v)),
        (None, Some(sha)) => format!("`{}`", short_sha(sha)),
        (None, None) => "this commit".to_string(),
    }
}

fn headline(r: &RunReport, phase: Phase) -> String {
    let env = environment(r);
    let what = what(r);
    match phase {
        Phase::Deploying => format!("⏳ Deploying {what} to **{env}**…"),
        Phase::Cancelled => {
            format!("⚠️ Deploy of {what} to **{env}** was cancelled before it finished")
        }
        Phase::Finished => match r.status {
            RunStatus::Success => format!("✅ Deployed {what} to **{env}**"),
            RunStatus::RolledBack => {
                format!("↩️ Deploy of {what} to **{env}** failed and was rolled back")
            }
            RunStatus::Failed => format!("❌ Deploy of {what} to **{env}** failed"),
            RunStatus::Skipped => format!("⏭️ Nothing was deployed to **{env}**"),
        },
    }
}

/// Renders the whole comment body, marker included.
pub fn render_comment(r: &RunReport, phase: Phase, run_url: Option<&str>) -> String {
    let full = render_with(r, phase, run_url, LOG_LINES);
    if full.chars().count() <= MAX_COMMENT_CHARS {
        return full;
    }
    let short = render_with(r, phase, run_url, 5);
    if short.chars().count() <= MAX_COMMENT_CHARS {
        return short;
    }
    let short = render_with(r, phase, run_url, 0);
    if short.chars().count() <= MAX_COMMENT_CHARS {
        return short;
    }
    let mut cut: String = short.chars().take(MAX_COMMENT_CHARS - 200).collect();
    cut.push_str("\n\n…(cut to fit GitHub's comment size limit; the workflow run has it all)\n");
    cut
}

fn render_with(r: &RunReport, phase: Phase, run_url: Option<&str>, log_lines: usize) -> String {
    let env_name = r.environment.as_deref().unwrap_or("");
    let mut out = String::new();
    let services = ServiceSet::new(r.services.iter().map(|s| s.name.as_str()));
    let _ = writeln!(out, "{}", comment_marker(env_name, &services));
    let _ = writeln!(out, "### {}\n", headline(r, phase));
    if let Some(urls) = crate::report::preview::urls_line(r) {
        let _ = writeln!(out, "{urls}\n");
    }

    let mut facts = Vec::new();
    if let Some(sha) = &r.sha {
        facts.push(format!("commit `{}`", short_sha(sha)));
    }
    if let Some(v) = &r.version {
        facts.push(format!("version `{}`", escape_html(v)));
    }
    facts.push(format!("source `{}`", escape_html(&r.source)));
    // When: a comment edited over days (pushes to one pull request) says which run it shows.
    facts.push(format!(
        "started {}",
        r.started_at.format("%Y-%m-%d %H:%M UTC")
    ));
    if let Some(url) = run_url {
        facts.push(link("workflow run", Some(url)));
    }
    let _ = writeln!(out, "{}\n", facts.join(" · "));

    if !r.services.is_empty() {
        let _ = writeln!(out, "| Service | State | URL | Railway deployment |");
        let _ = writeln!(out, "|---|---|---|---|");
        for s in &r.services {
            let state = match (phase, &s.skipped) {
                (_, Some(why)) => format!("{}: {}", state_word(s.state), cell(why)),
                (Phase::Deploying, None) => "⏳ deploying".to_string(),
                (Phase::Cancelled, None) => "⚠️ cancelled: check Railway".to_string(),
                (Phase::Finished, None) => state_word(s.state).to_string(),
            };
            let url = s.url.as_deref().map(cell).unwrap_or_default();
            let mut deployment = s
                .deployment_id
                .as_deref()
                .map(|d| link(&format!("`{}`", cell(d)), s.dashboard_url.as_deref()))
                .unwrap_or_default();
            if let Some(serving) = crate::report::markdown::now_serving(r, s) {
                deployment.push_str(&format!(" → now serving {serving}"));
            }
            let _ = writeln!(
                out,
                "| {} | {state} | {url} | {deployment} |",
                cell(&s.name)
            );
        }
        out.push('\n');
    }

    let spans = stage_spans(&r.stages);
    if !spans.is_empty() {
        let _ = writeln!(out, "**Stages:** {}\n", stage_line(&spans));
    }
    if let Some(line) = crate::report::markdown::backup_line(r) {
        let _ = writeln!(out, "{line}\n");
    }
    if let Some(line) = crate::report::watch::comment_line(r) {
        let _ = writeln!(out, "{line}\n");
    }
    crate::report::migration_safety::section(&mut out, r, "####");

    match phase {
        Phase::Deploying => {
            let _ = writeln!(out, "This comment is updated when the deploy ends.");
        }
        Phase::Cancelled => {
            let _ = writeln!(
                out,
                "The job was cancelled, so the outcome is unknown: check the services in Railway, \
                 and re-run the workflow to deploy again."
            );
        }
        Phase::Finished if r.status == RunStatus::Success => rollback_section(&mut out, r),
        Phase::Finished if r.status == RunStatus::Skipped => {}
        Phase::Finished => failure_section(&mut out, r, log_lines),
    }
    out
}

fn rollback_section(out: &mut String, r: &RunReport) {
    let with_command: Vec<_> = r
        .services
        .iter()
        .filter(|s| s.rollback_command.is_some() || s.previous_deployment_id.is_some())
        .collect();
    if with_command.is_empty() {
        return;
    }
    let _ = writeln!(out, "<details><summary>How to roll back</summary>\n");
    for s in with_command {
        let previous = previous_deployment_link(s).unwrap_or_else(|| "none recorded".to_string());
        let _ = writeln!(
            out,
            "**{}**: previous deployment {previous}\n",
            cell(&s.name)
        );
        if let Some(cmd) = &s.rollback_command {
            out.push_str(&code_block("sh", cmd));
            out.push('\n');
        }
    }
    out.push_str(
        &crate::report::markdown::rollback_workflow_line(r).map_or_else(String::new, |l| l + "\n"),
    );
    let _ = writeln!(out, "</details>");
}

fn failure_section(out: &mut String, r: &RunReport, log_lines: usize) {
    let stage = failed_stage(r).map(|s| s.as_str()).unwrap_or("deploy");
    let reason = r
        .failure
        .as_deref()
        .map(|f| escape_html(&scrub_credentials(f)))
        .unwrap_or_else(|| "see the workflow run".to_string());
    let _ = writeln!(out, "**Failed at `{stage}`:** {reason}\n");
    // A service's failure that the line above already quotes is not repeated.
    let said = |f: &str| r.failure.as_deref().is_some_and(|all| all.contains(f));
    for s in &r.services {
        let Some(f) = s.failure.as_deref().filter(|f| !said(f)) else {
            continue;
        };
        let f = scrub_credentials(f);
        let _ = writeln!(out, "- **{}**: {}", cell(&s.name), escape_html(&f));
        let durations = service_durations(r, &s.name);
        if !durations.is_empty() {
            let _ = writeln!(out, "  ({durations})");
        }
    }
    out.push('\n');
    for s in r
        .services
        .iter()
        .filter(|s| !s.log_tail.is_empty() && log_lines > 0)
    {
        let _ = writeln!(
            out,
            "<details><summary>Last log lines of {}</summary>\n",
            escape_html(&s.name)
        );
        out.push_str(&code_block(
            "",
            &log_tail(&s.log_tail, log_lines, LOG_WIDTH),
        ));
        let _ = writeln!(out, "\n</details>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ServiceReport;

    #[test]
    fn a_rolled_back_service_links_the_deployment_now_serving() {
        let mut r = RunReport::new("deploy", "commit", false, chrono::Utc::now());
        r.environment = Some("staging".into());
        r.project_id = Some("proj-1".into());
        r.environment_id = Some("env-stg".into());
        r.status = RunStatus::RolledBack;
        let mut web = ServiceReport::planned("svc-web", "web");
        web.state = crate::record::ServiceState::RolledBack;
        web.deployment_id = Some("dep-new".into());
        web.serving_after_rollback = Some("dep-back".into());
        r.services.push(web);
        let comment = render_comment(&r, Phase::Finished, None);
        let page = crate::railway::dashboard_url("proj-1", "svc-web", "env-stg", "dep-back");
        assert!(
            comment.contains(&format!("→ now serving [`dep-back`]({page})")),
            "{comment}"
        );
        let summary = crate::report::summary::render_summary(&r);
        assert!(
            summary.contains(&format!("| Now serving | [`dep-back`]({page}) |")),
            "{summary}"
        );
        // Without a rollback, no such link.
        r.services[0].serving_after_rollback = None;
        let comment = render_comment(&r, Phase::Finished, None);
        assert!(!comment.contains("now serving ["), "{comment}");
    }

    #[test]
    fn the_failure_sentence_is_said_once_in_the_comment_and_the_summary() {
        let sentence = "health check of http://app/healthz did not pass within 2m";
        let mut r = RunReport::new("deploy", "commit", false, chrono::Utc::now());
        r.environment = Some("staging".into());
        r.status = RunStatus::RolledBack;
        r.failure = Some(format!("web: {sentence}; rolled back"));
        let mut web = ServiceReport::planned("s", "web");
        web.state = crate::record::ServiceState::RolledBack;
        web.failure = Some(sentence.into());
        web.health = Some(crate::record::HealthReport {
            error: Some(sentence.into()),
            ..Default::default()
        });
        r.services.push(web);
        let comment = render_comment(&r, Phase::Finished, None);
        assert_eq!(comment.matches(sentence).count(), 1, "{comment}");
        let summary = crate::report::summary::render_summary(&r);
        assert_eq!(summary.matches(sentence).count(), 1, "{summary}");
        // A second service's own failure is still listed.
        let mut worker = ServiceReport::planned("w", "worker");
        worker.failure = Some("worker crashed".into());
        r.services.push(worker);
        assert!(render_comment(&r, Phase::Finished, None).contains("- **worker**: worker crashed"));
    }

    #[test]
    fn no_final_phase_says_deploying() {
        let mut r = RunReport::new("deploy", "commit", false, chrono::Utc::now());
        r.environment = Some("staging".into());
        r.services.push(ServiceReport::planned("s", "web"));
        for status in [RunStatus::Success, RunStatus::Failed, RunStatus::RolledBack] {
            r.status = status;
            for phase in [Phase::Finished, Phase::Cancelled] {
                let text = render_comment(&r, phase, None).to_lowercase();
                assert!(!text.contains("deploying"), "{phase:?} {status:?}: {text}");
            }
        }
        assert!(render_comment(&r, Phase::Deploying, None).contains("Deploying"));
    }

    #[test]
    fn huge_logs_stay_under_githubs_limit() {
        let mut r = RunReport::new("deploy", "commit", false, chrono::Utc::now());
        r.status = RunStatus::Failed;
        r.environment = Some("staging".into());
        for i in 0..400 {
            let mut s = ServiceReport::planned("s", &format!("svc{i}"));
            s.log_tail = vec!["x".repeat(1000); 100];
            s.failure = Some("boom".into());
            r.services.push(s);
        }
        let text = render_comment(&r, Phase::Finished, None);
        assert!(text.chars().count() <= MAX_COMMENT_CHARS);
        assert!(text.starts_with("<!-- railway-deploy:staging -->"));
    }

    #[test]
    fn the_rollback_workflow_is_linked_only_when_the_repository_has_it() {
        let mut r = RunReport::new("deploy", "commit", false, chrono::Utc::now());
        r.status = RunStatus::Success;
        r.environment = Some("staging".into());
        let mut s = ServiceReport::planned("s", "web");
        s.state = crate::record::ServiceState::Deployed;
        s.previous_deployment_id = Some("dep-1".into());
        s.rollback_command = Some("docker run --rm -e RAILWAY_TOKEN img --command rollback".into());
        r.services.push(s);
        let without = render_comment(&r, Phase::Finished, None);
        let summary_without = crate::report::summary::render_summary(&r);
        assert!(
            without.contains("docker run --rm -e RAILWAY_TOKEN"),
            "{without}"
        );
        assert!(!without.contains("rollback workflow"), "{without}");
        assert!(
            !summary_without.contains("rollback workflow"),
            "{summary_without}"
        );
        let url = "https://github.com/acme/shop/actions/workflows/rollback.yml";
        r.rollback_workflow_url = Some(url.into());
        let link = format!("[rollback workflow]({url})");
        let with = render_comment(&r, Phase::Finished, None);
        assert!(with.contains(&link), "{with}");
        let summary = crate::report::summary::render_summary(&r);
        assert!(summary.contains(&link), "{summary}");
    }

    #[test]
    fn a_skipped_service_shows_why_in_the_comment_and_the_summary() {
        let mut r = RunReport::new("deploy", "commit", false, chrono::Utc::now());
        r.status = RunStatus::Success;
        r.environment = Some("staging".into());
        let mut s = ServiceReport::planned("s", "worker");
        s.state = crate::record::ServiceState::Skipped;
        s.skipped = Some("nothing of `worker` changed".into());
        r.services.push(s);
        for phase in [Phase::Deploying, Phase::Finished] {
            let text = render_comment(&r, phase, None);
            assert!(
                text.contains("| worker | ⏭️ skipped: nothing of `worker` changed |"),
                "{text}"
            );
        }
        let summary = crate::report::summary::render_summary(&r);
        assert!(
            summary.contains("| Skipped | nothing of `worker` changed |"),
            "{summary}"
        );
    }
}
