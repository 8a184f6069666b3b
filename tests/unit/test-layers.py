#!/usr/bin/env python3
# Copyright 2026 roomcast developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Data flows one way through roomcastd: no file includes a layer above its own.

    base        rc-error, rc-config, rc-message, rc-tls,
                protocol/                                    (depend on nothing of ours)
    services    rooms/, bus/, plugins/                       (base only, not each other)
    engine      engine/                                      (services and base)
    front ends  transport/, dbus/, socketio/                 (the engine and below;
                                                              socketio may use transport)
    daemon      rc-daemon.c, main.c                          (everything)

Usage: test-layers.py SOURCE_ROOT
"""
import os
import re
import sys

SRC = os.path.join(sys.argv[1], 'src')
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

BASE = {'base'}
SERVICES = {'rooms', 'bus', 'plugins'}
FRONTENDS = {'transport', 'dbus', 'socketio'}


def module_of(path):
    """The module of a path relative to src/ (a file or an include target)."""
    parts = path.split('/')
    if len(parts) > 1:
        return parts[0]
    name = parts[0]
    if name.startswith(('rc-error', 'rc-config', 'rc-message', 'rc-history', 'rc-presence',
                         'rc-log', 'rc-metrics', 'rc-tls')):
        return 'base'
    if name.startswith(('rc-daemon', 'main')):
        return 'daemon'
    if name in ('config.h', 'rc-www-resources.h', 'rc-lua-resources.h'):
        return 'generated'
    return 'unknown:' + name


def allowed(frm, to):
    if to in ('generated',) or frm == to:
        return True
    if frm in ('protocol', 'base'):
        return to in ('base', 'protocol')
    if frm in SERVICES:
        return to in ('base', 'protocol')
    if frm == 'engine':
        return to in {'base', 'protocol'} | SERVICES
    if frm in FRONTENDS:
        ok = {'base', 'protocol', 'engine', 'rooms'}
        if frm == 'socketio':
            ok.add('transport')
        return to in ok
    if frm == 'daemon':
        return True
    # the tools are programs of their own; they may use the generated D-Bus code
    if frm in ('ctl', 'bench'):
        return to in (frm, 'dbus', 'generated')
    return False


def main():
    failures = []
    checked = 0
    for root, _, files in os.walk(SRC):
        for name in files:
            if not name.endswith(('.c', '.h')):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, SRC)
            frm = module_of(rel)
            with open(path, encoding='utf-8') as f:
                text = f.read()
            for target in INCLUDE.findall(text):
                to = module_of(target) if '/' in target or target.startswith('rc-') \
                    or target == 'config.h' else 'generated'
                # headers the build writes (resources) belong to whoever includes them
                if to == 'generated' and target != 'config.h' and '/' not in target:
                    to = 'generated'
                # a bare name in a subfolder is that folder's own header
                if '/' not in target and target.startswith('rc-') and '/' in rel \
                        and os.path.exists(os.path.join(os.path.dirname(path), target)):
                    to = frm
                checked += 1
                if not allowed(frm, to):
                    failures.append(f'{rel} ({frm}) includes "{target}" ({to})')
    for f in failures:
        print('FAIL ' + f)
    print(f'{checked} includes checked, {len(failures)} against the layers')
    sys.exit(1 if failures or checked == 0 else 0)


if __name__ == '__main__':
    main()
