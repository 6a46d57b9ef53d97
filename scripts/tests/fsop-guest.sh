#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest-side randomized write-path test (run by scripts/vm):
#
#   scripts/tests/fsop-guest.sh DEV FSTYPE BLOCKSIZE OPS SEED [FSOP-ARGS...]
#
# DEV holds a filesystem made on the host beforehand (mke2fs -t ext2 -b
# BLOCKSIZE, or mkfs.xfs for the xfs reference run). Mounts DEV as FSTYPE on
# a temporary directory, runs target/release/fsop on a file there for OPS
# operations from SEED (remounting DEV a few times through --remount, plus
# any FSOP-ARGS, e.g. --ops-mix ... or --log N), unmounts, and for
# ext2/ext4/ext2rs runs `e2fsck -fn DEV`, which must be clean. Prints ok/not ok
# per step and "fsop: N passed, N failed". BLOCKSIZE is only reported (the
# image decides it); fsop's direct I/O uses 512-byte alignment so that
# sub-block direct I/O is covered too. On a failure fsop leaves
# fsop.dat.fsopgood/.fsopbad in the filesystem for post-mortem.
#
# The in-kernel ext2 and ext4 do not discard mapped stores beyond EOF when
# the file grows (ext2: extending writes and truncate up; both: extending
# O_DIRECT writes; xfs does), so for FSTYPE ext2/ext3/ext4 fsop runs with
# --relaxed-eof (fsync before such growth) unless FSOP_STRICT=1. ext2rs and
# xfs always run strict.
set -u

if [ $# -lt 5 ]; then
	echo "usage: $0 DEV FSTYPE BLOCKSIZE OPS SEED [FSOP-ARGS...]" >&2
	exit 2
fi
dev=$1 fstype=$2 bs=$3 ops=$4 seed=$5
shift 5
root=$(cd "$(dirname "$0")/../.." && pwd)
fsop=${FSOP:-$root/target/release/fsop}
[ -x "$fsop" ] || { echo "$0: $fsop not found: cargo build --release -p fsop" >&2; exit 2; }

pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }
finish() {
	echo "fsop: $pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit
}

relaxed=()
case "$fstype" in
ext2 | ext3 | ext4) [ "${FSOP_STRICT:-0}" = 1 ] || relaxed=(--relaxed-eof) ;;
esac

mnt=$(mktemp -d /tmp/fsop-mnt.XXXXXX)
what="fsop/$fstype-$bs seed $seed"
if mount -t "$fstype" "$dev" "$mnt"; then
	ok "$what: mount $dev"
else
	not_ok "$what: mount $dev"
	finish
fi

# Run from / so that nothing of ours keeps the mount busy at remount time.
if (cd / && "$fsop" --seed "$seed" --ops "$ops" --file "$mnt/fsop.dat" \
	--remount "$dev:$mnt:$fstype:" --require-direct --progress 5000 "${relaxed[@]}" "$@"); then
	ok "$what: $ops ops"
else
	not_ok "$what: $ops ops (post-mortem: fsop.dat.fsopgood/.fsopbad on $dev)"
fi

if umount "$mnt"; then
	ok "$what: umount"
else
	not_ok "$what: umount"
	finish
fi
rmdir "$mnt"

case "$fstype" in
ext2 | ext3 | ext4 | ext2rs)
	if e2fsck -fn "$dev" >/tmp/fsop-fsck.log 2>&1; then
		ok "$what: e2fsck -fn clean"
	else
		cat /tmp/fsop-fsck.log
		not_ok "$what: e2fsck -fn clean"
	fi
	;;
xfs)
	if xfs_repair -n "$dev" >/tmp/fsop-fsck.log 2>&1; then
		ok "$what: xfs_repair -n clean"
	else
		cat /tmp/fsop-fsck.log
		not_ok "$what: xfs_repair -n clean"
	fi
	;;
esac
finish
