//! Owns how previews are told: the job summary's "Preview" section (the environment made or
//! reused, its domains, the other services it deployed as configured, what was removed and what
//! kept), the preview URLs the PR comment shows first, and the comment that replaces it once the
//! pull request closed and the preview is gone.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::record::{RunReport, RunStatus};
use crate::report::markdown::{cell, escape_html};

/// The summary's "Preview" section (nothing for other commands).
pub fn summary_section(out: &mut String, r: &RunReport) {
    let Some(p) = &r.preview else {
        return;
    };
    let _ = writeln!(out, "### Preview\n");
    if let Some(name) = &p.name {
        let how = match (&p.source, p.created, p.teardown) {
            (_, _, true) if r.dry_run => "would be deleted".to_string(),
            (_, _, true) if p.already_gone => "already gone: nothing to delete".to_string(),
            (_, _, true) => "deleted".to_string(),
            (Some(src), true, _) => format!("created as a copy of `{}`", cell(src)),
            (Some(src), false, _) => format!("would be created as a copy of `{}`", cell(src)),
            (None, _, _) => "reused".to_string(),
        };
        let _ = writeln!(out, "- Environment `{}`: {how}", cell(name));
    }
    for d in &p.domains_created {
        let _ = writeln!(out, "- New Railway domain: {}", cell(d));
    }
    for s in &p.supporting {
        let status = s.status.as_deref().unwrap_or("not started");
        let how = match &s.failure {
            None => format!(
                "deployed as configured (never deployed there): {status}, {}",
                cell(&s.deployed)
            ),
            Some(why) => format!(
                "❌ did not deploy ({status}): {} (deploying {})",
                cell(why),
                cell(&s.deployed)
            ),
        };
        let _ = writeln!(out, "- Service `{}`: {how}", cell(&s.service));
    }
    for name in p.removed.iter().filter(|n| p.name.as_ref() != Some(n)) {
        let _ = writeln!(out, "- Deleted `{}`", cell(name));
    }
    for k in &p.kept {
        let _ = writeln!(out, "- Kept `{}`: {}", cell(&k.name), cell(&k.reason));
    }
    if p.teardown && p.name.is_none() && p.removed.is_empty() && p.kept.is_empty() {
        let _ = writeln!(out, "- No preview environments found");
    }
    out.push('\n');
}

/// The summary's headline of a run that removes previews (`None` for any other run).
pub fn removal_headline(r: &RunReport) -> Option<String> {
    let p = r.preview.as_ref().filter(|p| p.teardown)?;
    let what = match &p.name {
        Some(name) => format!("the preview **{}**", escape_html(name)),
        None => "the previews of closed pull requests".to_string(),
    };
    Some(match r.status {
        _ if r.dry_run => format!("🧪 Dry run: removing {what} would make these changes"),
        RunStatus::Success if p.removed.is_empty() && p.name.is_some() => {
            format!("🧹 Nothing to remove: {what} was already gone")
        }
        RunStatus::Success if p.removed.is_empty() => {
            "🧹 No preview of a closed pull request to remove".to_string()
        }
        RunStatus::Success => format!("🧹 Removed {what}"),
        _ => format!("❌ Removing {what} failed"),
    })
}

/// The notification's headline of a run that removes previews, in plain text with code spans
/// (`None` for any other run): a teardown is not a deploy.
pub fn removal_notice(r: &RunReport) -> Option<String> {
    let p = r.preview.as_ref().filter(|p| p.teardown)?;
    let what = match &p.name {
        Some(name) => format!("the preview `{name}`"),
        None => "the previews of closed pull requests".to_string(),
    };
    let removed: Vec<String> = p.removed.iter().map(|n| format!("`{n}`")).collect();
    Some(match r.status {
        RunStatus::Success if p.already_gone => format!("🧹 {what} was already gone"),
        RunStatus::Success if removed.is_empty() => {
            "🧹 No preview of a closed pull request to remove".to_string()
        }
        RunStatus::Success if p.name.is_some() => format!("🧹 Removed {what}"),
        RunStatus::Success => format!("🧹 Removed the previews {}", removed.join(", ")),
        RunStatus::Skipped => format!("⏭️ Nothing removed: {what}"),
        _ => format!("❌ Removing {what} failed"),
    })
}

/// The preview's URLs, for the top of the PR comment (`None` for other runs, or no URL yet).
pub fn urls_line(r: &RunReport) -> Option<String> {
    r.preview.as_ref().filter(|p| !p.teardown)?;
    let urls: Vec<String> = r
        .services
        .iter()
        .filter_map(|s| {
            s.url
                .as_ref()
                .map(|u| format!("{}: {}", escape_html(&s.name), u))
        })
        .collect();
    (!urls.is_empty()).then(|| format!("🔗 **Preview:** {}", urls.join(" · ")))
}

/// The comment on a closed pull request once its preview `name` is gone (`marker` first).
pub fn gone_comment(name: &str, when: DateTime<Utc>, marker: &str) -> String {
    format!(
        "{marker}\n### 🧹 Preview **{}** removed\n\nThe pull request was closed, so its preview environment `{}` was deleted on {} UTC. Its links no longer work.\n",
        escape_html(name),
        escape_html(name),
        when.format("%Y-%m-%d %H:%M")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{PreviewReport, ServiceReport};

    #[test]
    fn the_comment_shows_preview_urls_and_the_gone_text_says_when() {
        let mut r = RunReport::new("preview", "commit", false, Utc::now());
        let mut web = ServiceReport::planned("svc-web", "web");
        web.url = Some("https://web-pr-7.up.railway.app".into());
        r.services.push(web);
        assert_eq!(urls_line(&r), None);
        r.preview = Some(PreviewReport {
            name: Some("pr-7".into()),
            ..Default::default()
        });
        let line = urls_line(&r).unwrap();
        assert!(
            line.contains("web: https://web-pr-7.up.railway.app"),
            "{line}"
        );
        let when = DateTime::parse_from_rfc3339("2026-12-02T01:02:03Z").unwrap();
        let body = gone_comment("pr-7", when.into(), "<!-- m -->");
        assert!(body.starts_with("<!-- m -->"));
        assert!(body.contains("2026-12-02 01:02 UTC"), "{body}");
    }

    #[test]
    fn a_teardown_is_told_as_a_removal() {
        let mut r = RunReport::new("preview", "commit", false, Utc::now());
        r.status = RunStatus::Success;
        assert_eq!(removal_notice(&r), None);
        r.preview = Some(PreviewReport {
            name: Some("pr-7".into()),
            removed: vec!["pr-7".into()],
            teardown: true,
            ..Default::default()
        });
        assert_eq!(removal_notice(&r).unwrap(), "🧹 Removed the preview `pr-7`");
        r.status = RunStatus::Failed;
        assert_eq!(
            removal_notice(&r).unwrap(),
            "❌ Removing the preview `pr-7` failed"
        );
        r.status = RunStatus::Success;
        r.preview = Some(PreviewReport {
            removed: vec!["pr-3".into(), "pr-4".into()],
            teardown: true,
            ..Default::default()
        });
        assert_eq!(
            removal_notice(&r).unwrap(),
            "🧹 Removed the previews `pr-3`, `pr-4`"
        );
    }
}
