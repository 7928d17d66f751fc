//! Owns what a run tells the world when it ends: the run's report model (one value every reporter
//! reads), step outputs, and (in later submodules) the job summary, GitHub Deployments and the PR
//! comment.

pub mod model;
pub mod outputs;

pub use model::*;
pub mod cancel;
pub mod comment;
pub mod github_run;
pub mod markdown;
pub mod promote;
pub mod publish;
pub mod release_guard;
pub mod summary;
pub mod timeline;
