#!/bin/sh
# One node of a mixed fleet: two servers side by side in the same run of the
# fan-out harness, node I running the first when I is even and the second when
# it is odd. On a machine whose speed drifts from one run to the next, the
# servers then share every moment of it, and the harness' CPU per node compares
# them within a few per cent.
#   scripts/mixed-node.sh A B I NODE-ARGS...
# A and B: "floor" (the harness' floor node, FLOOR_NODE=path) or a roomcastd
# binary. NODE-ARGS are the harness' roomcastd arguments; the floor gets
# --port, --redis and --node-id from them. Both must share the Redis channel
# and its payload: roomcastd's default (--fanout single on "livechat") does.
# e.g. as the harness' --roomcast-cmd with --k 6 --r 12 --s 12, where every
# node holds two of the senders, so that both halves publish alike:
#   'scripts/mixed-node.sh floor build-rel/src/roomcastd {i} --port {port}
#    --redis redis://127.0.0.1:{redisport} --bus none --node-id n{i}'
set -eu
a=$1 b=$2 i=$3
shift 3
if [ $((i % 2)) -eq 0 ]; then server=$a; else server=$b; fi
if [ "$server" != floor ]; then
	exec "$server" "$@"
fi
port="" redis="" node=""
while [ $# -gt 0 ]; do
	case $1 in
	--port) port=$2 && shift ;;
	--redis) redis=$2 && shift ;;
	--node-id) node=$2 && shift ;;
	esac
	shift
done
exec "${FLOOR_NODE:?FLOOR_NODE: the floor node binary}" --port "$port" --redis "$redis" --node-id "$node"
