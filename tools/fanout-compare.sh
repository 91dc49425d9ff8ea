#!/usr/bin/env bash
# Preliminary side-by-side figure until arkmq-bench exists: one mosquitto_pub sends N QoS 0
# messages to S mosquitto_sub subscribers, through arkmq-broker and then through mosquitto, with
# the same clients. Reports wall time, deliveries/s and broker CPU (user+sys) per delivery.
# Usage: tools/fanout-compare.sh [N=20000] [S=20]   (needs a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}; subs=${2:-20}
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
tick=$(getconf CLK_TCK)

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
lines() { cat "$work"/sub.* | wc -l; }
wait_lines() {  # wait until the subscribers' outputs hold $1 lines in all, bounded to 120 s
  local deadline=$((SECONDS + 120))
  while [ "$(lines)" -lt "$1" ]; do
    [ $SECONDS -lt $deadline ] || { echo "timed out: $(lines)/$1 lines" >&2; return 1; }
    sleep 0.05
  done
}

run() {
  local name=$1 port; port=$(free_port)
  rm -f "$work"/sub.*
  if [ "$name" = arkmq ]; then
    build/release/broker/app/arkmq-broker --listen "mqtt://127.0.0.1:$port" --allow-anonymous \
      --log-level warn >"$work/broker.out" 2>&1 &
  else
    printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\n' "$port" >"$work/m.conf"
    mosquitto -c "$work/m.conf" >"$work/broker.out" 2>&1 &
  fi
  local pid=$!
  until mosquitto_pub -p "$port" -t probe -n 2>/dev/null; do sleep 0.05; done
  for i in $(seq 1 "$subs"); do
    mosquitto_sub -p "$port" -t bench -q 0 >"$work/sub.$i" &
  done
  # Probe until every subscriber has received something: then all subscriptions are in place.
  local probes=0
  while [ "$(for f in "$work"/sub.*; do [ -s "$f" ] && echo x; done | wc -l)" -lt "$subs" ]; do
    mosquitto_pub -p "$port" -t bench -m probe; probes=$((probes + 1)); sleep 0.02
  done
  sleep 0.2  # let in-flight probes land before counting (probes are not part of the figure)
  local before; before=$(lines)
  local cpu0; cpu0=$(cpu_ticks "$pid"); local t0; t0=$(date +%s.%N)
  seq 1 "$n" | sed 's/^/payload-of-sixty-four-bytes-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/' |
    mosquitto_pub -p "$port" -t bench -q 0 -l
  wait_lines $((before + n * subs))
  local t1; t1=$(date +%s.%N); local cpu1; cpu1=$(cpu_ticks "$pid")
  python3 - "$name" "$n" "$subs" "$t0" "$t1" "$cpu0" "$cpu1" "$tick" <<'PY'
import sys
name, n, subs, t0, t1, c0, c1, tick = sys.argv[1:]
n, subs = int(n), int(subs); wall = float(t1) - float(t0); cpu = (int(c1) - int(c0)) / int(tick)
d = n * subs
print(f"{name:10s} deliveries={d} wall={wall:.2f}s deliveries/s={d / wall:,.0f} "
      f"broker_cpu={cpu:.2f}s cpu_per_delivery={cpu / d * 1e9:,.0f}ns")
PY
  kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true
}

run arkmq
run mosquitto
