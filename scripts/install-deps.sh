#!/bin/sh
# Installs what roomcast needs to build, run and test on Debian 12 (bookworm).
# Run as root (or through sudo). Safe to run again.
set -eu

export DEBIAN_FRONTEND=noninteractive
packages="
  gcc pkg-config meson ninja-build gettext
  libglib2.0-dev libglib2.0-dev-bin libsoup-3.0-dev libjson-glib-dev libhiredis-dev
  glib-networking libgnutls28-dev openssl
  redis-server redis-tools
  dbus dbus-daemon libglib2.0-bin libxml2-utils
  chromium
  clang
  curl make valgrind
  prometheus
  systemd man-db groff-base desktop-file-utils
"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  apt-get update -q
  apt-get install -y -q --no-install-recommends $missing
fi

# the browser tests drive Debian's chromium through playwright-core from npm, the
# socket.io tests use the real socket.io-client from npm
if ! command -v node >/dev/null 2>&1; then
  apt-get install -y -q --no-install-recommends nodejs npm
fi
top=$(cd "$(dirname "$0")/.." && pwd)
for dir in tests/browser tests/socketio/client; do
  if [ -f "$top/$dir/package-lock.json" ]; then
    (cd "$top/$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
