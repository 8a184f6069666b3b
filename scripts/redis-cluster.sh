#!/bin/bash
# A local Redis Cluster of six nodes (three masters, one replica each) on
# 127.0.0.1, for the tests, the demo and the benchmarks.
#
#   scripts/redis-cluster.sh start DIR [BASEPORT]
#       Starts the nodes on BASEPORT..BASEPORT+5 (cluster bus on +10000), or on
#       a free block it finds, creates the cluster, waits until every node says
#       cluster_state:ok and every replica is in sync, and prints one line:
#         masters=P1,P2,P3 replicas=R1,R2,R3
#       where Ri replicates Pi. When DIR already holds a healthy cluster it
#       prints that cluster's line and changes nothing; any other state in DIR
#       (stale pid files, a half-made cluster) is torn down first.
#   scripts/redis-cluster.sh status DIR
#       Prints the line of a healthy cluster in DIR, or exits 1.
#   scripts/redis-cluster.sh stop DIR
#       Stops the nodes whose pid files are in DIR and removes DIR's state.
#
# RC_CLUSTER_REPLICAS=0 in the environment of start makes three masters
# without replicas (three nodes, "replicas=" stays empty): what one Redis
# without a replica is compared with in scripts/bench-cluster.sh. Such a
# cluster has no failover.
#
# Nodes are only ever stopped through their pid files, after checking that the
# pid still is our redis-server on our port: other Redis servers may run here.
set -euo pipefail

n_masters=3
n_replicas=${RC_CLUSTER_REPLICAS:-1} # per master
case $n_replicas in
0 | 1) ;;
*)
	echo "redis-cluster.sh: RC_CLUSTER_REPLICAS must be 0 or 1" >&2
	exit 2
	;;
esac
n_nodes=$((n_masters * (1 + n_replicas)))
start_timeout=10 # seconds for a node to answer PING
ready_timeout=40 # seconds for the whole cluster to become ok and in sync

die() {
	echo "redis-cluster.sh: $*" >&2
	exit 1
}

usage() {
	echo "usage: $0 start DIR [BASEPORT] | status DIR | stop DIR" >&2
	exit 2
}

cli() {
	local port=$1
	shift
	redis-cli -h 127.0.0.1 -p "$port" "$@" 2>/dev/null | tr -d '\r'
}

# pid of our node on $port from its pid file, if that process is still it
node_pid() {
	local dir=$1 port=$2 pid args
	[ -f "$dir/redis-$port.pid" ] || return 1
	pid=$(cat "$dir/redis-$port.pid" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	args=$(ps -o args= -p "$pid" 2>/dev/null) || return 1
	# redis-server sets its title to "redis-server 127.0.0.1:PORT [cluster]"
	[[ $args == redis-server*":$port"* ]] || return 1
	echo "$pid"
}

ports_of() {
	local dir=$1 f
	for f in "$dir"/redis-*.pid "$dir"/nodes-*.conf; do
		[ -e "$f" ] || continue
		f=${f##*/}
		f=${f#redis-}
		f=${f#nodes-}
		echo "${f%.*}"
	done | sort -un
}

# a zombie is gone too: nothing here may reap our daemonized nodes quickly
alive() {
	local state
	state=$(sed -n 's/^[0-9]* (.*) \([A-Z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

do_stop() {
	local dir=$1 port pid waited
	[ -d "$dir" ] || return 0
	for port in $(ports_of "$dir"); do
		if pid=$(node_pid "$dir" "$port"); then
			kill -TERM "$pid" 2>/dev/null || true
			waited=0
			while alive "$pid" && [ $waited -lt 50 ]; do
				sleep 0.1
				waited=$((waited + 1))
			done
			! alive "$pid" || kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	rm -f "$dir"/redis-*.pid "$dir"/redis-*.log "$dir"/nodes-*.conf "$dir"/dump-*.rdb \
		"$dir"/cluster.line "$dir"/create.log
	rmdir "$dir" 2>/dev/null || true
}

info_field() { # info_field FIELD < text
	sed -n "s/^$1://p" | head -1
}

# prints the line when every node is up, ok, agrees on the layout and every
# replica is in sync; fails otherwise
cluster_line() {
	local dir=$1 base=$2 port info nodes masters replicas m r
	for ((i = 0; i < n_nodes; i++)); do
		port=$((base + i))
		node_pid "$dir" "$port" >/dev/null || return 1
		info=$(cli "$port" CLUSTER INFO) || return 1
		[ "$(info_field cluster_state <<<"$info")" = ok ] || return 1
		[ "$(info_field cluster_slots_ok <<<"$info")" = 16384 ] || return 1
		[ "$(info_field cluster_known_nodes <<<"$info")" = $n_nodes ] || return 1
		[ "$(info_field cluster_size <<<"$info")" = $n_masters ] || return 1
		# CLUSTER SLOTS leaves out replicas that have not received a byte of
		# the replication stream yet (CLUSTER SHARDS calls them "loading")
		[ "$(cli "$port" CLUSTER SLOTS | grep -cE '^[0-9a-f]{40}$' | tr -d ' ')" -ge $n_nodes ] ||
			return 1
	done
	# "id ip:port@bus flags master-id ..." for every node, as the first one sees it
	nodes=$(cli "$base" CLUSTER NODES) || return 1
	masters=$(awk '$3 ~ /master/ && $3 !~ /fail/ && NF >= 9 { split($2, a, "[:@]"); print a[2] }' \
		<<<"$nodes" | sort -n)
	[ "$(wc -w <<<"$masters")" = $n_masters ] || return 1
	replicas=""
	for m in $masters; do
		[ "$n_replicas" -gt 0 ] || break
		r=$(awk -v m="$m" '
			{ split($2, a, "[:@]"); port[$1] = a[2] }
			$3 ~ /slave/ && $3 !~ /fail/ { master[$1] = $4 }
			END { for (id in master) if (port[master[id]] == m) print port[id] }' <<<"$nodes")
		[ "$(wc -w <<<"$r")" = 1 ] || return 1
		info=$(cli "$r" INFO replication) || return 1
		[ "$(info_field master_link_status <<<"$info")" = up ] || return 1
		[ "$(info_field master_sync_in_progress <<<"$info")" = 0 ] || return 1
		[ "$(info_field master_port <<<"$info")" = "$m" ] || return 1
		replicas="$replicas${replicas:+,}$r"
	done
	echo "masters=$(tr '\n' ',' <<<"$masters" | sed 's/,$//') replicas=$replicas"
}

saved_base() {
	local dir=$1
	[ -f "$dir/cluster.line" ] || return 1
	sed -n 's/^base=//p' "$dir/cluster.line"
}

# the replica count a cluster in DIR was made with, so that status needs no
# RC_CLUSTER_REPLICAS
saved_replicas() {
	local dir=$1 r
	r=$(sed -n 's/^replicas=//p' "$dir/cluster.line" 2>/dev/null)
	echo "${r:-1}"
}

do_status() {
	local dir=$1 base
	base=$(saved_base "$dir") || return 1
	[ -n "$base" ] || return 1
	[ "$(saved_replicas "$dir")" = "$n_replicas" ] || return 1
	cluster_line "$dir" "$base"
}

port_busy() {
	ss -Htan "( sport = :$1 )" 2>/dev/null | grep -q .
}

block_free() {
	local base=$1 i
	for ((i = 0; i < n_nodes; i++)); do
		port_busy $((base + i)) && return 1
		port_busy $((base + i + 10000)) && return 1
	done
	return 0
}

# A block below the kernel's ephemeral range (32768 and up), cluster bus
# ports included, so outgoing connections do not take our ports.
pick_base() {
	local base attempt
	for attempt in $(seq 1 50); do
		base=$((20000 + (RANDOM % 450) * 6))
		if block_free "$base"; then
			echo "$base"
			return 0
		fi
	done
	return 1
}

start_nodes() {
	local dir=$1 base=$2 port i waited
	for ((i = 0; i < n_nodes; i++)); do
		port=$((base + i))
		redis-server --port "$port" --bind 127.0.0.1 \
			--cluster-enabled yes --cluster-node-timeout 1000 \
			--cluster-config-file "$dir/nodes-$port.conf" \
			--cluster-require-full-coverage no --repl-ping-replica-period 1 \
			--repl-diskless-sync-delay 0 \
			--save '' --appendonly no --dir "$dir" --dbfilename "dump-$port.rdb" \
			--daemonize yes --pidfile "$dir/redis-$port.pid" \
			--logfile "$dir/redis-$port.log" >/dev/null
	done
	for ((i = 0; i < n_nodes; i++)); do
		port=$((base + i))
		waited=0
		until node_pid "$dir" "$port" >/dev/null && [ "$(cli "$port" PING)" = PONG ]; do
			if [ $waited -ge $((start_timeout * 10)) ]; then
				echo "redis-cluster.sh: node on port $port did not start:" >&2
				tail -5 "$dir/redis-$port.log" >&2 2>/dev/null || true
				return 1
			fi
			sleep 0.1
			waited=$((waited + 1))
		done
	done
}

do_start() {
	local dir=$1 want_base=${2:-} base line attempt addrs waited i
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if line=$(do_status "$dir") &&
		{ [ -z "$want_base" ] || [ "$(saved_base "$dir")" = "$want_base" ]; }; then
		echo "$line"
		return 0
	fi
	do_stop "$dir"
	mkdir -p "$dir"
	for attempt in 1 2 3 4 5; do
		if [ -n "$want_base" ]; then
			base=$want_base
			[ "$base" -ne 6379 ] && [ "$base" -gt 0 ] && [ $((base + n_nodes - 1 + 10000)) -le 65535 ] ||
				die "BASEPORT must leave room for $n_nodes ports and their bus ports (+10000)"
			block_free "$base" || die "ports $base..$((base + n_nodes - 1)) or their bus ports are in use"
		else
			base=$(pick_base) || die "no free block of $n_nodes ports"
		fi
		if start_nodes "$dir" "$base"; then
			break
		fi
		# someone took a port between the check and the bind: try another block
		do_stop "$dir"
		mkdir -p "$dir"
		[ -z "$want_base" ] && [ $attempt -lt 5 ] || die "could not start the nodes"
	done
	addrs=()
	for ((i = 0; i < n_nodes; i++)); do
		addrs+=("127.0.0.1:$((base + i))")
	done
	if ! redis-cli --cluster create "${addrs[@]}" --cluster-replicas "$n_replicas" --cluster-yes \
		>"$dir/create.log" 2>&1; then
		tail -20 "$dir/create.log" >&2
		do_stop "$dir"
		die "redis-cli --cluster create failed"
	fi
	printf 'base=%s\nreplicas=%s\n' "$base" "$n_replicas" >"$dir/cluster.line"
	waited=0
	until line=$(cluster_line "$dir" "$base"); do
		if [ $waited -ge $((ready_timeout * 10)) ]; then
			for ((i = 0; i < n_nodes; i++)); do
				echo "--- 127.0.0.1:$((base + i))" >&2
				cli $((base + i)) CLUSTER INFO | head -3 >&2 || true
			done
			do_stop "$dir"
			die "the cluster did not become ok within ${ready_timeout}s"
		fi
		sleep 0.1
		waited=$((waited + 1))
	done
	echo "$line"
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
case $cmd in
start)
	[ $# -le 3 ] || usage
	if [ $# -eq 3 ]; then
		[[ $3 =~ ^[0-9]+$ ]] || die "BASEPORT must be a number"
	fi
	do_start "$dir" "${3:-}"
	;;
status)
	[ $# -eq 2 ] || usage
	n_replicas=$(saved_replicas "$dir")
	n_nodes=$((n_masters * (1 + n_replicas)))
	do_status "$dir"
	;;
stop)
	[ $# -eq 2 ] || usage
	do_stop "$dir"
	;;
*)
	usage
	;;
esac
