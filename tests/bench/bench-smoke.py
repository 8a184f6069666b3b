#!/usr/bin/env python3
# Copyright 2026 roomcast developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Smoke test of roomcast-bench: checks its counting against a small known load on real
roomcastd nodes (and a real redis-server), never its speed.

usage: bench-smoke.py --bench PATH [--roomcastd PATH] CASE
CASE: redis (2 nodes sharing a redis-server), embedded (1 node, no Redis), idle, errors,
      faults (a scripted faulty node: the loss, duplicate and order counters must see its faults),
      presence (--presence: join_s and presence events; idle presence members with the Redis
      CPU and command rate), resume (receivers drop and resume with "since" on 2 nodes and a
      redis-server: nothing lost, doubled or reordered), output (rows reach a pipe line by line,
      the progress line on a terminal, the find-max summary in words)
"""
import argparse
import json
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

SCALE = float(os.environ.get("RC_TEST_TIMEOUT_SCALE", "1"))
LISTEN_RE = re.compile(rb"roomcastd: listening on http://([0-9.]+):([0-9]+)/")


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)
    print("ok -", what)


class Procs:
    """Every process this test starts; all are stopped in stop_all(), also on failure."""

    def __init__(self, tmpdir):
        self.tmpdir = tmpdir
        self.procs = []

    def start(self, name, argv, **kw):
        log = open(os.path.join(self.tmpdir, name + ".log"), "wb")
        p = subprocess.Popen(argv, stderr=log, **kw)
        self.procs.append((name, p, log))
        return p

    def stop_all(self):
        for _, p, _ in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for name, p, log in self.procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            log.close()
        self.procs = []

    def dump_logs(self):
        for f in sorted(os.listdir(self.tmpdir)):
            if f.endswith(".log"):
                with open(os.path.join(self.tmpdir, f), "rb") as fh:
                    tail = fh.read()[-2000:].decode("utf-8", "replace")
                if tail:
                    print(f"--- {f} (tail)\n{tail}", file=sys.stderr)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(procs):
    for _ in range(5):
        port = free_port()
        if port == 6379:
            continue
        p = procs.start(f"redis-{port}", ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                          "--save", "", "--appendonly", "no"],
                        stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10 * SCALE
        while time.monotonic() < deadline and p.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return port, p.pid
            except OSError:
                time.sleep(0.05)
        # port taken in between, or slow: try another one
    raise Failure("cannot start redis-server")


def start_node(procs, roomcastd, name, extra):
    return start_listening(procs, name,
                           [roomcastd, "--port", "0", "--bus", "none", "--node-id", name] + extra)


def start_listening(procs, name, argv):
    """Starts argv and waits for its "roomcastd: listening on" line; returns (Popen, ws URL)."""
    p = procs.start(name, argv, stdout=subprocess.PIPE)
    buf = b""
    deadline = time.monotonic() + 15 * SCALE
    while time.monotonic() < deadline:
        r, _, _ = select.select([p.stdout], [], [], 0.2)
        if r:
            chunk = os.read(p.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
            m = LISTEN_RE.search(buf)
            if m:
                return p, f"ws://{m.group(1).decode()}:{m.group(2).decode()}/ws"
        elif p.poll() is not None:
            break
    raise Failure(f"{name} did not print its listening line (exit {p.poll()}, stdout {buf!r})")


def run_bench(bench, args, timeout):
    res = subprocess.run([bench] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=timeout * SCALE)
    # in the sanitizer build a leak or UB report is a failure whatever the exit status
    for marker in (b"Sanitizer", b"runtime error:"):
        if marker in res.stderr:
            raise Failure(f"sanitizer report from roomcast-bench {args}:\n{res.stderr.decode()}")
    return res


def expected_deliveries(c, r, s, n):
    """Σ over the n measured messages of their room's size: message k is sent by sender k mod S,
    which is member floor(s/R) of room s mod R; client i is in room i mod R."""
    size = [0] * r
    for i in range(c):
        size[i % r] += 1
    return sum(size[(k % s) % r] for k in range(n))


def load_rows(path):
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def check_counting(row, c, r, s, p, t, k, pids):
    sent = round(p * t)
    check(row["mode"] == "run", "JSON line is a run")
    check((row["C"], row["R"], row["S"], row["K"]) == (c, r, s, k), "JSON line repeats C, R, S, K")
    check(row["sent"] == sent, f"sent == P*T ({row['sent']} == {sent})")
    exp = expected_deliveries(c, r, s, sent)
    check(row["expected"] == exp, f"expected == Σ room sizes of the messages ({row['expected']} == {exp})")
    check(row["delivered"] == exp, f"delivered == expected ({row['delivered']} == {exp})")
    check(row["lossPct"] == 0, "loss 0")
    check(row["duplicates"] == 0, "no duplicates")
    check(row["outOfOrder"] == 0, "no order violations")
    check(row["badText"] == 0 and row["clientErrors"] == 0, "no unreadable frames, no error frames")
    check(row["disconnects"] == 0 and row["sendFailed"] == 0, "no disconnects")
    check(row["acks"] >= sent, f"every measured send acknowledged (acks {row['acks']} >= {sent})")
    lat = row["latMs"]
    check(lat["p50"] is not None and 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"],
          "latency percentiles are ordered")
    check(row["deliveredPerSec"] > 0 and row["sentPerSec"] > 0, "rates are positive")
    check(row["pass"] is True, "the step passes")
    check([n["pid"] for n in row["nodes"]] == pids, "one CPU/RSS entry per --pid")
    check(all(n["ok"] and n["peakRssMB"] > 0 and n["cpuS"] >= 0 and n["readMB"] >= 0 and
              n["writtenMB"] >= 0 for n in row["nodes"]),
          "nodes' CPU, peak RSS and I/O bytes read from /proc")
    check(row["serverCpuUsPerMsg"] is not None and row["serverCpuUsPerMsg"] >= 0,
          "server CPU per delivered message reported")
    if row["redisCpuS"] is None:
        check(row["redisCpuUsPerMsg"] is None, "no --redis-pid: no Redis figures")
    check(row["lgCpuS"] > 0, "load generator CPU reported")


def case_redis(a, procs, tmp):
    redis_port, redis_pid = start_redis(procs)
    redis = ["--redis", f"redis://127.0.0.1:{redis_port}"]
    n0, u0 = start_node(procs, a.roomcastd, "n0", redis)
    n1, u1 = start_node(procs, a.roomcastd, "n1", redis)
    out = os.path.join(tmp, "runs.jsonl")
    # uneven on purpose: rooms of 6, 6, 5, 5 members and two senders in room 0
    c, r, s, p, t = 22, 4, 5, 50, 2
    res = run_bench(a.bench, ["--url", f"{u0},{u1}", "-c", str(c), "-r", str(r), "-s", str(s),
                              "-p", str(p), "-t", str(t), "-w", "0.5", "--pid", str(n0.pid),
                              "--pid", str(n1.pid), "--redis-pid", str(redis_pid), "--json", out,
                              "--label", "smoke"], 90)
    sys.stdout.write(res.stdout.decode())
    check(res.returncode == 0, f"roomcast-bench exits 0 (got {res.returncode}: {res.stderr.decode()!r})")
    rows = load_rows(out)
    check(len(rows) == 1, "one JSON line per run")
    row = rows[0]
    check(row["clientsPerNode"] == [11, 11], "spread placement: half the clients on each node")
    check(row["minNodesPerRoom"] == 2, "spread placement: every room has members on both nodes")
    check(row["label"] == "smoke", "label copied")
    check_counting(row, c, r, s, p, t, 2, [n0.pid, n1.pid])
    check(row["redisCpuS"] is not None and row["redisCpuS"] >= 0 and row["redisPeakRssMB"] > 0,
          "Redis CPU and peak RSS reported apart (--redis-pid)")
    check(re.search(rb"^run +0 +50 +100 ", res.stdout, re.M) is not None, "table row on stdout")

    # rr placement: client i on node i mod K, so with K=2 and R=4 every room lives on one node
    res = run_bench(a.bench, ["--url", f"{u0},{u1}", "-c", str(c), "-r", str(r), "-s", str(s),
                              "-p", "20", "-t", "1", "-w", "0", "--placement", "rr", "--json", "-"], 60)
    check(res.returncode == 0, f"--placement rr exits 0 (got {res.returncode}: {res.stderr.decode()!r})")
    row = json.loads(res.stdout)
    check(row["placement"] == "rr" and row["clientsPerNode"] == [11, 11] and row["minNodesPerRoom"] == 1,
          "rr placement: node i mod K, each room on one node")
    check(row["delivered"] == row["expected"] == expected_deliveries(c, r, s, 20), "rr: all delivered")


def case_embedded(a, procs, tmp):
    n0, u0 = start_node(procs, a.roomcastd, "e0", [])
    c, r, s, p, t = 12, 3, 3, 40, 1.5
    res = run_bench(a.bench, ["--url", u0, "-c", str(c), "-r", str(r), "-s", str(s), "-p", str(p),
                              "-t", str(t), "-w", "0.3", "--pid", str(n0.pid), "--json", "-"], 90)
    check(res.returncode == 0, f"roomcast-bench exits 0 (got {res.returncode}: {res.stderr.decode()!r})")
    lines = [ln for ln in res.stdout.decode().splitlines() if ln.strip()]
    check(len(lines) == 1, "--json -: standard output holds only the JSON line")
    check(b"delivered" in res.stderr, "--json -: the table goes to standard error")
    check_counting(json.loads(lines[0]), c, r, s, p, t, 1, [n0.pid])

    # two steps of find-max on the same connections: each step counted on its own
    out = os.path.join(tmp, "fmax.jsonl")
    res = run_bench(a.bench, ["--url", u0, "-c", str(c), "-r", str(r), "-s", str(s), "-p", "20",
                              "-t", "1", "-w", "0", "--find-max", "--max-steps", "2", "--refine", "0",
                              "--step-pause", "0", "--min-growth", "1.01", "--json", out], 90)
    check(res.returncode == 0, f"--find-max exits 0 (got {res.returncode}: {res.stderr.decode()!r})")
    rows = load_rows(out)
    check([x["mode"] for x in rows] == ["fmax", "fmax", "fmax-summary"], "two steps then a summary")
    check([x["P"] for x in rows[:2]] == [20, 30], "P grows by the step factor")
    for x in rows[:2]:
        check(x["expected"] == expected_deliveries(c, r, s, round(x["P"])) and
              x["delivered"] == x["expected"] and x["duplicates"] == 0 and x["outOfOrder"] == 0,
              f"step {x['step']}: all {x['expected']} deliveries counted once, in order")
    summ = rows[2]
    check(summ["maxSustainedDeliveredPerSec"] == max(x["deliveredPerSec"] for x in rows[:2]),
          "summary holds the best passing delivered rate")

    # SIGINT in the middle of a step: the partial step is still reported, then exit 2
    p = procs.start("bench-int", [a.bench, "--url", u0, "-c", "6", "-r", "2", "-s", "2", "-p", "50",
                                  "-t", "60", "-w", "0", "--json", "-"], stdout=subprocess.PIPE)
    time.sleep(2 * SCALE)
    p.send_signal(signal.SIGINT)
    try:
        out, _ = p.communicate(timeout=20 * SCALE)
    except subprocess.TimeoutExpired:
        raise Failure("roomcast-bench did not stop after SIGINT")
    with open(os.path.join(tmp, "bench-int.log"), "rb") as fh:
        err = fh.read()
    check(p.returncode == 2 and b"interrupted" in err, f"SIGINT: exit 2, 'interrupted' (got {p.returncode})")
    row = json.loads(out)
    # the drain is cut short too, so a message in flight may be missing
    check(0 < row["sent"] < 3000 and 0 < row["delivered"] <= row["expected"] and
          row["duplicates"] == 0, "SIGINT: the partial step is reported and counted")


def case_idle(a, procs, tmp):
    n0, u0 = start_node(procs, a.roomcastd, "i0", [])
    res = run_bench(a.bench, ["--url", u0, "-c", "40", "-r", "4", "--idle", "--idle-settle", "0.2",
                              "--pid", str(n0.pid), "--source-addrs", "127.0.0.2,127.0.0.3",
                              "--json", "-"], 60)
    check(res.returncode == 0, f"--idle exits 0 (got {res.returncode}: {res.stderr.decode()!r})")
    row = json.loads(res.stdout)
    check(row["mode"] == "idle" and row["C"] == 40 and row["sourceAddrs"] == 2, "idle JSON line")
    check(row["rssAfterMB"][0] > 0 and row["rssBeforeMB"][0] > 0, "RSS before/after read")
    per_conn = (row["rssAfterMB"][0] - row["rssBeforeMB"][0]) * 1024 / 40
    check(abs(row["rssPerConnKB"] - per_conn) < 1e-6, "KB/conn = (after - before) / C")
    check(row["disconnects"] == 0, "idle clients stay connected")


def case_errors(a, procs, tmp):
    def bad(args, code, pattern, what):
        res = run_bench(a.bench, args, 30)
        err = res.stderr.decode()
        check(res.returncode == code and re.search(pattern, err) is not None,
              f"{what}: exit {code} and a clear message (got {res.returncode}: {err.strip()!r})")

    bad([], 1, r"--url", "no --url")
    bad(["--url", "ftp://127.0.0.1:1/"], 1, r"ws://", "non-ws URL")
    bad(["--url", "ws://127.0.0.1:1/", "-c", "4", "-r", "5"], 1, r"--rooms", "more rooms than clients")
    bad(["--url", "ws://127.0.0.1:1/", "-s", "0"], 1, r"--senders", "no senders")
    bad(["--url", "ws://127.0.0.1:1/", "--placement", "x"], 1, r"--placement", "unknown placement")
    bad(["--url", "ws://127.0.0.1:1/", "--source-addrs", "nope"], 1, r"--source-addrs", "bad source address")
    bad(["--url", "ws://127.0.0.1:1/", "--pid", "0"], 1, r"--pid", "bad pid")
    bad(["--url", "ws://127.0.0.1:1/", "--redis-pid", "999999999"], 1, r"--redis-pid", "no such redis pid")
    bad(["--url", "ws://127.0.0.1:1/", "-c", "100000"], 1, r"open files", "over the open-file limit")
    closed = free_port()
    bad(["--url", f"ws://127.0.0.1:{closed}/ws", "-c", "2", "-r", "1", "-s", "1", "--connect-timeout", "2"],
        2, r"cannot connect", "nothing listening")
    res = run_bench(a.bench, ["--help"], 30)
    check(res.returncode == 0 and b"us/msg" in res.stdout and b"--source-addrs" in res.stdout,
          "--help explains options and figures")


def case_faults(a, procs, tmp):
    """The counters must see faults that really happen, not only report zeros."""
    stats_path = os.path.join(tmp, "fake-stats.json")
    fake = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake-node.py")
    _, u0 = start_listening(procs, "fake", [sys.executable, fake, "--stats", stats_path])
    # one sender per room, so a held-back frame is always behind a newer one of the same sender
    c, r, s, p, t = 12, 3, 3, 40, 2
    res = run_bench(a.bench, ["--url", u0, "-c", str(c), "-r", str(r), "-s", str(s), "-p", str(p),
                              "-t", str(t), "-w", "0.3", "--drain-idle", "0.5", "--json", "-"], 60)
    check(res.returncode == 0, f"roomcast-bench exits 0 (got {res.returncode}: {res.stderr.decode()!r})")
    row = json.loads(res.stdout)
    with open(stats_path) as fh:
        faults = json.load(fh)
    print("fake node:", faults)
    exp = expected_deliveries(c, r, s, round(p * t))
    check(row["expected"] == exp, f"expected counts what was sent ({row['expected']} == {exp})")
    check(faults["dropped"] > 0 and faults["duplicated"] > 0 and faults["reordered"] > 0,
          "the fake node really dropped, duplicated and reordered")
    missing = faults["dropped"] + faults["held"]
    check(row["delivered"] == exp - missing,
          f"delivered = expected - dropped - never sent ({row['delivered']} == {exp} - {missing})")
    check(abs(row["lossPct"] - 100.0 * missing / exp) < 1e-9, "loss% = missing / expected")
    check(row["duplicates"] == faults["duplicated"],
          f"every duplicate counted ({row['duplicates']} == {faults['duplicated']})")
    check(row["outOfOrder"] == faults["reordered"],
          f"every order violation counted ({row['outOfOrder']} == {faults['reordered']})")
    check(row["pass"] is False, "a step with this much loss does not pass")


def case_presence(a, procs, tmp):
    redis_port, redis_pid = start_redis(procs)
    redis = ["--redis", f"redis://127.0.0.1:{redis_port}"]
    n0, u0 = start_node(procs, a.roomcastd, "p0", redis)
    n1, u1 = start_node(procs, a.roomcastd, "p1", redis)
    c, r, s, p, t = 20, 4, 4, 40, 1
    common = ["--url", f"{u0},{u1}", "-c", str(c), "-r", str(r), "-s", str(s), "-p", str(p),
              "-t", str(t), "-w", "0.3", "--json", "-"]
    rows = {}
    for presence in (False, True):
        res = run_bench(a.bench, common + (["--presence"] if presence else []), 60)
        check(res.returncode == 0,
              f"presence={presence}: exits 0 (got {res.returncode}: {res.stderr.decode()!r})")
        row = json.loads(res.stdout)
        rows[presence] = row
        check(row["presence"] is presence, f"presence={presence}: the JSON line says so")
        check(isinstance(row["join_s"], float) and 0 < row["join_s"] < 30,
              f"presence={presence}: join_s reported ({row['join_s']})")
        check(row["delivered"] == row["expected"] == expected_deliveries(c, r, s, p * t),
              f"presence={presence}: every message delivered")
        check(re.search(rb"join_s", res.stderr) is not None, "join_s column in the table")
    check(rows[False]["presenceEvents"] == 0, "without --presence no presence frames arrive")
    # the members are in place before the step: no joins or leaves during it
    check(rows[True]["presenceEvents"] == 0, "with --presence: no presence frames in a quiet step")

    # idle presence members: node and Redis CPU over the idle window, Redis' command rate
    res = run_bench(a.bench, ["--url", u0, "-c", "30", "-r", "3", "--idle", "--idle-settle", "1.5",
                              "--presence", "--pid", str(n0.pid), "--redis-pid", str(redis_pid),
                              "--redis-port", str(redis_port), "--json", "-"], 60)
    check(res.returncode == 0, f"--idle --presence exits 0 (got {res.returncode}: {res.stderr.decode()!r})")
    row = json.loads(res.stdout)
    check(row["mode"] == "idle" and row["presence"] is True and row["join_s"] > 0,
          "idle JSON line with presence and join_s")
    # 10 members per room, each hears the 9 others join (or fewer: only those after itself)
    check(row["presenceEvents"] == 0, "no presence events in the idle window (nobody came or went)")
    check(1.4 < row["windowS"] < 10, f"idle window measured ({row['windowS']} s)")
    check(row["serverCpuPct"] is not None and row["serverCpuPct"] >= 0, "node CPU in % of a core")
    check(row["redisCpuPct"] is not None and row["redisCpuPct"] >= 0, "Redis CPU in % of a core")
    check(row["redis_cmds_per_s"] is not None and row["redis_cmds_per_s"] > 0,
          f"Redis commands per second over the window ({row['redis_cmds_per_s']})")
    check(re.search(rb"rdsCmd/s", res.stderr) is not None, "command rate column in the idle table")

    # --redis-url reads the same counter
    res = run_bench(a.bench, ["--url", u0, "-c", "4", "-r", "1", "-s", "0", "--idle", "--idle-settle", "0.3",
                              "--redis-url", f"redis://127.0.0.1:{redis_port}", "--json", "-"], 60)
    check(res.returncode == 0 and json.loads(res.stdout)["redis_cmds_per_s"] is not None,
          f"--redis-url: command rate reported ({res.returncode}: {res.stdout!r} {res.stderr!r})")

    def bad(args, pattern, what):
        res = run_bench(a.bench, args, 30)
        err = res.stderr.decode()
        check(res.returncode == 1 and re.search(pattern, err) is not None,
              f"{what}: exit 1 and a clear message (got {res.returncode}: {err.strip()!r})")
    closed = free_port()
    bad(["--url", u0, "--idle", "--redis-port", str(closed)], r"cannot read INFO stats from Redis",
        "nothing listening at --redis-port")
    bad(["--url", u0, "--idle", "--redis-url", "http://x/"], r"--redis-url: .* redis://", "bad --redis-url")
    bad(["--url", u0, "--idle", "--redis-port", "70000"], r"--redis-port", "--redis-port out of range")
    # a node still serves clients after all this
    res = run_bench(a.bench, common, 60)
    check(res.returncode == 0 and json.loads(res.stdout)["lossPct"] == 0, "the nodes still work")


def case_resume(a, procs, tmp):
    redis_port, redis_pid = start_redis(procs)
    redis = ["--redis", f"redis://127.0.0.1:{redis_port}"]
    n0, u0 = start_node(procs, a.roomcastd, "r0", redis)
    n1, u1 = start_node(procs, a.roomcastd, "r1", redis)
    c, r, s, p, t = 24, 3, 3, 60, 4
    res = run_bench(a.bench, ["--url", f"{u0},{u1}", "-c", str(c), "-r", str(r), "-s", str(s),
                              "-p", str(p), "-t", str(t), "-w", "0.5", "--resume-every", "1",
                              "--presence", "--json", "-"], 90)
    check(res.returncode == 0, f"--resume-every exits 0 (got {res.returncode}: {res.stderr.decode()!r})")
    row = json.loads(res.stdout)
    rs = row["resume"]
    print("resume:", rs)
    exp = expected_deliveries(c, r, s, p * t)
    check(row["resumeGapS"] == 1 and abs(row["resumeFraction"] - 1) < 1e-9, "gap and fraction reported")
    check(rs["reconnects"] > 0, f"receivers reconnected ({rs['reconnects']})")
    check(rs["reconnectFailed"] == 0, "no reconnect gave up")
    check(rs["ackedExpected"] == exp == row["expected"], "every measured message acked")
    check(rs["lost"] == 0 and row["delivered"] == exp, f"nothing lost ({rs['lost']})")
    check(rs["duplicates"] == 0 and row["duplicates"] == 0, "no duplicates")
    check(rs["orderViolations"] == 0 and row["outOfOrder"] == 0, "no order violations")
    check(rs["notRecovered"] == 0, "every rejoin answered recovered:true")
    check(rs["recovered"] > 0, f"missed messages came back through the resume ({rs['recovered']})")
    check(re.search(rb"#   resume: [1-9][0-9]* reconnects, 0 lost", res.stderr) is not None,
          "resume line under the table row")

    # the counters see a resume that cannot recover: without history the missed messages
    # are gone, and every rejoin says recovered:false
    conf = os.path.join(tmp, "nohistory.conf")
    with open(conf, "w") as fh:
        fh.write("[history]\nsize=0\n")
    n2, u2 = start_node(procs, a.roomcastd, "r2", redis + ["--config", conf])
    res = run_bench(a.bench, ["--url", u2, "-c", "12", "-r", "2", "-s", "2", "-p", "60", "-t", "3",
                              "-w", "0", "--resume-every", "1", "--drain-idle", "1", "--json", "-"], 60)
    check(res.returncode == 0, f"no history: exits 0 (got {res.returncode}: {res.stderr.decode()!r})")
    row = json.loads(res.stdout)
    rs = row["resume"]
    print("resume without history:", rs)
    check(rs["reconnects"] > 0 and rs["notRecovered"] == rs["reconnects"],
          "no history: every rejoin counted as not recovered")
    check(rs["lost"] > 0 and rs["lost"] == row["expected"] - row["delivered"] and rs["recovered"] == 0,
          f"no history: the messages missed while away are lost ({rs['lost']}), none recovered")
    check(rs["duplicates"] == 0 and rs["orderViolations"] == 0, "no history: still no duplicates, in order")

    # a fraction per second instead
    res = run_bench(a.bench, ["--url", u0, "-c", "12", "-r", "2", "-s", "2", "-p", "30", "-t", "2",
                              "-w", "0", "--resume", "0.5", "--json", "-"], 60)
    row = json.loads(res.stdout)
    check(res.returncode == 0 and row["resume"]["reconnects"] > 0 and row["resume"]["lost"] == 0,
          "--resume FRACTION: reconnects, nothing lost")

    def bad(args, pattern, what):
        res = run_bench(a.bench, args, 30)
        err = res.stderr.decode()
        check(res.returncode == 1 and re.search(pattern, err) is not None,
              f"{what}: exit 1 and a clear message (got {res.returncode}: {err.strip()!r})")
    bad(["--url", u0, "--resume", "2"], r"--resume", "--resume above 1")
    bad(["--url", u0, "--resume-every", "-1"], r"--resume-every", "negative --resume-every")
    bad(["--url", u0, "-c", "4", "-r", "1", "-s", "4", "--resume-every", "1"], r"--senders",
        "no receivers to drop")
    bad(["--url", u0, "--idle", "--resume-every", "1"], r"--idle", "--resume-every with --idle")


def case_output(a, procs, tmp):
    n0, u0 = start_node(procs, a.roomcastd, "o0", [])
    # find-max through a pipe: each row arrives complete, on its own, while the run goes on
    p = procs.start("bench-pipe", [a.bench, "--url", u0, "-c", "6", "-r", "2", "-s", "2", "-p", "20",
                                   "-t", "1", "-w", "0", "--find-max", "--max-steps", "3",
                                   "--refine", "0", "--step-pause", "1", "--min-growth", "1.01"],
                    stdout=subprocess.PIPE)
    lines, times, buf = [], [], b""
    deadline = time.monotonic() + 60 * SCALE
    while time.monotonic() < deadline:
        rd, _, _ = select.select([p.stdout], [], [], 0.5)
        if not rd:
            continue
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            lines.append(line.decode())
            times.append(time.monotonic())
    p.wait(10)
    check(p.returncode == 0 and buf == b"", "find-max through a pipe exits 0, output ends in a newline")
    rows = [(ln, tm) for ln, tm in zip(lines, times) if ln.startswith("fmax ")]
    check(len(rows) == 3, f"three step rows ({len(rows)})")
    check(all(len(ln.split()) == 21 for ln, _ in rows), "every row is complete (21 columns)")
    # steps are >= 1 s apart (1 s measured + 1 s pause): rows written at exit would come together
    check(rows[1][1] - rows[0][1] > 0.8 and rows[2][1] - rows[1][1] > 0.8,
          "rows arrive one by one as the steps finish")
    summ = [ln for ln in lines if ln.startswith("# find-max:")]
    check(len(summ) == 1 and "no step failed" in summ[0] and "P=-1" not in summ[0] and
          "last passing rate: 45 msg/s" in summ[0],
          f"find-max summary in words: {summ}")

    # a step that fails: the first failing rate is named
    res = run_bench(a.bench, ["--url", u0, "-c", "6", "-r", "2", "-s", "2", "-p", "20", "-t", "1",
                              "-w", "0", "--find-max", "--max-steps", "2", "--refine", "0",
                              "--step-pause", "0", "--max-p99", "0.000001"], 60)
    out = res.stdout.decode()
    check(res.returncode == 0 and "first failing rate: 20 msg/s" in out and "no step passed" in out,
          f"failing find-max summary in words: {[l for l in out.splitlines() if l.startswith('# find')]}")

    # on a terminal: a progress line on stderr during the step, cleared before the row
    master, slave = pty.openpty()
    pp = subprocess.Popen([a.bench, "--url", u0, "-c", "4", "-r", "1", "-s", "1", "-p", "10", "-t",
                           "3", "-w", "0"], stdout=slave, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    got = b""
    while True:
        rd, _, _ = select.select([master], [], [], 30 * SCALE)
        if not rd:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    pp.wait(10)
    os.close(master)
    text = got.decode("utf-8", "replace")
    check(pp.returncode == 0, "run on a terminal exits 0")
    check(re.search(r"\r\x1b\[K  [0-9]+/3 s: sent [0-9]+, delivered [0-9]+ of [0-9]+", text) is not None,
          f"progress line updated in place on a terminal: {text!r}")
    check(re.search(r"^run +0 +10 +30 ", text.replace("\r\x1b[K", "\n"), re.M) is not None,
          "the row follows the cleared progress line")
    # a pipe never gets the progress line
    res = run_bench(a.bench, ["--url", u0, "-c", "4", "-r", "1", "-s", "1", "-p", "10", "-t", "1.5",
                              "-w", "0"], 60)
    check(b"\x1b[K" not in res.stderr and b"\x1b[K" not in res.stdout, "no progress line into a pipe")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--roomcastd", default=os.environ.get("ROOMCASTD"))
    ap.add_argument("case", choices=["redis", "embedded", "idle", "errors", "faults", "presence",
                                     "resume", "output"])
    a = ap.parse_args()
    if a.case not in ("errors", "faults") and not a.roomcastd:
        print("no roomcastd (--roomcastd or $ROOMCASTD)", file=sys.stderr)
        return 1
    # meson's timeout sends SIGTERM: turn it into an exception so the finally block cleans up
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="rc-bench-smoke-") as tmp:
        procs = Procs(tmp)
        try:
            globals()["case_" + a.case](a, procs, tmp)
        except (Failure, subprocess.TimeoutExpired) as e:
            print(f"FAIL - {e}", file=sys.stderr)
            procs.stop_all()
            procs.dump_logs()
            return 1
        finally:
            procs.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
