#!/usr/bin/env bash
# Benchmark of `source: upload` (issue 3): archive-and-upload of a generated tree (20,000 files,
# 500 MB, plus 300 MB of ignored node_modules) to a loopback sink, beside GNU `tar czf` of the same
# file list, with peak RSS (must stay <= 64 MB) and gzip levels 1/6/9.
#   bench/upload.sh            full run (a few minutes; needs ~1 GB free in $TMPDIR)
#   bench/upload.sh --quick    small tree, seconds (used by .ci/run)
# Built with the dev profile (zlib-rs itself is optimised there, see Cargo.toml), never --release.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --example bench_upload
exec target/debug/examples/bench_upload "$@"
