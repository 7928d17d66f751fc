//! railway-deploy: takes a commit from "tests passed" to "healthy on Railway" and says so on GitHub.
//!
//! The pipeline is gate → migrate → deploy → follow → health → report; each stage lives in its own
//! module and talks to the outside world only through the client of the system it owns.

pub mod backup;
pub mod cancel;
pub mod config;
pub mod context;
pub mod deploy;
pub mod exit;
pub mod gate;
pub mod github;
pub mod health;
pub mod migrate;
pub mod notify;
pub mod pipeline;
pub mod railway;
pub mod record;
pub mod report;
pub mod retry;
pub mod secret;
pub mod setup_check;
pub mod stages;
pub mod text;
pub mod timing;
pub mod upload;
pub mod wait;
pub mod watch;
pub mod workflow;
