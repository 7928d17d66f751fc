//! Owns the order of the stages: gate → migrate → deploy → follow → health → report.
