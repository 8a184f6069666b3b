#!/usr/bin/env python3
# Copyright 2026 roomcast developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""examples/wsclient.py answers a close frame and exits cleanly:

1. a scripted server sends close 1008 "kicked" right after the join: the client
   prints "(close 1008 kicked)", sends back a masked close frame with the same
   code, and exits 0 at once (not after --seconds);
2. a real roomcastd kicks it over D-Bus (a private bus, roomcastctl kick): the
   client prints the close and exits 0 at once, and the node's side of the socket
   is closed right away too, by the handshake, not by a timeout;
3. at the end of --seconds the client closes with 1000 itself and the node answers.

Usage: test-wsclient.py SOURCE_ROOT   (ROOMCASTD, ROOMCASTCTL: what to run)
"""

import base64
import hashlib
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

SOURCE = os.path.abspath(sys.argv[1])
CLIENT = os.path.join(SOURCE, "examples", "wsclient.py")
SCALE = float(os.environ.get("RC_TEST_TIMEOUT_SCALE", "1"))
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def read_frame(conn):
    """one client frame: (opcode, unmasked payload, was masked)"""
    def need(n):
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data
    b0, b1 = need(2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", need(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", need(8))[0]
    mask = need(4) if b1 & 0x80 else b"\0\0\0\0"
    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(need(n)))
    return b0 & 0x0F, payload, bool(b1 & 0x80)


def scripted_server(listener, seen):
    conn, _ = listener.accept()
    conn.settimeout(10 * SCALE)
    head = b""
    while b"\r\n\r\n" not in head:
        head += conn.recv(4096)
    key = re.search(rb"Sec-WebSocket-Key: *(\S+)", head).group(1)
    accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
    conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                 b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
    seen["join"] = read_frame(conn)
    reason = b"kicked"
    conn.sendall(bytes([0x88, 2 + len(reason)]) + struct.pack("!H", 1008) + reason)
    try:
        seen["reply"] = read_frame(conn)
        seen["eof_after"] = conn.recv(1) == b""
    except (EOFError, OSError) as error:
        seen["error"] = repr(error)
    conn.close()


def run_client(url, seconds, timeout):
    start = time.time()
    proc = subprocess.run([sys.executable, CLIENT, url, "room_1", "--seconds", str(seconds)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout * SCALE)
    print(proc.stdout, proc.stderr, sep="\n")
    return proc, time.time() - start


def established(port):
    """sockets on this host whose local port is @port, in state ESTABLISHED"""
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                        n += 1
        except OSError:
            pass
    return n


def test_scripted():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    seen = {}
    server = threading.Thread(target=scripted_server, args=(listener, seen), daemon=True)
    server.start()
    port = listener.getsockname()[1]
    proc, took = run_client(f"ws://127.0.0.1:{port}/ws?sender=carol", 30, 20)
    server.join(10 * SCALE)
    listener.close()
    check(proc.returncode == 0, f"1: the client exits 0 (got {proc.returncode})")
    check(took < 5 * SCALE, f"1: at once after the close, not after --seconds ({took:.1f} s)")
    check("(close 1008 kicked)" in proc.stdout, "1: it prints the close code and reason")
    check(seen.get("join", (None,))[0] == 0x1, "1: it joined first")
    reply = seen.get("reply")
    check(reply is not None and reply[0] == 0x8, f"1: it answers with a close frame ({seen})")
    if reply is not None:
        check(reply[2], "1: the close frame is masked")
        check(reply[1][:2] == struct.pack("!H", 1008), "1: with the server's code")
    check(seen.get("eof_after") is True, "1: and then closes the TCP connection")


def start_node(env):
    node = subprocess.Popen([os.environ["ROOMCASTD"], "--port", "0", "--bus", "session",
                             "--dbus-name", "org.roomcast.TestWsclient"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = node.stdout.readline()
    m = re.match(r"roomcastd: listening on http://127\.0\.0\.1:(\d+)/", line)
    if m is None:
        node.kill()
        raise SystemExit(f"roomcastd did not start: {line!r}")
    return node, int(m.group(1))


def ctl(env, *args):
    return subprocess.run([os.environ["ROOMCASTCTL"], "--dest", "org.roomcast.TestWsclient",
                           *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=15 * SCALE)


def test_real_node():
    bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    node = None
    try:
        env = dict(os.environ)
        env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
        node, port = start_node(env)
        for _ in range(100):
            if ctl(env, "status").returncode == 0:
                break
            time.sleep(0.1)
        url = f"ws://127.0.0.1:{port}/ws?sender=carol"
        client = subprocess.Popen([sys.executable, CLIENT, url, "room_1", "--seconds", "30"],
                                  stdout=subprocess.PIPE, text=True)
        client_id = None
        for line in client.stdout:
            m = re.search(r'"type":"hello".*"client":"([^"]+)"', line)
            client_id = client_id or (m.group(1) if m else None)
            if '"type":"joined"' in line:
                break
        check(client_id is not None, "2: the client got its hello and joined")
        start = time.time()
        kicked = ctl(env, "kick", client_id or "-", "bye now")
        check(kicked.returncode == 0, f"2: roomcastctl kick works: {kicked.stdout.strip()}")
        try:
            out, _ = client.communicate(timeout=10 * SCALE)
        except subprocess.TimeoutExpired:
            client.kill()
            out, _ = client.communicate()
        took = time.time() - start
        print(out)
        check(client.returncode == 0, f"2: the client exits 0 (got {client.returncode})")
        check("(close 1008 bye now)" in out, "2: it prints the kick's code and reason")
        check(took < 3 * SCALE, f"2: at once ({took:.1f} s)")
        deadline = time.time() + 2 * SCALE
        while time.time() < deadline and established(port) > 0:
            time.sleep(0.05)
        check(established(port) == 0,
              "2: the node's side is closed by the handshake, well before its close timeout")

        proc, took = run_client(url, 0.5, 20)
        check(proc.returncode == 0, "3: a client at the end of --seconds exits 0")
        check(took < 3 * SCALE, f"3: its own close 1000 is answered at once ({took:.1f} s)")
        check(node.poll() is None, "the node still runs")
    finally:
        if node is not None:
            node.terminate()
            node.wait(10)
        bus.terminate()
        bus.wait(10)


def main():
    test_scripted()
    if shutil.which("dbus-daemon") is None:
        print("# dbus-daemon is not installed: the kick by a real node was not tried")
    else:
        test_real_node()
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
