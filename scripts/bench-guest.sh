#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of scripts/bench: runs inside the test VM, never on the
# host (it mkfs'es and overwrites DEV).
#
#   bench-guest.sh RESULTS DEV
#
# Settings come from the environment, lists space- or comma-separated:
#   BENCH_FS BENCH_BS BENCH_THREADS BENCH_MODES BENCH_REPS
#   BENCH_SIZE_KB (per file) BENCH_REC_KB (record size) BENCH_RAW (1/0)
#   BENCH_WARMUP (1/0: one unreported iozone run first, see below)
#
# Order: for each block size, for each repetition: the raw device, then
# every filesystem in turn (so a slow phase of a contended host spreads
# over all filesystems instead of hitting one), and within a filesystem
# every thread count and mode. Each repetition starts one filesystem
# further down the list (rep 1: ext2rs ext2 ext4 xfs, rep 2: ext2 ext4
# xfs ext2rs, ...), counting on across block sizes: the first run after a
# block size change or after the raw device runs in a different state of
# the guest's memory than the others (in the mmap runs of 2026-11-25 the
# first run after boot was the fast one, whichever filesystem it was), so
# no filesystem should always be the one that gets it. Every iozone run starts from a fresh mkfs
# of DEV, a fresh mount and dropped caches; ext2/ext2rs runs end with
# `e2fsck -fn`. Output: RESULTS/logs/<fs>-<bs>-t<threads>-<mode>-r<rep>.log
# (iozone's output), RESULTS/logs/raw-<bs>-r<rep>.log (dd), RESULTS/guest-info,
# RESULTS/commands, RESULTS/failures (if any run failed; exit status 1).
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

res=$1 dev=$2
list() { tr ',' ' ' <<<"$1"; }
fss=$(list "$BENCH_FS") bss=$(list "$BENCH_BS")
threads_list=$(list "$BENCH_THREADS") modes=$(list "$BENCH_MODES")
reps=$BENCH_REPS size_kb=$BENCH_SIZE_KB rec_kb=$BENCH_REC_KB raw=${BENCH_RAW:-1}
warmup=${BENCH_WARMUP:-1}
mnt=/tmp/bench-mnt
mkdir -p "$mnt" "$res/logs"
: >"$res/commands"
rm -f "$res/failures"

say() { echo "[bench-guest] $*"; }
fail() { say "FAILED: $*"; echo "$*" >>"$res/failures"; }

{
	echo "kernel: $(uname -r)"
	echo "cpu: $(grep -m 1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "vcpus: $(nproc)"
	echo "memory: $(awk '/^MemTotal/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo)"
	echo "iozone: $(iozone -v 2>&1 | sed -n 's/.*Revision: \([0-9.]*\).*/\1/p' | head -n 1)"
	echo "mke2fs: $(mke2fs -V 2>&1 | head -n 1)"
	echo "mkfs.xfs: $(mkfs.xfs -V 2>&1 | head -n 1)"
	echo "disk: $dev, $(($(blockdev --getsize64 "$dev") / 1048576)) MiB"
} >"$res/guest-info"

# shellcheck source-path=SCRIPTDIR source=guest-mkfs.sh
. "$(dirname "$0")/guest-mkfs.sh"

# The ceiling: O_DIRECT dd of one file's size in the same record size to
# and from the raw disk (what iozone -I does on a filesystem, minus it).
raw_run() { # BS REP
	local log="$res/logs/raw-$1-r$2.log" count=$((size_kb / rec_kb))
	drop_caches
	echo "raw $1 $2: dd bs=${rec_kb}K count=$count oflag=direct / iflag=direct on $dev" >>"$res/commands"
	{
		echo "# write: dd if=/dev/zero of=$dev bs=${rec_kb}K count=$count oflag=direct conv=fsync"
		dd if=/dev/zero of="$dev" bs="${rec_kb}K" count="$count" oflag=direct conv=fsync 2>&1
		echo "# read: dd if=$dev of=/dev/null bs=${rec_kb}K count=$count iflag=direct"
		dd if="$dev" of=/dev/null bs="${rec_kb}K" count="$count" iflag=direct 2>&1
	} >"$log" || fail "raw bs=$1 rep $2 (see $log)"
	say "raw device rep $2: write, read $(grep -o '[0-9.,]* [kMG]B/s' "$log" | paste -sd ' ')"
}

# rotate N WORD...: the words, starting from the (N mod count)-th (from 0).
rotate() {
	local n=$1 i
	shift
	for ((i = 0; i < $#; i++)); do
		local k=$(((n + i) % $# + 1))
		echo "${!k}"
	done
}

fs_run() { # FS BS THREADS MODE REP
	local fs=$1 bs=$2 t=$3 mode=$4 rep=$5 opt=() files=() i start
	local log="$res/logs/$fs-$bs-t$t-$mode-r$rep.log"
	case "$mode" in
	buffered) ;;
	direct) opt=(-I) ;;
	mmap) opt=(-B) ;;
	*) fail "unknown mode $mode"; return ;;
	esac
	if [ "$t" = 1 ]; then
		files=(-f "$mnt/iozone.0")
	else
		# -x: no stonewalling, every thread writes and reads its whole file.
		files=(-x -t "$t" -F)
		for ((i = 0; i < t; i++)); do files+=("$mnt/iozone.$i"); done
	fi
	local cmd=(iozone -i 0 -i 1 -i 2 -s "${size_kb}k" -r "${rec_kb}k" -e -w "${opt[@]}" "${files[@]}")
	echo "$fs $bs $t $mode $rep: ${cmd[*]}" >>"$res/commands"
	if ! do_mkfs "$fs" "$bs" >"$log" 2>&1; then
		fail "mkfs $fs bs=$bs (see $log)"; return
	fi
	if ! mount -t "$fs" "$dev" "$mnt" >>"$log" 2>&1; then
		fail "mount -t $fs bs=$bs (see $log)"; return
	fi
	drop_caches
	start=$(date +%s)
	(cd "$mnt" && "${cmd[@]}") >>"$log" 2>&1 || fail "iozone $fs bs=$bs t=$t $mode rep $rep (see $log)"
	echo "# seconds: $(($(date +%s) - start))" >>"$log"
	umount "$mnt" || fail "umount $fs bs=$bs"
	if [ "$fs" = ext2rs ] || [ "$fs" = ext2 ]; then
		if e2fsck -fn "$dev" >"$log.fsck" 2>&1; then
			rm -f "$log.fsck"
		else
			fail "e2fsck -fn after $fs bs=$bs t=$t $mode rep $rep (see $log.fsck)"
		fi
	fi
	say "$fs bs=$bs threads=$t $mode rep $rep: $(($(date +%s) - start)) s"
}

say "touching the guest's memory once before measuring"
warm_memory
# One iozone run before the measured ones, whose log (rep "warmup") the
# report skips: in both 1 GiB boots of 2026-11-24 the boot's first run
# (ext2rs, 1 KiB, one thread) wrote at random about 210 MiB/s against
# 340-450 in its later repetitions, which touching the memory above did
# not cure.
if [ "$warmup" = 1 ]; then
	read -r fs _ <<<"$fss"; read -r bs _ <<<"$bss"
	read -r t _ <<<"$threads_list"; read -r mode _ <<<"$modes"
	say "warm-up run, not reported: $fs bs=$bs threads=$t $mode"
	fs_run "$fs" "$bs" "$t" "$mode" warmup
fi
round=0
for bs in $bss; do
	for ((rep = 1; rep <= reps; rep++)); do
		if [ "$raw" = 1 ]; then raw_run "$bs" "$rep"; fi
		# shellcheck disable=SC2086 # the list is split on purpose
		order=$(rotate "$round" $fss | paste -sd ' ')
		round=$((round + 1))
		say "bs=$bs rep $rep: $order"
		for fs in $order; do
			for t in $threads_list; do
				for mode in $modes; do
					fs_run "$fs" "$bs" "$t" "$mode" "$rep"
				done
			done
		done
	done
done
[ ! -f "$res/failures" ]
