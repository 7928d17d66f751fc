//! Writes the contract's step outputs to `GITHUB_OUTPUT` in the multiline-safe format.
