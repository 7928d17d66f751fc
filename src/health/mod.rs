//! Owns the health probe of a live service and the rollback to the previously serving
//! deployment, as building blocks; the health and rollback stages (`crate::stages`) drive them.
pub mod check;
pub mod probe;
pub mod rollback;
pub mod rollback_advice;
pub mod target;
