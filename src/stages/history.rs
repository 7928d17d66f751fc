//! Owns the decision never to move a service back in history by accident: the commit a service
//! serves (its serving deployment's commit in Railway, else the commit of the environment's last
//! successful GitHub Deployment) is compared with the one this run deploys, and GitHub saying
//! `behind` skips that service unless `allow-downgrade`. `ahead`, `identical` (a re-run
//! redeploys), `diverged` (a force-push, a revert branch) and a commit GitHub does not know
//! proceed. Pure: the reads are the pipeline's (`crate::pipeline::order`).

use crate::github::compare::CompareStatus;
use crate::text::short_sha;

/// A service the order checks hold back: it gets no step and is reported `skipped`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    pub service_id: String,
    pub service_name: String,
    /// Why, in a sentence (the notice, and the reason in the summary and the comment).
    pub reason: String,
}

/// Where the served commit came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServedFrom {
    /// The serving deployment's `meta.commitHash` in Railway.
    Railway,
    /// The environment's last successful GitHub Deployment (uploads carry no commit in Railway).
    GitHubDeployment,
}

/// What the comparison of the served commit with the new one says for the deploy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Newer, the same, diverged, unknown to GitHub, or nothing served: deploy.
    Proceed,
    /// Older, and `allow-downgrade: true`: deploy, with a notice.
    DowngradeAllowed,
    /// Older: not deployed.
    Skip,
}

/// The pure decision table. `status` is `None` when GitHub does not know one of the commits.
pub fn judge(status: Option<&CompareStatus>, allow_downgrade: bool) -> Verdict {
    match status {
        Some(CompareStatus::Behind) if allow_downgrade => Verdict::DowngradeAllowed,
        Some(CompareStatus::Behind) => Verdict::Skip,
        Some(CompareStatus::Ahead)
        | Some(CompareStatus::Identical)
        | Some(CompareStatus::Diverged)
        | Some(CompareStatus::Other(_))
        | None => Verdict::Proceed,
    }
}

/// The served commit of a service whose serving deployment says `railway_commit` (its
/// `meta.commitHash`), falling back on the environment's last successful GitHub Deployment.
pub fn served_commit<'a>(
    railway_commit: Option<&'a str>,
    github_deployment: Option<&'a str>,
) -> Option<(&'a str, ServedFrom)> {
    match (railway_commit.filter(|s| !s.is_empty()), github_deployment) {
        (Some(sha), _) => Some((sha, ServedFrom::Railway)),
        (None, Some(sha)) => Some((sha, ServedFrom::GitHubDeployment)),
        (None, None) => None,
    }
}

/// Why a service is skipped (the notice, and the reason in the summary and the comment).
/// `by_run`: the workflow run that deployed the served commit, when known.
pub fn skip_reason(
    service: &str,
    environment: &str,
    new: &str,
    served: &str,
    from: ServedFrom,
    by_run: Option<&str>,
) -> String {
    let whence = match (from, by_run) {
        (ServedFrom::Railway, _) => "its serving deployment in Railway".to_string(),
        (ServedFrom::GitHubDeployment, None) => {
            "the last successful GitHub Deployment of the environment".to_string()
        }
        (ServedFrom::GitHubDeployment, Some(run)) => {
            format!("the last successful GitHub Deployment of the environment, by run {run}")
        }
    };
    format!(
        "commit {} is older than commit {} that `{service}` serves in `{environment}` ({whence}); left as it is, so as not to move back in history. Set `allow-downgrade: true` to deploy an older commit on purpose",
        short_sha(new),
        short_sha(served)
    )
}

/// The notice for a downgrade `allow-downgrade` let through.
pub fn downgrade_notice(service: &str, environment: &str, new: &str, served: &str) -> String {
    format!(
        "commit {} is older than commit {} that `{service}` serves in `{environment}`; deploying it anyway (`allow-downgrade: true`)",
        short_sha(new),
        short_sha(served)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_status_by_allow_downgrade() {
        use CompareStatus::*;
        let table = [
            (Some(Ahead), false, Verdict::Proceed),
            (Some(Ahead), true, Verdict::Proceed),
            (Some(Identical), false, Verdict::Proceed),
            (Some(Identical), true, Verdict::Proceed),
            (Some(Diverged), false, Verdict::Proceed),
            (Some(Diverged), true, Verdict::Proceed),
            (Some(Behind), false, Verdict::Skip),
            (Some(Behind), true, Verdict::DowngradeAllowed),
            (Some(Other("new".into())), false, Verdict::Proceed),
            (None, false, Verdict::Proceed),
            (None, true, Verdict::Proceed),
        ];
        for (status, allow, want) in table {
            assert_eq!(judge(status.as_ref(), allow), want, "{status:?} {allow}");
        }
    }

    #[test]
    fn the_served_commit_is_railways_else_the_last_github_deployment() {
        assert_eq!(
            served_commit(Some("aaa"), Some("bbb")),
            Some(("aaa", ServedFrom::Railway))
        );
        assert_eq!(
            served_commit(None, Some("bbb")),
            Some(("bbb", ServedFrom::GitHubDeployment))
        );
        assert_eq!(
            served_commit(Some(""), Some("bbb")),
            Some(("bbb", ServedFrom::GitHubDeployment))
        );
        assert_eq!(served_commit(None, None), None);
    }

    #[test]
    fn the_skip_names_both_commits() {
        let r = skip_reason(
            "web",
            "staging",
            "1111111aaaa",
            "2222222bbbb",
            ServedFrom::Railway,
            None,
        );
        assert!(
            r.starts_with(
                "commit 1111111 is older than commit 2222222 that `web` serves in `staging`"
            ),
            "{r}"
        );
        assert!(r.contains("allow-downgrade: true"), "{r}");
    }
}
