#!/bin/bash
# What presence and resume cost, with roomcast-bench on nodes of one Redis:
#  - scenario B's load (K=3, 1500 clients, 15 rooms, 200 msg/s) with joins without
#    and with presence, fresh nodes each, REPS times interleaved;
#  - IDLE idle members on one node with and without presence: node and Redis CPU
#    and Redis' commands/s over 60 s;
#  - B's load for 30 s with receivers dropping and resuming with since.
#   scripts/bench-features.sh [BUILDDIR [REPS [IDLE]]]   (defaults: 2, 19000)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
reps=${2:-2}
idle=${3:-19000}
work=$(mktemp -d)
json=$work/runs.jsonl
pids=() rpid=""
cleanup() {
	kill "${pids[@]}" 2>/dev/null || true
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"
bench=$build/src/bench/roomcast-bench

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() { # nodes
	rport=$(free_port)
	redis-server --port "$rport" --bind 127.0.0.1 --dir "$work" --save '' --appendonly no > "$work/redis.log" 2>&1 &
	rpid=$!
	until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.1; done
	pids=() urls=()
	for i in $(seq 0 $(($1 - 1))); do
		port=$(free_port)
		"$build/src/roomcastd" --port "$port" --redis "redis://127.0.0.1:$rport" --bus none \
			--node-id "n$i" > "$work/n$i.log" 2>&1 &
		pids+=($!) urls+=("ws://127.0.0.1:$port")
	done
	for u in "${urls[@]}"; do
		until curl -sf "http://127.0.0.1:${u##*:}/healthz" >/dev/null; do sleep 0.2; done
	done
}

stop() {
	kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true; pids=()
	kill "$rpid"; wait "$rpid" 2>/dev/null || true; rpid=""
}

B=(-c 1500 -r 15 -s 15 -p 200 -t 15 -w 3)
for rep in $(seq "$reps"); do
	for mode in plain presence; do
		start 3
		extra=()
		[ "$mode" = presence ] && extra=(--presence)
		"$bench" -u "$(IFS=,; echo "${urls[*]}")" "${B[@]}" "${extra[@]}" \
			--pid "$(IFS=,; echo "${pids[*]}")" --redis-pid "$rpid" \
			--label "B-$mode-$rep" --json "$json" | tail -1
		stop
	done
done

for mode in presence plain; do
	start 1
	extra=()
	[ "$mode" = presence ] && extra=(--presence)
	"$bench" -u "${urls[0]}" -c "$idle" -r 100 -s 0 --idle --idle-settle 60 "${extra[@]}" \
		--source-addrs 4 --pid "${pids[0]}" --redis-pid "$rpid" --redis-port "$rport" \
		--label "idle-$mode" --json "$json" | tail -1
	stop
done

start 3
"$bench" -u "$(IFS=,; echo "${urls[*]}")" -c 1500 -r 15 -s 15 -p 200 -t 30 -w 3 --resume-every 5 \
	--pid "$(IFS=,; echo "${pids[*]}")" --redis-pid "$rpid" --label B-resume --json "$json" 2>&1 | tail -2
stop

# BENCH_JSON=FILE keeps the raw rows
[ -z "${BENCH_JSON:-}" ] || cp "$json" "$BENCH_JSON"
python3 - "$json" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["mode"] == "idle":
        print("%-16s node %.3f %%  redis %.3f %%  redis cmds/s %.1f  joins %.2f s" % (
            d["label"], d["serverCpuPct"], d["redisCpuPct"], d.get("redis_cmds_per_s", 0), d["join_s"]))
    else:
        print("%-16s node %.2f us/delivery  redis %.1f %%  p99 %.2f ms  joins %.3f s" % (
            d["label"], d["serverCpuUsPerMsg"], d["redisCpuPct"], d["latMs"]["p99"], d["join_s"]))
PY
