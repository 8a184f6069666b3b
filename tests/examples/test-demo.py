#!/usr/bin/env python3
# Copyright 2026 roomcast developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The README's demo (examples/demo.sh), run as a user runs it, on a machine where
the port it is asked to use is already taken and another Redis runs:

1. ROOMCAST_DEMO_REDIS_PORT names a port a plain socket listens on: the demo says
   so, starts its Redis on another port, and carol gets all three messages;
2. ROOMCAST_DEMO_REDIS_PORT names the port of a Redis that was running before: the
   same, and that Redis is neither used nor stopped.

After each run the other Redis still answers with the key set before, and every
process the demo started (its Redis, its three nodes) is gone.

Usage: test-demo.py SOURCE_ROOT   (ROOMCASTD: the roomcastd to run)
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SOURCE = os.path.abspath(sys.argv[1])
SCALE = float(os.environ.get("RC_TEST_TIMEOUT_SCALE", "1"))
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def cli(port, *args):
    out = subprocess.run(["redis-cli", "-p", str(port), *args], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=10)
    return out.stdout.strip()


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purposes
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def run_demo(preferred, other_redis):
    env = dict(os.environ)
    env["ROOMCAST_DEMO_REDIS_PORT"] = str(preferred)
    proc = subprocess.run([os.path.join(SOURCE, "examples", "demo.sh")], env=env,
                          cwd=SOURCE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=60 * SCALE)
    print(proc.stdout)
    print(proc.stderr, file=sys.stderr)
    check(proc.returncode == 0, f"demo exits 0 (got {proc.returncode})")
    check(f"port {preferred} is in use" in proc.stderr,
          f"demo says port {preferred} is in use")
    m = re.search(r"redis-server on port (\d+) \(pid (\d+)\)", proc.stdout)
    check(m is not None, "demo names its Redis port and pid")
    if m is None:
        return
    port, pid = int(m.group(1)), int(m.group(2))
    check(port not in (preferred, other_redis), f"demo's Redis is on its own port ({port})")
    texts = re.findall(r'"type":"MSG_TO_CLIENTS".*"text":"([^"]*)"', proc.stdout)
    check(texts == ["hi from node 1", "hi from curl", "hi from redis-cli"],
          f"carol got the three messages in order: {texts}")
    node_ports = [int(p) for p in re.findall(r"node n\d on port (\d+)", proc.stdout)]
    check(len(node_ports) == 3, "three nodes started")
    check(cli(other_redis, "PING") == "PONG", "the other Redis still runs")
    check(cli(other_redis, "GET", "marker") == "kept", "the other Redis kept its data")
    check(cli(other_redis, "PUBSUB", "NUMSUB", "livechat").split()[-1] == "0",
          "no subscriber of the demo is left on the other Redis")
    deadline = time.time() + 5 * SCALE
    while time.time() < deadline and (alive(pid) or listening(port)):
        time.sleep(0.1)
    check(not alive(pid) and not listening(port), "the demo's Redis is stopped")
    check(not any(listening(p) for p in node_ports), "the demo's nodes are stopped")


def main():
    for tool in ("redis-server", "redis-cli", "curl"):
        if shutil.which(tool) is None:
            print(f"skip: {tool} is not installed")
            sys.exit(77)
    # the README runs the script, and hard-codes no port nor a Redis shutdown
    with open(os.path.join(SOURCE, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    demo = readme[readme.index("## Demo: three nodes and Redis"):]
    demo = demo[:demo.index("\n## ", 4)]
    check("examples/demo.sh" in demo, "README's demo runs examples/demo.sh")
    check(re.search(r"--port [1-9]|-p [0-9]|:[0-9]{4}/", demo) is None,
          "README's demo names no fixed port")
    check("shutdown" not in demo.lower(), "README's demo shuts no Redis down")
    tmp = tempfile.mkdtemp(prefix="roomcast-demo-test-")
    other_port = free_port()
    other = subprocess.Popen(["redis-server", "--port", str(other_port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", tmp],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    taken = socket.socket()
    try:
        for _ in range(100):
            if cli(other_port, "PING") == "PONG":
                break
            time.sleep(0.1)
        check(cli(other_port, "SET", "marker", "kept") == "OK", "the other Redis runs")
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)

        print("# 1: the preferred port is taken by something else")
        run_demo(taken.getsockname()[1], other_port)
        print("# 2: the preferred port is the other Redis'")
        run_demo(other_port, other_port)
        check(other.poll() is None, "the other redis-server process was never stopped")
    finally:
        taken.close()
        other.terminate()
        other.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
