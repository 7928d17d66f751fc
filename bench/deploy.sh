#!/usr/bin/env bash
# Peak RSS and wall time of one whole deploy (resolve, deploy, follow, health) of the
# railway-deploy binary against the loopback fake Railway, as the Actions runner would run it.
#   bench/deploy.sh            the release binary (cargo build --release: slow the first time)
#   bench/deploy.sh --debug    the dev binary (quick; RSS is higher than release)
#   bench/deploy.sh --polling  [--debug] also the polling case (issue 14): one service, websocket
#                              refused, a deployment scripted to reach SUCCESS 60 s after it
#                              starts, real time (no time scale), health probe on the local app:
#                              prints the delay between the fake's final status and the process
#                              exit, and the request count; and the same for a 20 s deploy over
#                              the websocket.
#   bench/deploy.sh --from DIR [--polling]   the binary and fake already built in checkout DIR
#                              (e.g. a worktree of the parent commit, for before/after runs)
#   bench/deploy.sh --against BIN [--debug]   also the subscription budget (issue 14): the same
#                              upload deploys (1 service, then 2) by this binary and by BIN (e.g.
#                              main's), alternately, against this checkout's fake: HTTP requests,
#                              websocket connections and subscriptions, side by side.
# Every case prints the fake's request count (HTTP requests, of which websocket upgrades, and the
# subscriptions opened on them).
# Target (issue 2): peak RSS <= 30 MB for the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=release
polling=false
from=""
against=""
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=debug ;;
    --polling) polling=true ;;
    --from) from="$2"; shift ;;
    --against) against="$(realpath "$2")"; shift ;;
  esac
  shift
done
if [ -n "$from" ]; then
  cd "$from"
elif [ "$profile" = release ]; then
  cargo build --quiet --release --bin railway-deploy
  cargo build --quiet --example fake_railway
else
  cargo build --quiet --bin railway-deploy
  cargo build --quiet --example fake_railway
fi
bin="target/$profile/railway-deploy"
work=$(mktemp -d)
trap 'exec 3>&- 2>/dev/null || true; rm -rf "$work"' EXIT

# Starts the fake with the given flags; sets $api and $health.
start_fake() {
  rm -f "$work/in" "$work/urls"
  mkfifo "$work/in"
  target/debug/examples/fake_railway "$@" < "$work/in" > "$work/urls" 2> "$work/fake" &
  fake_pid=$!
  exec 3> "$work/in"
  for _ in $(seq 100); do [ -s "$work/urls" ] && break; sleep 0.05; done
  read -r api health < "$work/urls"
}
stop_fake() { exec 3>&-; wait "$fake_pid"; }
run() {
  env -i PATH="$PATH" GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push GITHUB_REF=refs/heads/main \
    GITHUB_SHA=abc1234def5678abc1234def5678abc1234def56 GITHUB_REPOSITORY=acme/shop \
    GITHUB_OUTPUT="$work/out" GITHUB_STEP_SUMMARY="$work/summary" \
    INPUT_RAILWAY-API-URL="$api" INPUT_RAILWAY-TOKEN=tok-staging INPUT_SOURCE=commit \
    INPUT_WAIT-FOR-CHECKS=false INPUT_GITHUB-DEPLOYMENT=false INPUT_COMMENT=false "$@" \
    /usr/bin/time -v "$bin" > "$work/log" 2> "$work/time" || { cat "$work/log" "$work/time"; exit 1; }
}
status() { grep -A1 '^status<<' "$work/out" | tail -1; }

start_fake
run INPUT_SERVICE=web,worker INPUT_HEALTH-URL="$health" RAILWAY_DEPLOY_TIME_SCALE=0.01
stop_fake
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time")
size=$(stat -c %s "$bin")
requests=$(sed -n 's/^fake Railway served //p' "$work/fake")
echo "deploy of 2 services ($profile binary, $(( size / 1024 )) KiB): peak RSS $(( rss_kb / 1024 )) MB, wall $wall, $requests, status $(status)"

if [ "$polling" = true ]; then
  start_fake --deploy-secs 20
  run INPUT_SERVICE=web INPUT_HEALTH-URL="$health"
  exited_ms=$(( $(date +%s%N) / 1000000 ))
  stop_fake
  due_ms=$(awk '/final status of dep-new-/ {print $NF; exit}' "$work/fake")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time")
  requests=$(sed -n 's/^fake Railway served //p' "$work/fake")
  echo "websocket, 20 s deploy of 1 service: wall $wall, exit $(( exited_ms - due_ms )) ms after the final status, $requests, status $(status)"

  start_fake --no-websocket --deploy-secs 60
  run INPUT_SERVICE=web INPUT_HEALTH-URL="$health"
  exited_ms=$(( $(date +%s%N) / 1000000 ))
  stop_fake
  due_ms=$(awk '/final status of dep-new-/ {print $NF; exit}' "$work/fake")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time")
  requests=$(sed -n 's/^fake Railway served //p' "$work/fake")
  echo "polling (websocket refused), 60 s deploy of 1 service: wall $wall, exit $(( exited_ms - due_ms )) ms after the final status, $requests, status $(status)"
fi

if [ -n "$against" ]; then
  tree="$work/tree"
  mkdir -p "$tree/src"
  echo 'console.log("hello")' > "$tree/src/index.js"
  echo '{"name": "shop"}' > "$tree/package.json"
  ours="$bin"
  for services in web web,worker; do
    for who in ours against; do
      if [ "$who" = ours ]; then bin="$ours"; else bin="$against"; fi
      start_fake
      run INPUT_SERVICE="$services" INPUT_HEALTH-URL="$health" INPUT_SOURCE=upload \
        INPUT_PATH="$tree" RAILWAY_DEPLOY_TIME_SCALE=0.01
      stop_fake
      requests=$(sed -n 's/^fake Railway served //p' "$work/fake")
      echo "upload deploy of $services by $who ($bin): $requests, status $(status)"
    done
  done
  bin="$ours"
fi
