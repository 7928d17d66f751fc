//! Owns how a run ended, as far as the exit status is concerned (`crate::exit` maps it to 0, 1 or
//! 2; `main` alone exits), and the one way a step stops a run ([`Stop`], turned into an
//! [`Ending`] by [`Stop::end`]).

use super::{MigrationSafetyReport, RunReport, RunStatus};
use crate::workflow;

/// How a run ended, as far as the exit status is concerned.
#[derive(Debug)]
pub enum Ending {
    /// The pipeline ran to its end (successfully or not); the report says how.
    Finished(Box<RunReport>),
    /// Invalid input, detected before any change.
    InvalidInput(String),
    /// Invalid input found once the migrations' SQL had been read (`destructive-migrations:
    /// refuse`): detected before any change like [`Ending::InvalidInput`] (exit 2), with what
    /// the reading found, which the `migration-findings` output and the summary carry.
    InvalidAfterReading {
        message: String,
        read: Box<MigrationSafetyReport>,
    },
    /// The action itself broke (an unexpected error); treated as a failure.
    Broken(String),
}

/// Why a step (or a read before the plan) stopped the run. Every stage returns this one type;
/// [`Stop::end`] is the only place a stop becomes an [`Ending`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Bad input, found before any change: exit 2.
    Input(String),
    /// The run failed (exit 1): `why` is the record's failure. `title` is the log's error
    /// headline; `None` when the stage said every cause in the log already.
    Failed {
        title: Option<&'static str>,
        why: String,
    },
    /// The action itself broke: exit 1, nothing recorded.
    Broken(String),
}

impl Stop {
    /// A failed run whose cause the log says under `title`.
    pub fn failed(title: &'static str, why: impl Into<String>) -> Self {
        Stop::Failed {
            title: Some(title),
            why: why.into(),
        }
    }

    /// A failed run whose causes the stage has said in the log already.
    pub fn failed_quietly(why: impl Into<String>) -> Self {
        Stop::Failed {
            title: None,
            why: why.into(),
        }
    }

    /// The run's ending: a failure is recorded in `report` (status `failed`, its reason).
    pub fn end(self, mut report: RunReport) -> Ending {
        match self {
            Stop::Input(message) if !report.migration_safety.findings.is_empty() => {
                Ending::InvalidAfterReading {
                    message,
                    read: Box::new(report.migration_safety),
                }
            }
            Stop::Input(msg) => Ending::InvalidInput(msg),
            Stop::Broken(msg) => Ending::Broken(msg),
            Stop::Failed { title, why } => {
                if let Some(title) = title {
                    workflow::error_titled(title, &why);
                }
                report.status = RunStatus::Failed;
                report.failure = Some(why);
                Ending::Finished(Box::new(report))
            }
        }
    }
}

impl Ending {
    /// The message of invalid input (either kind), `None` for other endings.
    pub fn invalid_input(&self) -> Option<&str> {
        match self {
            Ending::InvalidInput(message) | Ending::InvalidAfterReading { message, .. } => {
                Some(message)
            }
            _ => None,
        }
    }
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
