#!/bin/bash
# Copyright 2026 roomcast developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Three roomcastd nodes sharing rooms through one Redis, and three ways into a room.
#
#   examples/demo.sh [BUILD_DIR]        (default: build)
#
# It starts its own redis-server on a free port (ROOMCAST_DEMO_REDIS_PORT picks one,
# used only when nothing listens there yet), three nodes on ports the kernel picks,
# and stops exactly those processes, by their pids, when it ends or is interrupted:
# a Redis or a node that was running before is never touched.
#
# carol, on node 3, joins room_1 and prints what she receives: a message from
# alice on node 1, an HTTP POST to node 2, and a PUBLISH into Redis.
set -eu

build=${1:-build}
roomcastd=${ROOMCASTD:-$build/src/roomcastd}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/roomcast-demo.XXXXXX")
pids=()

cleanup() {
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$roomcastd" ] || { echo "demo: no roomcastd at $roomcastd (build it first)" >&2; exit 1; }
for tool in redis-server redis-cli curl python3; do
	command -v "$tool" > /dev/null || { echo "demo: $tool is not installed" >&2; exit 1; }
done

# whether nothing listens on 127.0.0.1:PORT (we can bind it ourselves)
port_is_free() {
	python3 -c 'import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
}

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

start_redis() {
	local port=$1
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
		> "$tmp/redis-$port.log" 2>&1 &
	redis_pid=$!
	pids+=("$redis_pid")
	# ready, and the server answering on that port is the one we started
	for _ in $(seq 100); do
		if ! kill -0 "$redis_pid" 2>/dev/null; then
			return 1 # it could not bind: someone took the port meanwhile
		fi
		if redis-cli -p "$port" info server 2>/dev/null | tr -d '\r' | grep -qx "process_id:$redis_pid"; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

redis_port=${ROOMCAST_DEMO_REDIS_PORT:-}
if [ -n "$redis_port" ] && ! port_is_free "$redis_port"; then
	echo "demo: port $redis_port is in use, picking a free one for Redis" >&2
	redis_port=
fi
started=
for _ in 1 2 3; do
	[ -n "$redis_port" ] || redis_port=$(free_port)
	if start_redis "$redis_port"; then
		started=1
		break
	fi
	redis_port=
done
[ -n "$started" ] || { echo "demo: redis-server did not start" >&2; exit 1; }
echo "demo: redis-server on port $redis_port (pid $redis_pid)"

# --port 0: each node binds a free port and says which in its first line
ports=()
for i in 1 2 3; do
	"$roomcastd" --port 0 --redis "redis://127.0.0.1:$redis_port" --node-id "n$i" --bus none \
		> "$tmp/n$i.log" 2>&1 &
	pids+=("$!")
done
for i in 1 2 3; do
	port=
	for _ in $(seq 100); do
		port=$(sed -n 's|^roomcastd: listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$tmp/n$i.log")
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { echo "demo: node n$i did not start:" >&2; cat "$tmp/n$i.log" >&2; exit 1; }
	ports+=("$port")
	echo "demo: node n$i on port $port"
done

# carol, on node 3, joins room_1 and prints what she receives for 5 seconds
python3 "$here/wsclient.py" "ws://127.0.0.1:${ports[2]}/ws?sender=carol" room_1 --seconds 5 \
	> "$tmp/carol.out" &
carol=$!
pids+=("$carol")
for _ in $(seq 100); do
	grep -q '"type":"joined"' "$tmp/carol.out" 2>/dev/null && break
	sleep 0.05
done

# 1. alice, on node 1, sends to room_1
python3 "$here/wsclient.py" "ws://127.0.0.1:${ports[0]}/ws?sender=alice" room_1 \
	--send 'hi from node 1' --seconds 0.5 > /dev/null

# 2. an HTTP POST to node 2
curl -s -X POST "http://127.0.0.1:${ports[1]}/publish" \
	-d '{"namespace":"/","roomCode":"room_1","msg":{"sender":"bot","text":"hi from curl"}}'
echo

# 3. any program publishing into Redis
redis-cli -p "$redis_port" PUBLISH livechat \
	'{"namespace":"/","roomCode":"room_1","msg":{"sender":"ops","text":"hi from redis-cli"}}'

wait "$carol" || true
echo "demo: carol on node n3 received:"
cat "$tmp/carol.out"
