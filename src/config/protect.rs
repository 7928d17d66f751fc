//! Owns the typed inputs of the contract's "Backups, watching and notifications" and "Previews"
//! sections: `backup`/`backup-timeout`, `watch`/`watch-max-error-rate`,
//! `notify-webhook`/`notify-on` and `preview-from`/`preview-name`, read into plain values with the
//! messages that say how to fix a bad one.

use std::time::Duration;

use super::parse::Inputs;
use super::values::parse_secure_url;
use super::{Errors, InputError, invalid};
use crate::secret::Secret;

/// `backup`: whether the database's Railway volume is backed up before migrating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackupMode {
    /// Back up when the database service has a Railway volume; skip with a notice otherwise.
    Auto,
    /// A backup is required: no volume found is invalid input.
    Required,
    /// Never back up.
    Off,
}

impl BackupMode {
    pub fn as_str(self) -> &'static str {
        match self {
            BackupMode::Auto => "auto",
            BackupMode::Required => "true",
            BackupMode::Off => "false",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct BackupConfig {
    pub mode: BackupMode,
    pub timeout: Duration,
}

/// `watch`: how long the new deployments are watched after the health check, and the 5xx share
/// that is a breach. `window` zero means off.
#[derive(Clone, Debug, PartialEq)]
pub struct WatchConfig {
    pub window: Duration,
    /// A fraction in `0.0..=1.0` (`5%` is `0.05`).
    pub max_error_rate: f64,
}

impl WatchConfig {
    pub fn enabled(&self) -> bool {
        !self.window.is_zero()
    }
}

/// `notify-on`: which endings send the notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyOn {
    /// Failed or rolled back.
    Failure,
    Always,
}

/// `notify-webhook` (a secret: masked, redacted, never printed) and `notify-on`.
#[derive(Clone, Debug)]
pub struct NotifyConfig {
    pub url: Secret,
    pub on: NotifyOn,
}

/// `preview-from` (`None`: the staging environment) and the `preview-name` template.
#[derive(Clone, Debug, PartialEq)]
pub struct PreviewConfig {
    pub from: Option<String>,
    /// Contains `{number}` at most once per occurrence to replace; checked to be non-empty.
    pub name_template: String,
}

impl PreviewConfig {
    /// The preview environment's name for pull request `number`.
    pub fn name_for(&self, number: u64) -> String {
        self.name_template.replace("{number}", &number.to_string())
    }
}

/// `backup`, `watch` and `notify-*`, read together; `None` when any of them is invalid (each
/// error recorded in `errs`).
pub(super) struct Protect {
    pub backup: BackupConfig,
    pub watch: WatchConfig,
    pub notify: Option<NotifyConfig>,
}

impl Protect {
    pub(super) fn read(inputs: &Inputs, errs: &mut Errors) -> Option<Protect> {
        let (backup, watch, notify) = (
            backup(inputs, errs),
            watch(inputs, errs),
            notify(inputs, errs),
        );
        Some(Protect {
            backup: backup?,
            watch: watch?,
            notify: notify?,
        })
    }
}

pub(super) fn backup(inputs: &Inputs, errs: &mut Errors) -> Option<BackupConfig> {
    let mode = match inputs
        .get("backup")
        .unwrap_or("auto")
        .to_ascii_lowercase()
        .as_str()
    {
        "auto" => Ok(BackupMode::Auto),
        "true" | "yes" | "1" | "on" => Ok(BackupMode::Required),
        "false" | "no" | "0" | "off" => Ok(BackupMode::Off),
        other => Err(invalid(
            "backup",
            format!("`{other}` is not a backup mode; use `auto`, `true` or `false`"),
        )),
    };
    let mode = errs.take(mode);
    let timeout = errs.take(positive(inputs, "backup-timeout", "10m"));
    Some(BackupConfig {
        mode: mode?,
        timeout: timeout?,
    })
}

pub(super) fn watch(inputs: &Inputs, errs: &mut Errors) -> Option<WatchConfig> {
    let raw = inputs.get("watch").unwrap_or("0s");
    let window = if is_zero_duration(raw) {
        Some(Duration::ZERO)
    } else {
        errs.take(inputs.duration("watch", "0s"))
    };
    let rate = errs.take(
        parse_rate(inputs.get("watch-max-error-rate").unwrap_or("5%"))
            .map_err(|e| invalid("watch-max-error-rate", e)),
    );
    Some(WatchConfig {
        window: window?,
        max_error_rate: rate?,
    })
}

pub(super) fn notify(inputs: &Inputs, errs: &mut Errors) -> Option<Option<NotifyConfig>> {
    let on = match inputs
        .get("notify-on")
        .unwrap_or("failure")
        .to_ascii_lowercase()
        .as_str()
    {
        "failure" => Ok(NotifyOn::Failure),
        "always" => Ok(NotifyOn::Always),
        other => Err(invalid(
            "notify-on",
            format!("`{other}` is not a choice; use `failure` or `always`"),
        )),
    };
    let on = errs.take(on);
    let url = match inputs.get("notify-webhook") {
        None => Ok(None),
        Some(raw) => webhook_url(raw).map(|()| Some(Secret::new(raw))),
    };
    let url = errs.take(url);
    let (url, on) = (url?, on?);
    Some(url.map(|url| NotifyConfig { url, on }))
}

pub(super) fn preview(inputs: &Inputs, errs: &mut Errors) -> Option<PreviewConfig> {
    let template = inputs.string_or("preview-name", "pr-{number}");
    let checked = if template.contains(char::is_whitespace) {
        Err(invalid(
            "preview-name",
            format!("`{template}` contains white space; use e.g. `pr-{{number}}`"),
        ))
    } else if !template.contains("{number}") {
        Err(invalid(
            "preview-name",
            format!(
                "`{template}` has no `{{number}}`, so every pull request would share one environment; use e.g. `pr-{{number}}`"
            ),
        ))
    } else {
        Ok(template)
    };
    let name_template = errs.take(checked)?;
    Some(PreviewConfig {
        from: inputs.get("preview-from").map(str::to_string),
        name_template,
    })
}

/// A duration input that must be more than zero.
fn positive(inputs: &Inputs, name: &str, default: &str) -> Result<Duration, InputError> {
    let d = inputs.duration(name, default)?;
    if d.is_zero() {
        return Err(invalid(name, "must be more than zero, e.g. `10m`"));
    }
    Ok(d)
}

/// `0`, `0s`, `0m`, `00h`: the contract's "off" for `watch` (other duration inputs refuse zero).
fn is_zero_duration(raw: &str) -> bool {
    let digits = raw.trim().trim_end_matches(['s', 'm', 'h']);
    !digits.is_empty() && digits.chars().all(|c| c == '0')
}

/// `5%`, `0.5%` or `0.05` → 0.05; anything outside 0..=100 % is refused.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (number, scale) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), 100.0),
        None => (t, 1.0),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{t}` is not a share; use e.g. `5%` or `0.05`"))?;
    let rate = value / scale;
    if !rate.is_finite() || !(0.0..=1.0).contains(&rate) {
        return Err(format!("`{t}` is outside 0%–100%; use e.g. `5%` or `0.05`"));
    }
    Ok(rate)
}

/// The webhook must be an https URL (loopback hosts may use http, for tests and local relays).
/// The message never repeats the URL: it is a secret.
fn webhook_url(raw: &str) -> Result<(), InputError> {
    parse_secure_url(raw).map(|_| ()).map_err(|_| {
        InputError(
            "input `notify-webhook`: not an https URL (the value is a secret and is not shown); give the webhook URL Slack, Discord or your service issued, e.g. from a secret".into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_accept_percentages_and_fractions() {
        assert_eq!(parse_rate("5%"), Ok(0.05));
        assert_eq!(parse_rate("0.05"), Ok(0.05));
        assert_eq!(parse_rate(" 12.5 % "), Ok(0.125));
        assert_eq!(parse_rate("0"), Ok(0.0));
        assert!(parse_rate("150%").is_err());
        assert!(parse_rate("-1%").is_err());
        assert!(parse_rate("five").unwrap_err().contains("`five`"));
        assert!(parse_rate("NaN").is_err());
    }

    #[test]
    fn preview_names_replace_the_number() {
        let p = PreviewConfig {
            from: None,
            name_template: "pr-{number}".into(),
        };
        assert_eq!(p.name_for(42), "pr-42");
    }
}
