//! The contract's "which environment" rule as a pure function: the trigger (event name, ref,
//! payload) and the inputs decide the environment and the release version, or that nothing is
//! deployed (a deleted branch or tag).

use semver::Version;

use super::event::Event;

/// What triggered the run, reduced to what matters for choosing an environment.
#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    BranchPush {
        branch: String,
    },
    TagPush {
        tag: String,
    },
    Release {
        tag: String,
    },
    /// A push that deletes a branch or a tag.
    Deletion {
        git_ref: String,
    },
    PullRequest {
        number: u64,
    },
    Dispatch,
    /// Another event, or no GitHub context at all (a local run: `None`).
    Other {
        event: Option<String>,
    },
}

impl Trigger {
    /// `event_name` is `GITHUB_EVENT_NAME`; `git_ref` is `GITHUB_REF` (or the payload's `ref`).
    pub fn from_context(event_name: Option<&str>, git_ref: Option<&str>, event: &Event) -> Trigger {
        let git_ref = git_ref.or(event.git_ref.as_deref()).unwrap_or_default();
        match event_name {
            Some("push") if event.deleted => Trigger::Deletion {
                git_ref: git_ref.to_string(),
            },
            Some("push") => {
                if let Some(tag) = git_ref.strip_prefix("refs/tags/") {
                    Trigger::TagPush {
                        tag: tag.to_string(),
                    }
                } else if let Some(branch) = git_ref.strip_prefix("refs/heads/") {
                    Trigger::BranchPush {
                        branch: branch.to_string(),
                    }
                } else {
                    Trigger::Other {
                        event: Some("push".into()),
                    }
                }
            }
            Some("release") => match event
                .release_tag
                .clone()
                .or_else(|| git_ref.strip_prefix("refs/tags/").map(str::to_string))
            {
                Some(tag) => Trigger::Release { tag },
                None => Trigger::Other {
                    event: Some("release".into()),
                },
            },
            Some("pull_request") | Some("pull_request_target") => Trigger::PullRequest {
                number: event
                    .pull_request
                    .as_ref()
                    .map(|p| p.number)
                    .unwrap_or_default(),
            },
            Some("workflow_dispatch") => Trigger::Dispatch,
            other => Trigger::Other {
                event: other.map(str::to_string),
            },
        }
    }

    /// The tag, for tag pushes and releases.
    pub fn tag(&self) -> Option<&str> {
        match self {
            Trigger::TagPush { tag } | Trigger::Release { tag } => Some(tag),
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Trigger::BranchPush { branch } => format!("push to branch `{branch}`"),
            Trigger::TagPush { tag } => format!("push of tag `{tag}`"),
            Trigger::Release { tag } => format!("release of tag `{tag}`"),
            Trigger::Deletion { git_ref } => format!("deletion of `{git_ref}`"),
            Trigger::PullRequest { number } => format!("pull request #{number}"),
            Trigger::Dispatch => "workflow_dispatch".to_string(),
            Trigger::Other { event: Some(e) } => format!("`{e}` event"),
            Trigger::Other { event: None } => "a run outside GitHub Actions".to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Selection {
    Deploy {
        /// Environment name or id, as given or as chosen.
        environment: String,
        version: Option<Version>,
        /// Why this environment, for the log.
        reason: String,
    },
    /// Nothing to deploy; `status: skipped`, exit 0.
    Skip { reason: String },
}

pub struct SelectionInputs<'a> {
    pub environment: Option<&'a str>,
    pub production: &'a str,
    pub staging: &'a str,
    pub tag_prefix: &'a str,
}

/// Parses a tag as semver after stripping the prefix; the error says what a valid tag looks like.
pub fn tag_version(tag: &str, prefix: &str) -> Result<Version, String> {
    let bare = tag.strip_prefix(prefix).unwrap_or(tag);
    Version::parse(bare).map_err(|e| {
        format!(
            "tag `{tag}` is not a semver version after the prefix `{prefix}` ({e}); tag releases like `{prefix}1.2.3` or `{prefix}1.3.0-rc.1`, or set `tag-prefix`"
        )
    })
}

/// The contract's table. Errors are input errors (exit 2).
pub fn select(trigger: &Trigger, inputs: &SelectionInputs) -> Result<Selection, String> {
    if let Trigger::Deletion { git_ref } = trigger {
        return Ok(Selection::Skip {
            reason: format!("the push deleted `{git_ref}`; nothing to deploy"),
        });
    }
    let version = match trigger.tag() {
        Some(tag) => Some(tag_version(tag, inputs.tag_prefix)?),
        None => None,
    };
    if let Some(env) = inputs.environment {
        return Ok(Selection::Deploy {
            environment: env.to_string(),
            version,
            reason: "`environment` input".to_string(),
        });
    }
    let (environment, reason) = match (trigger, &version) {
        (Trigger::TagPush { .. } | Trigger::Release { .. }, Some(v)) if v.pre.is_empty() => (
            inputs.production,
            format!("{} is a stable release", trigger.describe()),
        ),
        (Trigger::TagPush { .. } | Trigger::Release { .. }, Some(_)) => (
            inputs.staging,
            format!("{} is a pre-release", trigger.describe()),
        ),
        (Trigger::BranchPush { .. }, _) => (inputs.staging, trigger.describe()),
        _ => {
            return Err(format!(
                "`environment` is required for {}: only branch pushes, tags and releases choose one by themselves; set `environment` (a name or id)",
                trigger.describe()
            ));
        }
    };
    Ok(Selection::Deploy {
        environment: environment.to_string(),
        version,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(env: Option<&'static str>) -> SelectionInputs<'static> {
        SelectionInputs {
            environment: env,
            production: "production",
            staging: "staging",
            tag_prefix: "v",
        }
    }

    #[test]
    fn the_contract_table() {
        use Trigger::*;
        let branch = BranchPush {
            branch: "main".into(),
        };
        let tag = |t: &str| TagPush { tag: t.into() };
        let release = |t: &str| Release { tag: t.into() };
        // (trigger, environment input, expected environment or error, expected version)
        type Row = (
            Trigger,
            Option<&'static str>,
            Result<&'static str, ()>,
            Option<&'static str>,
        );
        let table: Vec<Row> = vec![
            (branch.clone(), None, Ok("staging"), None),
            (tag("v1.2.3"), None, Ok("production"), Some("1.2.3")),
            (tag("v1.3.0-rc.1"), None, Ok("staging"), Some("1.3.0-rc.1")),
            (
                tag("v1.2.3+build.5"),
                None,
                Ok("production"),
                Some("1.2.3+build.5"),
            ),
            (tag("1.2.3"), None, Ok("production"), Some("1.2.3")),
            (tag("v1.2"), None, Err(()), None),
            (tag("latest"), None, Err(()), None),
            (tag("latest"), Some("production"), Err(()), None),
            (release("v2.0.0"), None, Ok("production"), Some("2.0.0")),
            (
                release("v2.0.0-beta.2"),
                None,
                Ok("staging"),
                Some("2.0.0-beta.2"),
            ),
            (PullRequest { number: 3 }, None, Err(()), None),
            (
                PullRequest { number: 3 },
                Some("pr-env"),
                Ok("pr-env"),
                None,
            ),
            (Dispatch, None, Err(()), None),
            (Dispatch, Some("production"), Ok("production"), None),
            (Other { event: None }, None, Err(()), None),
            (branch, Some("qa"), Ok("qa"), None),
            (tag("v3.0.0"), Some("qa"), Ok("qa"), Some("3.0.0")),
        ];
        for (trigger, env, want_env, want_version) in table {
            let got = select(&trigger, &inputs(env));
            match (got, want_env) {
                (
                    Ok(Selection::Deploy {
                        environment,
                        version,
                        ..
                    }),
                    Ok(want),
                ) => {
                    assert_eq!(environment, want, "{trigger:?}");
                    assert_eq!(
                        version.map(|v| v.to_string()).as_deref(),
                        want_version,
                        "{trigger:?}"
                    );
                }
                (Err(_), Err(())) => {}
                (got, want) => panic!("{trigger:?} with {env:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn deletions_skip() {
        let t = Trigger::Deletion {
            git_ref: "refs/tags/v1.0.0".into(),
        };
        assert!(matches!(
            select(&t, &inputs(None)),
            Ok(Selection::Skip { .. })
        ));
    }

    #[test]
    fn triggers_from_context() {
        let e = Event::default();
        assert_eq!(
            Trigger::from_context(Some("push"), Some("refs/heads/main"), &e),
            Trigger::BranchPush {
                branch: "main".into()
            }
        );
        assert_eq!(
            Trigger::from_context(Some("push"), Some("refs/tags/v1.0.0"), &e),
            Trigger::TagPush {
                tag: "v1.0.0".into()
            }
        );
        let rel = Event {
            release_tag: Some("v9.0.0".into()),
            ..Default::default()
        };
        assert_eq!(
            Trigger::from_context(Some("release"), Some("refs/tags/v9.0.0"), &rel),
            Trigger::Release {
                tag: "v9.0.0".into()
            }
        );
        let del = Event {
            deleted: true,
            ..Default::default()
        };
        assert!(matches!(
            Trigger::from_context(Some("push"), Some("refs/heads/x"), &del),
            Trigger::Deletion { .. }
        ));
        assert_eq!(
            Trigger::from_context(None, None, &e),
            Trigger::Other { event: None }
        );
    }
}
