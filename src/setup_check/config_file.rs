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

/// The deploy settings a config file declares: the migration-safety reader's (`crate::migrate::cliff`).
pub use crate::migrate::cliff::Declared as FileSettings;

/// The config file in `dir`, `railway.json` before `railway.toml`; `Err` when one is there but
/// cannot be read as its format (and no other one is).
pub fn read(dir: &Path) -> Result<Option<FileSettings>, String> {
    let (found, problems) = crate::migrate::cliff::read_dir(dir);
    match (found.into_iter().next(), problems.into_iter().next()) {
        (Some(file), _) => Ok(Some(file)),
        (None, Some(problem)) => Err(problem),
        (None, None) => Ok(None),
    }
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
        let j = crate::migrate::cliff::from_json(
            "",
            r#"{"deploy": {"preDeployCommand": ["npm run migrate"], "healthcheckPath": "/health", "startCommand": "node ."}}"#,
        )
        .unwrap();
        let t = crate::migrate::cliff::from_toml(
            "",
            "[build]\nbuilder = \"NIXPACKS\"\n\n[deploy]\npreDeployCommand = [\"npm run migrate\"]\nhealthcheckPath = \"/health\" # probe\nstartCommand = 'node .'\n",
        );
        for s in [j, t] {
            assert_eq!(s.pre_deploy_command.as_deref(), Some("npm run migrate"));
            assert_eq!(s.healthcheck_path.as_deref(), Some("/health"));
            assert_eq!(s.start_command.as_deref(), Some("node ."));
        }
        assert_eq!(
            crate::migrate::cliff::from_toml("", "[build]\nstartCommand = \"x\"\n"),
            FileSettings::default()
        );
    }
}
