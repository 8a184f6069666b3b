#!/usr/bin/env python3
# A tiny WebSocket client for trying roomcast by hand, Python standard library only.
#
#   examples/wsclient.py URL [ROOM] [--send TEXT] [--seconds N]
#
# Connects to URL (ws://HOST:PORT/ws?sender=NAME), joins ROOM in namespace "/",
# optionally sends TEXT to it, and prints every frame it receives for N seconds
# (default 10). When the server closes (a kick, a shutdown, a limit), it prints
# "(close CODE REASON)", answers with its own close frame as RFC 6455 asks, and
# exits 0; after N seconds it closes with 1000 itself.
import argparse, base64, json, os, socket, struct, sys, time, urllib.parse

OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA

def frame_bytes(opcode, data):
    """one final, masked client frame"""
    mask = os.urandom(4)
    n = len(data)
    if n < 126:
        head = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + struct.pack("!H", n)
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + struct.pack("!Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))

def frame(obj):
    return frame_bytes(OP_TEXT, json.dumps(obj).encode())

def close_payload(payload):
    """what the server's close frame said, and the payload to echo back"""
    if len(payload) >= 2:
        code = struct.unpack("!H", payload[:2])[0]
        return code, payload[2:].decode(errors="replace"), payload[:2]
    return None, "", b""

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
    closing = False  # we sent our close first and wait for the answer
    while True:
        while len(buf) >= 2:
            opcode, n, off = buf[0] & 0x0F, buf[1] & 0x7F, 2
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
            if opcode == OP_CLOSE:
                code, reason, echo = close_payload(payload)
                if not closing:
                    print(f"(close {code if code is not None else '-'}"
                          f"{' ' + reason if reason else ''})", flush=True)
                    try:
                        s.sendall(frame_bytes(OP_CLOSE, echo))
                    except OSError:
                        pass
                s.close()
                return 0
            if opcode == OP_PING:
                s.sendall(frame_bytes(OP_PONG, payload))
            elif opcode == OP_TEXT:
                print(payload.decode(errors="replace"), flush=True)
        now = time.time()
        if now >= end:
            if closing:
                break  # no answer to our close in time
            closing = True
            s.sendall(frame_bytes(OP_CLOSE, struct.pack("!H", 1000)))
            end = now + 2
        s.settimeout(max(0.05, end - time.time()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
    s.close()
    return 0

if __name__ == "__main__":
    sys.exit(main())
