//! Owns what `command: preview` and `command: preview-cleanup` ask of the inputs and the trigger,
//! before any request: the environment a preview run works on (the contract's "Which
//! environment" row for previews), pull requests from forks skipped, and the account token both
//! commands need (a project token cannot create or delete environments).

use super::inputs::RawInputs;
use super::{CommandKind, InputError, PreviewConfig, invalid, parse};
use crate::config::token::RailwayToken;
use crate::context::{Event, Selection, Trigger};
use crate::secret::Secret;

/// A preview run that gets no secrets is skipped (`status: skipped`, exit 0) with a notice: a pull
/// request from a fork (its head repository is another one), and a pull request whose run got no
/// Railway token at all (Dependabot's runs get no Actions secrets, so `${{ secrets.… }}` is empty).
pub(super) fn fork_skip(
    command: Option<CommandKind>,
    event: &Event,
    has_token: bool,
) -> Option<Selection> {
    let pr = event.pull_request.as_ref()?;
    if command != Some(CommandKind::Preview) {
        return None;
    }
    let reason = if pr.from_fork {
        format!(
            "pull request #{} comes from a fork: its runs get no secrets, so no preview is made (see the README's \"Previews\" on why not `pull_request_target`)",
            pr.number
        )
    } else if !has_token {
        format!(
            "pull request #{}'s run got no Railway token (Dependabot's runs, and others GitHub gives no secrets, get none), so no preview is made; to preview Dependabot's pull requests, add the token as a Dependabot secret too (Settings → Secrets and variables → Dependabot)",
            pr.number
        )
    } else {
        return None;
    };
    Some(Selection::Skip { reason })
}

/// The environment of a preview command: `preview-name` for the pull request (`command:
/// preview`), the template itself (`preview-cleanup`, which reads every environment).
pub(super) fn selection(
    command: CommandKind,
    trigger: &Trigger,
    event: &Event,
    environment: Option<&str>,
    preview: &PreviewConfig,
) -> Result<Selection, InputError> {
    if environment.is_some() {
        return Err(invalid(
            "environment",
            format!(
                "not used with `command: {}`: previews are named by `preview-name` (`{}`); remove `environment`",
                command.as_str(),
                preview.name_template
            ),
        ));
    }
    if command == CommandKind::PreviewCleanup {
        return Ok(Selection::Deploy {
            environment: preview.name_template.clone(),
            version: None,
            reason: "`command: preview-cleanup`".into(),
        });
    }
    let number = match trigger {
        Trigger::PullRequest { number } if *number > 0 => *number,
        other => {
            return Err(invalid(
                "command",
                format!(
                    "`preview` runs on `pull_request` events, and this run is a {}; run it from `on: pull_request` (see the README's \"Previews\")",
                    other.describe()
                ),
            ));
        }
    };
    let name = preview.name_for(number);
    let reason = if event.action.as_deref() == Some("closed") {
        format!("pull request #{number} was closed: its preview is deleted")
    } else {
        format!("the preview of pull request #{number}")
    };
    Ok(Selection::Deploy {
        environment: name,
        version: None,
        reason,
    })
}

/// `service`: required, except by `preview-cleanup`, which deletes whole environments.
pub(super) fn services(
    inputs: &parse::Inputs,
    command: Option<CommandKind>,
) -> Result<Vec<String>, InputError> {
    match command {
        Some(CommandKind::PreviewCleanup) if inputs.get("service").is_none() => Ok(Vec::new()),
        _ => parse::services(inputs),
    }
}

/// The Railway token. Previews need an account token; a fork's skipped run has none (its runs
/// get no secrets), so it gets an empty one that nothing uses: the pipeline stops at the skip.
pub(super) fn token(
    raw: &RawInputs,
    command: Option<CommandKind>,
    skipped: bool,
) -> Result<RailwayToken, InputError> {
    if skipped {
        return Ok(parse::token(raw).unwrap_or(RailwayToken::Account(Secret::new(""))));
    }
    let token = parse::token(raw)?;
    match (command, &token) {
        (Some(c), RailwayToken::Project(_)) if c.is_preview() => Err(invalid(
            "railway-token",
            format!(
                "a project token cannot create or delete environments, which `command: {}` does; pass an account or workspace token as `railway-api-token` (with `project`), e.g. `railway-api-token: ${{{{ secrets.RAILWAY_API_TOKEN }}}}`",
                c.as_str()
            ),
        )),
        _ => Ok(token),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::event::PullRequestInfo;

    fn preview() -> PreviewConfig {
        PreviewConfig {
            from: None,
            name_template: "pr-{number}".into(),
        }
    }

    fn pr_event(action: &str, fork: bool) -> Event {
        Event {
            action: Some(action.into()),
            pull_request: Some(PullRequestInfo {
                number: 7,
                from_fork: fork,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_pull_request_selects_its_preview() {
        let t = Trigger::PullRequest { number: 7 };
        let opened = selection(
            CommandKind::Preview,
            &t,
            &pr_event("opened", false),
            None,
            &preview(),
        );
        assert!(
            matches!(opened, Ok(Selection::Deploy { ref environment, .. }) if environment == "pr-7")
        );
        let closed = selection(
            CommandKind::Preview,
            &t,
            &pr_event("closed", false),
            None,
            &preview(),
        );
        assert!(
            matches!(closed, Ok(Selection::Deploy { ref reason, .. }) if reason.contains("closed"))
        );
    }

    #[test]
    fn previews_refuse_other_triggers_and_the_environment_input() {
        let push = Trigger::BranchPush {
            branch: "main".into(),
        };
        let e = Event::default();
        let err = selection(CommandKind::Preview, &push, &e, None, &preview()).unwrap_err();
        assert!(err.0.contains("pull_request"), "{err}");
        let pr = Trigger::PullRequest { number: 7 };
        let err =
            selection(CommandKind::Preview, &pr, &e, Some("staging"), &preview()).unwrap_err();
        assert!(err.0.contains("input `environment`"), "{err}");
        let cleanup = selection(CommandKind::PreviewCleanup, &push, &e, None, &preview());
        assert!(cleanup.is_ok());
    }

    #[test]
    fn forks_are_skipped_only_for_previews() {
        let fork = pr_event("opened", true);
        assert!(matches!(
            fork_skip(Some(CommandKind::Preview), &fork, false),
            Some(Selection::Skip { .. })
        ));
        assert!(fork_skip(Some(CommandKind::Deploy), &fork, true).is_none());
        assert!(fork_skip(Some(CommandKind::Preview), &pr_event("opened", false), true).is_none());
    }

    #[test]
    fn a_pull_request_run_without_a_railway_token_is_skipped_like_a_fork() {
        let own = pr_event("opened", false);
        let Some(Selection::Skip { reason }) = fork_skip(Some(CommandKind::Preview), &own, false)
        else {
            panic!("not skipped");
        };
        assert!(reason.contains("no Railway token"), "{reason}");
        assert!(fork_skip(Some(CommandKind::Deploy), &own, false).is_none());
        assert!(fork_skip(Some(CommandKind::Preview), &Event::default(), false).is_none());
    }
}
