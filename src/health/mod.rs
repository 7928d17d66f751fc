//! Owns health checks of the live service and rollback to the previously serving deployment.
pub mod probe;
pub mod target;
