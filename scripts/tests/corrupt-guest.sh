#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest-side corruption test (run by scripts/vm):
#
#   scripts/tests/corrupt-guest.sh OUTDIR FSTYPE
#
# Runs every case of OUTDIR/cases.txt (made by scripts/tests/corrupt.sh) on
# a read-only loop device over its image (a writable copy in /tmp for
# ro-only cases):
#   mount-refused      mount -t FSTYPE -o ro must fail
#   ro-only            ro mount works (and ls of the root), rw mount fails
#   access-error PATH  ro mount works; stat of PATH, then cat (file), ls -la
#                      (directory) or readlink (symlink), fails with EIO or
#                      EUCLEAN ("Structure needs cleaning"), within 60 s;
#                      the filesystem unmounts afterwards
# Prints ok/not ok per case and "corrupt: N passed, N failed". With FSTYPE
# other than ext2rs (the in-kernel drivers, used to validate the images),
# the cases where that driver is known to be more lenient than ext2rs must be
# are reported as "not ok ... # TODO" and not counted as failures.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 OUTDIR FSTYPE" >&2
	exit 2
fi
out=$1 fstype=$2
[ -f "$out/cases.txt" ] || { echo "$0: no $out/cases.txt" >&2; exit 2; }

pass=0 fail=0 todo=0
work=$(mktemp -d /tmp/corrupt-guest.XXXXXX)
mnt=$work/mnt loop=
mkdir "$mnt"
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	mountpoint -q "$mnt" && umount "$mnt"
	[ -z "$loop" ] || losetup -d "$loop"
	rm -rf "$work"
}
trap cleanup EXIT

# known_gap CASE: why the reference driver $fstype does not behave as ext2rs
# must on CASE (empty if it does).
known_gap() {
	case "$fstype:$1" in
	ext4:feat-incompat-extents) echo "ext4 supports extents" ;;
	ext2:file-ind-self | ext2:sparse-dind-loop | ext4:file-ind-self | ext4:sparse-dind-loop)
		echo "$fstype does not check indirect blocks against their ancestors" ;;
	ext4:dir-size-unaligned) echo "ext4 accepts any directory size" ;;
	ext4:dirent-*) echo "ext4's readdir skips a corrupt block (and logs an error)" ;;
	ext2:inode-bad-mode) echo "ext2 accepts any file type bits" ;;
	ext2:symlink-fast-size) echo "ext2 truncates an oversized fast symlink" ;;
	esac
}

# report CASE PROBLEM: ok if PROBLEM is empty, else not ok (or TODO).
report() {
	local gap
	if [ -z "$2" ]; then
		echo "ok - corrupt/$1"
		pass=$((pass + 1))
		return
	fi
	gap=$(known_gap "$1")
	if [ -n "$gap" ]; then
		echo "not ok - corrupt/$1: $2 # TODO $gap"
		todo=$((todo + 1))
	else
		echo "not ok - corrupt/$1: $2"
		fail=$((fail + 1))
	fi
}

# try_mount OPTS: mount the loop device on $mnt, bounded in time.
# try_mount ro|rw: mount the case's device. For rw, -w keeps mount(8) from
# falling back to a read-only mount when the filesystem says EROFS.
try_mount() {
	local w=()
	[ "$1" != rw ] || w=(-w)
	timeout -k 5 60 mount "${w[@]}" -t "$fstype" -o "$1" "$loop" "$mnt" 2>"$work/mount.err"
}

# unmount: umount $mnt; prints a problem if that fails.
unmount() {
	mountpoint -q "$mnt" || return 0
	timeout -k 5 60 umount "$mnt" || echo "umount failed"
}

# access PATH: stat, then read PATH by its type; prints the error output.
access() {
	# shellcheck disable=SC2016 # $1 is the inner shell's
	timeout -k 5 60 bash -c '
		stat -- "$1" >/dev/null || exit
		if [ -L "$1" ]; then readlink -- "$1"
		elif [ -d "$1" ]; then ls -la -- "$1"
		else cat -- "$1"; fi >/dev/null' _ "$mnt$1" 2>&1
}

case_mount_refused() {
	if try_mount ro; then
		echo "ro mount succeeded; $(unmount)"
	fi
}

case_ro_only() {
	try_mount ro || { echo "ro mount failed: $(cat "$work/mount.err")"; return; }
	ls "$mnt" >/dev/null || echo "ls / failed"
	unmount
	if try_mount rw; then
		echo "rw mount succeeded; $(unmount)"
	fi
}

case_access_error() {
	local err rc
	try_mount ro || { echo "ro mount failed: $(cat "$work/mount.err")"; return; }
	err=$(access "$1")
	rc=$?
	if [ "$rc" = 0 ]; then
		echo "access to $1 succeeded"
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "access to $1 timed out"
	elif ! grep -qE 'Input/output error|Structure needs cleaning' <<<"$err"; then
		echo "access to $1 failed, but not with EIO/EUCLEAN: $(head -n1 <<<"$err")"
	fi
	unmount
}

while read -r name expect rest; do
	[ -n "$name" ] || continue
	if [ "$(stat -c %s "$out/$name.img")" -gt $((64 << 20)) ]; then
		report "$name" "image larger than 64 MiB: not a corrupt.sh image"
		continue
	fi
	if [ "$expect" = ro-only ]; then
		# The rw mount must be refused by the filesystem, not by a
		# read-only device: use a writable copy.
		cp --sparse=always "$out/$name.img" "$work/img"
		loop=$(losetup -f --show "$work/img")
	else
		loop=$(losetup -r -f --show "$out/$name.img")
	fi || { report "$name" "losetup failed"; continue; }
	case "$expect" in
	mount-refused) problem=$(case_mount_refused) ;;
	ro-only) problem=$(case_ro_only) ;;
	access-error) problem=$(case_access_error "${rest%% *}") ;;
	*) problem="unknown expectation $expect" ;;
	esac
	losetup -d "$loop"
	loop=
	report "$name" "$problem"
done <"$out/cases.txt"

gaps=
[ "$todo" = 0 ] || gaps=" ($todo known gaps of $fstype)"
echo "corrupt: $pass passed, $fail failed$gaps"
[ "$fail" = 0 ]
