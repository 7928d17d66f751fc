//! Owns the run's inputs: reads `INPUT_*` variables, flags and the GitHub context once, and
//! validates them into a plain typed [`Config`] before any network call.
