//! Resolution's order checks (reads only, before any change): for each service, the commit it
//! serves and GitHub's comparison of that commit with the one this run deploys: one compare per
//! distinct served commit (usually one per run), read once and used by the history check
//! (`crate::stages::history`), by `only-changed` (`crate::stages::changed`, from the same
//! comparison's files) and, with `migrate-command`, by the migration files read before any
//! change (`super::migration_safety`, handed [`Ordered::compared`]; it lists them from both
//! commits' trees instead when the comparison may be cut short or the checkout holds another
//! commit). What they decide is handed
//! to the plan as the services it holds back. GitHub unreadable (no token, an outage): a
//! warning, and every service proceeds.

use crate::config::{CommandKind, Config, Source};
use crate::github::GitHub;
use crate::github::compare::{Comparison, LastDeployment, MAX_COMPARE_FILES};
use crate::railway::resolve::Scope;
use crate::stages::ServiceTarget;
use crate::stages::changed::{self, Changed, Watch};
use crate::stages::history::{self, Held, ServedFrom, Verdict};
use crate::stages::promote::Promotion;
use crate::text::short_sha;
use crate::workflow;

/// One service's commits, as the checks read them.
#[derive(Clone, Debug)]
struct Commits {
    target: ServiceTarget,
    /// The commit this run deploys to it (`None`: an image, or no commit known).
    new: Option<String>,
}

/// The commit this run deploys to `target`: its promotion's, else the run's (`source: image`
/// deploys no commit).
pub(super) fn new_commit(
    cfg: &Config,
    target: &ServiceTarget,
    promotions: &[Promotion],
) -> Option<String> {
    match promotions
        .iter()
        .find(|p| p.service_id == target.service.id)
    {
        Some(p) => p.commit_sha.clone(),
        None if matches!(cfg.source, Source::Image { .. }) => None,
        None => cfg.sha.clone(),
    }
}

/// The comparisons read so far, by (served, new): one request (or one per page of files) each.
#[derive(Default)]
struct Compared(Vec<(String, String, Option<Comparison>)>);

impl Compared {
    /// GitHub's comparison of `served` with `new` (`Ok(None)`: a commit GitHub does not know).
    async fn get(
        &mut self,
        gh: &GitHub,
        cfg: &Config,
        served: &str,
        new: &str,
    ) -> Result<Option<Comparison>, String> {
        if let Some((_, _, found)) = self.0.iter().find(|(b, h, _)| b == served && h == new) {
            return Ok(found.clone());
        }
        // The files come in the same one request: asked for when `only-changed` or the
        // migration files of `migrate-command` need them.
        let with_files = cfg.only_changed || reads_migration_files(cfg);
        let found = gh
            .compare(served, new, with_files)
            .await
            .map_err(|e| e.to_string())?;
        if cfg.only_changed && found.as_ref().is_some_and(|c| c.cut_short) {
            workflow::notice(format!(
                "`only-changed`: GitHub lists at most {MAX_COMPARE_FILES} changed files and the comparison of {} with {} reached that limit, so the list may be cut short: every service serving {} is deployed",
                short_sha(served),
                short_sha(new),
                short_sha(served)
            ));
        }
        self.0.push((served.into(), new.into(), found.clone()));
        Ok(found)
    }
}

/// Whether the run reads, before any change, the migration files changed since the served
/// commit (`migrate-command`, a source with a commit).
fn reads_migration_files(cfg: &Config) -> bool {
    cfg.migrate_command.is_some() && !matches!(cfg.source, Source::Image { .. })
}

/// What the order checks decided and read.
#[derive(Clone, Debug, Default)]
pub struct Ordered {
    /// The services held back, with the reason (noticed here).
    pub held: Vec<Held>,
    /// Each compared service's range: the commit it serves, the one this run deploys to it,
    /// and GitHub's comparison of the two (with the files when they were asked for).
    pub compared: Vec<crate::migrate::lint::read::Range>,
}

/// Runs the order checks.
pub async fn check(
    gh: Option<&GitHub>,
    cfg: &Config,
    scope: &Scope,
    services: &[ServiceTarget],
    promotions: &[Promotion],
) -> Ordered {
    let mut ordered = Ordered::default();
    if !matches!(cfg.command, CommandKind::Deploy | CommandKind::Promote) {
        return ordered;
    }
    let commits: Vec<Commits> = services
        .iter()
        .map(|t| Commits {
            target: t.clone(),
            new: new_commit(cfg, t, promotions),
        })
        .collect();
    if commits.iter().all(|c| c.new.is_none()) && !cfg.only_changed {
        return ordered;
    }
    let Some(gh) = gh else {
        workflow::warning(
            "no GitHub token: the served commit cannot be compared with this one, so a deploy of an older commit would not be noticed (and `only-changed` deploys every service). Pass `github-token`",
        );
        return ordered;
    };
    let environment = scope.environment.name.as_str();
    let fallback = github_served(gh, environment, &commits).await;
    let mut compared = Compared::default();
    for c in &commits {
        let comparison = match (c.new.as_deref(), &c.target.serving) {
            // Nothing serves, or no commit is deployed: nothing to compare.
            (None, _) | (_, None) => None,
            (Some(new), Some(serving)) => {
                let railway = serving.meta_str("commitHash");
                let last = fallback.as_ref().map(|l| l.sha.as_str());
                match history::served_commit(railway, last) {
                    None => None,
                    Some((served, from)) => match compared.get(gh, cfg, served, new).await {
                        Ok(found) => Some(Served {
                            served: served.to_string(),
                            from,
                            by_run: fallback.as_ref().and_then(|l| l.run_url.clone()),
                            new: new.to_string(),
                            found,
                        }),
                        Err(e) => {
                            workflow::warning(format!(
                                "could not compare commit {served} with {new} on GitHub ({e}); deploying without the order checks"
                            ));
                            None
                        }
                    },
                }
            }
        };
        if let Some(h) = judge_service(cfg, environment, &c.target, comparison.as_ref()) {
            workflow::notice(&h.reason);
            ordered.held.push(h);
        }
        if let Some(s) = comparison {
            ordered.compared.push(crate::migrate::lint::read::Range {
                service: c.target.service.name.clone(),
                base: Some(s.served),
                head: Some(s.new),
                known: s.found,
            });
        }
    }
    ordered
}

/// A service's served commit and its comparison with the new one.
struct Served {
    served: String,
    from: ServedFrom,
    /// The run behind the last successful GitHub Deployment, when its status links one.
    by_run: Option<String>,
    new: String,
    /// `None`: GitHub does not know one of the commits.
    found: Option<Comparison>,
}

/// The history check, then `only-changed`, for one service: `Some` holds it back.
fn judge_service(
    cfg: &Config,
    environment: &str,
    target: &ServiceTarget,
    served: Option<&Served>,
) -> Option<Held> {
    let name = target.service.name.as_str();
    let held = |reason: String| Held {
        service_id: target.service.id.clone(),
        service_name: name.to_string(),
        reason,
    };
    if let Some(s) = served {
        let status = s.found.as_ref().map(|c| &c.status);
        match history::judge(status, cfg.allow_downgrade) {
            Verdict::Proceed => {}
            Verdict::DowngradeAllowed => {
                workflow::notice(history::downgrade_notice(
                    name,
                    environment,
                    &s.new,
                    &s.served,
                ));
            }
            Verdict::Skip => {
                return Some(held(history::skip_reason(
                    name,
                    environment,
                    &s.new,
                    &s.served,
                    s.from,
                    s.by_run.as_deref(),
                )));
            }
        }
    }
    if !cfg.only_changed {
        return None;
    }
    let files = served.and_then(|s| s.found.as_ref()?.files.as_deref());
    let watch = Watch {
        patterns: target.instance.watch_patterns.clone(),
        root_directory: target.instance.root_directory.clone(),
    };
    match changed::decide(&watch, files) {
        Changed::Yes(why) => {
            workflow::info(format!("`only-changed`: deploying `{name}`: {why}"));
            None
        }
        Changed::No(why) => {
            let since = served.map(|s| short_sha(&s.served)).unwrap_or_default();
            Some(held(format!(
                "`only-changed`: nothing of `{name}` changed since commit {since} it serves in `{environment}` ({why})"
            )))
        }
    }
}

/// The commit of the environment's last successful GitHub Deployment, read only when a service's
/// serving deployment carries no commit in Railway (uploads); `None` when unknown or unreadable.
async fn github_served(
    gh: &GitHub,
    environment: &str,
    commits: &[Commits],
) -> Option<LastDeployment> {
    let needed = commits.iter().any(|c| {
        c.target
            .serving
            .as_ref()
            .is_some_and(|d| d.meta_str("commitHash").is_none_or(str::is_empty))
    });
    if !needed {
        return None;
    }
    match gh.last_successful_commit(environment).await {
        Ok(found) => found,
        Err(e) => {
            workflow::warning(format!(
                "could not read the last GitHub Deployment of `{environment}` ({e}); a service whose deployment carries no commit in Railway is deployed without the check against older commits"
            ));
            None
        }
    }
}
