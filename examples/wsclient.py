#!/usr/bin/env python3
# A tiny WebSocket client for trying roomcast by hand, Python standard library only.
#
#   examples/wsclient.py URL [ROOM] [--send TEXT] [--seconds N]
#
# Connects to URL (ws://HOST:PORT/ws?sender=NAME), joins ROOM in namespace "/",
# optionally sends TEXT to it, and prints every frame it receives for N seconds
# (default 10).
import argparse, base64, json, os, socket, struct, sys, time, urllib.parse

def frame(obj):
    data = json.dumps(obj).encode()
    mask = os.urandom(4)
    n = len(data)
    head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("room", nargs="?")
    ap.add_argument("--send")
    ap.add_argument("--seconds", type=float, default=10)
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.url)
    s = socket.create_connection((u.hostname, u.port or 80))
    path = u.path + ("?" + u.query if u.query else "")
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("connection closed during the upgrade")
        buf += chunk
    head, buf = buf.split(b"\r\n\r\n", 1)
    if b" 101 " not in head.split(b"\r\n")[0]:
        sys.exit(head.split(b"\r\n")[0].decode())
    if a.room:
        s.sendall(frame({"type": "join", "namespace": "/", "roomCode": a.room}))
        if a.send is not None:
            s.sendall(frame({"type": "send", "namespace": "/", "roomCode": a.room, "text": a.send}))
    end = time.time() + a.seconds
    while time.time() < end:
        while len(buf) >= 2:
            n, off = buf[1] & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    break
                n, off = struct.unpack("!H", buf[2:4])[0], 4
            elif n == 127:
                if len(buf) < 10:
                    break
                n, off = struct.unpack("!Q", buf[2:10])[0], 10
            if len(buf) < off + n:
                break
            payload, buf = buf[off:off + n], buf[off + n:]
            print(payload.decode(errors="replace") if payload[:1] == b"{" else f"(close {payload[:2].hex()})", flush=True)
        s.settimeout(max(0.05, end - time.time()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk

if __name__ == "__main__":
    main()
