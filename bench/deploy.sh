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
#   bench/deploy.sh --against BIN [--debug]   every case (the two-service deploy, the websocket
#                              and polling cases, and the subscription budget of issue 14: upload
#                              deploys of 1 service, then 2) by this binary and by BIN (e.g. a
#                              release build of an older commit), alternately, against this
#                              checkout's fake, then a side-by-side table (this / BIN ratios).
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

# The figures of the last run: $rss_mb, $wall_s, $requests (the fake's line), $http (its HTTP
# requests, websocket upgrades not counted), $subs (its subscriptions) and $delay_ms (exit after the fake's final status).
figures() {
  rss_mb=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$work/time")
  wall_s=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0;
    for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.2f", s}' "$work/time")
  requests=$(sed -n 's/^fake Railway served //p' "$work/fake")
  local all upgrades
  all=$(sed -n 's/^fake Railway served \([0-9]*\) requests.*/\1/p' "$work/fake")
  upgrades=$(sed -n 's/.*(\([0-9]*\) websocket upgrades.*/\1/p' "$work/fake")
  http=$(( all - upgrades ))
  subs=$(sed -n 's/.* \([0-9]*\) subscriptions.*/\1/p' "$work/fake")
  delay_ms=""
  if [ -n "${exited_ms:-}" ]; then
    due_ms=$(awk '/final status of dep-new-/ {print $NF; exit}' "$work/fake")
    [ -n "$due_ms" ] && delay_ms=$(( exited_ms - due_ms ))
  fi
  exited_ms=""
}

# Case 1: two services at time scale 0.01 (RSS, wall). Sets $c1_* for $1 (a label).
case_two_services() {
  start_fake
  run INPUT_SERVICE=web,worker INPUT_HEALTH-URL="$health" RAILWAY_DEPLOY_TIME_SCALE=0.01
  stop_fake
  figures
  size=$(stat -c %s "$bin")
  echo "deploy of 2 services ($1, $(( size / 1024 )) KiB): peak RSS $rss_mb MB, wall $wall_s s, $requests, status $(status)"
  eval "c1_rss_$1=$rss_mb c1_wall_$1=$wall_s c1_http_$1=$http c1_subs_$1=$subs"
}

# Cases 2 and 3 (issue 14): real time, one service: 20 s over the websocket, then 60 s polling.
case_real_time() {
  start_fake --deploy-secs 20
  run INPUT_SERVICE=web INPUT_HEALTH-URL="$health"
  exited_ms=$(( $(date +%s%N) / 1000000 ))
  stop_fake
  figures
  echo "websocket, 20 s deploy of 1 service ($1): wall $wall_s s, exit $delay_ms ms after the final status, $requests, status $(status)"
  eval "c2_wall_$1=$wall_s c2_delay_$1=$delay_ms c2_http_$1=$http c2_subs_$1=$subs"
  start_fake --no-websocket --deploy-secs 60
  run INPUT_SERVICE=web INPUT_HEALTH-URL="$health"
  exited_ms=$(( $(date +%s%N) / 1000000 ))
  stop_fake
  figures
  echo "polling (websocket refused), 60 s deploy of 1 service ($1): wall $wall_s s, exit $delay_ms ms after the final status, $requests, status $(status)"
  eval "c3_wall_$1=$wall_s c3_delay_$1=$delay_ms c3_http_$1=$http"
}

# Case 4 (issue 14's budget): upload deploys of 1 and 2 services: requests and subscriptions.
case_upload() {
  tree="$work/tree"
  mkdir -p "$tree/src"
  echo 'console.log("hello")' > "$tree/src/index.js"
  echo '{"name": "shop"}' > "$tree/package.json"
  local n=1
  for services in web web,worker; do
    start_fake
    run INPUT_SERVICE="$services" INPUT_HEALTH-URL="$health" INPUT_SOURCE=upload \
      INPUT_PATH="$tree" RAILWAY_DEPLOY_TIME_SCALE=0.01
    stop_fake
    figures
    echo "upload deploy of $services by $1 ($bin): $requests, status $(status)"
    eval "c4_http${n}_$1=$http c4_subs${n}_$1=$subs"
    n=$(( n + 1 ))
  done
}

if [ -z "$against" ]; then
  case_two_services this
  [ "$polling" = true ] && case_real_time this
  exit 0
fi

# --against: every case by both binaries, alternating (this one first), then side by side.
ours="$bin"
for c in case_two_services case_real_time case_upload; do
  bin="$ours"; "$c" this
  bin="$against"; "$c" against
done
bin="$ours"
v() { eval "echo \${$1_$2:-?}"; }
row() { # label, variable, unit
  local a b; a=$(v "$2" this); b=$(v "$2" against)
  local ratio; ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (b + 0 > 0) printf "%.2fx", a / b; else print "-" }')
  printf '| %s | %s%s | %s%s | %s |\n' "$1" "$a" "$3" "$b" "$3" "$ratio"
}
echo
echo "this binary: $ours"
echo "against:     $against"
echo "| case | this | against | ratio |"
echo "|---|---|---|---|"
row "2 services (scale 0.01): peak RSS" c1_rss " MB"
row "2 services (scale 0.01): wall" c1_wall " s"
row "2 services (scale 0.01): HTTP requests" c1_http ""
row "2 services (scale 0.01): subscriptions" c1_subs ""
row "websocket, 20 s deploy: wall" c2_wall " s"
row "websocket, 20 s deploy: exit after the final status" c2_delay " ms"
row "websocket, 20 s deploy: HTTP requests" c2_http ""
row "websocket, 20 s deploy: subscriptions" c2_subs ""
row "polling, 60 s deploy: wall" c3_wall " s"
row "polling, 60 s deploy: exit after the final status" c3_delay " ms"
row "polling, 60 s deploy: HTTP requests" c3_http ""
row "upload deploy, 1 service: HTTP requests" c4_http1 ""
row "upload deploy, 1 service: subscriptions" c4_subs1 ""
row "upload deploy, 2 services: HTTP requests" c4_http2 ""
row "upload deploy, 2 services: subscriptions" c4_subs2 ""
