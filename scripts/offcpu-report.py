#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where tasks sleep: sums the off-CPU time in a `perf script` dump of
sched:sched_switch events with call chains (scripts/profile --offcpu).

    offcpu-report.py [--comm NAMES] [--frames N] [--top N] FILE.sched

A task's time away is the gap between its switch out and its next switch
in; it is charged to the call chain at the switch out, cut to the first
N frames below the scheduler's own (schedule, io_schedule, ...). Printed:
the total per task state (D: uninterruptible, e.g. I/O or a mutex; S:
interruptible; R: preempted while runnable), then the chains with the
most time, as a markdown table. Only tasks with one of the
comma-separated NAMES are counted (default xfs_io,iozone: the programs
the profile's phases run; no phase runs both).
"""

import argparse
import collections
import re
import sys

HEADER = re.compile(
    r"^\s*(?P<tid>\d+)\s+(?P<time>\d+\.\d+):?.*?prev_comm=(?P<comm>.*?) "
    r"prev_pid=(?P<prev>\d+) .*?prev_state=(?P<state>\S+) ==> "
    r"next_comm=.*? next_pid=(?P<next>\d+)"
)
FRAME = re.compile(r"^\s+[0-9a-f]+\s+(?P<sym>\S+)")

# The scheduler's frames and the wrappers that only say "sleep": the
# chain is charged from the first frame after them.
SCHED = re.compile(
    r"^(__schedule|schedule|schedule_\w+|io_schedule\w*|preempt_schedule\w*|"
    r"__cond_resched|_cond_resched|__traceiter_\w+|__do_trace_\w+|"
    r"__sched_text_start|perf_\w+|__perf_\w+|trace_\w+|__bpf_\w+)(\+0x[0-9a-f]+)?$"
)


def parse(lines):
    """Yields (time, comm, prev, state, next, frames) per switch."""
    cur = None
    for line in lines:
        m = HEADER.match(line)
        if m:
            if cur:
                yield cur
            cur = (
                float(m["time"]),
                m["comm"],
                int(m["prev"]),
                m["state"],
                int(m["next"]),
                [],
            )
            continue
        f = FRAME.match(line)
        if f and cur:
            cur[5].append(f["sym"])
    if cur:
        yield cur


def demangle(sym):
    """A Rust v0 symbol (`_RNv...`) as its path's identifiers joined by
    `::`, enough to read (perf in the guest leaves them mangled); other
    symbols as they are."""
    if not sym.startswith("_R"):
        return sym
    out, i, s = [], 2, sym
    while i < len(s):
        c = s[i]
        if c.isdigit():
            j = i
            while j < len(s) and s[j].isdigit():
                j += 1
            n = int(s[i:j])
            if j < len(s) and s[j] == "_":
                j += 1
            out.append(s[j : j + n])
            i = j + n
        elif c in "CB" or (c == "s" and i + 1 < len(s) and not s[i + 1].isdigit()):
            # A crate root's disambiguator or a back reference: base-62 up to "_".
            k = s.find("_", i)
            i = len(s) if k < 0 else k + 1
            if c == "C" and i < len(s) and not s[i].isdigit():
                continue
        else:
            i += 1
    return "::".join(x for x in out if x) or sym


def chain(frames, n):
    """The first n frames below the scheduler's, callee first."""
    i = 0
    while i < len(frames) and SCHED.match(frames[i]):
        i += 1
    return tuple(demangle(f) for f in frames[i : i + n]) or ("(no chain)",)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--comm", default="xfs_io,iozone")
    ap.add_argument("--frames", type=int, default=10)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("file")
    a = ap.parse_args()

    comms = set(a.comm.split(","))
    away = {}  # pid -> (time, state, chain)
    by_state = collections.Counter()
    by_chain = collections.Counter()
    count = collections.Counter()
    first = last = None
    with open(a.file, errors="replace") as f:
        for t, comm, prev, state, nxt, frames in parse(f):
            first = t if first is None else first
            last = t
            if nxt in away:
                t0, st, ch = away.pop(nxt)
                ms = (t - t0) * 1000
                by_state[st] += ms
                by_chain[(st, ch)] += ms
                count[(st, ch)] += 1
            if comm in comms and prev != 0:
                # "R+" and "R" are both preemptions.
                away[prev] = (t, state.rstrip("+"), chain(frames, a.frames))
    if first is None:
        sys.exit(f"{a.file}: no sched_switch events")
    total = sum(by_state.values())
    print(f"# off-CPU time of '{a.comm}' tasks: {a.file}")
    print()
    print(f"Trace span {1000 * (last - first):.0f} ms; off-CPU {total:.0f} ms over all tasks.")
    print()
    print("| state | ms | share |")
    print("|---|---:|---:|")
    for st, ms in by_state.most_common():
        print(f"| {st} | {ms:.0f} | {100 * ms / total:.1f}% |")
    print()
    print(f"Top {a.top} call chains (callee first, scheduler frames left out):")
    print()
    print("| ms | share | switches | state | chain |")
    print("|---:|---:|---:|---|---|")
    for (st, ch), ms in by_chain.most_common(a.top):
        print(
            f"| {ms:.0f} | {100 * ms / total:.1f}% | {count[(st, ch)]} | {st} | "
            + " <- ".join(ch)
            + " |"
        )


if __name__ == "__main__":
    main()
