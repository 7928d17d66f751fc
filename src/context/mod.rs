//! Owns the GitHub context: the event payload, the trigger it describes, and the environment
//! and version that trigger selects (pure functions of the config).
