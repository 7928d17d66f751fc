//! Owns what every step runs with, built once per run ([`Context::new`]): the Railway client, the
//! GitHub client (when a token and repository are known; one that cannot be built is invalid
//! input, and each step that needs one says so when it is missing), the health probes' HTTP
//! client, the run's timing, where it runs (the scope, once resolution read it), and the cancel
//! guard the executor refreshes after every step.

use std::path::PathBuf;

use super::guard::CancelGuard;
use crate::config::Config;
use crate::github::GitHub;
use crate::railway::RailwayClient;
use crate::railway::resolve::Scope;
use crate::record::Stop;
use crate::timing::Timing;

/// The run's clients and settings that every step kind may use.
pub struct Context<'a> {
    pub client: RailwayClient,
    pub github: Option<GitHub>,
    /// The health probes' client (same-host redirects only).
    pub http: reqwest::Client,
    pub timing: Timing,
    /// What is published on GitHub is armed here; main settles it however the run ends.
    pub guard: &'a CancelGuard,
    /// The project and environment, once resolution read them (`None` before: a preview's
    /// first phase, the removal of previews).
    pub scope: Option<Scope>,
    /// The image a hand-run rollback command names (`Config::surroundings`).
    pub released_image: String,
    /// Where `source: upload` may spool its archive, in order (`Config::surroundings`).
    pub spool_dirs: Vec<PathBuf>,
}

impl<'a> Context<'a> {
    /// Builds the clients once. `Err` ends the run: a GitHub client that cannot be built from
    /// `GITHUB_API_URL` and `GITHUB_REPOSITORY` is invalid input; a Railway or probe client that
    /// cannot be built is the action broken.
    pub fn new(cfg: &Config, guard: &'a CancelGuard) -> Result<Self, Stop> {
        let client = RailwayClient::new(cfg.api_url.clone(), cfg.token.clone(), cfg.timing)
            .map_err(|e| Stop::Broken(e.to_string()))?;
        let github = match (&cfg.github_token, &cfg.github.repository) {
            (Some(token), Some(repo)) => Some(
                GitHub::new(&cfg.github.api_url, token, repo, cfg.timing)
                    .map_err(|e| Stop::Input(format!("{e:#}")))?,
            ),
            _ => None,
        };
        let http = crate::health::probe::probe_client()
            .map_err(|e| Stop::Broken(format!("could not build the health-check client: {e}")))?;
        Ok(Context {
            client,
            github,
            http,
            timing: cfg.timing,
            guard,
            scope: None,
            released_image: cfg.surroundings.released_image.clone(),
            spool_dirs: cfg.surroundings.spool_dirs.clone(),
        })
    }

    /// Where the run changes things. A step that needs it runs only after resolution: `Err`
    /// would be a plan that put it first (a bug), said as such.
    pub fn scope(&self) -> Result<&Scope, Stop> {
        self.scope.as_ref().ok_or_else(|| {
            Stop::Broken(
                "a step that needs the environment ran before it was read (a bug in railway-deploy, please report it)".into(),
            )
        })
    }
}
