//! Loopback fakes of the outside systems railway-deploy talks to: Railway's GraphQL API (and its
//! upload and websocket endpoints) and GitHub's REST API. Each fake keeps a scripted world in
//! memory, answers like the real service does, and records every request so tests can assert on
//! exactly what was sent. Used by the integration tests and by the sandbox example.

pub mod github;
pub mod railway;
pub mod recorder;
pub mod server;
pub mod webhook;

pub use recorder::{Recorded, Recorder};
pub use server::Server;
