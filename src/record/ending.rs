//! Owns how a run ended, as far as the exit status is concerned (`crate::exit` maps it to 0, 1 or
//! 2; `main` alone exits).

use super::RunReport;

/// How a run ended, as far as the exit status is concerned.
#[derive(Debug)]
pub enum Ending {
    /// The pipeline ran to its end (successfully or not); the report says how.
    Finished(Box<RunReport>),
    /// Invalid input, detected before any change.
    InvalidInput(String),
    /// The action itself broke (an unexpected error); treated as a failure.
    Broken(String),
}

/// The signal that ended the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Terminate,
    Interrupt,
}

impl Signal {
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Terminate => "SIGTERM",
            Signal::Interrupt => "SIGINT",
        }
    }
}
