//! What the integration tests share, each in one place: running the built binary as the Actions
//! runner does (`cli`), a throwaway PostgreSQL (`postgres`), the
//! secret-leak assertion (`secrets`), lookups on the fakes' recorded requests (`requests`), the
//! project's own webhook payloads (`events`), the fake GitHub with a client (`github`), the fakes of a preview run (`preview`), and running one test alone in a child process
//! (`alone`).

pub mod alone;
pub mod cli;
pub mod events;
pub mod github;
pub mod postgres;
pub mod preview;
pub mod requests;
pub mod secrets;
