//! The `permissions:` the calling workflow declares (the file `GITHUB_WORKFLOW_REF` names, read
//! from the checkout) against what the enabled features need. The job's own `permissions:`
//! replace the workflow's; `read-all` / `write-all` grant every scope; a declared map grants
//! only what it lists (`{}`: nothing). None declared anywhere: the token gets the repository's
//! default, which only its settings say (a warning).

use std::collections::BTreeMap;
use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};

use crate::record::CheckResult;

use super::plan::{Access, Need, PermissionsRequest};

const NAME: &str = "workflow permissions";

/// What a `permissions:` value grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Granted {
    /// `read-all` or `write-all`: every scope at that level.
    All(Access),
    /// A map: the scopes listed (any other: none).
    Scopes(BTreeMap<String, Access>),
}

impl Granted {
    pub fn of(&self, scope: &str) -> Access {
        match self {
            Granted::All(a) => *a,
            Granted::Scopes(m) => m.get(scope).copied().unwrap_or(Access::None),
        }
    }
}

/// Where the permissions come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Declared {
    Job(Granted),
    Workflow(Granted),
    Nowhere,
}

/// The workflow file's path in the repository: `owner/repo/<path>@ref` → `<path>`.
pub fn workflow_path(workflow_ref: &str) -> Option<&str> {
    let without_ref = workflow_ref
        .rsplit_once('@')
        .map_or(workflow_ref, |(p, _)| p);
    let mut parts = without_ref.splitn(3, '/');
    let (_owner, _repo) = (parts.next()?, parts.next()?);
    parts.next().filter(|p| !p.is_empty())
}

fn granted(y: &Yaml) -> Result<Option<Granted>, String> {
    Ok(Some(match y {
        Yaml::BadValue | Yaml::Null => return Ok(None),
        Yaml::String(s) if s == "read-all" => Granted::All(Access::Read),
        Yaml::String(s) if s == "write-all" => Granted::All(Access::Write),
        Yaml::Hash(h) => {
            let mut scopes = BTreeMap::new();
            for (k, v) in h {
                let (Some(k), Some(v)) = (k.as_str(), v.as_str()) else {
                    return Err("a `permissions:` entry is not `scope: level`".into());
                };
                let access = match v {
                    "write" => Access::Write,
                    "read" => Access::Read,
                    "none" => Access::None,
                    other => return Err(format!("`{k}: {other}` is not read, write or none")),
                };
                scopes.insert(k.to_string(), access);
            }
            Granted::Scopes(scopes)
        }
        other => {
            return Err(format!(
                "`permissions: {other:?}` is not read-all, write-all or a map"
            ));
        }
    }))
}

/// The permissions that apply to job `job` of the workflow `text` (pure).
pub fn declared(text: &str, job: Option<&str>) -> Result<Declared, String> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let Some(doc) = docs.first() else {
        return Err("empty".into());
    };
    if let Some(job) = job
        && let Some(g) = granted(&doc["jobs"][job]["permissions"])?
    {
        return Ok(Declared::Job(g));
    }
    Ok(match granted(&doc["permissions"])? {
        Some(g) => Declared::Workflow(g),
        None => Declared::Nowhere,
    })
}

/// What the declared permissions mean for the needs (pure).
pub fn judge(file: &str, job: Option<&str>, declared: &Declared, needs: &[Need]) -> CheckResult {
    let wanted = needs
        .iter()
        .map(|n| format!("{}: {}", n.scope, n.access.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let (granted, where_) = match declared {
        Declared::Job(g) => (g, format!("job `{}` of `{file}`", job.unwrap_or_default())),
        Declared::Workflow(g) => (g, format!("`{file}`")),
        Declared::Nowhere => {
            return CheckResult::warning(
                NAME,
                format!(
                    "`{file}` declares no `permissions:`, so the token gets the repository's default (Settings → Actions → General → Workflow permissions; read-only in new repositories and organisations). Declare what this action needs in the job: `permissions: {{ contents: read, {wanted} }}`"
                ),
            );
        }
    };
    let missing: Vec<String> = needs
        .iter()
        .filter(|n| granted.of(n.scope) < n.access)
        .map(|n| {
            format!(
                "`{}: {}` for {} (granted: {})",
                n.scope,
                n.access.as_str(),
                n.why,
                granted.of(n.scope).as_str()
            )
        })
        .collect();
    if missing.is_empty() {
        let detail = if needs.is_empty() {
            format!("{where_}: no GitHub feature is on that needs a permission")
        } else {
            format!("{where_} grants what the enabled features need ({wanted})")
        };
        return CheckResult::ok(NAME, detail);
    }
    CheckResult::failed(
        NAME,
        format!(
            "{where_} lacks {}; add them under its `permissions:` (or turn the feature off)",
            missing.join(", ")
        ),
    )
}

pub fn check(req: &PermissionsRequest) -> Vec<CheckResult> {
    let Some(path) = workflow_path(&req.workflow_ref) else {
        return vec![CheckResult::warning(
            NAME,
            format!(
                "GITHUB_WORKFLOW_REF `{}` names no workflow file; permissions not checked",
                req.workflow_ref
            ),
        )];
    };
    let text = match std::fs::read_to_string(req.checkout.join(Path::new(path))) {
        Ok(t) => t,
        Err(e) => {
            return vec![CheckResult::warning(
                NAME,
                format!(
                    "`{path}` could not be read from the checkout ({e}); run `actions/checkout` before this step so its `permissions:` can be checked"
                ),
            )];
        }
    };
    match declared(&text, req.job.as_deref()) {
        Ok(d) => vec![judge(path, req.job.as_deref(), &d, &req.needs)],
        Err(e) => vec![CheckResult::warning(
            NAME,
            format!("`{path}` could not be read as a workflow: {e}"),
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::CheckVerdict;

    fn needs() -> Vec<Need> {
        vec![
            Need {
                scope: "deployments",
                access: Access::Write,
                why: "`github-deployment: true`",
            },
            Need {
                scope: "checks",
                access: Access::Read,
                why: "the gate",
            },
        ]
    }

    #[test]
    fn the_job_level_replaces_the_workflow_level() {
        let text = "permissions: write-all\njobs:\n  deploy:\n    permissions:\n      checks: read\n    runs-on: x\n  other:\n    runs-on: x\n";
        let d = declared(text, Some("deploy")).unwrap();
        let r = judge("w.yml", Some("deploy"), &d, &needs());
        assert_eq!(r.result, CheckVerdict::Failed, "{r:?}");
        assert!(r.detail.contains("`deployments: write`"), "{}", r.detail);
        let d = declared(text, Some("other")).unwrap();
        assert_eq!(d, Declared::Workflow(Granted::All(Access::Write)));
        assert_eq!(judge("w.yml", None, &d, &needs()).result, CheckVerdict::Ok);
    }

    #[test]
    fn read_all_empty_and_absent_permissions() {
        let read_all = declared("permissions: read-all\n", None).unwrap();
        let r = judge("w.yml", None, &read_all, &needs());
        assert_eq!(r.result, CheckVerdict::Failed);
        assert!(r.detail.contains("granted: read"), "{}", r.detail);
        let empty = declared("permissions: {}\njobs: {}\n", None).unwrap();
        assert_eq!(empty, Declared::Workflow(Granted::Scopes(BTreeMap::new())));
        let none = declared("on: push\njobs:\n  a:\n    runs-on: x\n", Some("a")).unwrap();
        let r = judge("w.yml", Some("a"), &none, &needs());
        assert_eq!(r.result, CheckVerdict::Warning);
        assert!(r.detail.contains("repository's default"), "{}", r.detail);
    }

    #[test]
    fn the_workflow_ref_names_the_file() {
        assert_eq!(
            workflow_path("acme/shop/.github/workflows/deploy.yml@refs/heads/main"),
            Some(".github/workflows/deploy.yml")
        );
        assert_eq!(workflow_path("acme/shop"), None);
    }
}
