#!/bin/bash
# roomcast with fanout=single versus fanout=per-room on a many-rooms load, with
# Redis' own CPU and the bytes each node moves through read()/write().
#   scripts/bench-fanout-modes.sh [BUILDDIR] [roomcast-bench options...]
# Defaults: K=3 nodes, 3000 clients, 1000 rooms, 300 senders, 1000 msg/s, 15 s.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
[ $# -gt 0 ] && shift
bench_args=("$@")
[ ${#bench_args[@]} -gt 0 ] || bench_args=(-c 3000 -r 1000 -s 300 -p 1000 -t 15 -w 3)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
ulimit -n "$(ulimit -Hn)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for mode in single per-room; do
  rport=$(free_port)
  redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no > "$work/redis.log" 2>&1 &
  rpid=$!
  until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.1; done
  printf '[redis]\nfanout=%s\n' "$mode" > "$work/$mode.conf"
  urls=() pids=()
  for i in 0 1 2; do
    "$build/src/roomcastd" --port 0 --bus none --node-id "n$i" --config "$work/$mode.conf" \
      --redis "redis://127.0.0.1:$rport" > "$work/n$i.out" 2> "$work/n$i.err" &
    pids+=($!)
  done
  for i in 0 1 2; do
    until grep -q 'listening on' "$work/n$i.out"; do sleep 0.1; done
    urls+=("$(sed -n 's|roomcastd: listening on http://\(.*\)/$|ws://\1/ws|p' "$work/n$i.out")")
  done
  sleep 1
  echo "== fanout=$mode"
  "$build/src/bench/roomcast-bench" --url "$(IFS=,; echo "${urls[*]}")" \
    --pid "$(IFS=,; echo "${pids[*]}")" --redis-pid "$rpid" --label "fanout-$mode" \
    --json "$work/$mode.jsonl" "${bench_args[@]}"
  cat "$work/$mode.jsonl"
  kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
  redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
  wait "$rpid" 2>/dev/null || true
done
