//! Owns the exit status: the only mapping from a run's result to 0, 1 or 2.
