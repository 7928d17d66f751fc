//! The `railway-deploy` binary: reads the configuration, runs the pipeline, and exits 0, 1 or 2.

fn main() {}
