//! Owns the stages of a run, each driven by a typed request that the plan (`crate::pipeline::plan`)
//! built: migrate, deploy (start, follow, logs), health and automatic rollback, `command: rollback`,
//! promotion (what passed in `from-environment`) and the release guard. The gate is the stage in
//! `crate::gate`. Nothing here reads the configuration.

pub mod deploy;
pub mod health;
pub mod migrate;
pub mod promote;
pub mod release_guard;
pub mod rollback;
