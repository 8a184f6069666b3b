#!/bin/bash
# Scenario B's load on one port served by 1, then 2 roomcastd processes sharing it
# with SO_REUSEPORT ([server] reuse_port = true), rooms shared through Redis.
#   scripts/bench-reuseport.sh [BUILDDIR] [roomcast-bench options...]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
[ $# -gt 0 ] && shift
bench_args=("$@")
[ ${#bench_args[@]} -gt 0 ] || bench_args=(-c 1500 -r 15 -s 15 -p 200 -t 15 -w 3)
work=$(mktemp -d)
rport=""
trap 'kill $(jobs -p) 2>/dev/null || true; [ -z "$rport" ] || redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
ulimit -n "$(ulimit -Hn)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for procs in 1 2; do
  rport=$(free_port)
  port=$(free_port)
  redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no > "$work/redis.log" 2>&1 &
  rpid=$!
  until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.1; done
  printf '[server]\nreuse_port=true\n' > "$work/reuse.conf"
  pids=()
  for i in $(seq 1 "$procs"); do
    "$build/src/roomcastd" --port "$port" --bus none --node-id "p$i" --config "$work/reuse.conf" \
      --redis "redis://127.0.0.1:$rport" > "$work/p$i.out" 2> "$work/p$i.err" &
    pids+=($!)
  done
  for i in $(seq 1 "$procs"); do
    until grep -q 'listening on' "$work/p$i.out"; do sleep 0.1; done
  done
  sleep 1
  echo "== $procs process(es) on port $port"
  "$build/src/bench/roomcast-bench" --url "ws://127.0.0.1:$port/ws" \
    --pid "$(IFS=,; echo "${pids[*]}")" --redis-pid "$rpid" --label "reuseport-$procs" \
    --json "$work/$procs.jsonl" "${bench_args[@]}"
  cat "$work/$procs.jsonl"
  kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
  redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
  wait "$rpid" 2>/dev/null || true
done
