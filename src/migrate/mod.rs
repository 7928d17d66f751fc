//! Owns migrations: SQL migrations the action applies itself, and Railway's pre-deploy command.
