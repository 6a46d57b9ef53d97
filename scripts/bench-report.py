#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Parse scripts/bench results and summarise them (host side, stdlib only).

    bench-report.py parse DIR               DIR/logs/*.log -> DIR/results.csv
    bench-report.py report DIR [--out MD] [--note TEXT] [--no-plot]
                                            markdown report + gnuplot PNG
    bench-report.py terse DIR               plain-text tables on stdout

The CSV has one row per measurement: fs, bs, threads, mode, test, rep, kbps
(iozone's kB/s, i.e. KiB/s). The raw device rows have fs "raw", mode
"direct" and tests "write" and "read". The report gives medians over the
repetitions in MiB/s.
"""

import argparse
import csv
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

TESTS = ["write", "rewrite", "read", "reread", "randread", "randwrite"]
TEST_TITLES = {
    "write": "write",
    "rewrite": "rewrite",
    "read": "read",
    "reread": "reread",
    "randread": "random read",
    "randwrite": "random write",
}
MODES = ["buffered", "direct", "mmap"]
MODE_TITLES = {
    "buffered": "buffered",
    "direct": "O_DIRECT (iozone -I)",
    "mmap": "mmap (iozone -B)",
}
FS_ORDER = ["ext2rs", "ext2", "ext4", "xfs"]
PEERS = ["ext2", "ext4", "xfs"]
# ext2rs "matches" the best peer when it reaches this fraction of it.
MATCH = 0.95
# "Children see throughput for 4 initial writers = 12345.67 kB/sec"
CHILDREN = re.compile(
    r"Children see throughput for\s+\d+\s+(initial writers|rewriters|readers|"
    r"re-readers|random readers|random writers)\s*=\s*([0-9.]+)\s*kB/sec"
)
CHILD_TESTS = {
    "initial writers": "write",
    "rewriters": "rewrite",
    "readers": "read",
    "re-readers": "reread",
    "random readers": "randread",
    "random writers": "randwrite",
}
RUN_LOG = re.compile(r"^(ext2rs|ext2|ext4|xfs)-(\d+)-t(\d+)-(buffered|direct|mmap)-r(\d+)\.log$")
RAW_LOG = re.compile(r"^raw-(\d+)-r(\d+)\.log$")
# dd: "67108864 bytes (67 MB, 64 MiB) copied, 0.52 s, 129 MB/s"
DD = re.compile(r"^(\d+) bytes .* copied, ([0-9.]+) s,")


def parse_single(text):
    """The result row of iozone's auto table: kB reclen write rewrite read
    reread random-read random-write ..."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^\s+kB\s+reclen\s+write\s+rewrite\s+read\s+reread", line):
            for row in lines[i + 1 :]:
                nums = row.split()
                if len(nums) >= 8 and all(n.isdigit() for n in nums[:8]):
                    return dict(zip(TESTS, (float(n) for n in nums[2:8])))
    return {}


def parse_threads(text):
    return {CHILD_TESTS[m.group(1)]: float(m.group(2)) for m in CHILDREN.finditer(text)}


def parse_raw(text):
    speeds = [
        int(m.group(1)) / 1024 / float(m.group(2))
        for m in (DD.match(line) for line in text.splitlines())
        if m and float(m.group(2)) > 0
    ]
    return dict(zip(["write", "read"], speeds))


def parse(results):
    rows = []
    for log in sorted((results / "logs").glob("*.log")):
        text = log.read_text(errors="replace")
        m = RUN_LOG.match(log.name)
        if m:
            fs, bs, threads, mode, rep = m.groups()
            vals = parse_single(text) if threads == "1" else parse_threads(text)
        else:
            m = RAW_LOG.match(log.name)
            if not m:
                continue
            fs, mode, threads = "raw", "direct", "1"
            bs, rep = m.groups()
            vals = parse_raw(text)
        if not vals:
            print(f"bench-report: no results in {log} (run failed?)", file=sys.stderr)
        for test, kbps in vals.items():
            rows.append([fs, bs, threads, mode, test, rep, f"{kbps:.0f}"])
    with open(results / "results.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["fs", "bs", "threads", "mode", "test", "rep", "kbps"])
        w.writerows(rows)
    print(f"bench-report: {len(rows)} measurements in {results / 'results.csv'}", file=sys.stderr)


class Data:
    """Medians of the CSV, in MiB/s, keyed (fs, bs, threads, mode, test)."""

    def __init__(self, results):
        samples = defaultdict(list)
        with open(results / "results.csv", newline="") as f:
            for r in csv.DictReader(f):
                key = (r["fs"], int(r["bs"]), int(r["threads"]), r["mode"], r["test"])
                samples[key].append(float(r["kbps"]) / 1024)
        self.med = {k: statistics.median(v) for k, v in samples.items()}
        self.reps = {k: len(v) for k, v in samples.items()}
        # Relative spread (max - min) / median, to say how noisy a run was.
        self.spread = {
            k: (max(v) - min(v)) / statistics.median(v) for k, v in samples.items() if statistics.median(v) > 0
        }
        keys = self.med.keys()
        present = {k[0] for k in keys}
        self.fss = [f for f in FS_ORDER if f in present]
        self.bss = sorted({k[1] for k in keys})
        self.threads = sorted({k[2] for k in keys if k[0] != "raw"})
        self.modes = [m for m in MODES if any(k[3] == m and k[0] != "raw" for k in keys)]

    def get(self, fs, bs, t, mode, test):
        return self.med.get((fs, bs, t, mode, test))


# What each test kernel flavour (scripts/build-kernel) is, for the report.
FLAVOURS = {
    "bench": " (the bench flavour: the test kernel without lockdep, "
    "scripts/kconfig/bench.config)",
    "default": " (the default test kernel, with lockdep)",
    "kasan": " (the KASAN test kernel, with lockdep: not for comparing speed)",
}


def read_info(path):
    info = {}
    if path.exists():
        for line in path.read_text().splitlines():
            k, _, v = line.partition(": ")
            info[k] = v
    return info


def fmt(v, digits=0):
    return "–" if v is None else f"{v:.{digits}f}"


def ratio(a, b):
    return None if a is None or not b else a / b


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def mode_table(d, bs, t, mode):
    """Median MiB/s per filesystem, then ratios and the best peer."""
    head = ["MiB/s"] + [TEST_TITLES[x] for x in TESTS]
    rows = [[f] + [fmt(d.get(f, bs, t, mode, x)) for x in TESTS] for f in d.fss]
    e = {x: d.get("ext2rs", bs, t, mode, x) for x in TESTS}
    if "ext2rs" in d.fss:
        for peer in ("ext2", "ext4"):
            if peer in d.fss:
                rows.append([f"ext2rs / {peer}"] + [fmt(ratio(e[x], d.get(peer, bs, t, mode, x)), 2) for x in TESTS])
    peers = [p for p in PEERS if p in d.fss]
    if peers:
        best_row, match_row = [f"best of {'/'.join(peers)}"], ["ext2rs matches best"]
        for x in TESTS:
            vals = [(d.get(p, bs, t, mode, x), p) for p in peers]
            vals = [(v, p) for v, p in vals if v is not None]
            if not vals:
                best_row.append("–")
                match_row.append("–")
                continue
            v, p = max(vals)
            best_row.append(f"{v:.0f} ({p})")
            r = ratio(e[x], v)
            match_row.append("–" if r is None else f"{'yes' if r >= MATCH else 'no'} ({r:.2f})")
        rows.append(best_row)
        if "ext2rs" in d.fss:
            rows.append(match_row)
    return table(head, rows)


def direct_vs_raw(d, bs, t):
    rw, rr = d.get("raw", bs, 1, "direct", "write"), d.get("raw", bs, 1, "direct", "read")
    if rw is None or "direct" not in d.modes:
        return []
    head = ["O_DIRECT", "write MiB/s", "% of raw write", "read MiB/s", "% of raw read"]
    rows = []
    for f in d.fss:
        w, r = d.get(f, bs, t, "direct", "write"), d.get(f, bs, t, "direct", "read")
        rows.append([f, fmt(w), fmt(None if w is None else 100 * w / rw), fmt(r), fmt(None if r is None or not rr else 100 * r / rr)])
    rows.append(["raw device", fmt(rw), "100", fmt(rr), "100"])
    return table(head, rows)


PLOT_COLUMNS = [("buffered", x) for x in TESTS] + [
    ("direct", "write"),
    ("direct", "read"),
    ("mmap", "write"),
    ("mmap", "read"),
]


def plot(d, png, title):
    """Clustered bars: one panel per block size and thread count, clusters
    the main columns, one bar per filesystem."""
    cols = [(m, x) for m, x in PLOT_COLUMNS if m in d.modes]
    dat = png.with_suffix(".dat")
    blocks = []
    for bs in d.bss:
        for t in d.threads:
            lines = [f"# bs={bs} threads={t}: column " + " ".join(d.fss)]
            for m, x in cols:
                label = TEST_TITLES[x] if m == "buffered" else f"{'O_DIRECT' if m == 'direct' else m} {x}"
                vals = [fmt(d.get(f, bs, t, m, x)).replace("–", "NaN") for f in d.fss]
                lines.append(f'"{label}" ' + " ".join(vals))
            blocks.append("\n".join(lines))
    dat.write_text("\n\n\n".join(blocks) + "\n")
    n_bs, n_t = len(d.bss), len(d.threads)
    gp = [
        f"set terminal pngcairo noenhanced size {760 * n_t},{420 * n_bs} font 'sans,9'",
        f"set output '{png}'",
        "set style data histograms",
        "set style histogram clustered gap 1",
        "set style fill solid 0.85 border -1",
        "set grid ytics",
        "set ylabel 'MiB/s (median)'",
        "set yrange [0:*]",
        "set xtics rotate by -30",
        "set key outside right top",
        f"set multiplot layout {n_bs},{n_t} title '{title}'",
    ]
    i = 0
    for bs in d.bss:
        for t in d.threads:
            gp.append(f"set title 'block size {bs}, {t} thread{'s' if t > 1 else ''}'")
            parts = [f"'{dat}' index {i} using 2:xtic(1) title '{d.fss[0]}'"]
            parts += [f"'' index {i} using {j + 2} title '{f}'" for j, f in enumerate(d.fss[1:], 1)]
            gp.append("plot " + ", ".join(parts))
            i += 1
    gp.append("unset multiplot")
    gp_file = png.with_suffix(".gp")
    gp_file.write_text("\n".join(gp) + "\n")
    try:
        subprocess.run(["gnuplot", str(gp_file)], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"bench-report: gnuplot failed ({e}); no plot", file=sys.stderr)
        return False
    return True


def commands(results):
    """The distinct iozone/dd command lines, with one example filesystem."""
    seen = {}
    path = results / "commands"
    if path.exists():
        for line in path.read_text().splitlines():
            what, _, cmd = line.partition(": ")
            seen.setdefault(cmd, what)
    return [f"- `{c}`" for c in seen]


def report(results, out, note=None, with_plot=True):
    d = Data(results)
    info, guest = read_info(results / "info"), read_info(results / "guest-info")
    reps = max(d.reps.values(), default=0)
    md = [
        "# iozone: ext2rs compared with the kernel's ext2, ext4 and XFS",
        "",
    ]
    if note:
        md += [f"> **{note}**", ""]
    if info.get("quick") == "1":
        md += [
            "> **Quick run** (small files): reads come from the page cache; "
            "good for checking that everything works, not for comparing read speed.",
            "",
        ]
    md += [
        "> **Caveat:** under TCG (QEMU's emulator) absolute MB/s reflect the emulator and "
        "the host's load, not the filesystems; the ratios between filesystems "
        "within one run are what counts.",
        "",
        f"- date: {info.get('date', '?')}",
        f"- kernel (guest `uname -r`): {guest.get('kernel', '?')}"
        + FLAVOURS.get(info.get("kernel flavour", ""), ""),
        f"- ext2rs commit: {info.get('ext2rs commit', '?')}",
        f"- VM: {info.get('vm', '?')}; guest sees {guest.get('vcpus', '?')} vCPUs "
        f"({guest.get('cpu', '?')}), {guest.get('memory', '?')} memory",
        f"- host: {info.get('host', '?')}",
        f"- iozone {guest.get('iozone', '?')}; {guest.get('mke2fs', '?')}; {guest.get('mkfs.xfs', '?')}",
        f"- file size {info.get('file size', '?')}, record size {info.get('record size', '?')}, "
        f"median of {reps} repetition(s); every run on a fresh mkfs of the same disk",
        "- mkfs: ext2 and ext2rs `mke2fs -t ext2 -b BS` (the same image format); "
        "ext4 `mkfs.ext4 -b BS -E lazy_itable_init=0,lazy_journal_init=0`; xfs `mkfs.xfs -b size=BS`",
        f"- run time: {info.get('elapsed', '?')}",
        "",
        "Commands (iozone runs in the mounted filesystem; 1 MiB = 1024 iozone kB):",
        "",
    ]
    md += commands(results) + [""]
    failures = results / "failures"
    if failures.exists():
        md += ["**Failed runs:**", ""] + [f"- {x}" for x in failures.read_text().splitlines()] + [""]
    md += [
        f"\"ext2rs matches best\": ext2rs reaches at least {MATCH:.0%} of the best of the "
        "in-kernel filesystems in that column (the ratio is in brackets).",
        "",
    ]
    png = out.with_suffix(".png")
    if with_plot and plot(d, png, "iozone, median MiB/s"):
        md += [f"![median MiB/s per filesystem]({png.name})", ""]
    for bs in d.bss:
        for t in d.threads:
            md += [f"## Block size {bs}, {t} thread{'s' if t > 1 else ''}", ""]
            for mode in d.modes:
                md += [f"### {MODE_TITLES[mode]}", ""] + mode_table(d, bs, t, mode) + [""]
            dr = direct_vs_raw(d, bs, t)
            if dr:
                note = " (all threads together against one raw stream)" if t > 1 else ""
                md += [f"### O_DIRECT as % of the raw device{note}", ""] + dr + [""]
    if d.spread and reps > 1:
        worst = max(d.spread.items(), key=lambda kv: kv[1])
        k = worst[0]
        md += [
            f"Largest spread between repetitions: {100 * worst[1]:.0f}% of the median "
            f"({k[0]}, bs {k[1]}, {k[2]} thread(s), {k[3]} {k[4]}).",
            "",
        ]
    out.write_text("\n".join(md))


def terse(results):
    """A compact text table per block size and thread count (the demo)."""
    d = Data(results)
    short = {"write": "write", "rewrite": "rewr", "read": "read", "reread": "reread", "randread": "rnd-rd", "randwrite": "rnd-wr"}
    for bs in d.bss:
        for t in d.threads:
            for mode in d.modes:
                print(f"iozone MiB/s, block size {bs}, {t} thread{'s' if t > 1 else ''}, {mode}:")
                print(f"  {'':14}" + "".join(f"{short[x]:>8}" for x in TESTS))
                for f in d.fss:
                    print(f"  {f:14}" + "".join(f"{fmt(d.get(f, bs, t, mode, x)):>8}" for x in TESTS))
                if "ext2rs" in d.fss and "ext2" in d.fss:
                    r = [ratio(d.get("ext2rs", bs, t, mode, x), d.get("ext2", bs, t, mode, x)) for x in TESTS]
                    print(f"  {'ext2rs/ext2':14}" + "".join(f"{fmt(v, 2):>8}" for v in r))
    print("(TCG: absolute MiB/s reflect the emulator; compare the ratios)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["parse", "report", "terse"])
    ap.add_argument("results", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--note", help="a line to put in bold under the title")
    ap.add_argument("--no-plot", action="store_true", help="no gnuplot chart")
    a = ap.parse_args()
    if a.command == "parse":
        parse(a.results)
    elif a.command == "report":
        report(a.results, (a.out or a.results / "report.md").resolve(), a.note, not a.no_plot)
    else:
        terse(a.results)


if __name__ == "__main__":
    main()
