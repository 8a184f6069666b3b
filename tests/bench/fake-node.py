#!/usr/bin/env python3
# Copyright 2026 roomcast developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A deliberately faulty stand-in for one roomcastd node (the WebSocket protocol's JSON
text frames, no Redis), so the test can check that roomcast-bench's loss, duplicate and
order counters see faults that really happen. Only measured messages (text "m...") are touched:
delivery number d (counted over every (message, member) pair) is
  d % 10 == 3: dropped;  d % 10 == 5: sent twice;
  d % 10 == 7: held back and sent right after the next frame to the same member (so that
               member sees a lower seq after a higher one), or never if none follows.
What it did is kept up to date in the --stats file as JSON.

usage: fake-node.py --stats FILE    (prints "roomcastd: listening on http://127.0.0.1:PORT/")
"""
import base64
import hashlib
import json
import os
import re
import select
import signal
import socket
import sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def frame(text):
    data = text.encode()
    n = len(data)
    if n < 126:
        head = bytes([0x81, n])
    elif n < 65536:
        head = bytes([0x81, 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x81, 127]) + n.to_bytes(8, "big")
    return head + data


class Client:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.upgraded = False
        self.sender = "anon"
        self.rooms = set()
        self.held = None

    def send(self, data):
        self.sock.sendall(data)  # tiny test loads: the socket buffer never fills


def main():
    stats_path = sys.argv[sys.argv.index("--stats") + 1]
    stats = {"dropped": 0, "duplicated": 0, "reordered": 0, "released": 0, "held": 0}

    def save():
        tmp = stats_path + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(stats, fh)
        os.replace(tmp, stats_path)

    save()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(512)
    print(f"roomcastd: listening on http://127.0.0.1:{lsock.getsockname()[1]}/", flush=True)
    clients = {}
    rooms = {}
    d = 0
    next_id = 0

    def deliver(member, room, sender, text, msg_id):
        nonlocal d
        data = frame(json.dumps({"type": "MSG_TO_CLIENTS", "namespace": "/", "roomCode": room,
                                 "id": msg_id, "ts": 0, "msg": {"sender": sender, "text": text}},
                                separators=(",", ":")))
        if not text.startswith("m"):
            member.send(data)
            return
        d += 1
        fault = d % 10
        if member.held is not None:
            # this frame first, then the held one: a lower seq after a higher one
            if fault == 3:
                stats["dropped"] += 1
                stats["released"] += 1  # late, but after nothing newer: in order
            else:
                member.send(data)
                stats["reordered"] += 1
            member.send(member.held)
            member.held = None
            stats["held"] -= 1
        elif fault == 3:
            stats["dropped"] += 1
        elif fault == 5:
            member.send(data + data)
            stats["duplicated"] += 1
        elif fault == 7:
            member.held = data
            stats["held"] += 1
        else:
            member.send(data)
        save()

    while True:
        r, _, _ = select.select([lsock] + [c.sock for c in clients.values()], [], [])
        for s in r:
            if s is lsock:
                cs, _ = lsock.accept()
                clients[cs] = Client(cs)
                continue
            c = clients[s]
            chunk = s.recv(65536)
            if not chunk:
                for members in rooms.values():
                    members.discard(c)
                del clients[s]
                s.close()
                continue
            c.buf += chunk
            if not c.upgraded:
                if b"\r\n\r\n" not in c.buf:
                    continue
                head, c.buf = c.buf.split(b"\r\n\r\n", 1)
                key = re.search(rb"Sec-WebSocket-Key: (\S+)", head).group(1)
                m = re.search(rb"sender=([^ &]+)", head)
                c.sender = m.group(1).decode() if m else "anon"
                acc = base64.b64encode(hashlib.sha1(key + GUID).digest())
                c.send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                       b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + acc + b"\r\n\r\n")
                c.send(frame(json.dumps({"type": "hello", "node": "fake", "client": str(id(c)),
                                         "sender": c.sender})))
                c.upgraded = True
            while len(c.buf) >= 6:
                n = c.buf[1] & 0x7F
                off = 2
                if n == 126:
                    n, off = int.from_bytes(c.buf[2:4], "big"), 4
                if len(c.buf) < off + 4 + n:
                    break
                mask = c.buf[off:off + 4]
                payload = bytes(b ^ mask[i & 3] for i, b in enumerate(c.buf[off + 4:off + 4 + n]))
                opcode = c.buf[0] & 0x0F
                c.buf = c.buf[off + 4 + n:]
                if opcode != 1:
                    continue
                m = json.loads(payload)
                room = m.get("roomCode")
                if m["type"] == "join":
                    rooms.setdefault(room, set()).add(c)
                    c.rooms.add(room)
                    c.send(frame(json.dumps({"type": "joined", "namespace": "/", "roomCode": room})))
                elif m["type"] == "send":
                    msg_id = str(next_id)
                    next_id += 1
                    c.send(frame(json.dumps({"type": "ack", "ref": m.get("ref"), "id": msg_id})))
                    for member in sorted(rooms.get(room, ()), key=lambda x: x.sender):
                        deliver(member, room, c.sender, m["text"], msg_id)


if __name__ == "__main__":
    main()
