#!/usr/bin/env bash
# Network throughput and ping-pong latency across a veth between two network
# namespaces: Aeron's Java samples on aeron-bypass at both ends, and on
# Aeron's Java media driver at both ends, same run, same settings. Drivers
# run SHARED with a backoff idle strategy; the samples use their defaults.
# Bounded: every phase has a timeout, and the namespaces go on exit.
#
#   test/interop/bench/net.sh [seconds-per-phase] [ping-messages] [rounds]
#   BACKEND=xdp test/interop/bench/net.sh ...   # aeron-bypass on AF_XDP
#   BACKEND=dpdk test/interop/bench/net.sh ...  # on DPDK: a net_af_packet vdev per veth
#
# With BACKEND=dpdk the binary is built with -tags dpdk, and while
# aeron-bypass runs each veth loses its Linux address: the backend owns it
# (aeron.bypass.dpdk.address), answers ARP for it and resolves its peer
# itself. EAL runs without hugepages, so the figures are the backend's
# overhead on top of AF_PACKET, not a NIC's speed.
set -euo pipefail
cd "$(dirname "$0")/../../.."
SECONDS_PER_PHASE=${1:-10}
PINGS=${2:-20000}
ROUNDS=${3:-2}
BACKEND=${BACKEND:-udp}
# Idle strategy of the Ping and Pong samples: on two cores, four busy-spinning
# threads starve the drivers, so both sides yield by default.
SAMPLE_IDLE=${SAMPLE_IDLE:-org.agrona.concurrent.YieldingIdleStrategy}
JAR=${AERON_ALL_JAR:-.cache/java/aeron-all-1.51.0.jar}
[ -f "$JAR" ] || make -s java-deps
BYPASS=${AERON_BYPASS_BIN:-bin/aeron-bypass}
TAGS=()
[ "$BACKEND" = dpdk ] && TAGS=(-tags dpdk)
[ -n "${AERON_BYPASS_BIN:-}" ] || go build "${TAGS[@]}" -o bin/aeron-bypass ./cmd/aeron-bypass
JAVA=(java -Xms256m -Xmx256m --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -cp "$JAR")

NA=abbench-a-$$ NB=abbench-b-$$ IA=abba$$ IB=abbb$$
ADDR_A=198.18.0.1 ADDR_B=198.18.0.2
# EAL settings of both DPDK drivers (no hugepages: vdevs only).
DPDK_ARGS=(--dpdk-no-huge=true --dpdk-memory=128m)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  ip netns del "$NA" 2>/dev/null || true
  ip netns del "$NB" 2>/dev/null || true
  rm -rf "$work" "/var/run/dpdk/$NA" "/var/run/dpdk/$NB"
}
trap cleanup EXIT
ip netns add "$NA"; ip netns add "$NB"
ip link add "$IA" type veth peer name "$IB"
ip link set "$IA" netns "$NA"; ip link set "$IB" netns "$NB"
ip -n "$NA" addr add $ADDR_A/24 dev "$IA"; ip -n "$NB" addr add $ADDR_B/24 dev "$IB"
for ns in "$NA" "$NB"; do ip -n "$ns" link set lo up; done
ip -n "$NA" link set "$IA" up; ip -n "$NB" link set "$IB" up

start_driver() { # kind ns iface dir
  case $1 in
    java) ip netns exec "$2" "${JAVA[@]}" -Daeron.dir="$4" -Daeron.threading.mode=SHARED -Daeron.shared.idle.strategy=backoff \
            -Daeron.dir.delete.on.start=true io.aeron.driver.MediaDriver >"$work/$1-$2-driver.log" 2>&1 & ;;
    bypass) AERON_DIR="$4" AERON_THREADING_MODE=SHARED AERON_SHARED_IDLE_STRATEGY=backoff \
            ip netns exec "$2" "$BYPASS" --backend "$BACKEND" --interface "$3" "${@:5}" >"$work/$1-$2-driver.log" 2>&1 & ;;
  esac
  pids+=($!)
  for _ in $(seq 200); do [ -s "$4/cnc.dat" ] && break; sleep 0.1; done
  sleep 1
}

stop_drivers() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; pids=(); }

median_rate() { # log unit
  grep -oE "[0-9.]+(e[+-]?[0-9]+)? $2" "$1" | awk '$1 > 0 {print $1}' | sort -g |
    awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]}'
}

run_kind() { # kind
  local kind=$1 da="$work/aeron-$1-a" db="$work/aeron-$1-b"
  if [ "$kind" = bypass ] && [ "$BACKEND" = dpdk ]; then
    # DPDK takes each veth through a vdev and owns its address.
    ip -n "$NA" addr flush dev "$IA"; ip -n "$NB" addr flush dev "$IB"
    start_driver bypass "$NA" "$IA" "$da" "${DPDK_ARGS[@]}" --dpdk-vdevs="net_af_packet0,iface=$IA" \
      --dpdk-address=$ADDR_A/24 --dpdk-file-prefix="$NA"
    start_driver bypass "$NB" "$IB" "$db" "${DPDK_ARGS[@]}" --dpdk-vdevs="net_af_packet0,iface=$IB" \
      --dpdk-address=$ADDR_B/24 --dpdk-file-prefix="$NB"
  elif [ "$kind" = bypass ]; then
    # AF_XDP needs its interface; the kernel backend ignores it.
    start_driver bypass "$NA" "$IA" "$da"; start_driver bypass "$NB" "$IB" "$db"
  else
    start_driver java "$NA" "$IA" "$da"; start_driver java "$NB" "$IB" "$db"
  fi
  for len in 32 1024; do
    ch="aeron:udp?endpoint=$ADDR_B:40456"
    props=(-Daeron.sample.channel="$ch" -Daeron.sample.messageLength=$len -Daeron.sample.messages=1000000000)
    timeout "$SECONDS_PER_PHASE" ip netns exec "$NB" "${JAVA[@]}" -Daeron.dir="$db" "${props[@]}" \
      io.aeron.samples.RateSubscriber >"$work/$kind-rate-$len.log" 2>&1 &
    local rp=$!
    sleep 2
    timeout $((SECONDS_PER_PHASE - 2)) ip netns exec "$NA" "${JAVA[@]}" -Daeron.dir="$da" "${props[@]}" \
      io.aeron.samples.StreamingPublisher >/dev/null 2>&1 || true
    wait "$rp" || true
    echo "$kind throughput, $len-byte messages: $(median_rate "$work/$kind-rate-$len.log" msgs/sec) msgs/s," \
      "$(median_rate "$work/$kind-rate-$len.log" "payload bytes/sec") payload bytes/s (median of 1 s samples)"
    if [ -z "$(median_rate "$work/$kind-rate-$len.log" msgs/sec)" ]; then
      # Nothing arrived: say what the drivers complained about.
      grep -hE "level=(WARN|ERROR)" "$work/$kind"-*-driver.log | sed -E 's/^time=[^ ]+ //' | sort | uniq -c | head -3 || true
    fi
  done
  pprops=(-Daeron.sample.ping.channel="aeron:udp?endpoint=$ADDR_B:40457" -Daeron.sample.pong.channel="aeron:udp?endpoint=$ADDR_A:40458"
          -Daeron.sample.messages="$PINGS" -Daeron.sample.messageLength=32 -Daeron.sample.exclusive.publications=true
          -Daeron.sample.warmup.iterations=2 -Daeron.sample.warmup.messages=2000 -Daeron.sample.idleStrategy="$SAMPLE_IDLE")
  timeout 240 ip netns exec "$NB" "${JAVA[@]}" -Daeron.dir="$db" "${pprops[@]}" io.aeron.samples.Pong >"$work/$kind-pong.log" 2>&1 &
  local pp=$!
  sleep 2
  timeout 240 ip netns exec "$NA" "${JAVA[@]}" -Daeron.dir="$da" "${pprops[@]}" io.aeron.samples.Ping >"$work/$kind-ping.log" 2>&1 || true
  kill "$pp" 2>/dev/null || true
  wait "$pp" 2>/dev/null || true
  cp "$work/$kind-ping.log" "${BENCH_OUT:-/tmp}/net-$kind-ping.log" 2>/dev/null || true
  echo "$kind ping-pong RTT (us):"
  grep -E '^#\[Mean|^#\[Max' "$work/$kind-ping.log" | tail -2 || true
  awk '/Value *Percentile/{p=1;next} p && NF==4 {print}' "$work/$kind-ping.log" | \
    awk '{v[$2]=$1} END {n=split("0.5 0.99 0.999",q," "); for(i=1;i<=n;i++){best="";for(k in v) if(k+0>=q[i] && (best=="" || k+0<best+0)) best=k; if(best!="") printf "  p%s %s us\n", q[i]*100, v[best]}}'
  if [ "$kind" = bypass ]; then
    # Which backend each driver ran on, as it logged.
    grep -h "network backend chosen" "$work"/bypass-*-driver.log | grep -oE "backend=[a-z]+ " | sort | uniq -c || true
  fi
  stop_drivers
  if [ "$kind" = bypass ] && [ "$BACKEND" = dpdk ]; then
    # Linux takes the addresses back for the Java driver.
    ip -n "$NA" addr add $ADDR_A/24 dev "$IA"; ip -n "$NB" addr add $ADDR_B/24 dev "$IB"
  fi
}

echo "backend for aeron-bypass: $BACKEND"
for round in $(seq "$ROUNDS"); do
  echo "== round $round (load average $(cut -d" " -f1-3 /proc/loadavg))"
  if [ $((round % 2)) -eq 1 ]; then run_kind java; run_kind bypass; else run_kind bypass; run_kind java; fi
done
