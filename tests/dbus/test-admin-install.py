#!/usr/bin/env python3
# Copyright 2026 roomcast developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`meson install` into a DESTDIR, then check what an administrator gets:

- the installed file list (binaries, config, units, sysusers, D-Bus files, man pages, .mo)
- no @placeholder@ left, the interface XML identical to the one gdbus-codegen reads
- roomcast.conf: every key of the configuration reference, commented out with its default, and
  accepted by the installed roomcastd
- xmllint on the policy and interface XML, `man --warnings` on the man pages,
  `systemd-analyze verify` on both units (skipped with a message where impossible)
- the installed German catalogue (LANGUAGE=de roomcastctl --help)
- the system-bus policy enforced by a real dbus-daemon: as root everything, as
  `nobody` only properties and the read-only methods (skipped unless run as root)

Usage: test-admin-install.py BUILD_ROOT SOURCE_ROOT
"""

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BUILD, SOURCE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
failures = []
TIMEOUT_SCALE = float(os.environ.get('RC_TEST_TIMEOUT_SCALE', '1'))


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


def pkg_config_dir(variable, define, fallback):
    if shutil.which('pkg-config') is None or run(['pkg-config', '--exists', 'systemd']).returncode:
        return fallback
    r = run(['pkg-config', '--define-variable=%s=%s' % define, '--variable=' + variable, 'systemd'])
    return r.stdout.strip() or fallback


class Proc:
    """A child process whose stdout/stderr we read line by line, stopped at the end."""

    def __init__(self, args, env=None, preexec=None):
        self.p = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  start_new_session=True, preexec_fn=preexec)
        self.out, self.err = [], []
        # raw reads: a buffered readline() would hide lines from select()
        self.partial = {self.p.stdout.fileno(): b'', self.p.stderr.fileno(): b''}

    def wait_line(self, pattern, timeout=10, stream='out'):
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        rx = re.compile(pattern)
        lines = self.out if stream == 'out' else self.err
        while True:
            for line in lines:
                m = rx.search(line)
                if m:
                    return m
            if time.monotonic() >= deadline:
                return None
            if not self._pump(0.1) and self.p.poll() is not None:
                return None

    def _pump(self, timeout):
        fds = list(self.partial)
        if not fds:
            return False
        ready, _, _ = select.select(fds, [], [], timeout)
        got = False
        for fd in ready:
            data = os.read(fd, 65536)
            if not data:
                del self.partial[fd]
                continue
            got = True
            *complete, self.partial[fd] = (self.partial[fd] + data).split(b'\n')
            target = self.out if fd == self.p.stdout.fileno() else self.err
            target.extend(line.decode('utf-8', 'replace') for line in complete)
        return got

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10 * TIMEOUT_SCALE)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        while self._pump(0):
            pass
        return self.p.returncode


def main():
    options = json.loads(run(['meson', 'introspect', '--buildoptions', BUILD]).stdout)
    prefix = build_option(options, 'prefix')

    def opt_dir(name):
        return os.path.join(prefix, build_option(options, name))

    bindir, sbindir = opt_dir('bindir'), opt_dir('sbindir')
    sysconfdir, datadir = opt_dir('sysconfdir'), opt_dir('datadir')
    mandir, localedir, libdir = opt_dir('mandir'), opt_dir('localedir'), opt_dir('libdir')
    unitdir = pkg_config_dir('systemdsystemunitdir', ('root_prefix', prefix),
                             os.path.join(prefix, 'lib/systemd/system'))
    sysusersdir = pkg_config_dir('sysusersdir', ('prefix', prefix),
                                 os.path.join(prefix, 'lib/sysusers.d'))

    tmp = tempfile.mkdtemp(prefix='roomcast-install-')
    procs = []
    try:
        dest = os.path.join(tmp, 'dest')
        r = run(['meson', 'install', '-C', BUILD, '--destdir', dest, '--no-rebuild', '--quiet'],
                timeout=180)
        if not check(r.returncode == 0, 'meson install --destdir'):
            print(r.stdout, r.stderr)
            return

        def d(path):
            return dest + path

        expected = {
            'roomcastd': os.path.join(sbindir, 'roomcastd'),
            'roomcastctl': os.path.join(bindir, 'roomcastctl'),
            'conf': os.path.join(sysconfdir, 'roomcast', 'roomcast.conf'),
            'unit': os.path.join(unitdir, 'roomcast.service'),
            'template': os.path.join(unitdir, 'roomcast@.service'),
            'sysusers': os.path.join(sysusersdir, 'roomcast.conf'),
            'policy': os.path.join(datadir, 'dbus-1', 'system.d', 'org.roomcast.conf'),
            'activation': os.path.join(datadir, 'dbus-1', 'system-services', 'org.roomcast.service'),
            'interface': os.path.join(datadir, 'dbus-1', 'interfaces', 'org.roomcast.Daemon.xml'),
            'man1': os.path.join(mandir, 'man1', 'roomcastctl.1'),
            'man5': os.path.join(mandir, 'man5', 'roomcast.conf.5'),
            'man8': os.path.join(mandir, 'man8', 'roomcastd.8'),
            'mo': os.path.join(localedir, 'de', 'LC_MESSAGES', 'roomcast.mo'),
        }
        for key, path in expected.items():
            check(os.path.isfile(d(path)), 'installed %s' % path)
        for key in ('roomcastd', 'roomcastctl'):
            check(os.access(d(expected[key]), os.X_OK), '%s is executable' % expected[key])
        # nothing of ours outside the prefix (DESTDIR installs must stay inside it)
        outside = [os.path.relpath(os.path.join(root, f), dest)
                   for root, _, files in os.walk(dest) for f in files
                   if not ('/' + os.path.relpath(os.path.join(root, f), dest)).startswith(prefix)]
        check(not outside, 'every installed file is under the prefix %s %s' % (prefix, outside))

        def read(key):
            with open(d(expected[key]), encoding='utf-8') as f:
                return f.read()

        for key in ('conf', 'unit', 'template', 'activation', 'man1', 'man5', 'man8'):
            left = re.findall(r'@[A-Za-z_]+@', read(key))
            check(not left, '%s has no unsubstituted placeholder %s' % (key, left))
        with open(os.path.join(SOURCE, 'data', 'org.roomcast.Daemon.xml'), encoding='utf-8') as f:
            check(read('interface') == f.read(),
                  'installed interface XML is the one gdbus-codegen reads')

        roomcastd = os.path.join(sbindir, 'roomcastd')
        activation = read('activation')
        check('[D-BUS Service]' in activation, 'activation file: [D-BUS Service]')
        check(re.search(r'^Name=org\.roomcast$', activation, re.M), 'activation file: Name')
        check(re.search(r'^Exec=%s --bus system$' % re.escape(roomcastd), activation, re.M),
              'activation file: Exec is the installed roomcastd on the system bus')
        check(re.search(r'^SystemdService=roomcast\.service$', activation, re.M),
              'activation file: SystemdService')
        unit = read('unit')
        user = re.search(r'^User=(\S+)$', unit, re.M)
        check(user and re.search(r'^User=%s$' % user.group(1), activation, re.M),
              'activation file and unit run as the same user')
        check(user and re.search(r'^u %s ' % user.group(1), read('sysusers'), re.M),
              'sysusers.d creates the unit\'s user')
        check(user and ('<policy user="%s">' % user.group(1)) in read('policy'),
              'the policy lets the unit\'s user own the name')
        for line in ('Type=dbus', 'BusName=org.roomcast',
                     'ExecStart=%s --bus system' % roomcastd, 'ProtectSystem=strict',
                     'NoNewPrivileges=yes', 'ProtectHome=yes', 'PrivateTmp=yes',
                     'PrivateDevices=yes', 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
                     'SystemCallFilter=@system-service'):
            check(re.search(r'^%s$' % re.escape(line), unit, re.M), 'roomcast.service: ' + line)
        template = read('template')
        check(re.search(r'^ExecStart=%s --bus system --dbus-name org\.roomcast\.i%%i '
                        r'--node-id %%H-%%i$' % re.escape(roomcastd), template, re.M),
              'roomcast@.service: per-instance node id and bus name')
        check(re.search(r'^BusName=org\.roomcast\.i%i$', template, re.M),
              'roomcast@.service: BusName matches --dbus-name')

        check_conf(read('conf'))

        env = dict(os.environ)
        env['LD_LIBRARY_PATH'] = ':'.join(filter(None, [d(libdir), env.get('LD_LIBRARY_PATH')]))
        env.pop('DBUS_SESSION_BUS_ADDRESS', None)

        # the installed daemon accepts the installed config as it is
        node = Proc([d(roomcastd), '--config', d(expected['conf']), '--port', '0', '--bus', 'none'],
                    env=env)
        procs.append(node)
        check(node.wait_line(r'^roomcastd: listening on http://127\.0\.0\.1:\d+/$'),
              'installed roomcastd starts with the installed roomcast.conf')
        rc = node.stop()
        check(rc == 0, 'installed roomcastd exits 0 on SIGTERM (got %s)' % rc)

        # the installed German catalogue
        ctl_env = dict(env, LANGUAGE='de', ROOMCAST_LOCALEDIR=d(localedir))
        ctl_env.pop('LC_ALL', None)
        ctl_env.pop('LANG', None)
        r = run([d(expected['roomcastctl']), '--help'], env=ctl_env)
        check(r.returncode == 0 and 'Befehle:' in r.stdout,
              'LANGUAGE=de roomcastctl --help is German with the installed .mo')

        # well-formed XML, without fetching DTDs
        if shutil.which('xmllint'):
            for key in ('policy', 'interface'):
                r = run(['xmllint', '--noout', '--nonet', d(expected[key])])
                check(r.returncode == 0 and r.stderr == '', 'xmllint %s %s' % (key, r.stderr))
        else:
            skip('xmllint: not installed')

        check_man_pages(d(mandir), [d(expected[k]) for k in ('man1', 'man5', 'man8')])
        check_units(tmp, dest, roomcastd, d(mandir), [unit, template])
        check_policy(tmp, env, d(roomcastd), d(expected['roomcastctl']), d(expected['policy']),
                     procs)
        check_activation(tmp, env, roomcastd, d(roomcastd), activation, procs)
    finally:
        for p in procs:
            p.stop()
        shutil.rmtree(tmp, ignore_errors=True)


# every config key, with its default ('' = unset)
CONF_KEYS = {
    'server': {'port': '8080', 'listen': '127.0.0.1', 'node_id': '', 'reuse_port': 'false',
               'allowed_origins': '', 'tls_certificate': '', 'tls_key': ''},
    'redis': {'url': '', 'channel': 'livechat', 'fanout': 'single', 'password_file': '',
              'tls_ca_file': '', 'tls_cert_file': '', 'tls_key_file': ''},
    'dbus': {'bus': 'session', 'name': 'org.roomcast'},
    'plugins': {'dir': '', 'enabled': ''},
    'limits': {'max_text_bytes': '4096', 'max_frame_bytes': '65536',
               'max_queue_bytes': '1048576'},
    'http': {'api_token': ''},
    'socketio': {'ping_interval': '25000', 'ping_timeout': '20000'},
}


def check_conf(text):
    groups = {}
    current = None
    for line in text.splitlines():
        m = re.match(r'^\[([^\]]+)\]$', line)
        if m:
            current = m.group(1)
            groups.setdefault(current, {})
            continue
        m = re.match(r'^#([a-z_]+)=(.*)$', line)
        if m and current:
            groups[current].setdefault(m.group(1), m.group(2))
        if re.match(r'^[a-z_]+\s*=', line):
            check(False, 'roomcast.conf only documents, it sets nothing: %r' % line)
    for group, keys in CONF_KEYS.items():
        for key, default in keys.items():
            got = groups.get(group, {}).get(key)
            check(got == default, 'roomcast.conf: [%s] #%s=%s (got %r)'
                  % (group, key, default, got))
    for plugin in ('auth-token', 'auth-jwt', 'filter-profanity', 'filter-ratelimit'):
        check('#[plugin:%s]' % plugin in text, 'roomcast.conf documents [plugin:%s]' % plugin)


def check_man_pages(mandir, pages):
    if shutil.which('man') is None or shutil.which('groff') is None:
        skip('man --warnings: man or groff not installed')
        return
    for page in pages:
        r = run(['man', '--warnings', '-E', 'UTF-8', '-l', page],
                env=dict(os.environ, MANWIDTH='80', MAN_KEEP_FORMATTING='0'))
        check(r.returncode == 0 and r.stderr.strip() == '' and len(r.stdout) > 500,
              'man --warnings %s %s' % (os.path.basename(page), r.stderr.strip()))


def check_units(tmp, dest, roomcastd, mandir, units):
    if shutil.which('systemd-analyze') is None:
        skip('systemd-analyze verify: systemd-analyze is not installed')
        return
    # verify resolves ExecStart= and Documentation=man: on this machine: point them
    # at the DESTDIR copies; everything else is checked as installed
    vdir = os.path.join(tmp, 'units')
    os.makedirs(vdir)
    names = []
    for text, name in zip(units, ('roomcast.service', 'roomcast@1.service')):
        path = os.path.join(vdir, name)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text.replace(roomcastd, dest + roomcastd))
        names.append(path)
    env = dict(os.environ, MANPATH=mandir, SYSTEMD_LOG_LEVEL='notice')
    r = run(['systemd-analyze', 'verify'] + names, env=env)
    if r.returncode != 0 and re.search(r'(No such file or directory|Operation not permitted|'
                                       r'Failed to initialize manager|Cannot determine)',
                                       r.stderr) and 'roomcast' not in r.stderr:
        skip('systemd-analyze verify cannot run here: ' + r.stderr.strip())
        return
    check(r.returncode == 0 and r.stderr.strip() == '',
          'systemd-analyze verify roomcast.service roomcast@1.service %s' % r.stderr.strip())


POLICY_BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%(socket)s</listen>
  <auth>EXTERNAL</auth>
  <!-- the default policy of Debian's system.conf -->
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <include>%(policy)s</include>
</busconfig>
"""


def check_policy(tmp, env, roomcastd, roomcastctl, policy, procs):
    if os.geteuid() != 0:
        skip('D-Bus policy enforcement: needs root to call as another user')
        return
    if shutil.which('dbus-daemon') is None or shutil.which('gdbus') is None:
        skip('D-Bus policy enforcement: dbus-daemon or gdbus not installed')
        return
    try:
        import pwd
        nobody = pwd.getpwnam('nobody')
    except KeyError:
        skip('D-Bus policy enforcement: no user nobody')
        return
    bus_dir = os.path.join(tmp, 'bus')
    os.makedirs(bus_dir)
    os.chmod(tmp, 0o755)
    os.chmod(bus_dir, 0o755)
    socket = os.path.join(bus_dir, 'system_bus_socket')
    conf = os.path.join(bus_dir, 'system.conf')
    with open(conf, 'w', encoding='utf-8') as f:
        f.write(POLICY_BUS_CONF % {'socket': socket, 'policy': policy})
    busd = Proc(['dbus-daemon', '--config-file=' + conf, '--nofork', '--print-address=1'])
    procs.append(busd)
    if not check(busd.wait_line(r'^unix:'), 'dbus-daemon with the installed policy starts'):
        print('\n'.join(busd.err))
        return
    address = 'unix:path=' + socket
    benv = dict(env, DBUS_SYSTEM_BUS_ADDRESS=address)

    # root may own org.roomcast (the service user is checked by name above)
    node = Proc([roomcastd, '--port', '0', '--bus', 'system', '--node-id', 'policy-node'],
                env=benv)
    procs.append(node)
    if not check(node.wait_line(r'listening on'), 'roomcastd --bus system starts'):
        print('\n'.join(node.err))
        return
    if not check(node.wait_line(r'owning org\.roomcast', stream='err'),
                 'root owns org.roomcast on the system bus'):
        print('\n'.join(node.err))
        return

    def as_nobody():
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)

    def gdbus_call(method, args, user):
        cmd = ['gdbus', 'call', '--system', '--dest', 'org.roomcast', '--object-path',
               '/org/roomcast', '--method', method] + args
        return run(cmd, env=benv, preexec_fn=as_nobody if user == 'nobody' else None,
                   cwd='/')

    readonly = [
        ('org.freedesktop.DBus.Properties.Get', ['org.roomcast.Daemon', 'NodeId']),
        ('org.freedesktop.DBus.Properties.GetAll', ['org.roomcast.Daemon']),
        ('org.freedesktop.DBus.Introspectable.Introspect', []),
        ('org.roomcast.Daemon.ListRooms', []),
        ('org.roomcast.Daemon.ListMembers', ['/', 'room_1']),
    ]
    # answered by the daemon (NotFound), so the policy let them through
    readonly_not_found = [
        ('org.roomcast.Daemon.GetRoomStats', ['/', 'nope']),
        ('org.roomcast.Daemon.ListClients', ['/', 'nope']),
    ]
    writes = [
        ('org.roomcast.Daemon.KickClient', ['nobody-client', 'x']),
        ('org.roomcast.Daemon.CloseRoom', ['/', 'nope', 'x']),
        ('org.roomcast.Daemon.Publish', ['/', 'room_1', 'ops', 'hi']),
        ('org.roomcast.Daemon.ReloadConfig', []),
        ('org.roomcast.Daemon.GetHistory', ['/', 'room_1', '10']),
    ]
    for method, args in readonly:
        for user in ('root', 'nobody'):
            r = gdbus_call(method, args, user)
            check(r.returncode == 0, 'policy: %s may call %s %s' % (user, method, r.stderr.strip()))
    for method, args in readonly_not_found:
        r = gdbus_call(method, args, 'nobody')
        check('org.roomcast.Error.NotFound' in r.stderr,
              'policy: nobody may call %s %s' % (method, r.stderr.strip()))
    for method, args in writes:
        r = gdbus_call(method, args, 'nobody')
        check(r.returncode != 0 and 'AccessDenied' in r.stderr,
              'policy: nobody may not call %s' % method)
        r = gdbus_call(method, args, 'root')
        check('AccessDenied' not in r.stderr,
              'policy: root may call %s %s' % (method, r.stderr.strip()))

    # a drain is for root alone (not tried as root: the node would stop taking clients)
    r = gdbus_call('org.roomcast.Daemon.Drain', ['1'], 'nobody')
    check(r.returncode != 0 and 'AccessDenied' in r.stderr, 'policy: nobody may not call Drain')

    # roomcastctl --system as an ordinary user: status works, reload is refused (exit 2)
    r = run([roomcastctl, '--system', '--json', 'status'], env=benv, preexec_fn=as_nobody, cwd='/')
    check(r.returncode == 0 and json.loads(r.stdout or '{}').get('NodeId') == 'policy-node',
          'roomcastctl --system status as nobody %s' % r.stderr.strip())
    r = run([roomcastctl, '--system', 'reload'], env=benv, preexec_fn=as_nobody, cwd='/')
    check(r.returncode == 2 and r.stderr.startswith('roomcastctl: access denied') and
          'only root' in r.stderr,
          'roomcastctl --system reload as nobody exits 2 %s' % r.stderr.strip())

    # an ordinary user's roomcastd cannot take the name: it says so and keeps serving
    other = Proc([roomcastd, '--port', '0', '--bus', 'system', '--dbus-name', 'org.roomcast.i9'],
                 env=benv, preexec=as_nobody)
    procs.append(other)
    check(other.wait_line(r'listening on'), 'roomcastd as nobody starts')
    check(other.wait_line(r'could not own', stream='err'),
          'policy: nobody may not own org.roomcast.i9')
    check(other.p.poll() is None, 'roomcastd keeps running without its bus name')


ACTIVATION_BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
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


def check_activation(tmp, env, roomcastd, installed_roomcastd, activation, procs):
    """Bus activation from the installed org.roomcast.service: a call to org.roomcast
    starts roomcastd, which owns the name in time to answer. A session-type bus stands in
    for the system bus (system activation needs systemd or the setuid helper); the daemon's
    --bus system leads back to it through DBUS_SYSTEM_BUS_ADDRESS."""
    if shutil.which('dbus-daemon') is None or shutil.which('gdbus') is None:
        skip('D-Bus activation: dbus-daemon or gdbus not installed')
        return
    adir = os.path.join(tmp, 'activation')
    sdir = os.path.join(adir, 'services')
    os.makedirs(sdir)
    # run the DESTDIR copy, and on a free port rather than the default 8080
    with open(os.path.join(sdir, 'org.roomcast.service'), 'w', encoding='utf-8') as f:
        f.write(re.sub(r'^Exec=%s (.*)$' % re.escape(roomcastd),
                       lambda m: 'Exec=%s %s --port 0' % (installed_roomcastd, m.group(1)),
                       activation, flags=re.M))
    socket = os.path.join(adir, 'bus')
    conf = os.path.join(adir, 'bus.conf')
    with open(conf, 'w', encoding='utf-8') as f:
        f.write(ACTIVATION_BUS_CONF % {'socket': socket, 'servicedir': sdir})
    address = 'unix:path=' + socket
    benv = dict(env, DBUS_SYSTEM_BUS_ADDRESS=address, DBUS_SESSION_BUS_ADDRESS=address)
    busd = Proc(['dbus-daemon', '--config-file=' + conf, '--nofork', '--print-address=1'],
                env=benv)
    procs.append(busd)
    if not check(busd.wait_line(r'^unix:'), 'dbus-daemon with the installed activation file'):
        return
    r = run(['gdbus', 'call', '--session', '--dest', 'org.roomcast', '--object-path',
             '/org/roomcast', '--method', 'org.freedesktop.DBus.Properties.Get',
             'org.roomcast.Daemon', 'Version'], env=benv, timeout=30)
    check(r.returncode == 0 and "'" in r.stdout,
          'a call to org.roomcast activates roomcastd %s %s' % (r.stdout.strip(), r.stderr.strip()))
    # the activated daemon is not our child: find it through the bus and stop it
    r = run(['gdbus', 'call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path',
             '/org/freedesktop/DBus', '--method',
             'org.freedesktop.DBus.GetConnectionUnixProcessID', 'org.roomcast'], env=benv)
    m = re.search(r'uint32 (\d+)', r.stdout)
    if check(m is not None, 'the activated roomcastd is on the bus %s' % r.stderr.strip()):
        pid = int(m.group(1))
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10 * TIMEOUT_SCALE
        while time.monotonic() < deadline and os.path.exists('/proc/%d' % pid):
            time.sleep(0.05)
        if os.path.exists('/proc/%d' % pid):
            os.kill(pid, signal.SIGKILL)
        check(not os.path.exists('/proc/%d' % pid), 'the activated roomcastd stopped on SIGTERM')


if __name__ == '__main__':
    main()
    if failures:
        print('\n%d check(s) failed:\n  ' % len(failures) + '\n  '.join(failures))
        sys.exit(1)
    print('all checks passed')
