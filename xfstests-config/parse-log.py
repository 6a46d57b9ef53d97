#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn an xfstests ./check log into per-test status files (scripts/xfstests).

parse-log.py RESULTS LOG

Writes RESULTS/status/<test>: "pass SECS", "notrun 0 REASON" or
"fail 0 REASON". A test whose record never finished (the last one of a log
cut short by a timeout or a dead guest) becomes "fail 0 guest died or timed
out during the test". Returns how many tests it recorded on stdout.
"""
import os
import re
import sys

res, logf = sys.argv[1], sys.argv[2]
start = re.compile(r"^((?:generic|ext4|shared)/\d+)\s*(.*)$")
end = re.compile(r"^(Ran:|Not run:|Failures:|Failed \d+|Passed all|SECTION|Xunit report)")
recs, cur, complete = [], None, False
for line in open(logf, errors="replace"):
    line = line.rstrip("\n")
    m = start.match(line)
    if m:
        cur = [m.group(1), [m.group(2)]]
        recs.append(cur)
    elif line.startswith("Ran:"):
        complete = True
        cur = None
    elif cur is not None and not end.match(line):
        cur[1].append(line)
n = 0
for i, (t, lines) in enumerate(recs):
    first = lines[0].strip()
    text = "\n".join(lines)
    last = i == len(recs) - 1
    if "[expunged]" in first:
        continue
    if "[not run]" in text:
        st = "notrun 0 " + text.split("[not run]", 1)[1].strip().splitlines()[0]
    elif re.search(r"output mismatch|\[failed|_check_|no qualified output|\[dumped core\]|no such test", text):
        why = re.sub(r"\(see [^)]*\)", "", first).strip()
        why = re.sub(r"^\d+s \.\.\.\s*", "", why)
        if not why and len(lines) > 1:
            why = lines[1].strip()
        st = "fail 0 " + why
    elif re.search(r"(\d+)s$", first) and not (last and not complete and not first):
        st = "pass " + re.search(r"(\d+)s$", first).group(1)
    elif last and not complete:
        st = "fail 0 guest died or timed out during the test"
    else:
        st = "fail 0 unparsed: " + first
    p = os.path.join(res, "status", t)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as fh:
        fh.write(st + "\n")
    n += 1
print(n)
