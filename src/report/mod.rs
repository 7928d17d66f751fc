//! Owns what a run tells the world when it ends, from the run record (`crate::record`): pure
//! renderers (step outputs, job summary, PR comment, markdown pieces) and publishing (the GitHub
//! Deployment and the sticky comment, through `crate::github`).

pub mod checks;
pub mod comment;
pub mod deployment;
pub mod markdown;
pub mod migration_safety;
pub mod outputs;
pub mod preview;
pub mod publish;
pub mod summary;
pub mod timeline;
pub mod watch;
