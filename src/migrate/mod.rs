//! Owns migrations: SQL migrations the action applies itself, and Railway's pre-deploy command.
pub mod database;
pub mod error;
pub mod folder;
pub mod mysql_lock;
pub mod predeploy;
pub mod sql;
pub mod variable;
