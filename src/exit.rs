//! Owns the exit status: the only mapping from a run's result to 0, 1 or 2 (the contract's).

#[cfg(test)]
use crate::record::RunReport;
use crate::record::{Ending, RunStatus};

pub const SUCCESS: i32 = 0;
pub const FAILURE: i32 = 1;
pub const INVALID_INPUT: i32 = 2;

pub fn code(ending: &Ending) -> i32 {
    match ending {
        Ending::Finished(report) => match report.status {
            RunStatus::Success | RunStatus::Skipped => SUCCESS,
            RunStatus::Failed | RunStatus::RolledBack => FAILURE,
        },
        Ending::InvalidInput(_) | Ending::InvalidAfterReading { .. } => INVALID_INPUT,
        Ending::Broken(_) => FAILURE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_the_contract() {
        let mut r = RunReport::new("deploy", "commit", false, chrono::Utc::now());
        for (status, want) in [
            (RunStatus::Success, 0),
            (RunStatus::Skipped, 0),
            (RunStatus::Failed, 1),
            (RunStatus::RolledBack, 1),
        ] {
            r.status = status;
            assert_eq!(code(&Ending::Finished(Box::new(r.clone()))), want);
        }
        assert_eq!(code(&Ending::InvalidInput("x".into())), 2);
        let refused = Ending::InvalidAfterReading {
            message: "x".into(),
            read: Box::default(),
        };
        assert_eq!(code(&refused), 2);
        assert_eq!(code(&Ending::Broken("x".into())), 1);
    }
}
