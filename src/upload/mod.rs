//! Owns `source: upload`: the deterministic, streamed tar.gz of the checkout and its upload.
pub mod archive;
pub mod select;
pub mod send;
pub mod source;
