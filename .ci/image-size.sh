#!/usr/bin/env bash
# Issue 21: the image goal (≤ 10 MB) as a check. The image is the release binary on `scratch` plus
# the CA bundle (Dockerfile), so their sizes are added and compared with 10,000,000 bytes. This
# machine builds the glibc binary (the image's is static musl, which links musl's libc in: a
# little larger), so the check fails at 9,500,000 bytes for the binary alone as well, leaving
# that margin.
#   .ci/image-size.sh    (after a release build: .ci/image-rootfs.sh makes one)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/railway-deploy
[ -x "$bin" ] || cargo build --quiet --release --locked --bin railway-deploy
ca=/etc/ssl/certs/ca-certificates.crt
bin_bytes=$(stat -L -c %s "$bin")
ca_bytes=$(stat -L -c %s "$ca" 2>/dev/null || echo 0)
total=$((bin_bytes + ca_bytes))
printf '%-28s %12s bytes\n' "release binary" "$bin_bytes" "CA bundle" "$ca_bytes" "image (binary + CA bundle)" "$total" "goal" 10000000
awk -v t="$total" 'BEGIN { printf "%-28s %12.3f\n", "image / goal", t / 10000000 }'
if [ "$bin_bytes" -gt 9500000 ] || [ "$total" -gt 10000000 ]; then
  echo "image-size: over the image goal (binary ≤ 9,500,000 bytes, binary + CA bundle ≤ 10,000,000): find what grew with \`cargo tree -e normal\` and a scratch build of the new dependency" >&2
  exit 1
fi
