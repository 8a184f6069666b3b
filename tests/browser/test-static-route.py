#!/usr/bin/env python3
# Copyright 2026 roomcast developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The static file route of a real roomcastd: content types, ETag/304, HEAD, 404s, and path
# traversal attempts sent byte for byte (an HTTP library would normalise them away).
#
# Usage: test-static-route.py ROOMCASTD SOURCE_ROOT

import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

ROOMCASTD = None
SOURCE_WWW = None
LISTEN_RE = re.compile(rb'roomcastd: listening on http://([0-9.]+):([0-9]+)/')


class Daemon:
    """A roomcastd on a free port, without D-Bus or Redis."""

    def __init__(self, env_extra=None):
        self.tmp = tempfile.mkdtemp(prefix='rc-static-')
        conf = os.path.join(self.tmp, 'roomcast.conf')
        with open(conf, 'w') as f:
            f.write('[server]\nlisten=127.0.0.1\n')
        env = dict(os.environ)
        env.pop('ROOMCAST_WWW_DIR', None)
        env.update(env_extra or {})
        self.proc = subprocess.Popen(
            [ROOMCASTD, '--port', '0', '--bus', 'none', '--config', conf,
             '--plugin-dir', os.path.join(self.tmp, 'no-plugins')],
            stdout=subprocess.PIPE, env=env)
        self.host, self.port = self._wait_listening(10)

    def _wait_listening(self, timeout):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        buf = b''
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if not sel.select(deadline - time.monotonic()):
                    break
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                buf += chunk
                m = LISTEN_RE.search(buf)
                if m:
                    return m.group(1).decode(), int(m.group(2))
        finally:
            sel.close()
        self.stop()
        raise RuntimeError(f'roomcastd did not report its port: {buf!r}')

    def stop(self):
        """Stops the daemon; returns its exit status (0 is a clean shutdown)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return self.proc.returncode

    def request(self, method, target, headers=None):
        """Sends one raw request; returns (status, {lowercase header: value}, body)."""
        lines = [f'{method} {target} HTTP/1.1', f'Host: {self.host}:{self.port}',
                 'Connection: close']
        lines += [f'{k}: {v}' for k, v in (headers or {}).items()]
        raw = ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')
        with socket.create_connection((self.host, self.port), timeout=5) as s:
            s.sendall(raw)
            data = b''
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        head, _, body = data.partition(b'\r\n\r\n')
        status_line, *header_lines = head.decode('latin-1').split('\r\n')
        status = int(status_line.split(' ')[1])
        hdrs = {}
        for line in header_lines:
            k, _, v = line.partition(':')
            hdrs[k.strip().lower()] = v.strip()
        return status, hdrs, body


class StaticRoute(unittest.TestCase):
    daemon = None

    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon()

    @classmethod
    def tearDownClass(cls):
        status = cls.daemon.stop()
        if status != 0:
            raise AssertionError(f'roomcastd exited with {status} on SIGTERM')

    def get(self, target, headers=None, method='GET'):
        return self.daemon.request(method, target, headers)

    def test_root_is_the_page_from_the_source_tree(self):
        status, hdrs, body = self.get('/')
        self.assertEqual(status, 200)
        self.assertEqual(hdrs['content-type'], 'text/html; charset=utf-8')
        with open(os.path.join(SOURCE_WWW, 'index.html'), 'rb') as f:
            self.assertEqual(body, f.read())
        self.assertIn('etag', hdrs)
        self.assertEqual(hdrs['cache-control'], 'no-cache')
        self.assertIn("default-src 'self'", hdrs['content-security-policy'])
        self.assertEqual(hdrs['x-content-type-options'], 'nosniff')

    def test_content_types(self):
        for path, ctype in [('/index.html', 'text/html; charset=utf-8'),
                            ('/app.js', 'text/javascript; charset=utf-8'),
                            ('/style.css', 'text/css; charset=utf-8'),
                            ('/icon.svg', 'image/svg+xml')]:
            with self.subTest(path=path):
                status, hdrs, body = self.get(path)
                self.assertEqual(status, 200)
                self.assertEqual(hdrs['content-type'], ctype)
                with open(os.path.join(SOURCE_WWW, path[1:]), 'rb') as f:
                    self.assertEqual(body, f.read())
                self.assertEqual(int(hdrs['content-length']), len(body))

    def test_etag_revalidation(self):
        status, hdrs, _ = self.get('/app.js')
        self.assertEqual(status, 200)
        etag = hdrs['etag']
        self.assertRegex(etag, r'^"[0-9a-f]+-[0-9a-f]+"$')
        for inm in [etag, f'W/{etag}', f'"nope", {etag}', '*']:
            with self.subTest(if_none_match=inm):
                status, hdrs, body = self.get('/app.js', {'If-None-Match': inm})
                self.assertEqual(status, 304)
                self.assertEqual(body, b'')
                self.assertEqual(hdrs['etag'], etag)
        status, _, body = self.get('/app.js', {'If-None-Match': '"other-1"'})
        self.assertEqual(status, 200)
        self.assertGreater(len(body), 0)
        # the same file gives the same tag; another file another one
        self.assertEqual(self.get('/app.js')[1]['etag'], etag)
        self.assertNotEqual(self.get('/style.css')[1]['etag'], etag)

    def test_head(self):
        status, hdrs, body = self.get('/', method='HEAD')
        self.assertEqual(status, 200)
        self.assertEqual(body, b'')
        self.assertEqual(hdrs['content-type'], 'text/html; charset=utf-8')
        size = os.path.getsize(os.path.join(SOURCE_WWW, 'index.html'))
        self.assertEqual(int(hdrs['content-length']), size)
        self.assertIn('etag', hdrs)
        status, _, body = self.get('/nope.js', method='HEAD')
        self.assertEqual(status, 404)
        self.assertEqual(body, b'')

    def test_unknown_files_are_404(self):
        for path in ['/nope.js', '/index.htm', '/app.js/', '/www/index.html', '/meson.build']:
            with self.subTest(path=path):
                status, _, body = self.get(path)
                self.assertEqual(status, 404)
                self.assertNotIn(b'<html', body)

    def test_traversal_is_refused(self):
        attempts = [
            '/../etc/passwd', '/../../../../etc/passwd', '/%2e%2e/etc/passwd',
            '/%2E%2E%2Fetc/passwd', '/%2e%2e%2f%2e%2e%2fetc/passwd', '//etc/passwd',
            '/..%2fmeson.build', '/..%5c..%5cetc%5cpasswd', '/..\\..\\etc\\passwd',
            '/%252e%252e/etc/passwd', '/index.html%00.js', '/.%2e/.%2e/etc/passwd',
            '/%2fetc%2fpasswd', '/etc/passwd', '/../data/www/index.html', '/.git/config',
            '/..;/etc/passwd',
        ]
        for path in attempts:
            with self.subTest(path=path):
                status, _, body = self.get(path)
                # libsoup itself answers 400 to some of these before we see them
                self.assertIn(status, (400, 404))
                self.assertNotIn(b'root:', body)
                self.assertNotIn(b'[core]', body)
        # and the node still serves after all that
        self.assertEqual(self.get('/')[0], 200)

    def test_dot_segments_stay_inside(self):
        # the URL parser resolves these; whatever is served must be one of our own files
        for path, name in [('/./index.html', 'index.html'), ('/.%2e/app.js', 'app.js'),
                           ('/sub/../style.css', 'style.css')]:
            with self.subTest(path=path):
                status, _, body = self.get(path)
                self.assertIn(status, (200, 400, 404))
                if status == 200:
                    with open(os.path.join(SOURCE_WWW, name), 'rb') as f:
                        self.assertEqual(body, f.read())

    def test_other_methods_are_405(self):
        for method in ['POST', 'PUT', 'DELETE']:
            with self.subTest(method=method):
                status, hdrs, _ = self.get('/index.html', {'Content-Length': '0'}, method=method)
                self.assertEqual(status, 405)
        self.assertEqual(self.get('/')[0], 200)


class WebRootOverride(unittest.TestCase):
    """ROOMCAST_WWW_DIR, directories and symlinks leading out of the web root."""

    @classmethod
    def setUpClass(cls):
        cls.www = tempfile.mkdtemp(prefix='rc-www-')
        with open(os.path.join(cls.www, 'index.html'), 'w') as f:
            f.write('<!DOCTYPE html><title>override</title>')
        os.mkdir(os.path.join(cls.www, 'sub'))
        with open(os.path.join(cls.www, 'sub', 'page.json'), 'w') as f:
            f.write('{"ok": true}')
        with open(os.path.join(cls.www, '.secret'), 'w') as f:
            f.write('secret')
        cls.outside = tempfile.NamedTemporaryFile('w', suffix='.txt', delete=False)
        cls.outside.write('outside the web root')
        cls.outside.close()
        os.symlink(cls.outside.name, os.path.join(cls.www, 'escape.txt'))
        os.symlink('/etc', os.path.join(cls.www, 'etc'))
        os.symlink('index.html', os.path.join(cls.www, 'alias.html'))
        cls.daemon = Daemon({'ROOMCAST_WWW_DIR': cls.www})

    @classmethod
    def tearDownClass(cls):
        status = cls.daemon.stop()
        shutil.rmtree(cls.www, ignore_errors=True)
        os.unlink(cls.outside.name)
        if status != 0:
            raise AssertionError(f'roomcastd exited with {status} on SIGTERM')

    def test_serves_the_override(self):
        status, hdrs, body = self.daemon.request('GET', '/')
        self.assertEqual(status, 200)
        self.assertIn(b'override', body)
        status, hdrs, body = self.daemon.request('GET', '/sub/page.json')
        self.assertEqual(status, 200)
        self.assertEqual(hdrs['content-type'], 'application/json')
        # a symlink that stays inside the root is fine
        self.assertEqual(self.daemon.request('GET', '/alias.html')[0], 200)

    def test_etag_follows_changes(self):
        page = os.path.join(self.www, 'changing.html')
        with open(page, 'w') as f:
            f.write('<p>one</p>')
        status, hdrs, body = self.daemon.request('GET', '/changing.html')
        self.assertEqual((status, body), (200, b'<p>one</p>'))
        old = hdrs['etag']
        with open(page, 'w') as f:
            f.write('<p>two, longer</p>')
        status, hdrs, body = self.daemon.request('GET', '/changing.html', {'If-None-Match': old})
        self.assertEqual((status, body), (200, b'<p>two, longer</p>'))
        self.assertNotEqual(hdrs['etag'], old)
        os.unlink(page)
        self.assertEqual(self.daemon.request('GET', '/changing.html')[0], 404)

    def test_no_directory_listing_no_escape(self):
        for path in ['/sub', '/sub/', '/sub//page.json', '/.secret', '/escape.txt',
                     '/etc/passwd', '/etc/', '/etc']:
            with self.subTest(path=path):
                status, _, body = self.daemon.request('GET', path)
                self.assertIn(status, (400, 404))
                self.assertNotIn(b'outside', body)
                self.assertNotIn(b'root:', body)
                self.assertNotIn(b'page.json', body)


if __name__ == '__main__':
    if len(sys.argv) < 3:
        sys.exit('usage: test-static-route.py ROOMCASTD SOURCE_ROOT')
    ROOMCASTD = sys.argv[1]
    SOURCE_WWW = os.path.join(sys.argv[2], 'data', 'www')
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
