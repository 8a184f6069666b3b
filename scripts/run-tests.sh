#!/bin/sh
# Builds roomcast (if needed) and runs the whole test suite.
#   scripts/run-tests.sh [BUILDDIR [MESON-SETUP-OPTIONS...]]
# Tests start their own redis-server, D-Bus bus and Chromium; nothing else needs to run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${1:-build}
[ $# -gt 0 ] && shift
cd "$top"
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" "$@"
fi
meson compile -C "$builddir"
multiplier=1
# most tests wait on sockets and timers far more than they compute: three per
# core keep the cores busy (MESON_TESTTHREADS overrides)
MESON_TESTTHREADS=${MESON_TESTTHREADS:-$(($(nproc) * 3))}
export MESON_TESTTHREADS
case "$*" in *sanitize=address*) multiplier=3 ;; esac
meson test -C "$builddir" --print-errorlogs --timeout-multiplier "$multiplier"
