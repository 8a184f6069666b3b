#!/bin/bash
# Copyright 2026 roomcast developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# scripts/redis-cluster.sh as the demo and the benchmark use it: start prints
# a parseable line for a working cluster, a second start changes nothing,
# status follows the cluster's health, start repairs a broken one, stop
# removes everything and stops only our own processes. TAP output.
#   test-cluster-script.sh SOURCE_ROOT
set -uo pipefail

script="$1/scripts/redis-cluster.sh"
work=$(mktemp -d)
dir="$work/cluster"
decoy=""
n=0
failed=0

cleanup() {
	"$script" stop "$dir" >/dev/null 2>&1
	[ -n "$decoy" ] && kill "$decoy" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

ok() { # ok DESCRIPTION COMMAND...
	local what=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		failed=$((failed + 1))
	fi
}

cli() {
	redis-cli -h 127.0.0.1 -p "$1" "${@:2}" 2>/dev/null | tr -d '\r'
}

pids_of() {
	cat "$dir"/redis-*.pid 2>/dev/null | sort -n | tr '\n' ' '
}

alive() { # a zombie is gone too
	local state
	state=$(sed -n 's/^[0-9]* (.*) \([A-Z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

none_alive() {
	local p
	for p in "$@"; do
		alive "$p" && return 1
	done
	return 0
}

line_ok() { # the line names 6 distinct ports, none 6379
	[[ $1 =~ ^masters=([0-9]+),([0-9]+),([0-9]+)\ replicas=([0-9]+),([0-9]+),([0-9]+)$ ]] || return 1
	masters=("${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}")
	replicas=("${BASH_REMATCH[4]}" "${BASH_REMATCH[5]}" "${BASH_REMATCH[6]}")
	[ "$(printf '%s\n' "${masters[@]}" "${replicas[@]}" | sort -u | grep -vc '^6379$')" = 6 ]
}

cluster_ok() {
	local p
	for p in "${masters[@]}" "${replicas[@]}"; do
		cli "$p" CLUSTER INFO | grep -q '^cluster_state:ok$' || return 1
		cli "$p" CLUSTER INFO | grep -q '^cluster_slots_ok:16384$' || return 1
	done
}

replicas_follow_masters() {
	local i
	for i in 0 1 2; do
		cli "${replicas[$i]}" INFO replication | grep -q "^master_port:${masters[$i]}$" || return 1
		cli "${replicas[$i]}" INFO replication | grep -q '^master_link_status:up$' || return 1
	done
}

keys_everywhere() { # redis-cli -c follows redirections across all masters
	local i
	for i in $(seq 1 30); do
		[ "$(redis-cli -c -p "${masters[0]}" SET "key:$i" "v$i" 2>/dev/null)" = OK ] || return 1
	done
	[ "$(redis-cli -c -p "${masters[0]}" GET key:29 2>/dev/null)" = v29 ] &&
		[ "$(cli "${masters[1]}" DBSIZE)" -gt 0 ] && [ "$(cli "${masters[2]}" DBSIZE)" -gt 0 ]
}

line=$("$script" start "$dir")
ok "start prints the ports: $line" line_ok "$line"
ok "every node says cluster_state:ok" cluster_ok
ok "replica i replicates master i" replicas_follow_masters
ok "the cluster serves keys on every master" keys_everywhere
pids=$(pids_of)

again=$("$script" start "$dir")
ok "a second start prints the same line" test "$again" = "$line"
ok "a second start leaves the nodes alone" test "$(pids_of)" = "$pids"
ok "status prints the line" test "$("$script" status "$dir")" = "$line"

# a decoy: a pid file of ours pointing at a process that is not our node
sleep 300 &
decoy=$!
kill -KILL "$(cat "$dir/redis-${replicas[2]}.pid")"
echo "$decoy" >"$dir/redis-${replicas[2]}.pid"
ok "status fails when a node is down" bash -c "! '$script' status '$dir' >/dev/null"
line2=$("$script" start "$dir")
ok "start repairs a broken cluster: $line2" line_ok "$line2"
ok "the repaired cluster is ok" cluster_ok
ok "the old nodes are gone" none_alive $pids
ok "a process that only had our pid file is left alone" alive "$decoy"
pids=$(pids_of)

"$script" stop "$dir"
ok "stop succeeds" test $? = 0
ok "stop ends every node" none_alive $pids
ok "stop removes the directory" test ! -e "$dir"
"$script" stop "$dir"
ok "stop again is fine" test $? = 0
ok "status of nothing fails" bash -c "! '$script' status '$dir' 2>/dev/null"

ok "start without a directory is a usage error" bash -c "'$script' start 2>/dev/null; test \$? = 2"
ok "an unknown command is a usage error" bash -c "'$script' restart '$dir' 2>/dev/null; test \$? = 2"
ok "a non-numeric base port is refused" bash -c "! '$script' start '$dir' abc 2>/dev/null"
ok "base port 6379 is refused" bash -c "'$script' start '$dir' 6379 2>&1 | grep -q BASEPORT"
ok "a base port without room for the bus ports is refused" \
	bash -c "'$script' start '$dir' 60000 2>&1 | grep -q BASEPORT"
ok "nothing was started by the refusals" test ! -e "$dir/redis-6379.pid"

echo "1..$n"
[ $failed = 0 ]
