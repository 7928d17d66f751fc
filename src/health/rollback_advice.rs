//! Owns the rollback a user can follow by hand: a copyable `docker run` of this action's released
//! image running `--command rollback` (the token passed from the caller's environment by name,
//! never its value), for the `rollback-command` output, the job summary and the PR comment.

/// The request `docker run … --command rollback` makes: the same scope the deploy used.
pub struct RollbackAdvice<'a> {
    /// The image reference to run (see `config::runtime::released_image`).
    pub image: &'a str,
    pub project_id: &'a str,
    pub environment: &'a str,
    pub service: &'a str,
    pub to: &'a str,
}

impl RollbackAdvice<'_> {
    /// `docker run --rm -e RAILWAY_TOKEN <image> --command rollback --project … --to …`: Docker
    /// copies `RAILWAY_TOKEN` from the caller's environment, so the value is never in the text.
    pub fn command(&self) -> String {
        format!(
            "docker run --rm -e RAILWAY_TOKEN {} --command rollback --project {} --environment {} --service {} --to {}",
            shell_word(self.image),
            shell_word(self.project_id),
            shell_word(self.environment),
            shell_word(self.service),
            shell_word(self.to)
        )
    }
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_runs_the_released_image_with_the_token_by_name() {
        let advice = RollbackAdvice {
            image: "ghcr.io/acme/railway-deploy:v1.4.0",
            project_id: "proj-1",
            environment: "my staging",
            service: "web",
            to: "dep-7",
        };
        assert_eq!(
            advice.command(),
            "docker run --rm -e RAILWAY_TOKEN ghcr.io/acme/railway-deploy:v1.4.0 --command rollback \
             --project proj-1 --environment 'my staging' --service web --to dep-7"
        );
    }

    #[test]
    fn words_are_quoted_only_when_a_shell_needs_it() {
        assert_eq!(shell_word("a-b_c./:@1"), "a-b_c./:@1");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("it's $x"), r"'it'\''s $x'");
    }
}
