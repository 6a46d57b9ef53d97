#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Markdown summary of scripts/xfstests results (scripts/xfstests --summary).

summary.py RESULTS_ROOT [XFSTESTS_DIR]

RESULTS_ROOT holds one directory per run, <fstype>-<bs> (ext2rs-1024,
ext2-1024, ...), each with status/<test> files "pass|fail|notrun SECS
[reason]" and a run-info file. Prints, per block size: counts per fstype,
a side-by-side table ext2rs vs ext2 (tests whose outcome differs first),
the failures with their reasons and the not-run reasons.
"""
import os
import re
import sys
from collections import Counter, defaultdict


def load(d):
    res = {}
    sd = os.path.join(d, "status")
    for dirpath, _, files in os.walk(sd):
        for f in files:
            t = os.path.relpath(os.path.join(dirpath, f), sd)
            with open(os.path.join(dirpath, f)) as fh:
                parts = fh.read().strip().split(" ", 2)
            res[t] = (parts[0], int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0,
                      parts[2] if len(parts) > 2 else "")
    return res


def info(d):
    p = os.path.join(d, "run-info")
    if not os.path.exists(p):
        return {}
    out = {}
    for line in open(p):
        k, _, v = line.partition(":")
        out[k.strip()] = v.strip()
    return out


def cell(r):
    if r is None:
        return "-"
    return {"pass": "pass", "fail": "**FAIL**", "notrun": "not run"}.get(r[0], r[0])


def parity(a, b):
    """The issue's criterion: every test ext2rs does not pass, ext2 does not
    pass either. Prints the tests that break it and those not yet known."""
    worse = [t for t in sorted(b) if b[t][0] != "pass" and t in a and a[t][0] == "pass"]
    unknown = [t for t in sorted(b) if b[t][0] != "pass" and t not in a]
    print(f"**Parity with ext2:** {len(worse)} tests pass on ext2 but not on "
          f"ext2rs{': ' + ', '.join(worse) if worse else ''}; "
          f"{len(unknown)} ext2rs non-passes have no ext2 result yet"
          f"{': ' + ', '.join(unknown) if 0 < len(unknown) <= 20 else ''}.\n")


def main():
    root = sys.argv[1]
    runs = defaultdict(dict)  # bs -> fstype -> results
    infos = {}
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        m = re.fullmatch(r"(ext2rs|ext2)-(\d+)", name)
        if not m:
            continue
        d = os.path.join(root, name)
        runs[m.group(2)][m.group(1)] = load(d)
        infos[name] = info(d)
    print("# xfstests results: ext2rs vs the in-kernel ext2\n")
    print("Made by `scripts/xfstests --summary`. Runs:\n")
    for name, i in sorted(infos.items()):
        print(f"- {name}: {i.get('date', '?')}, kernel {i.get('kernel', '?')}, "
              f"xfstests {i.get('xfstests', '?')[:12]}, ext2rs {i.get('ext2rs', '-')}")
    print()
    for bs in sorted(runs, key=int):
        fs = runs[bs]
        print(f"## Block size {bs}\n")
        print("| fstype | tests | passed | failed | not run | time in tests | s/test run |")
        print("|---|---|---|---|---|---|---|")
        for name in ("ext2", "ext2rs"):
            if name not in fs:
                continue
            r = fs[name]
            c = Counter(v[0] for v in r.values())
            secs = sum(v[1] for v in r.values())
            ran = c["pass"] + c["fail"]
            per = f"{sum(v[1] for v in r.values() if v[0] != 'notrun') / ran:.1f}" if ran else "-"
            print(f"| {name} | {len(r)} | {c['pass']} | {c['fail']} | {c['notrun']} | "
                  f"{secs // 60}m{secs % 60:02d}s | {per} |")
        print()
        a, b = fs.get("ext2", {}), fs.get("ext2rs", {})
        both = sorted(set(a) | set(b))
        diff = [t for t in both if t in a and t in b and a[t][0] != b[t][0]]
        same = [t for t in both if t not in diff]
        if a and b:
            common = [t for t in both if t in a and t in b]
            print(f"{len(common)} tests ran on both; {len(diff)} differ "
                  f"(listed first, then the rest).\n")
            parity(a, b)
        print("| test | ext2 | ext2rs | reason / note |")
        print("|---|---|---|---|")
        for t in diff + same:
            ra, rb = a.get(t), b.get(t)
            if rb and rb[0] != "pass":
                note = rb[2]
            elif ra and ra[0] != "pass" and t in diff:
                note = f"ext2: {ra[2]}"
            else:
                note = ""
            mark = " (differs)" if t in diff else ""
            print(f"| {t}{mark} | {cell(ra)} | {cell(rb)} | {note.replace('|', '/')[:120]} |")
        print()
        for name in ("ext2", "ext2rs"):
            r = fs.get(name, {})
            fails = [t for t in sorted(r) if r[t][0] == "fail"]
            if fails:
                print(f"### {name} failures, bs {bs}\n")
                for t in fails:
                    print(f"- {t}: {r[t][2]}")
                print()
            reasons = Counter(r[t][2] for t in r if r[t][0] == "notrun")
            if reasons:
                print(f"### {name} not run, bs {bs} (reason: count)\n")
                for why, n in reasons.most_common():
                    print(f"- {why}: {n}")
                print()


main()
