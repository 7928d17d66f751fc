//! Owns migrations: SQL migrations the action applies itself, and Railway's pre-deploy command.
pub mod cliff;
pub mod database;
pub mod error;
pub mod lint;
/// The folder check lives in `config` (it runs at load, before any write); sql.rs uses it here.
pub use crate::config::migrations as folder;
pub mod mysql_lock;
pub mod predeploy;
pub mod predeploy_check;
pub mod schema_hold;
pub mod shared_data;
pub mod sql;
pub mod variable;
