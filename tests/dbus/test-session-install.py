#!/usr/bin/env python3
# Copyright 2026 roomcast developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A desktop user's own node, as `meson install` puts it into a DESTDIR:

- the session-bus activation file in $datadir/dbus-1/services, the systemd user unit
  (Type=dbus, BusName=org.roomcast, --bus session) in systemd's user unit dir, the
  .desktop entry in $datadir/applications: contents, `desktop-file-validate`,
  `systemd-analyze verify --user` (skipped with a message where it cannot run)
- a private `dbus-daemon --session` whose <servicedir> is the installed services
  folder: the .desktop entry's command starts roomcastd by bus activation and opens
  the web chat (a stand-in xdg-open records the URL); then `roomcastctl status` is
  answered by that node, which read the user's $XDG_CONFIG_HOME/roomcast/roomcast.conf

The activation file names the installed roomcastd ($prefix/sbin), which only exists
inside the DESTDIR here: the bus reads a copy whose Exec points into the DESTDIR,
everything else as installed.

Usage: test-session-install.py BUILD_ROOT SOURCE_ROOT
"""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BUILD, SOURCE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
TIMEOUT_SCALE = float(os.environ.get('RC_TEST_TIMEOUT_SCALE', '1'))
failures = []

BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=%(socket)s</listen>
  <auth>EXTERNAL</auth>
  <servicedir>%(servicedir)s</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def skip(what):
    print('skip ' + what, flush=True)


def run(args, env=None, timeout=60, **kw):
    return subprocess.run(args, env=env, timeout=timeout * TIMEOUT_SCALE,
                          capture_output=True, text=True, **kw)


def build_option(options, name):
    for o in options:
        if o['name'] == name:
            return o['value']
    raise KeyError(name)


def user_unit_dir(prefix):
    fallback = os.path.join(prefix, 'lib/systemd/user')
    if shutil.which('pkg-config') is None or run(['pkg-config', '--exists', 'systemd']).returncode:
        return fallback
    r = run(['pkg-config', '--define-variable=prefix=' + prefix,
             '--variable=systemduserunitdir', 'systemd'])
    return r.stdout.strip() or fallback


def line(text, key):
    m = re.search(r'^%s=(.*)$' % re.escape(key), text, re.M)
    return m.group(1) if m else None


def gdbus(env, *args):
    return run(['gdbus', 'call', '--session'] + list(args), env=env, timeout=30)


def stop_activated(env):
    """The activated roomcastd is the bus' child, not ours: find it and SIGTERM it."""
    r = gdbus(env, '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus',
              '--method', 'org.freedesktop.DBus.GetConnectionUnixProcessID', 'org.roomcast')
    m = re.search(r'uint32 (\d+)', r.stdout)
    if not m:
        return None
    pid = int(m.group(1))
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10 * TIMEOUT_SCALE
    while time.monotonic() < deadline and os.path.exists('/proc/%d' % pid):
        time.sleep(0.05)
    if os.path.exists('/proc/%d' % pid):
        os.kill(pid, signal.SIGKILL)
        return False
    return True


def main():
    options = json.loads(run(['meson', 'introspect', '--buildoptions', BUILD]).stdout)
    prefix = build_option(options, 'prefix')

    def opt_dir(name):
        return os.path.join(prefix, build_option(options, name))

    bindir, sbindir = opt_dir('bindir'), opt_dir('sbindir')
    datadir, libdir, mandir = opt_dir('datadir'), opt_dir('libdir'), opt_dir('mandir')
    roomcastd = os.path.join(sbindir, 'roomcastd')
    roomcastctl = os.path.join(bindir, 'roomcastctl')
    paths = {
        'activation': os.path.join(datadir, 'dbus-1', 'services', 'org.roomcast.service'),
        'unit': os.path.join(user_unit_dir(prefix), 'roomcast.service'),
        'desktop': os.path.join(datadir, 'applications', 'org.roomcast.desktop'),
    }

    tmp = tempfile.mkdtemp(prefix='roomcast-session-')
    busd = None
    env = None
    try:
        dest = os.path.join(tmp, 'dest')
        r = run(['meson', 'install', '-C', BUILD, '--destdir', dest, '--no-rebuild', '--quiet'],
                timeout=180)
        if not check(r.returncode == 0, 'meson install --destdir'):
            print(r.stdout, r.stderr)
            return

        def d(path):
            return dest + path

        texts = {}
        for key, path in paths.items():
            if check(os.path.isfile(d(path)), 'installed %s' % path):
                with open(d(path), encoding='utf-8') as f:
                    texts[key] = f.read()
        if len(texts) != len(paths):
            return
        for key, text in texts.items():
            left = re.findall(r'@[A-Za-z_]+@', text)
            check(not left, '%s has no unsubstituted placeholder %s' % (key, left))

        activation, unit, desktop = texts['activation'], texts['unit'], texts['desktop']
        check('[D-BUS Service]' in activation, 'activation file: [D-BUS Service]')
        check(line(activation, 'Name') == 'org.roomcast', 'activation file: Name=org.roomcast')
        check(line(activation, 'Exec') == roomcastd + ' --bus session',
              'activation file: Exec is the installed roomcastd on the session bus')
        check(line(activation, 'SystemdService') == 'roomcast.service',
              'activation file: SystemdService=roomcast.service (the user unit)')
        check(line(activation, 'User') is None, 'activation file: no User= on the session bus')
        for key, value in (('Type', 'dbus'), ('BusName', 'org.roomcast'),
                           ('ExecStart', roomcastd + ' --bus session'),
                           ('WantedBy', 'default.target')):
            check(line(unit, key) == value, 'user unit: %s=%s (got %r)' % (key, value,
                                                                          line(unit, key)))
        check(line(unit, 'User') is None, 'user unit: no User= (it runs as the user)')
        check(line(desktop, 'Type') == 'Application', 'desktop entry: Type=Application')
        check('http://127.0.0.1:8080/' in (line(desktop, 'Exec') or ''),
              'desktop entry: opens the web chat at the default port')

        if shutil.which('desktop-file-validate'):
            r = run(['desktop-file-validate', d(paths['desktop'])])
            check(r.returncode == 0 and (r.stdout + r.stderr).strip() == '',
                  'desktop-file-validate %s' % (r.stdout + r.stderr).strip())
        else:
            skip('desktop-file-validate: not installed (package desktop-file-utils)')

        check_user_unit(tmp, dest, roomcastd, d(mandir), unit)

        if shutil.which('dbus-daemon') is None or shutil.which('gdbus') is None:
            skip('activation: dbus-daemon or gdbus not installed')
            return

        # the bus reads the installed file, its Exec moved into the DESTDIR
        sdir = os.path.join(tmp, 'services')
        os.makedirs(sdir)
        with open(os.path.join(sdir, 'org.roomcast.service'), 'w', encoding='utf-8') as f:
            f.write(activation.replace('Exec=' + roomcastd, 'Exec=' + d(roomcastd)))
        # the user's own configuration: a free port, a name to recognise the node by
        config_home = os.path.join(tmp, 'config')
        os.makedirs(os.path.join(config_home, 'roomcast'))
        with open(os.path.join(config_home, 'roomcast', 'roomcast.conf'), 'w',
                  encoding='utf-8') as f:
            f.write('[server]\nport=0\nnode_id=desktop-node\n')
        # a stand-in xdg-open that writes down what it was asked to open
        fakebin = os.path.join(tmp, 'bin')
        os.makedirs(fakebin)
        opened = os.path.join(tmp, 'opened')
        with open(os.path.join(fakebin, 'xdg-open'), 'w', encoding='utf-8') as f:
            f.write('#!/bin/sh\nprintf "%%s\\n" "$@" > %s\n' % shlex.quote(opened))
        os.chmod(os.path.join(fakebin, 'xdg-open'), 0o755)

        socket = os.path.join(tmp, 'bus')
        conf = os.path.join(tmp, 'bus.conf')
        with open(conf, 'w', encoding='utf-8') as f:
            f.write(BUS_CONF % {'socket': socket, 'servicedir': sdir})
        env = dict(os.environ)
        env.pop('DBUS_SYSTEM_BUS_ADDRESS', None)
        env['DBUS_SESSION_BUS_ADDRESS'] = 'unix:path=' + socket
        env['XDG_CONFIG_HOME'] = config_home
        env['PATH'] = fakebin + ':' + env.get('PATH', '/usr/bin:/bin')
        env['LD_LIBRARY_PATH'] = ':'.join(filter(None, [d(libdir), env.get('LD_LIBRARY_PATH')]))
        busd = subprocess.Popen(['dbus-daemon', '--config-file=' + conf, '--nofork',
                                 '--print-address=1'], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        if not check(busd.stdout.readline().startswith('unix:'),
                     'dbus-daemon --session with the installed services folder'):
            return

        # the menu entry's command, as a desktop would run it (its roomcastctl from
        # the DESTDIR): it activates the node, then opens the chat
        exec_line = line(desktop, 'Exec').replace(roomcastctl, d(roomcastctl))
        r = run(shlex.split(exec_line), env=env, timeout=60)
        check(r.returncode == 0, 'the desktop entry\'s command runs %s' % r.stderr.strip())
        try:
            with open(opened, encoding='utf-8') as f:
                url = f.read().strip()
        except OSError:
            url = None
        check(url == 'http://127.0.0.1:8080/', 'the desktop entry opens %r' % url)

        # the node it started answers, with the name from the user's config file
        r = run([d(roomcastctl), '--json', 'status'], env=env, timeout=30)
        status = json.loads(r.stdout) if r.returncode == 0 and r.stdout else {}
        check(status.get('NodeId') == 'desktop-node',
              'roomcastctl status is answered by the activated node, which read '
              '$XDG_CONFIG_HOME/roomcast/roomcast.conf %s %s' % (r.stdout.strip(),
                                                                   r.stderr.strip()))
        r = gdbus(env, '--dest', 'org.roomcast', '--object-path', '/org/roomcast', '--method',
                  'org.freedesktop.DBus.Properties.GetAll', 'org.roomcast.Daemon')
        check(r.returncode == 0 and "'NodeId': <'desktop-node'>" in r.stdout,
              'gdbus GetAll %s' % r.stderr.strip())
        check(stop_activated(env) is True, 'the activated roomcastd stops on SIGTERM')

        # with no node running, the first gdbus call starts one again
        r = gdbus(env, '--dest', 'org.roomcast', '--object-path', '/org/roomcast', '--method',
                  'org.freedesktop.DBus.Peer.Ping')
        check(r.returncode == 0, 'a gdbus call to org.roomcast activates roomcastd %s'
              % r.stderr.strip())
        check(stop_activated(env) is True, 'the activated roomcastd stops on SIGTERM again')
    finally:
        if env is not None:
            try:
                stop_activated(env)
            except (OSError, subprocess.SubprocessError):
                pass
        if busd is not None:
            busd.terminate()
            try:
                busd.wait(10)
            except subprocess.TimeoutExpired:
                busd.kill()
                busd.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def check_user_unit(tmp, dest, roomcastd, mandir, unit):
    if shutil.which('systemd-analyze') is None:
        skip('systemd-analyze verify --user: systemd-analyze is not installed')
        return
    vdir = os.path.join(tmp, 'units')
    os.makedirs(vdir)
    path = os.path.join(vdir, 'roomcast.service')
    with open(path, 'w', encoding='utf-8') as f:
        f.write(unit.replace(roomcastd, dest + roomcastd))
    # a user manager's runtime dir, which a test run has none of
    runtime = os.path.join(tmp, 'runtime')
    os.makedirs(runtime, mode=0o700)
    env = dict(os.environ, MANPATH=mandir, SYSTEMD_LOG_LEVEL='notice', XDG_RUNTIME_DIR=runtime)
    r = run(['systemd-analyze', '--user', 'verify', path], env=env)
    if r.returncode != 0 and re.search(r'(No such file or directory|Operation not permitted|'
                                       r'Failed to initialize manager|Cannot determine|'
                                       r'XDG_RUNTIME_DIR)', r.stderr) \
            and 'roomcast' not in r.stderr:
        skip('systemd-analyze --user verify cannot run here: ' + r.stderr.strip())
        return
    check(r.returncode == 0 and r.stderr.strip() == '',
          'systemd-analyze --user verify roomcast.service %s' % r.stderr.strip())


if __name__ == '__main__':
    main()
    if failures:
        print('\n%d check(s) failed:\n  ' % len(failures) + '\n  '.join(failures))
        sys.exit(1)
    print('all checks passed')
