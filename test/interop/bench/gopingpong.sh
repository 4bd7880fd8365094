#!/usr/bin/env bash
# Go client ping-pong over aeron:ipc on one Aeron Java media driver (SHARED,
# backoff idle), for comparing builds of the Go samples round by round:
#
#   test/interop/bench/gopingpong.sh [rounds] [bindir ...]
#
# Each bindir holds ping and pong built from client/examples (default: a
# fresh build of this tree). Each round runs every bindir in turn: pong,
# then ping with 200,000 round trips after 50,000 of warm-up, and prints
# its p50, p90, p99 and p99.9 in microseconds. Bounded: every program has a
# timeout, and the driver and its directory go on exit.
set -euo pipefail
cd "$(dirname "$0")/../../.."
ROUNDS=${1:-3}
shift || true
JAR=${AERON_ALL_JAR:-.cache/java/aeron-all-1.51.0.jar}
[ -f "$JAR" ] || make -s java-deps
work=$(mktemp -d)
BINS=("$@")
if [ ${#BINS[@]} -eq 0 ]; then
  go build -o "$work/bin/" ./client/examples/...
  BINS=("$work/bin")
fi
export AERON_DIR=$work/aeron
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
java --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -cp "$JAR" -Daeron.dir="$AERON_DIR" \
  -Daeron.threading.mode=SHARED -Daeron.shared.idle.strategy=backoff io.aeron.driver.MediaDriver >"$work/driver.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -f "$AERON_DIR/cnc.dat" ] && break; sleep 0.1; done
sleep 1
for r in $(seq "$ROUNDS"); do
  for b in "${BINS[@]}"; do
    timeout 60 "$b/pong" -dir "$AERON_DIR" -ping-channel aeron:ipc -pong-channel aeron:ipc >/dev/null 2>&1 &
    pong=$!
    sleep 0.5
    v=$(timeout 60 "$b/ping" -dir "$AERON_DIR" -ping-channel aeron:ipc -pong-channel aeron:ipc \
      -messages 200000 -warmup 50000 2>&1 | awk '$2 ~ /^0\.(5000|9000|9900|9990)$/ {printf "%s ", $1}')
    echo "$b round $r (load $(cut -d' ' -f1 /proc/loadavg)): p50 p90 p99 p99.9 = $v"
    kill "$pong" 2>/dev/null || true
    wait "$pong" 2>/dev/null || true
  done
done
