#!/usr/bin/env python3
# Copyright 2026 roomcast developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The plugin SDK as a third party sees it: docs/plugins.md's DESTDIR recipe, run as
# it is written (`meson install` into a DESTDIR, PKG_CONFIG_PATH at the folder of the
# .pc, the example plugin compiled with `cc $(pkg-config …)`), then the example
# (examples/, copied out of the tree) built with its meson.build and its Makefile
# against that DESTDIR alone, with that PKG_CONFIG_PATH and nothing else. The
# installed roomcastd then loads it next to an installed shipped plugin, and
# POST /publish shows both working.
#
# usage: test-sdk-install.py MESON BUILD_ROOT SOURCE_ROOT

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

MESON, BUILD_ROOT, SOURCE_ROOT = sys.argv[1:4]
SCALE = float(os.environ.get("RC_TEST_TIMEOUT_SCALE", "1"))


def fail(message):
    print(f"not ok: {message}", file=sys.stderr)
    sys.exit(1)


def run(cmd, env=None, cwd=None, timeout=300):
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout * SCALE)
    if proc.returncode != 0:
        fail(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}")
    return proc.stdout


def find_one(root, name):
    hits = [os.path.join(d, name) for d, _, files in os.walk(root) if name in files]
    if len(hits) != 1:
        fail(f"expected one {name} under {root}, found {hits}")
    return hits[0]


def documented_recipe():
    """the sh block docs/plugins.md marks as the DESTDIR recipe"""
    with open(os.path.join(SOURCE_ROOT, "docs", "plugins.md"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"<!-- sdk-destdir-recipe[^>]*-->\s*```sh\n(.*?)```", text, re.DOTALL)
    if m is None:
        fail("docs/plugins.md has no sdk-destdir-recipe block")
    return m.group(1)


def post(base, body):
    request = urllib.request.Request(base + "/publish", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10 * SCALE) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def main():
    tmp = tempfile.mkdtemp(prefix="roomcast-sdk-test-")
    daemon = None
    try:
        dest = os.path.join(tmp, "dest")
        env = dict(os.environ)
        env.pop("LD_LIBRARY_PATH", None)  # meson test points it into the build tree
        env.pop("PKG_CONFIG_PATH", None)
        env.pop("PKG_CONFIG_SYSROOT_DIR", None)

        # the recipe, word for word, from a folder that looks like a roomcast checkout
        # with its build in `build`
        work = os.path.join(tmp, "checkout")
        os.makedirs(work)
        os.symlink(BUILD_ROOT, os.path.join(work, "build"))
        shutil.copytree(os.path.join(SOURCE_ROOT, "examples"), os.path.join(work, "examples"))
        recipe = documented_recipe()
        print("# the documented recipe:\n" + recipe)
        if "PKG_CONFIG_SYSROOT_DIR" in recipe:
            fail("the DESTDIR recipe must not set PKG_CONFIG_SYSROOT_DIR")
        run(["bash", "-e", "-x", "-c", recipe + '\necho "PKG_CONFIG_PATH=$PKG_CONFIG_PATH"'],
            env={**env, "DESTDIR": dest}, cwd=work)
        so = os.path.join(work, "example-nolinks.so")
        if not os.path.exists(so):
            fail("the documented recipe built no example-nolinks.so")
        needed = run(["objdump", "-p", so]) if shutil.which("objdump") else ""
        if shutil.which("objdump") and "libroomcast-plugin-1.so.0" not in needed:
            fail(f"example-nolinks.so does not link the SDK library:\n{needed}")

        pc = find_one(dest, "roomcast-plugin-1.pc")
        env["PKG_CONFIG_PATH"] = os.path.dirname(pc)
        flags = run(["pkg-config", "--cflags", "--libs", "roomcast-plugin-1"], env=env).split()
        if f"-I{dest}" not in " ".join(flags) or "-lroomcast-plugin-1" not in flags:
            fail(f"pkg-config gave {flags}")
        if any(BUILD_ROOT in f or SOURCE_ROOT in f for f in flags):
            fail(f"pkg-config points into the build or source tree: {flags}")
        glib = run(["pkg-config", "--cflags", "glib-2.0"], env=env).split()
        if not all(f in flags for f in glib):
            fail(f"GLib's flags {glib} are not the system's in {flags}")
        for header in ["roomcast-plugin.h", "rc-plugin.h"]:
            find_one(dest, header)
        abi = run(["pkg-config", "--variable=abi_version", "roomcast-plugin-1"], env=env).strip()
        with open(find_one(dest, "rc-plugin.h")) as f:
            if not re.search(rf"#define RC_PLUGIN_ABI_VERSION {abi}\b", f.read()):
                fail(f"abi_version={abi} in the .pc does not match rc-plugin.h")

        # the example, out of the tree, built and installed with pkg-config's help only:
        # with its meson.build, and with its Makefile where make is installed
        example = os.path.join(tmp, "example")
        shutil.copytree(os.path.join(SOURCE_ROOT, "examples"), example)
        build = os.path.join(tmp, "example-build")
        log = run([MESON, "setup", build, example, "--werror"], env=env)
        log += run([MESON, "compile", "-C", build], env=env)
        log += run([MESON, "install", "-C", build, "--quiet"], env=env)
        if BUILD_ROOT in log or SOURCE_ROOT in log:
            fail(f"the example build used the roomcast tree:\n{log}")
        plugin = find_one(dest, "example-nolinks.so")
        plugindir = os.path.realpath(os.path.dirname(plugin))
        if not os.path.exists(os.path.join(plugindir, "filter-profanity.so")):
            fail(f"example-nolinks.so did not land in the SDK's plugindir ({plugindir})")
        if shutil.which("make"):
            os.unlink(plugin)
            log = run(["make", "-C", example, "CFLAGS=-O0 -g -Werror"], env=env)
            log += run(["make", "-C", example, "install"], env=env)
            if BUILD_ROOT in log or SOURCE_ROOT in log:
                fail(f"the example's Makefile used the roomcast tree:\n{log}")
            find_one(dest, "example-nolinks.so")
        else:
            print("# make is not installed: the example's Makefile was not tried")

        # the installed daemon, on the installed library
        words = os.path.join(tmp, "words.txt")
        with open(words, "w") as f:
            f.write("darn\n")
        config = os.path.join(tmp, "roomcast.conf")
        with open(config, "w") as f:
            f.write("[plugins]\nenabled=filter-profanity;example-nolinks\n"
                    f"[plugin:filter-profanity]\nwords={words}\n"
                    "[plugin:example-nolinks]\nallowed_senders=ops\n")
        roomcastd = find_one(dest, "roomcastd")
        denv = dict(os.environ)
        denv["LD_LIBRARY_PATH"] = os.path.dirname(find_one(dest, "libroomcast-plugin-1.so.0"))
        denv["LC_ALL"] = "C.UTF-8"
        daemon = subprocess.Popen([roomcastd, "--port", "0", "--bus", "none",
                                   "--plugin-dir", plugindir, "--config", config],
                                  env=denv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        stderr_lines = []
        threading.Thread(target=lambda: stderr_lines.extend(daemon.stderr), daemon=True).start()
        port_line = []
        reader = threading.Thread(target=lambda: port_line.append(daemon.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(15 * SCALE)
        match = re.match(r"roomcastd: listening on (http://[^/]+)/", port_line[0] if port_line else "")
        if not match:
            daemon.kill()
            daemon.wait()
            fail(f"roomcastd did not start: {port_line} {''.join(stderr_lines)}")
        base = match.group(1)

        room = {"namespace": "/", "roomCode": "room_1"}
        status, body = post(base, {**room, "msg": {"sender": "bot", "text": "see http://x.example"}})
        if status != 422 or body.get("success") is not False or "links" not in body.get("error", ""):
            fail(f"a link from bot: {status} {body}")
        status, body = post(base, {**room, "msg": {"sender": "ops", "text": "see HTTPS://x.example"}})
        if status != 200 or body.get("success") is not True:
            fail(f"a link from an allowed sender: {status} {body}")
        status, body = post(base, {**room, "msg": {"sender": "bot", "text": "no links, darn"}})
        if status != 200:
            fail(f"a plain message: {status} {body}")

        daemon.send_signal(signal.SIGTERM)
        if daemon.wait(timeout=10 * SCALE) != 0:
            fail(f"roomcastd exited {daemon.returncode}: {''.join(stderr_lines)}")
        time.sleep(0.1)
        if not any("plugins: filter-profanity, example-nolinks" in line for line in stderr_lines):
            fail(f"no start line naming the plugins: {''.join(stderr_lines)}")
        print("ok: example plugin built against the installed SDK and loaded by roomcastd")
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        shutil.rmtree(tmp, ignore_errors=True)


main()
