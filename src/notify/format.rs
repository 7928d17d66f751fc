//! The notification's bodies (pure): Slack's incoming-webhook message (text plus blocks),
//! Discord's webhook message (content plus an embed), and, for any other URL, the contract's JSON
//! object (`status`, `environment`, `repository`, `sha`, `version`, `run_url`, `deployments` as
//! the output, plus the failure and the failed stage when there is one).

use serde_json::{Value, json};

use crate::record::{RunReport, RunStatus, ServiceReport, ServiceState};
use crate::report::markdown::failed_stage;
use crate::text::truncate;

/// Which format a webhook URL gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Slack,
    Discord,
    Json,
}

impl Format {
    /// Slack's incoming webhooks live on `hooks.slack.com`; Discord's under `/api/webhooks/` of
    /// `discord.com` (or the older `discordapp.com`, and the ptb/canary hosts).
    pub fn of(url: &str) -> Format {
        let Ok(u) = url::Url::parse(url) else {
            return Format::Json;
        };
        let host = u.host_str().unwrap_or_default().to_ascii_lowercase();
        let discord = ["discord.com", "discordapp.com"]
            .iter()
            .any(|d| host == *d || host.ends_with(&format!(".{d}")));
        if host == "hooks.slack.com" {
            Format::Slack
        } else if discord && u.path().starts_with("/api/webhooks/") {
            Format::Discord
        } else {
            Format::Json
        }
    }
}

/// What the notification says: the run's record (for a run that broke or was cancelled, the
/// last one, with `status` failed and the reason in `failure`), and where it ran.
#[derive(Clone, Debug)]
pub struct Notice {
    pub report: RunReport,
    pub repository: Option<String>,
    pub run_url: Option<String>,
}

impl Notice {
    fn failed_stage(&self) -> Option<&'static str> {
        if self.report.status == RunStatus::Success {
            return None;
        }
        failed_stage(&self.report).map(|s| s.as_str())
    }

    fn headline(&self) -> String {
        let r = &self.report;
        if let Some(removal) = crate::report::preview::removal_notice(r) {
            return removal;
        }
        let what = if r.services.is_empty() {
            "the deploy".to_string()
        } else {
            r.services
                .iter()
                .map(|s| format!("`{}`", s.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let env = r.environment.as_deref().unwrap_or("?");
        let commit = r
            .sha
            .as_deref()
            .map(|s| format!(" (commit `{}`)", crate::text::short_sha(s)))
            .unwrap_or_default();
        match r.status {
            RunStatus::Success => format!("✅ Deployed {what} to `{env}`{commit}"),
            RunStatus::Failed => format!("❌ Deploy of {what} to `{env}` failed{commit}"),
            RunStatus::RolledBack => {
                format!("↩️ Deploy of {what} to `{env}` failed and was rolled back{commit}")
            }
            RunStatus::Skipped => format!("⏭️ Nothing deployed to `{env}`{commit}"),
        }
    }

    fn failure(&self) -> Option<String> {
        let f = self.report.failure.as_deref()?;
        let f = crate::text::scrub_credentials(f);
        Some(match self.failed_stage() {
            Some(stage) => format!("Failed at `{stage}`: {f}"),
            None => f.to_string(),
        })
    }

    fn rollback(&self) -> Option<String> {
        let back: Vec<&str> = (self.report.services.iter())
            .filter(|s| s.state == ServiceState::RolledBack)
            .map(|s| s.name.as_str())
            .collect();
        (!back.is_empty()).then(|| {
            format!(
                "Rolled back to the previous deployment: {}",
                back.join(", ")
            )
        })
    }
}

/// The body for `format`.
pub fn body(format: Format, n: &Notice) -> Value {
    match format {
        Format::Slack => slack(n),
        Format::Discord => discord(n),
        Format::Json => generic(n),
    }
}

/// The contract's JSON object.
pub fn generic(n: &Notice) -> Value {
    let r = &n.report;
    json!({
        "status": r.status.as_str(),
        "environment": r.environment,
        "repository": n.repository,
        "sha": r.sha,
        "version": r.version,
        "run_url": n.run_url,
        "deployments": crate::report::outputs::deployments(r),
        "failure": r.failure.as_deref().map(crate::text::scrub_credentials),
        "failed_stage": n.failed_stage(),
    })
}

/// Slack's `mrkdwn` control characters `&`, `<` and `>` as the entities Slack decodes.
fn slack_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Slack link `<url|text>`: the URL's `&` as `&amp;` (Slack decodes it, as in any text), and
/// the characters that would end the link (`<`, `>`, `|`) percent-encoded; the text escaped.
fn slack_link(url: &str, text: &str) -> String {
    let url = url
        .replace('&', "&amp;")
        .replace('<', "%3C")
        .replace('>', "%3E")
        .replace('|', "%7C");
    format!("<{url}|{}>", slack_text(text))
}

fn slack_service(s: &ServiceReport) -> String {
    let linked = match &s.url {
        Some(u) => slack_link(u, &s.name),
        None => slack_text(&s.name),
    };
    let deployment = match (&s.deployment_id, &s.dashboard_url) {
        (Some(id), Some(d)) => format!(" · {}", slack_link(d, &format!("deployment {id}"))),
        _ => String::new(),
    };
    format!(
        "• {linked}: {}{deployment}",
        crate::report::markdown::state_word(s.state)
    )
}

/// Slack's section text holds at most 3000 characters.
fn section(text: String) -> Value {
    json!({ "type": "section", "text": { "type": "mrkdwn", "text": slack_cut(&text, 2900) } })
}

/// At most `max` characters of mrkdwn, never cutting a link `<…>` or an entity `&…;` in two
/// (Slack would show the remains as text).
fn slack_cut(text: &str, max: usize) -> String {
    if chars(text) <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    if let Some(open) = cut.rfind('<').filter(|&i| !cut[i..].contains('>')) {
        cut.truncate(open);
    }
    if let Some(amp) = cut.rfind('&').filter(|&i| !cut[i..].contains(';')) {
        cut.truncate(amp);
    }
    cut.push('…');
    cut
}

/// Slack: `text` (the fallback the notification shows) and blocks.
pub fn slack(n: &Notice) -> Value {
    let headline = n.headline();
    let mut blocks = vec![section(format!("*{}*", slack_text(&headline)))];
    let r = &n.report;
    let facts = [
        ("Environment", r.environment.clone()),
        ("Version", r.version.clone()),
        ("Repository", n.repository.clone()),
    ];
    let fields: Vec<Value> = facts
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .map(|(k, v)| json!({ "type": "mrkdwn", "text": slack_cut(&format!("*{k}*\n{}", slack_text(v)), 1900) }))
        .collect();
    if !fields.is_empty() {
        blocks.push(json!({ "type": "section", "fields": fields }));
    }
    if !r.services.is_empty() {
        let lines: Vec<String> = r.services.iter().map(slack_service).collect();
        blocks.push(section(lines.join("\n")));
    }
    for extra in [n.failure(), n.rollback()].into_iter().flatten() {
        blocks.push(section(slack_text(&extra)));
    }
    if let Some(url) = &n.run_url {
        blocks.push(json!({ "type": "context", "elements": [
            { "type": "mrkdwn", "text": slack_link(url, "Workflow run") }
        ] }));
    }
    // The top-level `text` is mrkdwn too (the notification's fallback).
    json!({ "text": slack_text(&headline), "blocks": blocks })
}

/// Discord's documented limits: a message's `content`, an embed's title, description, field
/// name and value, its field count, and the characters of all of those together.
pub mod discord_limits {
    pub const CONTENT: usize = 2000;
    pub const TITLE: usize = 256;
    pub const DESCRIPTION: usize = 4096;
    pub const FIELD_NAME: usize = 256;
    pub const FIELD_VALUE: usize = 1024;
    pub const FIELDS: usize = 25;
    pub const EMBED_TOTAL: usize = 6000;
}

/// Discord: `content` and one embed (colour by outcome), within Discord's limits: every text
/// truncated, and services that do not fit in the embed counted in a last field.
pub fn discord(n: &Notice) -> Value {
    use discord_limits as max;
    let r = &n.report;
    let color = match r.status {
        RunStatus::Success => 0x2e_b8_86,
        RunStatus::Failed => 0xd9_3f_0b,
        RunStatus::RolledBack => 0xe0_a1_00,
        RunStatus::Skipped => 0x8a_8a_8a,
    };
    let title = truncate(&n.headline(), max::TITLE);
    let description = n.failure().map(|f| truncate(&f, 2000));
    let mut fixed = Vec::new();
    if let Some(e) = &r.environment {
        fixed.push(("Environment".to_string(), format!("`{e}`"), true));
    }
    if let Some(v) = &r.version {
        fixed.push(("Version".to_string(), format!("`{v}`"), true));
    }
    let rollback = n.rollback().map(|rb| ("Rollback".to_string(), rb, false));
    let services = r.services.iter().map(|s| {
        let state = crate::report::markdown::state_word(s.state);
        let value = match &s.url {
            Some(u) => format!("{state}\n{u}"),
            None => state.to_string(),
        };
        (s.name.clone(), value, false)
    });
    let used = chars(&title) + description.as_deref().map_or(0, chars);
    let fields = fit_fields(fixed, services, rollback, used);
    let mut embed = json!({ "title": title, "color": color, "fields": fields });
    if let Some(d) = description {
        embed["description"] = json!(truncate(&d, max::DESCRIPTION));
    }
    if let Some(url) = &n.run_url {
        embed["url"] = json!(url);
    }
    // No text of the run (a service name, Railway's error) may ping `@everyone` or a role.
    json!({
        "content": truncate(&n.headline(), max::CONTENT),
        "embeds": [embed],
        "allowed_mentions": { "parse": [] },
    })
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

type Field = (String, String, bool);

/// The embed's fields: `fixed` first, then as many services as fit in what is left of
/// [`discord_limits::EMBED_TOTAL`] (and of the field count), a field counting the others, and
/// the rollback last. Every name and value is truncated to its own limit.
fn fit_fields(
    fixed: Vec<Field>,
    services: impl ExactSizeIterator<Item = Field>,
    rollback: Option<Field>,
    used: usize,
) -> Vec<Value> {
    use discord_limits as max;
    let cut = |(name, value, inline): Field| {
        (
            truncate(&name, max::FIELD_NAME),
            truncate(&value, max::FIELD_VALUE),
            inline,
        )
    };
    let size = |f: &Field| chars(&f.0) + chars(&f.1);
    // Room kept for the field that counts the services left out.
    const MORE: usize = 60;
    let (fixed, rollback) = (
        fixed.into_iter().map(cut).collect::<Vec<_>>(),
        rollback.map(cut),
    );
    let mut total =
        used + fixed.iter().map(size).sum::<usize>() + rollback.as_ref().map_or(0, size);
    // The fixed fields, the rollback and the one counting what was left out come first.
    let room = max::FIELDS.saturating_sub(fixed.len() + usize::from(rollback.is_some()) + 1);
    let mut out = fixed;
    let count = services.len();
    let mut shown = 0;
    for f in services.map(cut) {
        if shown == room || total + size(&f) + MORE > max::EMBED_TOTAL {
            break;
        }
        total += size(&f);
        out.push(f);
        shown += 1;
    }
    if shown < count {
        let more = format!("{} more service(s) not shown", count - shown);
        out.push(("…".to_string(), more, false));
    }
    out.extend(rollback);
    out.into_iter()
        .map(|(name, value, inline)| json!({ "name": name, "value": value, "inline": inline }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_choose_their_format() {
        assert_eq!(
            Format::of("https://hooks.slack.com/services/T0/B0/xyz"),
            Format::Slack
        );
        assert_eq!(
            Format::of("https://discord.com/api/webhooks/1/abc"),
            Format::Discord
        );
        assert_eq!(
            Format::of("https://discordapp.com/api/webhooks/1/abc"),
            Format::Discord
        );
        assert_eq!(Format::of("https://discord.com/channels/1/2"), Format::Json);
        assert_eq!(
            Format::of("https://hooks.slack.com.evil.example/x"),
            Format::Json
        );
        assert_eq!(Format::of("http://127.0.0.1:9/hook"), Format::Json);
    }

    #[test]
    fn a_closed_pull_requests_teardown_is_not_called_a_deploy() {
        let mut r = RunReport::new("preview", "commit", false, chrono::Utc::now());
        r.status = RunStatus::Success;
        r.environment = Some("pr-7".into());
        r.preview = Some(crate::record::PreviewReport {
            name: Some("pr-7".into()),
            removed: vec!["pr-7".into()],
            teardown: true,
            ..Default::default()
        });
        let n = Notice {
            report: r,
            repository: None,
            run_url: None,
        };
        let text = slack(&n)["text"].as_str().unwrap_or_default().to_string();
        assert_eq!(text, "🧹 Removed the preview `pr-7`");
        assert_eq!(discord(&n)["content"], "🧹 Removed the preview `pr-7`");
    }
}
