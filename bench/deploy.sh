#!/usr/bin/env bash
# Peak RSS and wall time of one whole deploy (resolve, deploy, follow, health) of the
# railway-deploy binary against the loopback fake Railway, as the Actions runner would run it.
#   bench/deploy.sh            the release binary (cargo build --release: slow the first time)
#   bench/deploy.sh --debug    the dev binary (quick; RSS is higher than release)
# Target (issue 2): peak RSS <= 30 MB for the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=release
[ "${1:-}" = "--debug" ] && profile=debug
if [ "$profile" = release ]; then cargo build --quiet --release --bin railway-deploy; else cargo build --quiet --bin railway-deploy; fi
cargo build --quiet --example fake_railway
bin="target/$profile/railway-deploy"
work=$(mktemp -d)
trap 'rm -rf "$work"; exec 3>&- 2>/dev/null || true' EXIT
mkfifo "$work/in"
target/debug/examples/fake_railway < "$work/in" > "$work/urls" &
exec 3> "$work/in"
for _ in $(seq 100); do [ -s "$work/urls" ] && break; sleep 0.05; done
read -r api health < "$work/urls"
env -i PATH="$PATH" GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push GITHUB_REF=refs/heads/main \
  GITHUB_SHA=abc1234def5678abc1234def5678abc1234def56 GITHUB_REPOSITORY=acme/shop \
  GITHUB_OUTPUT="$work/out" GITHUB_STEP_SUMMARY="$work/summary" \
  INPUT_RAILWAY-API-URL="$api" INPUT_RAILWAY-TOKEN=tok-staging INPUT_SERVICE=web,worker INPUT_SOURCE=commit \
  INPUT_WAIT-FOR-CHECKS=false INPUT_GITHUB-DEPLOYMENT=false INPUT_COMMENT=false INPUT_HEALTH-URL="$health" \
  RAILWAY_DEPLOY_TIME_SCALE=0.01 \
  /usr/bin/time -v "$bin" > "$work/log" 2> "$work/time" || { cat "$work/log" "$work/time"; exit 1; }
exec 3>&-
wait
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time")
size=$(stat -c %s "$bin")
echo "deploy of 2 services ($profile binary, $(( size / 1024 )) KiB): peak RSS $(( rss_kb / 1024 )) MB, wall $wall, status $(grep -A1 '^status<<' "$work/out" | tail -1)"
