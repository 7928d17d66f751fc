//! Owns the octocrab client: base URL (GitHub Enterprise works through `GITHUB_API_URL`), token
//! and the repository the run belongs to. Retries are not octocrab's: they live in `crate::retry`.

use anyhow::{Context, Result};
use octocrab::Octocrab;

use crate::secret::Secret;

#[derive(Clone, Debug)]
pub struct GitHub {
    pub octo: Octocrab,
    pub owner: String,
    pub repo: String,
}

impl GitHub {
    /// `repository` is `owner/name` (`GITHUB_REPOSITORY`).
    pub fn new(api_url: &str, token: &Secret, repository: &str) -> Result<Self> {
        let (owner, repo) = repository
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .with_context(|| format!("GITHUB_REPOSITORY `{repository}` is not `owner/name`"))?;
        let octo = Octocrab::builder()
            .base_uri(api_url)
            .with_context(|| format!("GITHUB_API_URL `{api_url}` is not a valid URL"))?
            .personal_token(token.expose().to_string())
            .build()
            .context("could not build the GitHub client")?;
        Ok(GitHub {
            octo,
            owner: owner.to_string(),
            repo: repo.to_string(),
        })
    }

    /// `repos/{owner}/{repo}` route prefix for raw requests.
    pub fn repo_route(&self) -> String {
        format!("/repos/{}/{}", self.owner, self.repo)
    }
}
