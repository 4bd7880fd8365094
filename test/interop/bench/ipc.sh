#!/usr/bin/env bash
# IPC throughput and ping-pong latency of Aeron's Java client on aeron-bypass
# and on Aeron's Java media driver, same machine, same run, same settings:
# both drivers SHARED threading with a backoff idle strategy; the samples use
# their default busy-spin idle strategies. Bounded: each phase has a timeout.
#
#   test/interop/bench/ipc.sh [seconds-per-phase] [ping-messages] [rounds]
set -euo pipefail
cd "$(dirname "$0")/../../.."
SECONDS_PER_PHASE=${1:-16}
PINGS=${2:-20000}
ROUNDS=${3:-2}
JAR=${AERON_ALL_JAR:-.cache/java/aeron-all-1.51.0.jar}
[ -f "$JAR" ] || make -s java-deps
# AERON_BYPASS_BIN measures a prebuilt binary instead of building one.
BYPASS=${AERON_BYPASS_BIN:-bin/aeron-bypass}
[ -n "${AERON_BYPASS_BIN:-}" ] || go build -o bin/aeron-bypass ./cmd/aeron-bypass
JAVA=(java -Xms256m -Xmx256m --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -cp "$JAR")
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

start_driver() { # kind dir
  case $1 in
    java) "${JAVA[@]}" -Daeron.dir="$2" -Daeron.threading.mode=SHARED -Daeron.shared.idle.strategy=backoff \
            -Daeron.dir.delete.on.start=true io.aeron.driver.MediaDriver >"$work/$1-driver.log" 2>&1 & ;;
    bypass) AERON_DIR="$2" AERON_THREADING_MODE=SHARED AERON_SHARED_IDLE_STRATEGY=backoff \
            "$BYPASS" >"$work/$1-driver.log" 2>&1 & ;;
  esac
  echo $! >"$work/$1.pid"
  pids+=($!)
  for _ in $(seq 200); do [ -s "$2/cnc.dat" ] && break; sleep 0.1; done
  sleep 1
}

stop_driver() { kill "$(cat "$work/$1.pid")" 2>/dev/null || true; wait "$(cat "$work/$1.pid")" 2>/dev/null || true; }

run_round() { # order...
for kind in "$@"; do
  dir="$work/aeron-$kind"
  start_driver $kind "$dir"
  props=(-Daeron.dir="$dir" -Daeron.sample.channel=aeron:ipc -Daeron.sample.messageLength=32
         -Daeron.sample.messages=1000000000)
  timeout "$SECONDS_PER_PHASE" "${JAVA[@]}" "${props[@]}" io.aeron.samples.RateSubscriber >"$work/$kind-rate.log" 2>&1 &
  rate_pid=$!
  pids+=($rate_pid)
  sleep 2
  timeout $((SECONDS_PER_PHASE - 2)) "${JAVA[@]}" "${props[@]}" io.aeron.samples.StreamingPublisher >/dev/null 2>&1 || true
  wait "$rate_pid" || true
  # RateSubscriber prints one "N msgs/sec" line a second; report the median.
  # The seconds before the publisher connects print 0 and are left out.
  rate=$(grep -oE '[0-9.]+(e[+-]?[0-9]+)? msgs/sec' "$work/$kind-rate.log" | awk '$1 > 0 {print $1}' | sort -g |
    awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]}')
  echo "$kind throughput (32-byte msgs/s, median of 1s samples): ${rate:-none}"
  pprops=(-Daeron.dir="$dir" -Daeron.sample.ping.channel=aeron:ipc -Daeron.sample.pong.channel=aeron:ipc
          -Daeron.sample.messages="$PINGS" -Daeron.sample.messageLength=32 -Daeron.sample.exclusive.publications=true)
  timeout 60 "${JAVA[@]}" "${pprops[@]}" io.aeron.samples.Pong >"$work/$kind-pong.log" 2>&1 &
  pong_pid=$!
  pids+=($pong_pid)
  sleep 2
  timeout 60 "${JAVA[@]}" "${pprops[@]}" io.aeron.samples.Ping >"$work/$kind-ping.log" 2>&1 || true
  kill "$pong_pid" 2>/dev/null || true
  wait "$pong_pid" 2>/dev/null || true
  echo "$kind ping-pong RTT (us):"
  cp "$work/$kind-ping.log" "${BENCH_OUT:-/tmp}/ipc-$kind-ping.log" 2>/dev/null || true
  grep -E '^#\[Mean|^#\[Max' "$work/$kind-ping.log" | tail -2
  awk '/Value *Percentile/{p=1;next} p && NF==4 {print}' "$work/$kind-ping.log" | \
    awk '{v[$2]=$1} END {n=split("0.5 0.9 0.99 0.999",q," "); for(i=1;i<=n;i++){best="";for(k in v) if(k+0>=q[i] && (best=="" || k+0<best+0)) best=k; if(best!="") printf "  p%s %s us\n", q[i]*100, v[best]}}' 
  stop_driver $kind
done
}

# Alternate which driver goes first, so neither always gets a warmer machine.
for round in $(seq "$ROUNDS"); do
  echo "== round $round (load average $(cut -d" " -f1-3 /proc/loadavg))"
  if [ $((round % 2)) -eq 1 ]; then run_round java bypass; else run_round bypass java; fi
done
