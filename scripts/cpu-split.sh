#!/bin/bash
# User and kernel CPU of every process with the given name, second by second:
# which half of a server's cost a change moved. Run it beside a load; it
# prints one line a second (time, user ms, kernel ms, summed over the
# processes) and, at the end, the totals over the seconds whose CPU was within
# a quarter of the median of the busiest half (the steady part of a run).
#   scripts/cpu-split.sh NAME [SECONDS]
# e.g. scripts/cpu-split.sh roomcastd 60
set -euo pipefail
name=${1:?usage: cpu-split.sh NAME [SECONDS]}
seconds=${2:-60}
hz=$(getconf CLK_TCK)
declare -A last_u last_s
rows=()

sample() { # prints "pid utime stime" for each process called $name
	local p
	for p in $(pgrep -x "$name" || true); do
		# the fields after the command name, which may hold spaces
		read -r -a f < <(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		echo "$p ${f[11]} ${f[12]}"
	done
}

while read -r p u s; do last_u[$p]=$u last_s[$p]=$s; done < <(sample)
for ((t = 1; t <= seconds; t++)); do
	sleep 1
	du=0 ds=0
	while read -r p u s; do
		if [ -n "${last_u[$p]:-}" ]; then
			du=$((du + u - last_u[$p])) ds=$((ds + s - last_s[$p]))
		fi
		last_u[$p]=$u last_s[$p]=$s
	done < <(sample)
	echo "$t $((du * 1000 / hz)) $((ds * 1000 / hz))"
	rows+=("$du $ds")
done

printf '%s\n' "${rows[@]}" | python3 -c '
import sys
rows = [tuple(map(int, l.split())) for l in sys.stdin if l.strip()]
tot = sorted(u + s for u, s in rows)
busy = tot[len(tot) // 2:]
med = busy[len(busy) // 2] if busy else 0
steady = [(u, s) for u, s in rows if med and abs(u + s - med) < 0.25 * med]
hz = int(sys.argv[1])
u = sum(r[0] for r in steady) * 1000 / hz
s = sum(r[1] for r in steady) * 1000 / hz
print("steady seconds %d: user %.0f ms, kernel %.0f ms, user share %.1f %%" %
      (len(steady), u, s, 100 * u / (u + s) if u + s else 0))
' "$hz"
