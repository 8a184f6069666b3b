#!/usr/bin/env python3
# Copyright 2026 roomcast developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The tree stands alone:

- no file tracked by git (docs, man pages, data, sources and their comments, tests)
  cites something outside it: a contract document or its numbered sections, a
  sibling checkout by relative path, issue numbers, or "the seed" (the Redis Cluster
  "seed list" / "seed node" is fine);
- every environment variable roomcastd reads (g_getenv in src/, roomcastctl and
  roomcast-bench aside) is in the ENVIRONMENT section of roomcastd(8), and every
  one roomcastctl reads in roomcastctl(1)'s.

Usage: test-doc-citations.py SOURCE_ROOT
"""

import os
import re
import subprocess
import sys

SOURCE = os.path.abspath(sys.argv[1])
SELF = os.path.relpath(os.path.abspath(__file__), SOURCE)

# (what, pattern): case-insensitive
PATTERNS = [
    ("a contract document", r"CONTRACT\.md|\bCONTRACT\s+section"),
    ("a sibling checkout", r"\.\./shared\b"),
    ("a numbered section of another document", r"\bsection\s+\d+"),
    ("an issue number", r"\bissues?\s+#?\d+|\bGH-\d+\b|(?:^|[\s(\[])#\d+\b(?![0-9a-f])"),
    ("the issue", r"\bthe issue\b|\bin the issue\b"),
    ("the seed", r"\bthe seed\b(?!\s+(?:list|nodes?|servers?)\b)|\bseed design\b"),
]
# files where "#123" is a colour or data, not a citation
NO_HASH_NUMBERS = (".css", ".svg", ".html", ".js", ".mjs", ".jsonl", ".resp", ".json")
SKIP_DIRS = ("node_modules/", "tests/fuzz/corpus/")


def tracked_files():
    proc = subprocess.run(["git", "-C", SOURCE, "ls-files", "-z"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL)
    if proc.returncode != 0:
        print("skip: not a git checkout")
        sys.exit(77)
    out = proc.stdout.decode()
    for path in out.split("\0"):
        if not path or path == SELF or any(d in path for d in SKIP_DIRS):
            continue
        yield path


def main():
    failures = []
    compiled = [(what, re.compile(p, re.IGNORECASE | re.MULTILINE)) for what, p in PATTERNS]
    n = 0
    for path in tracked_files():
        full = os.path.join(SOURCE, path)
        if not os.path.isfile(full):
            continue
        with open(full, "rb") as f:
            data = f.read()
        if b"\0" in data:
            continue  # binary
        text = data.decode("utf-8", errors="replace")
        n += 1
        for what, pattern in compiled:
            if what == "an issue number" and path.endswith(NO_HASH_NUMBERS):
                pattern = re.compile(r"\bissues?\s+#?\d+|\bGH-\d+\b", re.IGNORECASE)
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                failures.append(f"{path}:{line}: {what}: {m.group(0).strip()!r}")
    print(f"# {n} tracked text files searched")

    # every getenv is documented where its program's man page says ENVIRONMENT
    def env_section(man):
        with open(os.path.join(SOURCE, man), encoding="utf-8") as f:
            text = f.read()
        m = re.search(r"^\.SH ENVIRONMENT$(.*?)^\.SH ", text, re.MULTILINE | re.DOTALL)
        return m.group(1) if m else ""

    pages = {"daemon": ("data/roomcastd.8", env_section("data/roomcastd.8")),
             "ctl": ("data/roomcastctl.1", env_section("data/roomcastctl.1"))}
    for path in tracked_files():
        if not path.startswith("src/") or not path.endswith(".c") or path.startswith("src/bench/"):
            continue
        with open(os.path.join(SOURCE, path), encoding="utf-8") as f:
            text = f.read()
        man, section = pages["ctl" if path.startswith("src/ctl/") else "daemon"]
        for name in sorted(set(re.findall(r'g_getenv\s*\(\s*"([A-Z_0-9]+)"', text))):
            if not re.search(r"\.B[RI]?\s.*\b" + re.escape(name) + r"\b", section):
                failures.append(f"{path}: reads ${name}, which {man} does not document "
                                "under ENVIRONMENT")

    for f in failures:
        print("FAIL " + f)
    if failures:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
