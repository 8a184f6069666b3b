#!/usr/bin/env python3
# Copyright 2026 roomcast developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The translation stays complete:

- every C source with _("…"), N_("…") or ngettext(…) is listed in po/POTFILES, and every
  listed file exists;
- every message extracted from those files has a German translation in po/de.po that
  is neither missing nor fuzzy (msgfmt -c also checks that the formats match).

A msgid cut short by a format macro (e.g. "%" G_GUINT64_FORMAT, which xgettext cannot
expand, so gettext can never find it) is reported, not counted: such a string needs a
plain format in its source to become translatable.

Usage: test-po-complete.py SOURCE_ROOT
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

SOURCE = os.path.abspath(sys.argv[1])
MARK = re.compile(r'(?<![A-Za-z0-9_])(?:_|N_|C_|NC_|ngettext|g_dngettext)\(\s*"')
failures = []


def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what, flush=True)
    if not cond:
        failures.append(what)


def main():
    for tool in ('xgettext', 'msgmerge', 'msgattrib', 'msgfmt'):
        if shutil.which(tool) is None:
            print('skip: %s is not installed' % tool)
            sys.exit(77)
    with open(os.path.join(SOURCE, 'po', 'POTFILES'), encoding='utf-8') as f:
        listed = [l.strip() for l in f if l.strip() and not l.startswith('#')]
    for path in listed:
        check(os.path.isfile(os.path.join(SOURCE, path)), 'po/POTFILES: %s exists' % path)
    marked = []
    for top in ('src', 'plugins', 'libroomcast-plugin'):
        for root, dirs, files in os.walk(os.path.join(SOURCE, top)):
            for name in files:
                if name.endswith('.c'):
                    path = os.path.join(root, name)
                    with open(path, encoding='utf-8', errors='replace') as f:
                        if MARK.search(f.read()):
                            marked.append(os.path.relpath(path, SOURCE))
    for path in sorted(marked):
        check(path in listed, 'po/POTFILES lists %s' % path)

    tmp = tempfile.mkdtemp(prefix='roomcast-po-')
    try:
        pot = os.path.join(tmp, 'roomcast.pot')
        merged = os.path.join(tmp, 'de.po')
        # the keywords and flags of meson's glib preset
        r = subprocess.run(['xgettext', '--package-name=roomcast', '--from-code=UTF-8',
                            '--keyword=_', '--keyword=N_', '--keyword=C_:1c,2',
                            '--keyword=NC_:1c,2', '--keyword=g_dngettext:2,3',
                            '--keyword=ngettext:1,2', '--flag=N_:1:pass-c-format',
                            '--directory=' + SOURCE, '--files-from=' + os.path.join(
                                SOURCE, 'po', 'POTFILES'), '-o', pot],
                           capture_output=True, text=True)
        check(r.returncode == 0, 'xgettext %s' % r.stderr.strip())
        r = subprocess.run(['msgmerge', '--quiet', '--no-fuzzy-matching', '-o', merged,
                            os.path.join(SOURCE, 'po', 'de.po'), pot],
                           capture_output=True, text=True)
        check(r.returncode == 0, 'msgmerge %s' % r.stderr.strip())
        r = subprocess.run(['msgattrib', '--untranslated', '--no-obsolete', merged],
                           capture_output=True, text=True)
        missing = [m.replace('"\n"', '') for m in
                   re.findall(r'^msgid ("(?:.|\n")*?")\n(?:msgid_plural|msgstr)', r.stdout,
                              re.M) if m != '""']
        cut = [m for m in missing if re.search(r'%"$', m)]
        for m in cut:
            print('note %s: cut short by a format macro in its source, untranslatable' % m)
        for m in missing:
            if m not in cut:
                check(False, 'po/de.po translates %s' % m)
        r = subprocess.run(['msgattrib', '--only-fuzzy', '--no-obsolete', merged],
                           capture_output=True, text=True)
        fuzzy = re.findall(r'^msgid (".+")$', r.stdout, re.M)
        check(not fuzzy, 'po/de.po has no fuzzy entries %s' % fuzzy)
        r = subprocess.run(['msgfmt', '-c', '-o', os.devnull, os.path.join(SOURCE, 'po', 'de.po')],
                           capture_output=True, text=True)
        check(r.returncode == 0, 'msgfmt -c po/de.po %s' % r.stderr.strip())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
    if failures:
        print('\n%d check(s) failed:\n  ' % len(failures) + '\n  '.join(failures))
        sys.exit(1)
    print('po/POTFILES is complete and po/de.po translates everything translatable')
