# shellcheck shell=bash disable=SC2154 # $dev is the caller's
# SPDX-License-Identifier: GPL-2.0
# Guest helpers shared by scripts/bench-guest.sh and scripts/profile-guest.sh:
# making each filesystem the same way in both. Sourced, never executed;
# the caller sets $dev.

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
