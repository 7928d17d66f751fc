#!/usr/bin/env bash
# Benchmark of `source: upload` (issues 3 and 14): archive-and-upload of a generated tree (20,000
# files, 500 MB, plus ignored node_modules, build/ and .git) to a loopback sink, beside
# `tar -cf - | gzip -N` and `tar -cf - | pigz -p <cores> -N` of the same members at the same level,
# the previous single-stream compressor, peak RSS (must stay <= 64 MB) and a level table.
#   bench/upload.sh            full run, medians of 3 (several minutes; ~1 GB free in $TMPDIR;
#                              installs pigz with apt-get when missing and possible)
#   bench/upload.sh --quick    small tree, one round, seconds (used by .ci/run; pigz optional)
# Other flags go to examples/bench_upload (--level N, --levels 1,3,4,6, --rounds N, --tree DIR).
# Built with the dev profile (zlib-rs itself is optimised there, see Cargo.toml), never --release.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != "--quick" ] && ! command -v pigz > /dev/null && command -v apt-get > /dev/null; then
  { apt-get install -y pigz || { apt-get update && apt-get install -y pigz; }; } > /dev/null 2>&1 \
    || echo "pigz could not be installed: its column is skipped"
fi
cargo build --quiet --example bench_upload
exec target/debug/examples/bench_upload "$@"
