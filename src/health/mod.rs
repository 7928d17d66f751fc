//! Owns health checks of the live service and rollback to the previously serving deployment.
pub mod check;
pub mod command;
pub mod probe;
pub mod rollback;
pub mod rollback_advice;
pub mod stage;
pub mod target;
