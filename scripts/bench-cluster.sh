#!/bin/bash
# A room-heavy load on K=3 nodes, interleaved: against one Redis, one Redis with
# a replica (what each master of a cluster with failover also pays for), a
# 3-master Redis Cluster with one replica each, and the same 3 masters without
# replicas (like for like with one Redis); Redis CPU per message on each master
# and node CPU per delivery.
#   scripts/bench-cluster.sh [BUILDDIR [REPS [C R S P T]]]
# Defaults: 2 repetitions, 3000 clients, 600 rooms, 600 senders, 3000 msg/s, 15 s.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
reps=${2:-2}
C=${3:-3000} R=${4:-600} S=${5:-600} P=${6:-3000} T=${7:-15}
work=$(mktemp -d)
json=$work/runs.jsonl
pids=() rpid=""
cleanup() {
	kill "${pids[@]}" 2>/dev/null || true
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null || true
	"$top/scripts/redis-cluster.sh" stop "$work/cluster" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_nodes() { # redis options...
	pids=() urls=()
	for i in 0 1 2; do
		port=$(free_port)
		"$build/src/roomcastd" --port "$port" "$@" --bus none --node-id "n$i" > "$work/n$i.log" 2>&1 &
		pids+=($!) urls+=("ws://127.0.0.1:$port")
	done
	for u in "${urls[@]}"; do
		until curl -sf "http://127.0.0.1:${u##*:}/healthz" >/dev/null; do sleep 0.2; done
	done
}

stop_nodes() { kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true; pids=(); }

# the Redis servers go into --pid after the nodes: the JSON line has each one's CPU
run() { # label redis-pids...
	local label=$1
	shift
	"$build/src/bench/roomcast-bench" -u "$(IFS=,; echo "${urls[*]}")" -c "$C" -r "$R" -s "$S" -p "$P" \
		-t "$T" -w 3 --pid "$(IFS=,; echo "${pids[*]},$*" | tr ' ' ',')" --label "$label" --json "$json" \
		| tail -1
}

for rep in $(seq "$reps"); do
	rport=$(free_port)
	redis-server --port "$rport" --bind 127.0.0.1 --dir "$work" --save '' --appendonly no > "$work/redis.log" 2>&1 &
	rpid=$!
	until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.1; done
	start_nodes --redis "redis://127.0.0.1:$rport"
	run "single-$rep" "$rpid"
	stop_nodes
	kill "$rpid"; wait "$rpid" 2>/dev/null || true; rpid=""

	# the cluster's masters feed a replica each: so does this one Redis
	rport=$(free_port) qport=$(free_port)
	redis-server --port "$rport" --bind 127.0.0.1 --dir "$work" --save '' --appendonly no > "$work/redis.log" 2>&1 &
	rpid=$!
	until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.1; done
	redis-server --port "$qport" --bind 127.0.0.1 --dir "$work" --save '' --appendonly no \
		--replicaof 127.0.0.1 "$rport" > "$work/replica.log" 2>&1 &
	qpid=$!
	until redis-cli -p "$qport" info replication 2>/dev/null | grep -q 'master_link_status:up'; do sleep 0.1; done
	start_nodes --redis "redis://127.0.0.1:$rport"
	run "replicated-$rep" "$rpid"
	stop_nodes
	kill "$rpid" "$qpid"; wait "$rpid" "$qpid" 2>/dev/null || true; rpid=""

	# with one replica per master (failover), then without (like one Redis)
	for replicas in 1 0; do
		line=$(RC_CLUSTER_REPLICAS=$replicas "$top/scripts/redis-cluster.sh" start "$work/cluster")
		masters=${line#masters=}
		masters=${masters%% *}
		mpids=() seeds=""
		for m in ${masters//,/ }; do
			mpids+=("$(cat "$work/cluster/redis-$m.pid")")
			seeds=${seeds:+$seeds,}127.0.0.1:$m
		done
		start_nodes --redis-cluster "$seeds"
		if [ $replicas = 1 ]; then
			run "cluster-$rep" "${mpids[@]}"
		else
			run "cluster-norepl-$rep" "${mpids[@]}"
		fi
		stop_nodes
		"$top/scripts/redis-cluster.sh" stop "$work/cluster" >/dev/null
	done
done

# BENCH_JSON=FILE keeps the raw rows
[ -z "${BENCH_JSON:-}" ] || cp "$json" "$BENCH_JSON"
python3 - "$json" <<'PY'
import json, sys
print("run                Redis CPU per message, each server         node CPU per delivery  p99")
for line in open(sys.argv[1]):
    d = json.loads(line)
    nodes, servers = d["nodes"][:3], d["nodes"][3:]
    node_us = sum(n["cpuS"] for n in nodes) / d["delivered"] * 1e6
    redis = " / ".join("%.1f us" % (s["cpuS"] / d["sent"] * 1e6) for s in servers)
    print("%-18s %-42s %8.1f us %14.2f ms" % (d["label"], redis, node_us, d["latMs"]["p99"]))
PY
