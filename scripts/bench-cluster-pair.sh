#!/bin/bash
# Node CPU per delivery on one Redis and on a 3-master Redis Cluster (one
# replica each), measured at the same moments: two fleets of K=3 nodes run
# side by side, each under its own roomcast-bench with the same room-heavy
# load, so a machine whose speed drifts between runs weighs on both alike.
#   scripts/bench-cluster-pair.sh [BUILDDIR [REPS [P]]]
# Defaults: 3 repetitions, 3000 msg/s per fleet (3000 clients in 600 rooms,
# 600 senders, 20 s). BENCH_JSON=FILE keeps the raw rows.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
reps=${2:-3}
P=${3:-3000}
work=$(mktemp -d)
pids=() rpid=""
cleanup() {
	kill ${pids[@]+"${pids[@]}"} 2>/dev/null || true
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null || true
	"$top/scripts/redis-cluster.sh" stop "$work/cluster" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --dir "$work" --save '' --appendonly no > "$work/redis.log" 2>&1 &
rpid=$!
line=$(RC_CLUSTER_REPLICAS=1 "$top/scripts/redis-cluster.sh" start "$work/cluster")
masters=${line#masters=}
masters=${masters%% *}
seeds=""
for m in ${masters//,/ }; do seeds=${seeds:+$seeds,}127.0.0.1:$m; done
n=0
until redis-cli -p "$rport" ping >/dev/null 2>&1; do
	n=$((n + 1))
	[ $n -le 100 ] || { echo "bench-cluster-pair.sh: redis-server did not start" >&2; exit 1; }
	sleep 0.1
done

single_pids=() single_urls=() cluster_pids=() cluster_urls=()
for i in 0 1 2; do
	port=$(free_port)
	"$build/src/roomcastd" --port "$port" --redis "redis://127.0.0.1:$rport" --bus none \
		--node-id "s$i" > "$work/s$i.log" 2>&1 &
	pids+=($!) single_pids+=($!) single_urls+=("ws://127.0.0.1:$port")
	port=$(free_port)
	"$build/src/roomcastd" --port "$port" --redis-cluster "$seeds" --bus none \
		--node-id "c$i" > "$work/c$i.log" 2>&1 &
	pids+=($!) cluster_pids+=($!) cluster_urls+=("ws://127.0.0.1:$port")
done
for u in "${single_urls[@]}" "${cluster_urls[@]}"; do
	n=0
	until curl -sf "http://127.0.0.1:${u##*:}/healthz" >/dev/null; do
		n=$((n + 1))
		if [ $n -gt 150 ]; then
			echo "bench-cluster-pair.sh: the node on ${u##*:} did not start; its log:" >&2
			cat "$work"/*.log >&2
			exit 1
		fi
		sleep 0.2
	done
done

join() { local IFS=,; echo "$*"; }
for rep in $(seq "$reps"); do
	"$build/src/bench/roomcast-bench" -u "$(join "${single_urls[@]}")" -c 3000 -r 600 -s 600 \
		-p "$P" -t 20 -w 3 --pid "$(join "${single_pids[@]}")" --label "single-$rep" \
		--json "$work/runs.jsonl" > "$work/single.out" 2>&1 &
	a=$!
	"$build/src/bench/roomcast-bench" -u "$(join "${cluster_urls[@]}")" -c 3000 -r 600 -s 600 \
		-p "$P" -t 20 -w 3 --pid "$(join "${cluster_pids[@]}")" --label "cluster-$rep" \
		--json "$work/runs.jsonl" > "$work/cluster.out" 2>&1 &
	b=$!
	wait "$a"
	wait "$b"
done

[ -z "${BENCH_JSON:-}" ] || cp "$work/runs.jsonl" "$BENCH_JSON"
python3 - "$work/runs.jsonl" <<'PY'
import json, sys
per = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    kind, rep = r["label"].rsplit("-", 1)
    us = sum(n["cpuS"] for n in r["nodes"]) * 1e6 / max(r["delivered"], 1)
    per.setdefault(rep, {})[kind] = us
    print("%-10s node CPU per delivery %6.2f us  loss %.3f %%" % (r["label"], us, r["lossPct"]))
for rep in sorted(per):
    v = per[rep]
    if "single" in v and "cluster" in v:
        print("run %s: cluster / one Redis %.3f" % (rep, v["cluster"] / v["single"]))
PY
