#!/bin/sh
# RSS per idle socket.io client on one node, for each transport.
#   scripts/bench-socketio-idle.sh [BUILDDIR] [N]
# Starts a redis-server on a free port and a node of BUILDDIR (release build), connects
# N (2000) clients with scripts/bench/socketio-idle.mjs, and prints one JSON row each
# for the WebSocket transport, polling, and polling upgraded to WebSocket.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build-rel}" && pwd)
n=${2:-2000}
[ -x "$build/src/roomcastd" ] || { echo "no $build/src/roomcastd (meson setup $build -Dbuildtype=release -Dtests=false)" >&2; exit 1; }
[ -d "$top/tests/socketio/client/node_modules" ] ||
  (cd "$top/tests/socketio/client" && npm ci --no-audit --no-fund --loglevel=error)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work=$(mktemp -d /tmp/roomcast-sio-idle-XXXXXX)
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$work" --daemonize yes --pidfile "$work/redis.pid" >/dev/null
trap 'kill "$(cat "$work/redis.pid")" 2>/dev/null; rm -rf "$work"' EXIT
: > "$work/roomcast.conf"
for transport in websocket polling upgrade; do
  port=$(free_port)
  "$build/src/roomcastd" --port "$port" --bus none --redis "redis://127.0.0.1:$redis_port" \
    --config "$work/roomcast.conf" --plugin-dir "$work/no-plugins" >"$work/node.log" 2>&1 &
  pid=$!
  sleep 1
  node "$top/scripts/bench/socketio-idle.mjs" "http://127.0.0.1:$port" "$pid" "$n" "$transport"
  kill "$pid"
  wait "$pid" || true
done
