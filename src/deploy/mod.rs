//! Owns starting Railway deployments for each source and following them to a final state.
pub mod logs;
pub mod watch;
