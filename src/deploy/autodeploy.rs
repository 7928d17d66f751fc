//! What Railway's own GitHub autodeploy (a service's deployment triggers) means for a run with a
//! given `source` on a given branch (pure): shared by resolution's refusal or warning
//! (`crate::pipeline::triggers`) and `command: check`.

use crate::config::Source;
use crate::railway::api::DeploymentTrigger;

/// What the triggers of one service mean for the run (pure).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Autodeploy {
    /// Nothing to say.
    Fine,
    /// Another source, and Railway autodeploys the branch too.
    Twice,
    /// `source: railway` and Railway waits for this job's checks first.
    WaitsForCi,
    /// `source: railway` and Railway does not autodeploy the branch.
    Off,
}

/// Judges a service's triggers for `branch` (`None`: not a branch push).
pub fn judge(source: &Source, branch: Option<&str>, triggers: &[DeploymentTrigger]) -> Autodeploy {
    let on_branch: Vec<&DeploymentTrigger> = triggers
        .iter()
        .filter(|t| branch.is_some() && t.branch.as_deref() == branch)
        .collect();
    match (source, on_branch.is_empty()) {
        (Source::Railway, true) => Autodeploy::Off,
        (Source::Railway, false) if on_branch.iter().any(|t| t.check_suites) => {
            Autodeploy::WaitsForCi
        }
        (Source::Railway, false) => Autodeploy::Fine,
        (_, false) => Autodeploy::Twice,
        (_, true) => Autodeploy::Fine,
    }
}
