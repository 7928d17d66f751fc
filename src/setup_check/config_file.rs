//! Pre-deploy commands, and the deploy settings of `railway.json` / `railway.toml` that Railway
//! stopped reading on 2026-12-01: each setting the file declares is compared with the service's
//! live one. A pre-deploy command declared only there means migrations would silently not run.
//! The file is read with a small reader of its own (`deploy.preDeployCommand`,
//! `deploy.healthcheckPath`, `deploy.startCommand`): JSON with serde_json, TOML's `[deploy]`
//! table by hand (strings and arrays of strings, which is all these keys hold).

use std::path::{Path, PathBuf};

use crate::railway::api::{ServiceInstance, pre_deploy_command_text};
use crate::record::CheckResult;

use super::CheckContext;
use super::plan::ConfigFileRequest;

/// The deploy settings a config file declares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileSettings {
    pub file: String,
    pub pre_deploy_command: Option<String>,
    pub healthcheck_path: Option<String>,
    pub start_command: Option<String>,
}

/// The config file in `dir`, `railway.json` before `railway.toml`; `Err` when one is there but
/// cannot be read as its format.
pub fn read(dir: &Path) -> Result<Option<FileSettings>, String> {
    let json = dir.join("railway.json");
    if let Ok(text) = std::fs::read_to_string(&json) {
        return parse_json(&text)
            .map(|s| {
                Some(FileSettings {
                    file: json.display().to_string(),
                    ..s
                })
            })
            .map_err(|e| format!("`{}` is not valid JSON: {e}", json.display()));
    }
    let toml = dir.join("railway.toml");
    if let Ok(text) = std::fs::read_to_string(&toml) {
        return Ok(Some(FileSettings {
            file: toml.display().to_string(),
            ..parse_toml(&text)
        }));
    }
    Ok(None)
}

fn command_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Array(items) => {
            let parts: Vec<&str> = items.iter().filter_map(|v| v.as_str()).collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        }
        _ => None,
    }
}

pub fn parse_json(text: &str) -> Result<FileSettings, serde_json::Error> {
    let v: serde_json::Value = serde_json::from_str(text)?;
    let deploy = &v["deploy"];
    Ok(FileSettings {
        file: String::new(),
        pre_deploy_command: command_text(&deploy["preDeployCommand"]),
        healthcheck_path: command_text(&deploy["healthcheckPath"]),
        start_command: command_text(&deploy["startCommand"]),
    })
}

/// The three keys of TOML's `[deploy]` table: `key = "text"`, `'text'` or `["a", "b"]`.
pub fn parse_toml(text: &str) -> FileSettings {
    let mut out = FileSettings::default();
    let mut in_deploy = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deploy = line.trim_start_matches('[').trim_end_matches(']').trim() == "deploy";
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), toml_value(value.trim()));
        let key = if in_deploy {
            key
        } else {
            match key.strip_prefix("deploy.") {
                Some(k) => k,
                None => continue,
            }
        };
        match key {
            "preDeployCommand" => out.pre_deploy_command = value,
            "healthcheckPath" => out.healthcheck_path = value,
            "startCommand" => out.start_command = value,
            _ => {}
        }
    }
    out
}

fn toml_value(v: &str) -> Option<String> {
    let unquote = |s: &str| {
        let s = s.trim();
        let inner = s
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .or_else(|| s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))?;
        Some(inner.replace("\\\"", "\""))
    };
    let text = match v.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        Some(list) => {
            let parts: Vec<String> = list.split(',').filter_map(unquote).collect();
            parts.join(" ")
        }
        None => unquote(v.split(" #").next().unwrap_or(v))?,
    };
    (!text.trim().is_empty()).then(|| text.trim().to_string())
}

/// What the file declares against the live settings (pure): the results for one service.
pub fn judge(
    service: &str,
    instance: &ServiceInstance,
    file: Option<&FileSettings>,
    migrate_command: Option<&str>,
) -> Vec<CheckResult> {
    let title = format!("service `{service}` pre-deploy");
    let live = pre_deploy_command_text(instance);
    let mut out = vec![match (migrate_command, &live) {
        (Some(m), _) => CheckResult::ok(
            title.clone(),
            format!("`migrate-command` `{m}` is set as the pre-deploy command of each deploy"),
        ),
        (None, Some(l)) => CheckResult::ok(
            title.clone(),
            format!("Railway runs `{l}` before each deploy"),
        ),
        (None, None) => CheckResult::ok(title.clone(), "none set"),
    }];
    let Some(f) = file else {
        return out;
    };
    let name = format!("service `{service}` {}", short(&f.file));
    let mut differences = Vec::new();
    if let Some(cmd) = &f.pre_deploy_command
        && live.as_deref() != Some(cmd.as_str())
    {
        if migrate_command.is_none() && live.is_none() {
            out.push(CheckResult::failed(
                name.clone(),
                format!(
                    "declares the pre-deploy command `{cmd}`, which Railway no longer reads (since 2026-12-01) and which is set nowhere else: the migrations would silently not run, so every deploy stops before any change. Set it in the service (Settings → Deploy → Pre-deploy Command) or give it as `migrate-command`"
                ),
            ));
        } else if migrate_command.is_none() {
            differences.push(format!(
                "pre-deploy command `{cmd}` (Railway runs `{}`; set it in Settings → Deploy → Pre-deploy Command, or as `migrate-command`)",
                live.as_deref().unwrap_or_default()
            ));
        }
    }
    let live_path = instance
        .healthcheck_path
        .as_deref()
        .filter(|p| !p.is_empty());
    if let Some(path) = &f.healthcheck_path
        && live_path != Some(path.as_str())
    {
        differences.push(format!(
            "healthcheck path `{path}` (Railway has {}; set it in Settings → Deploy → Healthcheck Path)",
            live_path.map_or("none".to_string(), |p| format!("`{p}`"))
        ));
    }
    if let Some(cmd) = &f.start_command {
        differences.push(format!(
            "start command `{cmd}` (not compared: make sure Settings → Deploy → Custom Start Command says the same)"
        ));
    }
    if !differences.is_empty() {
        out.push(CheckResult::warning(
            name,
            format!(
                "Railway no longer reads this file (since 2026-12-01); settings that now come only from the service: {}",
                differences.join("; ")
            ),
        ));
    }
    out
}

fn short(file: &str) -> String {
    Path::new(file)
        .file_name()
        .map(|n| format!("`{}`", n.to_string_lossy()))
        .unwrap_or_else(|| format!("`{file}`"))
}

/// Each service: its pre-deploy command, and the config file in its directory.
pub async fn check(cx: &CheckContext<'_>, req: &ConfigFileRequest) -> Vec<CheckResult> {
    let Ok(r) = cx.resolved().await else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for t in &r.services {
        let dir = service_dir(req, t.instance.root_directory.as_deref());
        let name = &t.service.name;
        match read(&dir) {
            Ok(file) => out.extend(judge(
                name,
                &t.instance,
                file.as_ref(),
                req.migrate_command.as_deref(),
            )),
            Err(msg) => out.push(CheckResult::failed(
                format!("service `{name}` railway.json"),
                format!("{msg}; fix or delete it (Railway no longer reads it)"),
            )),
        }
    }
    out
}

fn service_dir(req: &ConfigFileRequest, root: Option<&str>) -> PathBuf {
    match root.map(|r| r.trim_matches('/')).filter(|r| !r.is_empty()) {
        Some(root) if req.relative_to_root_directory => req.dir.join(root),
        _ => req.dir.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_yield_the_three_settings() {
        let j = parse_json(
            r#"{"deploy": {"preDeployCommand": ["npm run migrate"], "healthcheckPath": "/health", "startCommand": "node ."}}"#,
        )
        .unwrap();
        let t = parse_toml(
            "[build]\nbuilder = \"NIXPACKS\"\n\n[deploy]\npreDeployCommand = [\"npm run migrate\"]\nhealthcheckPath = \"/health\" # probe\nstartCommand = 'node .'\n",
        );
        for s in [j, t] {
            assert_eq!(s.pre_deploy_command.as_deref(), Some("npm run migrate"));
            assert_eq!(s.healthcheck_path.as_deref(), Some("/health"));
            assert_eq!(s.start_command.as_deref(), Some("node ."));
        }
        assert_eq!(
            parse_toml("[build]\nstartCommand = \"x\"\n"),
            FileSettings::default()
        );
    }
}
