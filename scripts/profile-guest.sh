#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of scripts/profile: runs inside the test VM, never on the
# host (it mkfs'es and overwrites DEV).
#
#   profile-guest.sh RESULTS DEV
#
# Settings come from the environment, lists space- or comma-separated:
#   PROF_FS PROF_BS PROF_PHASES PROF_THREADS PROF_SIZE_KB PROF_REC_KB PROF_TOP
#   PROF_OFFCPU=1 records every context switch (sched:sched_switch, with
#   call chains) in place of cpu-clock samples: where the writers sleep,
#   summed by scripts/offcpu-report.py from the .sched text written here.
#   PROF_BLOCK=1 records every bio queued, request issued and request
#   completed on DEV (block:block_bio_queue, block_rq_issue,
#   block_rq_complete) in place of cpu-clock samples: their sizes, and
#   the time the disk had none in flight, summed per run in .block.
#
# For every block size, filesystem and phase: a fresh mkfs and mount, the
# phase's setup outside the profile, then `perf record -a -g -e cpu-clock`
# around exactly the phase, with THREADS xfs_io processes on files of their
# own. Phases:
#   write    pwrite SIZE into new files, then fsync (allocation path)
#   rewrite  the same over files written and synced before (overwrite path)
#   read     pread SIZE of files written before, caches dropped (readahead)
#   randwrite pwrite of SIZE in records at random record-aligned offsets
#            (xfs_io pwrite -R, with repeats, as iozone -i 2) into files
#            written and synced before, caches dropped, then fsync:
#            iozone's random write on a file larger than the page cache,
#            whose indirect blocks are read back as the writes reach them
#   randread pread of SIZE in records at random record-aligned offsets
#            (xfs_io pread -R) of files written and synced before, caches
#            dropped: iozone's random read of a file larger than the page
#            cache, whose indirect blocks are read back as the reads reach
#            them
#   mrewrite files made and written through a shared mapping before
#            (truncate, mmap -w, mwrite, msync -s), so their folios are the
#            fault path's, then written through it again: the write faults
#            (page_mkwrite) over allocated blocks, as iozone -B's rewrite
#   mwindow  files made as for mrewrite, then written through 1 MiB
#            windows, mapped one after the other (mmap -w, mwrite, munmap),
#            then fsync: a window is too small for a PMD mapping, so every
#            4 KiB page faults alone into a folio of up to 2 MiB
#   mread    files written by iozone and synced before, caches dropped,
#            then iozone -B's read (-i 1 -+n) of each: the file read
#            through a mapping, a record copied out at a time, so the
#            read faults, their read-around and the readahead they start.
#            iozone, not xfs_io's mread, whose byte-at-a-time loop would
#            hide the kernel's part; iozone also writes the files, as it
#            checks its own pattern on reading
# Output per run, named <fs>-<bs>-<phase>-t<threads>: .data (perf),
# .txt (perf report, flat, by task, module and symbol), .callers.txt (the
# call chains of the symbols over 3%), .children.txt (inclusive: each
# symbol with its callees, over 0.5%), .log (perf's messages), .time (the
# phase's start and end), .fsck (ext2, ext2rs); RESULTS/summary (MiB/s per
# run); RESULTS/kallsyms (the guest's symbols, the module's among them,
# for reports the summaries leave out: on the host, `perf report -i
# RUN.data --kallsyms RESULTS/kallsyms --children -S SYMBOL -g callee`);
# RESULTS/failures if a run failed.
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

res=$1 dev=$2
list() { tr ',' ' ' <<<"$1"; }
size_kb=$PROF_SIZE_KB rec_kb=$PROF_REC_KB threads=$PROF_THREADS top=${PROF_TOP:-25}
offcpu=${PROF_OFFCPU:-0} block=${PROF_BLOCK:-0}
event=(-e cpu-clock -F 1999)
# need_tracepoint EVENT OPTION: tracefs mounted and EVENT (group/name) in
# this kernel, or the run fails before it starts.
need_tracepoint() {
	[ -d "/sys/kernel/tracing/events/$1" ] ||
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
	[ -d "/sys/kernel/tracing/events/$1" ] || {
		echo "[profile-guest] FAILED: $2 needs a kernel with tracepoints (--kernel default)"
		echo "no $1 tracepoint" >"$res/failures"
		exit 1
	}
}
if [ "$offcpu" = 1 ]; then
	# Every switch, not a sample of them: the time a task is away is the
	# gap to its next switch in.
	event=(-e sched:sched_switch -c 1)
	need_tracepoint sched/sched_switch --offcpu
elif [ "$block" = 1 ]; then
	event=(-e block:block_bio_queue -e block:block_rq_issue -e block:block_rq_complete -c 1)
	need_tracepoint block/block_rq_issue --block
fi
mnt=/tmp/profile-mnt
# perf cannot write its ring buffers straight into a 9p directory (EFAULT),
# so the data is recorded in the guest's /tmp and copied out afterwards.
work=/tmp/profile-work
mkdir -p "$mnt" "$work"
rm -f "$res/failures"
# Kernel symbols for perf, and no sampling limits, in this throwaway guest.
echo 0 >/proc/sys/kernel/kptr_restrict
echo -1 >/proc/sys/kernel/perf_event_paranoid

say() { echo "[profile-guest] $*"; }
fail() { say "FAILED: $*"; echo "$*" >>"$res/failures"; }

# shellcheck source-path=SCRIPTDIR source=guest-mkfs.sh
. "$(dirname "$0")/guest-mkfs.sh"

# io OP: OP (pwrite or pread) of SIZE in records of REC on every thread's
# file at once, each write followed by fsync; or (prandom) the same
# pwrite at random offsets; or (prandread) pread at random offsets; or
# (mwrite) the file sized to SIZE and every byte stored to through a
# shared mapping, then msync; or (iowrite) iozone's write of the file;
# or (mread) iozone's read of it through a mapping; or (mwindow) every
# byte of SIZE stored to through one 1 MiB mapping after another, then
# fsync. xfs_io's and iozone's output is discarded.
io() {
	local op=$1 i pids=() st=0 cmds
	# Each OP's command line, but for the file, which comes last.
	local xfs=(xfs_io -f) ioz=(iozone -+n -w -e -s "${size_kb}k" -r "${rec_kb}k")
	case "$op" in
	pwrite) cmds=("${xfs[@]}" -c "pwrite -q -b ${rec_kb}k 0 ${size_kb}k" -c fsync) ;;
	prandom) cmds=("${xfs[@]}" -c "pwrite -q -R -b ${rec_kb}k 0 ${size_kb}k" -c fsync) ;;
	prandread) cmds=("${xfs[@]}" -c "pread -q -R -b ${rec_kb}k 0 ${size_kb}k") ;;
	mwrite) cmds=("${xfs[@]}" -c "truncate ${size_kb}k" -c "mmap -w 0 ${size_kb}k"
		-c "mwrite -S 0x5a 0 ${size_kb}k" -c "msync -s 0 ${size_kb}k") ;;
	iowrite) cmds=("${ioz[@]}" -i 0 -f) ;;
	mread) cmds=("${ioz[@]}" -i 1 -B -f) ;;
	mwindow)
		cmds=("${xfs[@]}")
		for ((i = 0; i < size_kb / 1024; i++)); do
			cmds+=(-c "mmap -w ${i}m 1m" -c "mwrite -S 0x5b ${i}m 1m" -c munmap)
		done
		cmds+=(-c fsync)
		;;
	*) cmds=("${xfs[@]}" -c "$op -q -b ${rec_kb}k 0 ${size_kb}k") ;;
	esac
	for ((i = 0; i < threads; i++)); do
		# In the filesystem under test, as scripts/bench-guest.sh runs
		# iozone, whose working directory must be writable: the guest's
		# root is read-only.
		(cd "$mnt" && exec "${cmds[@]}" "$mnt/file.$i" >/dev/null) &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || st=1; done
	return $st
}

# block_sizes DATA: the bios queued and the requests issued to $dev in a
# --block recording, reads and writes apart, counted by size (powers of
# two, KiB, rounded down), as a markdown table; then how long the disk
# had a request in flight, from the first bio to the last completion, and
# the gaps of over 1 ms it had none: the time the filesystem left the
# disk idle. The tracepoints print "MAJ,MIN RWBS [BYTES] (CMD) SECTOR +
# SECTORS ...".
block_sizes() {
	local devno
	devno=$(($(stat -c '0x%t' "$dev"))),$(($(stat -c '0x%T' "$dev")))
	perf script -i "$1" -F time,event,trace 2>/dev/null | awk -v d="$devno" '
		$3 != d { next }
		{ t = $1 + 0; if (first == "") first = t; last = t }
		$2 ~ /rq_issue/ { if (!busy++) { if (idle_from != "" && t - idle_from > 0.001) { gaps++; gap_s += t - idle_from }; since = t } }
		$2 ~ /rq_complete/ { if (busy > 0 && !--busy) { busy_s += t - since; idle_from = t }; next }
		{ ev = $2 ~ /rq_issue/ ? "request" : "bio"
		  dir = $4 ~ /R/ ? "read" : $4 ~ /W/ ? "write" : ""
		  if (dir == "") next
		  for (i = 5; i < NF; i++) if ($i == "+") break
		  kib = $(i + 1) / 2
		  if (kib <= 0) next
		  b = 1; while (b * 2 <= kib) b *= 2
		  k = ev " " dir; n[k]++; sum[k] += kib; h[k, b]++; if (b > top) top = b }
		END { printf "| kind | count | mean KiB |"
		      for (b = 1; b <= top; b *= 2) printf " %s |", b
		      printf "\n|---|---:|---:|"
		      for (b = 1; b <= top; b *= 2) printf "---:|"
		      printf "\n"
		      split("bio read,request read,bio write,request write", ks, ",")
		      for (j = 1; j <= 4; j++) { k = ks[j]; if (!n[k]) continue
		        printf "| %s | %d | %.0f |", k, n[k], sum[k] / n[k]
		        for (b = 1; b <= top; b *= 2) printf " %d |", h[k, b]
		        printf "\n" }
		      if (last > first)
		        printf "\ndisk busy %.0f%% of %.3f s (first bio to last completion); idle gaps over 1 ms: %d, %.3f s\n",
		          100 * busy_s / (last - first), last - first, gaps, gap_s }'
}

run() { # FS BS PHASE
	local fs=$1 bs=$2 phase=$3 name out start end
	name="$fs-$bs-$phase-t$threads"
	out="$res/$name"
	do_mkfs "$fs" "$bs" >/dev/null
	mount -t "$fs" "$dev" "$mnt"
	case "$phase" in
	write) ;;
	rewrite) io pwrite ;;
	randwrite) io pwrite && drop_caches ;;
	mrewrite | mwindow) io mwrite ;;
	read | randread) io pwrite && drop_caches ;;
	mread) io iowrite && drop_caches ;;
	*) fail "unknown phase $phase"; umount "$mnt"; return ;;
	esac
	local op=pwrite
	[ "$phase" = read ] && op=pread
	[ "$phase" = randwrite ] && op=prandom
	[ "$phase" = randread ] && op=prandread
	[ "$phase" = mrewrite ] && op=mwrite
	[ "$phase" = mwindow ] && op=mwindow
	[ "$phase" = mread ] && op=mread
	# The disk's request counts around the phase (perf's own start and
	# stop do no I/O to it): how many reads and writes reached the disk,
	# and their average size, which MiB/s alone does not show.
	local stat0 stat1
	stat0=$(cat "/sys/block/${dev##*/}/stat")
	# The phase times itself inside the profile, so perf's own start and
	# stop are not counted; the times go to the guest's /tmp, not through
	# 9p, so the profile shows no round trips to the host of its own.
	if ! perf record --no-buildid -a -g "${event[@]}" -o "$work/$name.data" -- \
		bash -c "$(declare -f io); mnt=$mnt threads=$threads rec_kb=$rec_kb size_kb=$size_kb
			date +%s.%N >$work/$name.time; io $op; st=\$?
			date +%s.%N >>$work/$name.time; exit \$st" \
		2>"$out.log"; then
		fail "$name: perf record or xfs_io failed (see $out.log)"
	fi
	stat1=$(cat "/sys/block/${dev##*/}/stat")
	umount "$mnt"
	cp "$work/$name.time" "$out.time"
	read -r start end < <(paste -sd ' ' "$out.time")
	if [ "$fs" = ext2 ] || [ "$fs" = ext2rs ]; then
		e2fsck -fn "$dev" >"$out.fsck" 2>&1 || fail "$name: e2fsck found problems (see $out.fsck)"
	fi
	local mib=$((threads * size_kb / 1024))
	# /sys/block/*/stat: reads completed, merged, sectors, ticks; then the
	# same four for writes.
	awk -v s="$start" -v e="$end" -v m="$mib" -v n="$name" -v a="$stat0" -v b="$stat1" \
		'function kib(io, sec) { return io ? sec / 2 / io : 0 }
		BEGIN { split(a, x); split(b, y); r = y[1] - x[1]; w = y[5] - x[5]
			printf "%s: %d MiB in %.2f s, %.1f MiB/s; disk: %d reads of %.0f KiB, %d writes of %.0f KiB\n",
				n, m, e - s, m / (e - s), r, kib(r, y[3] - x[3]), w, kib(w, y[7] - x[7]) }' |
		tee -a "$res/summary"
	cp "$work/$name.data" "$out.data"
	if [ "$block" = 1 ]; then
		block_sizes "$work/$name.data" >"$out.block" || fail "$name: perf script failed"
		cat "$out.block"
		return
	fi
	if [ "$offcpu" = 1 ]; then
		# The switches as text, symbols resolved here where the kernel's
		# are; the host sums them (scripts/offcpu-report.py).
		perf script -i "$work/$name.data" --kallsyms /proc/kallsyms -F tid,time,trace,ip,sym \
			2>/dev/null >"$out.sched" || fail "$name: perf script failed"
		return
	fi
	# Flat by task, module and symbol; idle (swapper) is left in so the
	# percentages stay those of all samples. Samples taken with interrupts
	# off land on the unlock that enables them (_raw_spin_unlock_irqrestore),
	# so the call chains of the hot symbols are in .callers.txt.
	perf report -i "$work/$name.data" --kallsyms /proc/kallsyms --stdio --no-children -g none --sort comm,dso,sym \
		--percent-limit 0.3 2>/dev/null | grep -v '^$' >"$out.txt" ||
		fail "$name: perf report failed"
	perf report -i "$work/$name.data" --kallsyms /proc/kallsyms --stdio --no-children -g caller,2,callee \
		--sort sym --percent-limit 3 2>/dev/null >"$out.callers.txt" ||
		fail "$name: perf report (callers) failed"
	# Inclusive: each symbol with everything it called (iomap_begin and
	# the allocation under it, writeback), to compare against the flat
	# profile's self time.
	perf report -i "$work/$name.data" --kallsyms /proc/kallsyms --stdio --children -g none \
		--sort sym --percent-limit 0.5 2>/dev/null | grep -v '^$' >"$out.children.txt" ||
		fail "$name: perf report (children) failed"
	say "$name: top symbols outside idle"
	# One process, no `| head`: under pipefail head's early exit would
	# fail the run with SIGPIPE.
	awk -v n="$top" '!/^#/ && !/swapper/ && shown++ < n' "$out.txt"
}

: >"$res/summary"
warm_memory
cp /proc/kallsyms "$res/kallsyms"
for bs in $(list "$PROF_BS"); do
	for phase in $(list "$PROF_PHASES"); do
		for fs in $(list "$PROF_FS"); do
			run "$fs" "$bs" "$phase"
		done
	done
done
[ ! -f "$res/failures" ]
