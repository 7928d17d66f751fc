//! Owns the gate: waits until the commit's other checks and statuses pass before anything changes.
