#!/usr/bin/env python3
# Copyright 2026 roomcast developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs the session-bus examples of docs/admin.md as pasted, line by line, on a private
session bus with the built roomcastd and roomcastctl first in PATH. A WebSocket client
keeps a member in room_1 so the room examples have something to show. The only edit:
fixed ports (8080…) become free ones, so parallel tests cannot collide.

Usage: test-admin-docs.py BUILD_ROOT SOURCE_ROOT
"""

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BUILD, SOURCE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
SCALE = float(os.environ.get('RC_TEST_TIMEOUT_SCALE', '1'))
# the sections whose shell blocks run on a session bus; the others need root and systemd
SECTIONS = ('roomcastctl', 'busctl and gdbus', 'Translations')
failures = []


def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def doc_blocks(path):
    """(section, [lines]) for every ```sh block"""
    section, blocks, current = None, [], None
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            if current is not None:
                if line.startswith('```'):
                    blocks.append((section, current))
                    current = None
                else:
                    current.append(line)
            elif line.startswith('#'):
                section = line.lstrip('#').strip()
            elif line.strip() == '```sh':
                current = []
    return blocks


class WsMember:
    """A minimal RFC 6455 client (Python has none built in) that joins rooms."""

    def __init__(self, port):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=5 * SCALE)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(('GET /ws?sender=docs-reader HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n'
                           'Upgrade: websocket\r\nConnection: Upgrade\r\n'
                           'Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n'
                           % (port, key)).encode())
        head = b''
        while b'\r\n\r\n' not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise RuntimeError('upgrade refused')
            head += chunk
        if b' 101 ' not in head.split(b'\r\n')[0]:
            raise RuntimeError('upgrade refused: %r' % head)
        self.buf = b''
        self.hello = self.read_json()

    def _recv(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError('connection closed')
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_json(self):
        while True:
            b0, b1 = self._recv(2)
            n = b1 & 0x7f
            if n == 126:
                n = int.from_bytes(self._recv(2), 'big')
            elif n == 127:
                n = int.from_bytes(self._recv(8), 'big')
            payload = self._recv(n)
            if b0 & 0x0f == 1:
                return json.loads(payload)

    def send_json(self, obj):
        data = json.dumps(obj).encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        header += bytes([0x80 | len(data)]) if len(data) < 126 else \
            bytes([0x80 | 126]) + len(data).to_bytes(2, 'big')
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def join(self, room):
        self.send_json({'type': 'join', 'namespace': '/', 'roomCode': room})
        while True:
            frame = self.read_json()
            if frame.get('type') == 'joined':
                return

    def close(self):
        self.sock.close()


def main():
    if shutil.which('dbus-daemon') is None:
        print('skip: dbus-daemon is not installed')
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix='roomcast-docs-')
    children = []
    bus = subprocess.Popen(['dbus-daemon', '--session', '--nofork', '--print-address=1'],
                           stdout=subprocess.PIPE, text=True, start_new_session=True)
    children.append(bus)
    member = None
    try:
        address = bus.stdout.readline().strip()
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address,
                   PATH=os.pathsep.join([os.path.join(BUILD, 'src'),
                                         os.path.join(BUILD, 'src', 'ctl'),
                                         os.environ.get('PATH', '')]),
                   ROOMCAST_LOCALEDIR=os.path.join(BUILD, 'po'))
        env.pop('DBUS_SYSTEM_BUS_ADDRESS', None)
        ports = {}

        def port_for(match):
            return str(ports.setdefault(match.group(0), free_port()))

        blocks = [b for b in doc_blocks(os.path.join(SOURCE, 'docs', 'admin.md'))
                  if b[0] in SECTIONS]
        check(len(blocks) >= 5, 'docs/admin.md has its session-bus examples (%d blocks)'
              % len(blocks))
        main_port = None
        for section, lines in blocks:
            for line in lines:
                if not line.strip() or line.startswith('#') or line.startswith('dbus-run-session'):
                    continue
                cmd = re.sub(r'\b80[89]\d\b', port_for, line)
                if cmd.endswith('&'):
                    log = open(os.path.join(tmp, 'daemon-%d.log' % len(children)), 'w+')
                    p = subprocess.Popen(cmd[:-1], shell=True, env=env, cwd=tmp, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
                    children.append(p)
                    deadline = time.monotonic() + 10 * SCALE
                    started = None
                    while time.monotonic() < deadline and started is None:
                        log.seek(0)
                        started = re.search(r'listening on http://127\.0\.0\.1:(\d+)/', log.read())
                        time.sleep(0.05)
                    check(started is not None, '[%s] %s' % (section, line))
                    # the daemon owns its name just after listening
                    time.sleep(0.5)
                    if started and main_port is None:
                        main_port = int(started.group(1))
                        member = WsMember(main_port)
                    continue
                program = next(w for w in cmd.split() if '=' not in w)
                if shutil.which(program, path=env['PATH']) is None:
                    print('skip [%s] %s: %s is not installed' % (section, line, program))
                    continue
                if member is not None:
                    # every example may assume someone is in room_1
                    member.join('room_1')
                timeout = 2 if cmd.startswith('gdbus monitor') else 20
                try:
                    r = subprocess.run(cmd, shell=True, env=env, cwd=tmp, capture_output=True,
                                       text=True, timeout=timeout * SCALE)
                    # reloads print nothing; everything else shows something
                    ok = r.returncode == 0 and (r.stdout.strip() != '' or 'eload' in cmd)
                    detail = r.stderr.strip()
                except subprocess.TimeoutExpired as e:
                    # a monitor runs until stopped: it worked if it printed what it watches
                    out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or '')
                    ok = cmd.startswith('gdbus monitor') and 'org.roomcast' in out
                    detail = 'timed out'
                    r = None
                check(ok, '[%s] %s %s' % (section, line, detail if not ok else ''))
                if r is not None and 'LANGUAGE=de' in cmd:
                    check('Befehle:' in r.stdout, '[%s] the help is German' % section)
    finally:
        if member is not None:
            member.close()
        for p in reversed(children):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(10 * SCALE)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
    if failures:
        print('\n%d example(s) failed:\n  ' % len(failures) + '\n  '.join(failures))
        sys.exit(1)
    print('every session-bus example of docs/admin.md worked as pasted')
