#!/usr/bin/env bash
# Crisis Hub load test runner: builds the hub and the generator, starts the hub (or the baseline
# broadcast server) pinned to one core, runs the generator pinned to the other, and stops
# everything at the end. Everything binds to loopback.
#
#   loadtest/run.sh SCENARIO [generator options]     one run (see loadtest/README.md)
#   loadtest/run.sh all                              every scenario 3 times, plus the baseline
#   loadtest/run.sh sweep [--rates …] [--step S]     issue 23: fan-out rate sweep, hub vs Socket.IO peer
#                                                    vs baseline in one run (SWEEPS=3: three, and medians)
#
# Environment: HUB_CORE (default 0), GEN_CORE (default 1), PORT (default 18080), SOURCES
# (default 127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4: source addresses for many connections),
# STORE (embedded, default, or redis: a redis-server of the run's own with appendonly yes and
# appendfsync always, pinned to the hub's core, is started and stopped with the hub), NODES (default
# 1; with STORE=redis, NODES=N starts N clustered hub nodes on ports PORT…PORT+N-1, all on the hub's
# core, and the generator spreads its sockets over them, so fan-out crosses nodes), GENS (default 1;
# idle-connections and reconnect-storm only: GENS=N runs N generator processes, each with its own
# range of numbers and the scenario's options, for more sockets than one process may open; they
# set up, wait at a barrier and act together, and the runner sums up; see loadtest/README.md),
# HUB_JAVA_OPTS and GEN_JAVA_OPTS (the hub's and the generator's JVM options; loadtest/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
HUB_CORE=${HUB_CORE:-0}
GEN_CORE=${GEN_CORE:-1}
PORT=${PORT:-18080}
SOURCES=${SOURCES:-127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4}
SECRET=loadtest-secret-loadtest-secret-0123
TWILIO_TOKEN=loadtest-twilio-token
ADMIN_TOKEN=loadtest-admin-token-loadtest-admin-0123
# safety-check: the generator answers the hub's Twilio API calls itself on this port (a fake Twilio)
FAKE_TWILIO_PORT=${FAKE_TWILIO_PORT:-18099}
OUT=${OUT:-$ROOT/loadtest/results}
# Runs a command pinned to a core. exec: in `pin … &` the background job's pid is the java process
# itself, so it can be measured (RSS) and stopped.
pin() { if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then exec taskset -c "$1" "${@:2}"; else exec "${@:2}"; fi; }

# Sockets are files: raise the limit as far as the hard limit allows (20,000 on the machines here,
# which caps idle-connections below that per process).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ -f target/crisis-hub.jar ] || mvn -q -B -DskipTests package
[ -f loadtest/target/loadtest.jar ] || mvn -q -B -f loadtest/pom.xml package

STORE=${STORE:-embedded}
NODES=${NODES:-1}
GENS=${GENS:-1}
if [ "$NODES" -gt 1 ] && [ "$STORE" != redis ]; then echo "NODES>1 needs STORE=redis" >&2; exit 2; fi
EXTRA_PIDS=""
URLS="http://127.0.0.1:$PORT"
REDIS_PORT=${REDIS_PORT:-16379}
SERVER_PID=""
REDIS_PID=""
DATA=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; fi
  for p in $EXTRA_PIDS; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; EXTRA_PIDS=
  if [ -n "$REDIS_PID" ]; then kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; REDIS_PID=""; fi
  if [ -n "$DATA" ]; then rm -rf "$DATA"; DATA=""; fi
  if [ -n "${EXTRA_DATA:-}" ]; then rm -rf $EXTRA_DATA; EXTRA_DATA=""; fi
}

start_redis() {
  ( pin "$HUB_CORE" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$DATA" --appendonly yes \
      --appendfsync always --save "" --logfile "$DATA/redis.log" ) &
  REDIS_PID=$!
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.2; done
  echo "redis-server did not start" >&2; exit 1
}
trap stop_server EXIT

start_hub() {
  if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then echo "port $PORT is already in use" >&2; exit 1; fi
  DATA=$(mktemp -d)
  local store_env="" members=""
  if [ "$STORE" = redis ]; then start_redis; store_env="HUB_STORE=redis HUB_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"; fi
  URLS=""
  for i in $(seq 0 $((NODES - 1))); do members="$members${members:+,}127.0.0.1:$((15701 + i))"; done
  for i in $(seq 0 $((NODES - 1))); do
    local port=$((PORT + i)) cluster_env=""
    [ "$NODES" -gt 1 ] && cluster_env="HUB_CLUSTER=true HUB_CLUSTER_MEMBERS=$members HUB_CLUSTER_PORT=$((15701 + i)) HUB_EVENTBUS_PORT=$((15801 + i))"
    mkdir -p "$DATA/node$i"
    (
      [ -n "$store_env" ] && export $store_env
      [ -n "$cluster_env" ] && export $cluster_env
      export HUB_HTTP_HOST=127.0.0.1 HUB_HTTP_PORT=$port HUB_DATA_DIR=$DATA/node$i HUB_RATE_LIMITS=off HUB_TOKEN_SECRET=$SECRET \
        HUB_SMS=twilio HUB_TWILIO_ACCOUNT_SID=AC00000000000000000000000000000001 HUB_TWILIO_AUTH_TOKEN=$TWILIO_TOKEN \
        HUB_TWILIO_FROM=+15550009999 HUB_TWILIO_API_BASE=${TWILIO_API_BASE:-http://127.0.0.1:9} \
        HUB_PUBLIC_URL=http://127.0.0.1:$PORT HUB_WS_QUEUE_FRAMES=1024 HUB_ADMIN_TOKEN=$ADMIN_TOKEN \
        HUB_SMS_RATE=${HUB_SMS_RATE_RUN:-1}
      pin "$HUB_CORE" java ${HUB_JAVA_OPTS:--Xmx2g -Xmn64m} -jar "${HUB_JAR:-target/crisis-hub.jar}"
    ) > "$OUT/hub$( [ "$i" -gt 0 ] && echo "-$i").log" 2>&1 &
    if [ "$i" -eq 0 ]; then SERVER_PID=$!; else EXTRA_PIDS="$EXTRA_PIDS $!"; fi
    URLS="$URLS${URLS:+,}http://127.0.0.1:$port"
    for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.5; done
    curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null || { echo "hub node $i did not start; see $OUT" >&2; exit 1; }
  done
}

start_baseline() {
  if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then echo "port $PORT is already in use" >&2; exit 1; fi
  URLS="http://127.0.0.1:$PORT"
  : > "$OUT/baseline.log"
  ( pin "$HUB_CORE" java -Xmx2g -cp loadtest/target/loadtest.jar org.crisishub.loadtest.BaselineServer "$PORT" ) \
    > "$OUT/baseline.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 60); do grep -q listening "$OUT/baseline.log" 2>/dev/null && return 0; sleep 0.5; done
  echo "baseline did not start" >&2; exit 1
}

# The Socket.IO peer of issue 23 (loadtest/peer: Node 20, socket.io 4.8, rooms, no storage), pinned to
# the hub's core. npm ci installs it from the committed package-lock.json the first time.
start_peer() {
  local port=$1
  command -v node >/dev/null || { echo "the peer needs node (20 or later)" >&2; exit 1; }
  [ -d loadtest/peer/node_modules/socket.io ] || (cd loadtest/peer && npm ci --no-audit --no-fund --loglevel=error)
  : > "$OUT/peer.log"
  ( pin "$HUB_CORE" node loadtest/peer/server.js "$port" ) > "$OUT/peer.log" 2>&1 &
  EXTRA_PIDS="$EXTRA_PIDS $!"
  for _ in $(seq 1 60); do grep -q listening "$OUT/peer.log" 2>/dev/null && return 0; sleep 0.5; done
  echo "the peer did not start; see $OUT/peer.log" >&2; exit 1
}

# BaselineServer on another port beside the hub (the sweep's third target), pinned to the hub's core.
start_baseline_beside() {
  local port=$1
  : > "$OUT/baseline.log"
  ( pin "$HUB_CORE" java -Xmx2g -Xmn64m -cp loadtest/target/loadtest.jar org.crisishub.loadtest.BaselineServer "$port" ) \
    > "$OUT/baseline.log" 2>&1 &
  EXTRA_PIDS="$EXTRA_PIDS $!"
  for _ in $(seq 1 60); do grep -q listening "$OUT/baseline.log" 2>/dev/null && return 0; sleep 0.5; done
  echo "baseline did not start" >&2; exit 1
}

# Issue 23's fan-out sweep: hub, Socket.IO peer and BaselineServer all on the hub's core, one
# generator on the other stepping the rate against each in turn (loadtest/README.md). SWEEPS=N
# repeats it N times, each with fresh servers; `Sweep` then prints the medians and draws the chart.
sweep() {
  local peer_port=${PEER_PORT:-$((PORT + 10))} base_port=${BASELINE_PORT:-$((PORT + 11))}
  echo "sweep at $(date -u +%H:%M:%S) UTC, $(uptime)"
  start_hub
  local hub_url=$URLS
  start_peer "$peer_port"
  [ "${SWEEP_BASELINE:-1}" = 1 ] && start_baseline_beside "$base_port"
  local targets="hub=$hub_url,peer=http://127.0.0.1:$peer_port"
  # HUB_JAR_B=other.jar: a second hub from another build beside the first (port PORT+12, its own data
  # folder, same core), stepped in the same run as "hub-b": a before/after in one series.
  if [ -n "${HUB_JAR_B:-}" ]; then
    local b_port=$((PORT + 12)) b_data; b_data=$(mktemp -d); EXTRA_DATA="${EXTRA_DATA:-} $b_data"
    (
      export HUB_HTTP_HOST=127.0.0.1 HUB_HTTP_PORT=$b_port HUB_DATA_DIR=$b_data HUB_RATE_LIMITS=off HUB_TOKEN_SECRET=$SECRET \
        HUB_PUBLIC_URL=http://127.0.0.1:$b_port HUB_WS_QUEUE_FRAMES=1024 HUB_ADMIN_TOKEN=$ADMIN_TOKEN
      pin "$HUB_CORE" java ${HUB_JAVA_OPTS_B:-${HUB_JAVA_OPTS:--Xmx2g -Xmn64m}} -jar "$HUB_JAR_B"
    ) > "$OUT/hub-b.log" 2>&1 &
    EXTRA_PIDS="$EXTRA_PIDS $!"
    for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$b_port/health/ready" >/dev/null && break; sleep 0.5; done
    curl -sf "http://127.0.0.1:$b_port/health/ready" >/dev/null || { echo "hub-b did not start; see $OUT/hub-b.log" >&2; exit 1; }
    targets="$targets,hub-b=http://127.0.0.1:$b_port"
  fi
  [ "${SWEEP_BASELINE:-1}" = 1 ] && targets="$targets,baseline=http://127.0.0.1:$base_port"
  generate fanout-sweep --targets "$targets" --subjects 100 --followers 10 "$@"
  curl -s "$hub_url/metrics" | grep '^hub_' >> "$OUT/metrics-fanout-sweep.txt" || true
  stop_server
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# GENS generator processes on the generator core. Each sets up its part, then waits at a barrier
# (a folder: ready-I files from the parts, go from here); idle-connections measures every hub node's
# RSS while all parts hold their sockets, reconnect-storm lets all parts drop and reconnect at once.
generate_parts() {
  local scenario=$1; shift
  local bar="$OUT/barrier" pids="" hubs="$SERVER_PID $EXTRA_PIDS" before=0 after=0 conns=0
  rm -rf "$bar"; mkdir -p "$bar"
  for p in $hubs; do before=$((before + $(rss_kb "$p"))); done
  for g in $(seq 0 $((GENS - 1))); do
    generate "$scenario" "$@" --part "$g" --barrier "$bar" > "$OUT/gen-$scenario-$g.log" 2>&1 &
    pids="$pids $!"
  done
  local ready=0
  for _ in $(seq 1 1200); do
    ready=$(find "$bar" -name 'ready-*' | wc -l)
    [ "$ready" -ge "$GENS" ] && break
    for p in $pids; do kill -0 "$p" 2>/dev/null || { echo "a generator part stopped early; see $OUT/gen-$scenario-*.log" >&2; touch "$bar/go"; wait $pids; exit 1; }; done
    sleep 0.5
  done
  [ "$ready" -ge "$GENS" ] || { echo "the generator parts did not get ready" >&2; touch "$bar/go"; wait $pids; exit 1; }
  if [ "$scenario" = idle-connections ]; then
    for u in ${URLS//,/ }; do conns=$((conns + $(curl -s "$u/metrics" | awk '/^hub_connections /{print int($2)}'))); done
    for p in $hubs; do after=$((after + $(rss_kb "$p"))); done
    printf '{"scenario":"idle-connections","nodes":%s,"generators":%s,"connections":%s,"hubRssBeforeMb":%s,"hubRssAfterMb":%s,"hubKbPerConnection":%s}\n' \
      "$NODES" "$GENS" "$conns" $((before / 1024)) $((after / 1024)) \
      "$(awk -v a="$after" -v b="$before" -v c="$conns" 'BEGIN {printf "%.1f", (a - b) / (c > 0 ? c : 1)}')" \
      | tee "$OUT/idle-connections-parts-$(date -u +%Y%m%dT%H%M%SZ).json"
  fi
  touch "$bar/go"
  local failed=0
  for p in $pids; do wait "$p" || failed=1; done
  if [ "$scenario" = reconnect-storm ]; then
    # Every part's followers, and the slowest part's time until all of its followers had their snapshot.
    cat "$OUT"/gen-reconnect-storm-*.log | tr -d '\r' | awk '
      /"followers" : [0-9]/ {f += $3 + 0} /"caughtUp" : / {c += $3 + 0}
      /"allCaughtUpSeconds" : / {s = $3 + 0; if (s > m) m = s}
      END {printf "{\"scenario\":\"reconnect-storm\",\"followers\":%d,\"caughtUp\":%d,\"allCaughtUpSeconds\":%.2f}\n", f, c, m}' \
      | tee "$OUT/reconnect-storm-parts-$(date -u +%Y%m%dT%H%M%SZ).json"
  fi
  return $failed
}

generate() {
  ( pin "$GEN_CORE" java ${GEN_JAVA_OPTS:--Xmx4g -XX:MetaspaceSize=256m} -jar loadtest/target/loadtest.jar "$@" --url "$URLS" \
    --token-secret "$SECRET" --twilio-token "$TWILIO_TOKEN" --public-url "http://127.0.0.1:$PORT" \
    --admin-token "$ADMIN_TOKEN" --fake-twilio-port "$FAKE_TWILIO_PORT" \
    --sources "$SOURCES" --out "$OUT" )
}

one() {
  local scenario=$1; shift
  if [ "$scenario" = safety-check ]; then
    TWILIO_API_BASE=http://127.0.0.1:$FAKE_TWILIO_PORT; HUB_SMS_RATE_RUN=${SAFETY_SMS_RATE:-2000}
  fi
  if [[ " $* " == *" --baseline "* ]]; then start_baseline; else start_hub; fi
  local status=0
  if [ "$GENS" -gt 1 ]; then generate_parts "$scenario" "$@" || status=$?
  elif [ "$scenario" = idle-connections ]; then generate "$scenario" --hub-pid "$SERVER_PID" "$@" || status=$?
  else generate "$scenario" "$@" || status=$?; fi
  # The hub's own view of the run (deliveries, coalesced frames, slow consumers, store latency), kept
  # for a failed run too: it says what the hub was doing.
  for u in ${URLS//,/ }; do curl -s "$u/metrics" | grep '^hub_' >> "$OUT/metrics-$scenario.txt" || true; done
  stop_server
  return $status
}

mkdir -p "$OUT"
if [ "${1:-}" = all ]; then
  for i in 1 2 3; do
    one checkin-storm --users 2000 --rate "${CHECKIN_RATE:-5000}" --duration 15
    one checkin-storm --users 2000 --rate 20000 --duration 15
    one fanout --subjects 50 --followers 200 --rate "${FANOUT_RATE:-500}" --duration 15
    one fanout --subjects 50 --followers 200 --rate "${FANOUT_RATE:-500}" --duration 15 --baseline
    one slow-consumers --subjects 50 --followers 200 --rate "${FANOUT_RATE:-500}" --duration 15 --slow-share 0.1
    one reconnect-storm --subjects 50 --followers "${RECONNECT_FOLLOWERS:-200}"
    one idle-connections --connections "${IDLE_CONNECTIONS:-19000}" --duration 15
    one sms-storm --rate "${SMS_RATE:-1000}" --duration 15
    one slow-headers --attackers "${ATTACKERS:-1500}" --drip-seconds 5 --subjects 10 --followers 50 --rate 100 --duration 15
  done
elif [ "${1:-}" = sweep ]; then
  shift
  # --rotate: each sweep starts the rate's order one server further on, so over SWEEPS=N no server is
  # always the first stepped after the warm-ups (that place lost in 5 of 6 sweeps, whichever build had it).
  for i in $(seq 1 "${SWEEPS:-1}"); do sweep --rotate $((i - 1)) "$@"; done
  java -cp loadtest/target/loadtest.jar org.crisishub.loadtest.Sweep "$OUT"
else
  one "$@"
fi
