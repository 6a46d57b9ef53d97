# shellcheck shell=bash disable=SC2154 # $dev is the caller's
# SPDX-License-Identifier: GPL-2.0
# Guest helpers shared by scripts/bench-guest.sh and scripts/profile-guest.sh:
# making each filesystem the same way in both, and preparing the guest the
# same way. Sourced, never executed; the caller sets $dev.

do_mkfs() { # FS BS
	case "$1" in
	ext2 | ext2rs) mke2fs -q -F -t ext2 -b "$2" "$dev" ;;
	# No lazy init: ext4lazyinit would zero inode tables in the background
	# while the workload runs.
	ext4) mkfs.ext4 -q -F -b "$2" -E lazy_itable_init=0,lazy_journal_init=0 "$dev" ;;
	xfs) mkfs.xfs -q -f -b size="$2" "$dev" ;;
	*) echo "unknown filesystem $1" >&2; return 1 ;;
	esac
}

drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

# The host backs guest memory on its first touch, and under TCG that
# first touch is slow: the first run of a boot, whichever filesystem it
# was, wrote at less than half the speed of the same run later in the
# boot (Documentation/benchmarks/2026-11-23-peer-256m-bench-kernel.md). Touch 90% of
# the available memory once before anything is measured: as anonymous
# memory, then as page cache of the disk (reclaim then recycles every
# page the kernel can give to a file), and free it.
warm_memory() {
	local kb
	drop_caches
	kb=$(awk '/^MemAvailable/ { print int($2 * 0.9) }' /proc/meminfo)
	python3 -c "bytearray(b'\x01') * ($kb * 1024)"
	dd if="$dev" of=/dev/null bs=1M status=none
	drop_caches
}
