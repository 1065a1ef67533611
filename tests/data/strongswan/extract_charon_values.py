#!/usr/bin/env python3
"""Collects the values charon (strongSwan 5.9.8, log level 4 for ike/chd)
dumps while negotiating, into JSON: {"<label>": ["hex", ...]} in log order.

usage: extract_charon_values.py CHARON_LOG > values.json

The captures, keys and logs here were made by running strongSwan against
strongSwan in two network namespaces on the project's test machine (see
README.md in this directory); the values become key-derivation test
vectors taken from a real implementation.
"""
import json
import re
import sys

head = re.compile(r"^\S+ \d+\[\w+\] (?:<[^>]*> )?(.+?) => (\d+) bytes @ 0x[0-9a-f]+\s*$")
row = re.compile(r"^\S+ \d+\[\w+\] (?:<[^>]*> )?\s*\d+: ((?:[0-9A-F]{2} ?)+)")

values = {}
label, need, buf = None, 0, []
for line in open(sys.argv[1], errors="replace"):
    m = head.match(line)
    if m:
        label, need, buf = m.group(1), int(m.group(2)), []
        if need == 0:
            values.setdefault(label, []).append("")
            label = None
        continue
    if label is None:
        continue
    r = row.match(line)
    if not r:
        continue
    buf.extend(r.group(1).split())
    if len(buf) >= need:
        values.setdefault(label, []).append("".join(buf[:need]).lower())
        label = None
json.dump(values, sys.stdout, indent=1, sort_keys=True)
print()
