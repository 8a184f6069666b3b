#!/bin/sh
# socket.io-client clients against roomcast and against socket.io + its Redis adapter, in
# one session of the fan-out bench harness (the one that drives a Node `ws` server,
# socket.io and roomcast side by side).
#   scripts/bench-socketio.sh HARNESS_DIR [BUILDDIR] [SCENARIO] [harness options...]
# HARNESS_DIR is the harness (bench.sh, adapters/, servers/); it is copied to a temporary
# folder, npm ci-ed there, and its roomcast adapter replaced by scripts/bench/
# roomcast-socketio.js, so "--server roomcast" runs socket.io-client clients (WebSocket
# transport, as its socketio adapter does). SCENARIO is B (default), A or C with the
# harness' standard options; the rows of both servers go to the copy's results/runs.jsonl
# (label SCENARIO-sio), which is printed at the end with the summary table.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
harness=${1:?usage: scripts/bench-socketio.sh HARNESS_DIR [BUILDDIR] [SCENARIO] [options...]}
build=$(cd "${2:-$top/build-rel}" && pwd)
scenario=${3:-B}
[ $# -gt 3 ] && shift 3 || shift $#
case $scenario in
  A) opts="--k 3 --c 300 --r 30 --s 30 --p 1000 --t 15 --warmup 3" ;;
  B) opts="--k 3 --c 1500 --r 15 --s 15 --p 200 --t 15 --warmup 3" ;;
  C) opts="--k 3 --c 1500 --r 15 --s 15 --p 200 --t 10 --warmup 3 --find-max" ;;
  *) echo "scenario must be A, B or C" >&2; exit 1 ;;
esac
[ -x "$build/src/roomcastd" ] || { echo "no $build/src/roomcastd (meson setup $build -Dbuildtype=release -Dtests=false)" >&2; exit 1; }
work=$(mktemp -d /tmp/roomcast-bench-sio-XXXXXX)
cp -r "$harness"/. "$work"/
rm -rf "$work/node_modules" "$work/results"
mkdir -p "$work/results"
(cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
cp "$top/scripts/bench/roomcast-socketio.js" "$work/adapters/roomcast.js"
cmd="$build/src/roomcastd --port {port} --redis redis://127.0.0.1:{redisport} --bus none --node-id n{i}"
cd "$work"
# interleaved, twice (REPS=N for more), to see the noise
# 2 cores are shared with everything else on the machine: say how busy it was
for rep in $(seq 1 "${REPS:-2}"); do
  echo "# load before socketio run $rep: $(cat /proc/loadavg)"
  ./bench.sh --server socketio --label "$scenario-sio" $opts "$@"
  echo "# load before roomcast run $rep: $(cat /proc/loadavg)"
  ./bench.sh --server roomcast --roomcast-cmd "$cmd" --label "$scenario-sio" $opts "$@"
done
echo "# load after: $(cat /proc/loadavg)"
node summarize.js --label "$scenario-sio" || true
echo "raw rows: $work/results/runs.jsonl"
