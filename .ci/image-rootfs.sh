#!/usr/bin/env bash
# Issue 15, item 3: runs the release binary in an EMPTY root filesystem shaped like the image's
# final stage (`scratch` + the binary + the CA bundle; for this glibc build also the shared
# libraries `ldd` names; no /tmp, no shell) through a whole `source: upload` deploy against the
# loopback fake Railway, and asserts it succeeded (exit 0, `status=success`, one upload received).
# chroot as root, else `sudo -n chroot` (GitHub's runners), else `unshare --map-root-user --root`;
# all keep the network namespace, so loopback reaches the fake.
#   .ci/image-rootfs.sh     (reuses the release build of bench/deploy.sh when it is fresh)
set -euo pipefail
cd "$(dirname "$0")/.."
as_root=()
enter=("$(command -v chroot || echo /usr/sbin/chroot)")
if [ "$(id -u)" != 0 ]; then
  if sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  elif unshare --map-root-user true 2>/dev/null; then
    enter=("$(command -v unshare)" --map-root-user --root)
  else
    echo "image-rootfs: SKIPPED: needs root, passwordless sudo or user namespaces for chroot" >&2
    [ "${CI:-}" = true ] && exit 1
    exit 0
  fi
fi
cargo build --quiet --release --locked --bin railway-deploy
cargo build --quiet --locked --example fake_railway
bin=target/release/railway-deploy

work=$(mktemp -d)
root="$work/root"
trap 'exec 3>&- 2>/dev/null || true; "${as_root[@]}" rm -rf "$work"' EXIT

# The root filesystem: what the Dockerfile's final stage holds, minus its /tmp (the code must not
# need one), plus the libraries of a glibc build.
mkdir -p "$root/etc/ssl/certs"
cp "$bin" "$root/railway-deploy"
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
ldd "$bin" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' | sort -u | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
# What a container action mounts: the checkout at /github/workspace (a git checkout: `.git` is
# where the spool may go when no temp dir is writable), the file-command files.
ws="$root/github/workspace"
mkdir -p "$ws/.git" "$ws/src" "$root/github/file_commands"
printf 'FROM scratch\n' > "$ws/Dockerfile"
printf 'console.log("hi")\n' > "$ws/src/index.js"
[ ! -e "$root/tmp" ] || { echo "image-rootfs: the root filesystem must have no /tmp" >&2; exit 1; }

mkfifo "$work/in"
target/debug/examples/fake_railway < "$work/in" > "$work/urls" 2> "$work/fake.log" &
fake=$!
exec 3> "$work/in"
for _ in $(seq 200); do [ -s "$work/urls" ] && break; sleep 0.05; done
read -r api health < "$work/urls"

start=$(date +%s%N)
set +e
# RUNNER_TEMP names a host path a container action does not mount (as on GitHub's runners).
"${as_root[@]}" env -i GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push GITHUB_REF=refs/heads/main \
  GITHUB_SHA=abc1234def5678abc1234def5678abc1234def56 GITHUB_REPOSITORY=acme/shop \
  GITHUB_WORKSPACE=/github/workspace RUNNER_TEMP=/home/runner/work/_temp \
  GITHUB_OUTPUT=/github/file_commands/output GITHUB_STEP_SUMMARY=/github/file_commands/summary \
  SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
  INPUT_RAILWAY-API-URL="$api" INPUT_RAILWAY-TOKEN=tok-staging INPUT_SERVICE=web \
  INPUT_SOURCE=upload INPUT_PATH=/github/workspace \
  INPUT_WAIT-FOR-CHECKS=false INPUT_GITHUB-DEPLOYMENT=false INPUT_COMMENT=false \
  INPUT_HEALTH-URL="$health" RAILWAY_DEPLOY_TIME_SCALE=0.01 \
  "${enter[@]}" "$root" /railway-deploy > "$work/log" 2>&1
code=$?
set -e
exec 3>&-
wait "$fake" || true
ms=$(( ($(date +%s%N) - start) / 1000000 ))
out="$root/github/file_commands/output"
status=$(grep -A1 '^status<<' "$out" 2>/dev/null | tail -1 || true)
if [ "$code" != 0 ] || [ "$status" != success ]; then
  cat "$work/log" "$work/fake.log"
  echo "image-rootfs: FAILED: exit $code, status '${status}'" >&2
  exit 1
fi
grep -q "uploaded" "$work/log" || { cat "$work/log"; echo "image-rootfs: no upload in the log" >&2; exit 1; }
leftover=$(find "$ws/.git" -mindepth 1 | wc -l)
[ "$leftover" = 0 ] || { echo "image-rootfs: the spool file was left in .git" >&2; exit 1; }
echo "image-rootfs: upload deploy in an empty root filesystem (no /tmp): exit 0, status success, ${ms} ms"
