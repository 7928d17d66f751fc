//! The Railway checks of a setup: the token (kind and environment), the project, environment and
//! services (the deploy's own resolution), each service's source, domain and healthcheck path,
//! Railway's own autodeploy and "Wait for CI", and the account token previews and promote need.

use crate::config::{CommandKind, Source};
use crate::deploy::autodeploy::{Autodeploy, judge};
use crate::health::check::Probe;
use crate::railway::RailwayError;
use crate::railway::api::{self, DeploymentTrigger};
use crate::railway::auth::RailwayToken;
use crate::railway::resolve::{ResolveError, find_environment};
use crate::record::{CheckResult, CheckVerdict};

use super::plan::{AccountTokenRequest, AutodeployRequest, ServiceRequest, TokenRequest};
use super::{CheckContext, ProjectTokenRead};

/// A resolution error in the user's terms: the deploy's own message for what the user named, a
/// refusal said as what it means for the token.
pub fn resolve_finding(e: &ResolveError) -> String {
    match e {
        ResolveError::Input(msg) => msg.clone(),
        ResolveError::Railway(e) => refused_token(e),
    }
}

pub fn refused_token(e: &RailwayError) -> String {
    if e.is_input_problem() {
        "Railway does not accept this token (wrong, revoked or expired, or an account token given as `railway-token`): create a project token in Project Settings → Tokens and give it as `railway-token`, or an account or workspace token as `railway-api-token`".into()
    } else {
        format!("Railway could not be read: {e}")
    }
}

/// The token's kind; a project token's project and environment against the selected ones.
pub async fn token(cx: &CheckContext<'_>, req: &TokenRequest) -> Vec<CheckResult> {
    vec![judge_token(
        cx.project_token().await,
        req.project.as_deref(),
        cx.environment,
    )]
}

/// What the token read means (pure): `read` is `None` for an account token.
pub fn judge_token(read: &ProjectTokenRead, project: Option<&str>, env: &str) -> CheckResult {
    const NAME: &str = "railway token";
    let (info, read) = match read {
        None => {
            return match project {
                Some(p) => CheckResult::ok(
                    NAME,
                    format!(
                        "an account or workspace token (`railway-api-token`), for project `{p}`"
                    ),
                ),
                None => CheckResult::failed(
                    NAME,
                    "an account or workspace token needs input `project` (the project id: Project Settings → General); set it, or use a project token (`railway-token`)",
                ),
            };
        }
        Some(Err(e)) => return CheckResult::failed(NAME, refused_token(e)),
        Some(Ok(r)) => r,
    };
    let project_read = &read.project;
    let token_env = project_read
        .environments
        .iter()
        .find(|e| e.id == info.environment_id)
        .map(|e| e.name.clone())
        .unwrap_or_else(|| info.environment_id.clone());
    if let Some(p) = project.filter(|p| *p != info.project_id) {
        return CheckResult::failed(
            NAME,
            format!(
                "input `project` is `{p}`, but this project token belongs to project `{}` ({}); remove `project` or use a token of that project",
                project_read.name, info.project_id
            ),
        );
    }
    match find_environment(project_read, env).ok() {
        Some(e) if e.id != info.environment_id => CheckResult::failed(
            NAME,
            format!(
                "this project token is for environment `{token_env}`, but the trigger selects `{}`: project tokens work in one environment. Give this workflow that environment's token (e.g. a `RAILWAY_TOKEN` secret per GitHub environment), or an account token as `railway-api-token`",
                e.name
            ),
        ),
        Some(_) => CheckResult::ok(
            NAME,
            format!(
                "a project token of `{}` for environment `{token_env}`, the one the trigger selects",
                project_read.name
            ),
        ),
        // An unknown environment is reported by the scope check.
        None => CheckResult::ok(
            NAME,
            format!(
                "a project token of `{}` for environment `{token_env}`",
                project_read.name
            ),
        ),
    }
}

/// The project, the environment and every service (the deploy's resolution).
pub async fn scope(cx: &CheckContext<'_>) -> Vec<CheckResult> {
    match cx.resolved().await {
        Ok(r) => {
            let p = &r.scope.project;
            vec![
                CheckResult::ok("project", format!("`{}` ({})", p.name, p.id)),
                CheckResult::ok(
                    "environment",
                    format!(
                        "`{}` ({}), selected by {}",
                        r.scope.environment.name,
                        r.scope.environment.id,
                        selected_by(cx)
                    ),
                ),
            ]
        }
        Err(msg) => {
            // A token the token check already failed (refused, or of another project or
            // environment) is said once, there.
            let token = judge_token(
                cx.project_token().await,
                cx.reads.project.as_deref(),
                cx.environment,
            );
            if token.result == CheckVerdict::Failed {
                return Vec::new();
            }
            vec![CheckResult::failed(
                "project, environment and services",
                msg,
            )]
        }
    }
}

fn selected_by(cx: &CheckContext<'_>) -> String {
    cx.reads.selected_by.clone()
}

/// One service: its source against `source`, its public domain and healthcheck path against
/// the health check (the deploy's own probe settings).
pub async fn service(cx: &CheckContext<'_>, req: &ServiceRequest) -> Vec<CheckResult> {
    let Ok(r) = cx.resolved().await else {
        return Vec::new();
    };
    let Some(target) = r
        .services
        .iter()
        .find(|s| s.service.id == req.name || s.service.name.eq_ignore_ascii_case(&req.name))
    else {
        return Vec::new();
    };
    let name = format!("service `{}`", target.service.name);
    let source = target.instance.source.clone().unwrap_or_default();
    let mut out = vec![source_result(&name, req, &source)];
    let probe = cx.reads.probe(&target.service.id);
    out.push(match probe {
        Err(msg) => CheckResult::failed(format!("{name} health check"), msg),
        Ok([Probe::Skip(reason)]) => CheckResult::warning(
            format!("{name} health check"),
            format!(
                "{reason}. Without a probe nothing tells a broken release from a healthy one, and nothing is rolled back"
            ),
        ),
        Ok(_) => health_result(&name, cx, target),
    });
    out
}

fn source_result(name: &str, req: &ServiceRequest, source: &api::InstanceSource) -> CheckResult {
    let title = format!("{name} source");
    let repo = source.repo.as_deref();
    match (&req.source, repo) {
        (Source::Commit | Source::Railway, None) => CheckResult::failed(
            title,
            format!(
                "`source: {}` builds from the service's GitHub repository, and {name} has none connected in Railway; connect the repository (service Settings → Source) or use `source: upload`",
                req.source.as_str()
            ),
        ),
        (Source::Commit | Source::Railway, Some(repo)) => match &req.repository {
            Some(this) if !this.eq_ignore_ascii_case(repo) => CheckResult::warning(
                title,
                format!(
                    "Railway builds `{repo}`, but this workflow runs in `{this}`: the commit deployed must exist in `{repo}`; connect `{this}` in Railway (service Settings → Source) or use `source: upload`"
                ),
            ),
            _ => CheckResult::ok(
                title,
                format!(
                    "GitHub repository `{repo}` (`source: {}`)",
                    req.source.as_str()
                ),
            ),
        },
        (Source::Image { reference }, _) => CheckResult::ok(
            title,
            format!(
                "deploys image `{reference}` (the service's source today: {})",
                describe(source)
            ),
        ),
        (Source::Upload { path }, _) => CheckResult::ok(
            title,
            format!(
                "uploads `{}` (the service's source in Railway: {})",
                path.display(),
                describe(source)
            ),
        ),
    }
}

fn describe(source: &api::InstanceSource) -> String {
    match (&source.repo, &source.image) {
        (Some(r), _) => format!("repository `{r}`"),
        (None, Some(i)) => format!("image `{i}`"),
        (None, None) => "none".into(),
    }
}

/// The URL probed after the deploy, and the healthcheck path Railway itself waits on.
fn health_result(
    name: &str,
    cx: &CheckContext<'_>,
    target: &crate::stages::ServiceTarget,
) -> CheckResult {
    let title = format!("{name} health check");
    let railway_path = target
        .instance
        .healthcheck_path
        .as_deref()
        .filter(|p| !p.trim().is_empty());
    let probed = match (&cx.reads.health_url, target.public_url()) {
        (Some(url), _) => format!("probes `health-url` {url}"),
        (None, Some(base)) => {
            let path = cx
                .reads
                .health_path
                .as_deref()
                .or(railway_path)
                .unwrap_or("/");
            format!("probes {}{path}", base.trim_end_matches('/'))
        }
        (None, None) => String::from("probes nothing"),
    };
    match railway_path {
        Some(p) => CheckResult::ok(
            title,
            format!("{probed}; Railway's healthcheck path is `{p}`"),
        ),
        None => CheckResult::warning(
            title,
            format!(
                "{probed}; no healthcheck path is set in Railway, so Railway sends traffic to a new deployment before it answers: set one in the service (Settings → Deploy → Healthcheck Path)"
            ),
        ),
    }
}

/// Railway's own autodeploy of the branch: a double deploy with another source; with
/// `source: railway`, "Wait for CI" (waits for this job) or no autodeploy (nothing to follow).
pub async fn autodeploy(cx: &CheckContext<'_>, req: &AutodeployRequest) -> Vec<CheckResult> {
    let Ok(r) = cx.resolved().await else {
        return Vec::new();
    };
    let scope = &r.scope;
    let env = &scope.environment.name;
    let railway = req.source == Source::Railway;
    let all = match api::deployment_triggers(cx.railway, &scope.project.id, &scope.environment.id)
        .await
    {
        Ok(all) => all,
        Err(e) if railway && e.is_refusal() => {
            return vec![CheckResult::failed(
                "autodeploy",
                format!(
                    "this token may not read the deployment triggers of `{env}`: `source: railway` follows Railway's autodeploy and needs them; use an account token (`railway-api-token`) or another `source`"
                ),
            )];
        }
        Err(e) => {
            let result = if railway {
                CheckResult::failed
            } else {
                CheckResult::warning
            };
            return vec![result(
                "autodeploy",
                format!(
                    "the deployment triggers of `{env}` could not be read ({e}); whether Railway deploys each push a second time is unknown"
                ),
            )];
        }
    };
    let on = req.branch.as_deref().unwrap_or("(not a branch)");
    r.services
        .iter()
        .map(|t| {
            let name = format!("service `{}` autodeploy", t.service.name);
            let triggers: Vec<DeploymentTrigger> = all
                .iter()
                .filter(|tr| tr.service_id == t.service.id)
                .cloned()
                .collect();
            let branches = branches(&triggers);
            match judge(&req.source, req.branch.as_deref(), &triggers) {
                Autodeploy::Fine if railway => CheckResult::ok(
                    name,
                    format!("Railway autodeploys branch `{on}` without \"Wait for CI\"; `source: railway` follows it"),
                ),
                Autodeploy::Fine => CheckResult::ok(
                    name,
                    format!("Railway does not autodeploy branch `{on}` in `{env}` (autodeployed branches: {branches}): no double deploy"),
                ),
                Autodeploy::Twice => CheckResult::warning(
                    name,
                    format!(
                        "Railway's own autodeploy is on for branch `{on}` in `{env}`, so every push is deployed twice (by Railway and by this action). Turn it off (service Settings → Source → disconnect the branch), or set `source: railway` to follow Railway's deploy"
                    ),
                ),
                Autodeploy::WaitsForCi => CheckResult::failed(
                    name,
                    format!(
                        "`source: railway` with \"Wait for CI\" on for branch `{on}` in `{env}`: Railway waits for this job's checks while this job waits for Railway. Turn \"Wait for CI\" off (service Settings → Source); this action's gate (`wait-for-checks`) replaces it"
                    ),
                ),
                Autodeploy::Off => CheckResult::failed(
                    name,
                    format!(
                        "`source: railway`, but Railway does not autodeploy branch `{on}` in `{env}` (autodeployed branches: {branches}), so there is no deployment to follow. Connect the branch (service Settings → Source), or use `source: commit`"
                    ),
                ),
            }
        })
        .collect()
}

fn branches(triggers: &[DeploymentTrigger]) -> String {
    let names: Vec<String> = triggers
        .iter()
        .filter_map(|t| t.branch.as_ref())
        .map(|b| format!("`{b}`"))
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// Previews and promote: an account or workspace token, and the environment they copy from.
pub async fn account_token(cx: &CheckContext<'_>, req: &AccountTokenRequest) -> Vec<CheckResult> {
    let (what, input) = match req.command {
        CommandKind::Promote => ("`command: promote`", "from-environment"),
        _ => ("`command: preview`", "preview-from"),
    };
    let name = format!("{} token", req.command.as_str());
    if let RailwayToken::Project(_) = cx.railway.token() {
        return vec![CheckResult::failed(
            name,
            format!(
                "{what} needs an account or workspace token (`railway-api-token`): a project token works in one environment and cannot {}; create one in Account Settings → Tokens (or a workspace token) and give it as `railway-api-token` instead of `railway-token`",
                if req.command == CommandKind::Promote {
                    "read the one promoted from"
                } else {
                    "create environments"
                }
            ),
        )];
    }
    let Ok(r) = cx.resolved().await else {
        return Vec::new();
    };
    match find_environment(&r.scope.project, &req.from) {
        Ok(e) => vec![CheckResult::ok(
            name,
            format!("an account or workspace token; `{input}` is `{}`", e.name),
        )],
        Err(msg) => vec![CheckResult::failed(name, format!("input `{input}`: {msg}"))],
    }
}
