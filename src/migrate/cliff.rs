//! Owns the `railway.json` / `railway.toml` cliff (contract: Migration safety): Railway stopped
//! reading these files on 2026-12-01, so a deploy setting that lives only there is silently gone.
//! Reads the deploy settings a file declares (`preDeployCommand`, `healthcheckPath`,
//! `startCommand`) and compares them with the service's live settings (pure): each difference is
//! a warning naming where to set it now; a pre-deploy command declared there and set nowhere else
//! is invalid input unless `migrate-command` is given.
//!
//! `railway.toml` is read for these three keys only (`[deploy]` table or dotted `deploy.` keys,
//! string or one-line string-array values), which is all this check needs; anything else in the
//! file is ignored.

use std::path::Path;

use crate::railway::api::{ServiceInstance, pre_deploy_command_text};

/// The deploy settings one file declares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Declared {
    /// The file, as shown to the user.
    pub file: String,
    pub pre_deploy_command: Option<String>,
    pub healthcheck_path: Option<String>,
    pub start_command: Option<String>,
}

/// What the comparison found for one service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    pub warnings: Vec<String>,
    /// Invalid input: migrations would silently stop running.
    pub error: Option<String>,
}

/// Reads `railway.json` and `railway.toml` in `dir` (absent files are skipped; an unreadable
/// or malformed one is a warning in `Err`).
pub fn read_dir(dir: &Path) -> (Vec<Declared>, Vec<String>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for name in ["railway.json", "railway.toml"] {
        let path = dir.join(name);
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                problems.push(format!("`{shown}` could not be read ({e})"));
                continue;
            }
        };
        let parsed = if name.ends_with(".json") {
            from_json(&shown, &text)
        } else {
            Ok(from_toml(&shown, &text))
        };
        match parsed {
            Ok(d) => found.push(d),
            Err(e) => problems.push(format!(
                "`{shown}` is not valid JSON ({e}); Railway no longer reads it anyway (since 2026-12-01), so move its settings to the service's settings in Railway"
            )),
        }
    }
    (found, problems)
}

/// Entries of a checkout looked at, at most, by [`any_below`]; past them, one may be there.
const MAX_WALKED: usize = 20_000;

/// Whether `root` may hold a `railway.json` or `railway.toml` (the checkout's ignored and
/// hidden files left out): a preview's services are only read for the cliff when one of their
/// root directories may hold one. A checkout too large to look through says yes.
pub fn any_below(root: &Path) -> bool {
    let mut walked = 0usize;
    for entry in ignore::WalkBuilder::new(root).build().flatten() {
        walked += 1;
        if walked > MAX_WALKED {
            return true;
        }
        let name = entry.file_name().to_str();
        if matches!(name, Some("railway.json" | "railway.toml"))
            && entry.file_type().is_some_and(|t| t.is_file())
        {
            return true;
        }
    }
    false
}

fn text_of(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Array(items) => {
            let parts: Vec<&str> = items.iter().filter_map(|v| v.as_str()).collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        }
        _ => None,
    }
}

/// The deploy settings of a `railway.json`.
pub fn from_json(file: &str, text: &str) -> Result<Declared, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let deploy = v.get("deploy");
    let get = |k: &str| deploy.and_then(|d| d.get(k)).and_then(text_of);
    Ok(Declared {
        file: file.to_string(),
        pre_deploy_command: get("preDeployCommand"),
        healthcheck_path: get("healthcheckPath"),
        start_command: get("startCommand"),
    })
}

/// The deploy settings of a `railway.toml` (see the module's note on what is read).
pub fn from_toml(file: &str, text: &str) -> Declared {
    let mut d = Declared {
        file: file.to_string(),
        ..Declared::default()
    };
    let mut table = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            table = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            continue;
        }
        let Some((key, value)) = t.split_once('=') else {
            continue;
        };
        let key = key.trim().trim_matches('"');
        let key = match (table.as_str(), key.strip_prefix("deploy.")) {
            ("deploy", _) => key,
            ("", Some(k)) => k,
            _ => continue,
        };
        let value = toml_value(value.trim());
        match key {
            "preDeployCommand" => d.pre_deploy_command = value,
            "healthcheckPath" => d.healthcheck_path = value,
            "startCommand" => d.start_command = value,
            _ => {}
        }
    }
    d
}

/// A TOML string (`"…"`, `'…'`) or one-line array of strings, joined with spaces.
fn toml_value(v: &str) -> Option<String> {
    let unquote = |s: &str| {
        let s = s.trim();
        s.strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .or_else(|| s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))
            .map(|s| s.replace("\\\"", "\""))
    };
    let text = match v.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        Some(items) => {
            let parts: Vec<String> = items.split(',').filter_map(unquote).collect();
            parts.join(" ")
        }
        None => unquote(v.split(" #").next().unwrap_or(v))?,
    };
    (!text.trim().is_empty()).then(|| text.trim().to_string())
}

/// Compares what `declared` says with `instance`'s live settings (pure).
pub fn judge(
    declared: &Declared,
    service: &str,
    instance: &ServiceInstance,
    migrate_command: Option<&str>,
) -> Verdict {
    let mut v = Verdict::default();
    let file = &declared.file;
    let since = "Railway no longer reads it (since 2026-12-01)";
    let shown = |s: Option<&str>| s.map_or("nothing".to_string(), |s| format!("`{s}`"));
    let live_pre = pre_deploy_command_text(instance);
    if let Some(cmd) = &declared.pre_deploy_command {
        let same_as_run = migrate_command.is_some_and(|m| m.trim() == cmd.trim());
        if live_pre.as_deref().map(str::trim) != Some(cmd.trim()) && !same_as_run {
            v.warnings.push(format!(
                "`{file}` declares the pre-deploy command `{cmd}`, but service `{service}` has {} in Railway, and {since}: set it in the service's Settings → Deploy → Pre-deploy Command, or with input `migrate-command`",
                shown(live_pre.as_deref())
            ));
        }
        if live_pre.is_none() && migrate_command.is_none() {
            v.error = Some(format!(
                "`{file}` declares the pre-deploy command `{cmd}` for service `{service}`, which has none set in Railway, and {since}: every deploy from now on would skip the migrations. Set input `migrate-command: {cmd}` (the action then sets it on the service), or set it in the service's Settings → Deploy → Pre-deploy Command"
            ));
        }
    }
    if let Some(path) = &declared.healthcheck_path
        && instance.healthcheck_path.as_deref().map(str::trim) != Some(path.trim())
    {
        v.warnings.push(format!(
            "`{file}` declares the healthcheck path `{path}`, but service `{service}` has {} in Railway, and {since}: set it in the service's Settings → Deploy → Healthcheck Path (this action's probe also takes input `health-path`)",
            shown(instance.healthcheck_path.as_deref())
        ));
    }
    if let Some(start) = &declared.start_command
        && instance.start_command.as_deref().map(str::trim) != Some(start.trim())
    {
        v.warnings.push(format!(
            "`{file}` declares the start command `{start}`, but service `{service}` has {} in Railway, and {since}: set it in the service's Settings → Deploy → Custom Start Command",
            shown(instance.start_command.as_deref())
        ));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(pre: Option<&str>, health: Option<&str>, start: Option<&str>) -> ServiceInstance {
        serde_json::from_value(serde_json::json!({
            "id": "si", "serviceId": "s", "serviceName": "web", "healthcheckPath": health,
            "preDeployCommand": pre.map(|p| vec![p]), "startCommand": start, "source": null
        }))
        .unwrap()
    }

    #[test]
    fn finds_a_config_file_in_a_subdirectory_and_none_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("apps/web")).unwrap();
        std::fs::write(dir.path().join("apps/web/index.js"), "").unwrap();
        assert!(!any_below(dir.path()));
        std::fs::write(dir.path().join("apps/web/railway.toml"), "[deploy]\n").unwrap();
        assert!(any_below(dir.path()));
    }

    #[test]
    fn reads_json_and_toml() {
        let j = from_json(
            "railway.json",
            r#"{"deploy": {"preDeployCommand": ["npm run migrate"], "healthcheckPath": "/health", "startCommand": "node server.js"}}"#,
        )
        .unwrap();
        assert_eq!(j.pre_deploy_command.as_deref(), Some("npm run migrate"));
        let t = from_toml(
            "railway.toml",
            "[build]\nbuilder = \"NIXPACKS\"\nstartCommand = \"no\"\n\n[deploy]\npreDeployCommand = [\"npm run migrate\"]\nhealthcheckPath = \"/health\" # probe\nstartCommand = 'node server.js'\n",
        );
        assert_eq!(
            (t.pre_deploy_command, t.healthcheck_path, t.start_command),
            (j.pre_deploy_command, j.healthcheck_path, j.start_command)
        );
        let dotted = from_toml("railway.toml", "deploy.preDeployCommand = \"x\"\n");
        assert_eq!(dotted.pre_deploy_command.as_deref(), Some("x"));
    }

    #[test]
    fn differences_warn_and_a_pre_deploy_command_only_there_is_refused() {
        let d = Declared {
            file: "railway.json".into(),
            pre_deploy_command: Some("npm run migrate".into()),
            healthcheck_path: Some("/health".into()),
            start_command: Some("node server.js".into()),
        };
        let none = judge(&d, "web", &instance(None, None, None), None);
        assert_eq!(none.warnings.len(), 3, "{:?}", none.warnings);
        assert!(
            none.error
                .unwrap()
                .contains("migrate-command: npm run migrate")
        );
        let given = judge(
            &d,
            "web",
            &instance(None, None, None),
            Some("npm run migrate"),
        );
        assert!(given.error.is_none());
        assert_eq!(given.warnings.len(), 2);
        let same = judge(
            &d,
            "web",
            &instance(
                Some("npm run migrate"),
                Some("/health"),
                Some("node server.js"),
            ),
            None,
        );
        assert_eq!(same, Verdict::default());
        let other = judge(
            &d,
            "web",
            &instance(
                Some("npm run other"),
                Some("/health"),
                Some("node server.js"),
            ),
            None,
        );
        assert!(other.error.is_none() && other.warnings.len() == 1);
    }
}
