#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest-side read-path test (run by scripts/vm):
#
#   scripts/tests/read.sh TREE DEV FSTYPE
#
# DEV holds an image of TREE made by scripts/tests/mkimage.sh. Mounts DEV
# read-only as FSTYPE and checks, printing ok/not ok lines and a final
# "read: N passed, N failed":
#   1. the mount against the source TREE with treecmp (names, types, modes,
#      owners, sizes, link counts, mtimes, symlink targets, device numbers,
#      hard links, contents through read()); not holes, atime, ctime, block
#      counts or directory sizes, which belong to the host's filesystem, and
#      not sparse-big/ (hundreds of MiB of holes: slow over 9p under TCG);
#   2. the mount against the same image mounted read-only by the in-kernel
#      ext4 driver (the reference, through a read-only loop device), all of
#      it, contents through mmap, and (unless HOLES=0) the SEEK_DATA/
#      SEEK_HOLE maps and FIEMAP extents with physical addresses;
#   3. `ls -laR` listings equal between the two mounts, and statfs numbers
#      equal to those of STATFS_REF (default: the in-kernel ext2, mounted
#      through a second loop device; ext4 counts the overhead blocks in
#      f_blocks differently; ext4 when FSTYPE is ext4 itself);
#   4. all unmount.
# HOLES=0 skips the hole and fiemap comparison (the in-kernel ext2 has no
# SEEK_HOLE, so use it when FSTYPE=ext2). TREECMP overrides the treecmp
# binary (default: target/debug/treecmp of this repository).

# shellcheck disable=SC2317 # helpers are called through check() and trap
set -u

if [ $# -ne 3 ]; then
	echo "usage: $0 TREE DEV FSTYPE" >&2
	exit 2
fi
tree=$1 dev=$2 fstype=$3
repo=$(cd "$(dirname "$0")/../.." && pwd)
treecmp=${TREECMP:-$repo/target/debug/treecmp}
holes=${HOLES:-1}
statfs_ref=${STATFS_REF:-ext2}
[ "$fstype" != ext4 ] || statfs_ref=${STATFS_REF:-ext4}

pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }
# check WHAT CMD...: one test, timed.
check() {
	local what=$1 start=$SECONDS
	shift
	if "$@"; then
		ok "$what ($((SECONDS - start)) s)"
	else
		not_ok "$what ($((SECONDS - start)) s)"
	fi
}
finish() {
	echo "read: $pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit
}

# statfs DIR: the statfs numbers (all but the fsid).
statfs() { stat -f -c 'bsize %s frsize %S blocks %b bfree %f bavail %a files %c ffree %d namelen %l type %t' "$1"; }
# same_statfs DIR: DIR and the mount under test report the same statfs.
same_statfs() {
	local a b
	a=$(statfs "$1") b=$(statfs "$mnt")
	[ "$a" = "$b" ] && return
	echo "# $statfs_ref: $a"
	echo "# $fstype: $b"
	return 1
}
# statfs_check: compares statfs with a $statfs_ref mount of the image.
statfs_check() {
	[ "$statfs_ref" != ext4 ] || { same_statfs "$ref"; return; }
	loop2=$(losetup -r -f --show "$dev") || return
	mount -t "$statfs_ref" -o ro "$loop2" "$sref" || return
	same_statfs "$sref"
	local rc=$?
	umount "$sref" && losetup -d "$loop2" && loop2=
	return "$rc"
}
# listing DIR: ls -laR of DIR (with . and .., sorted by name).
listing() { (cd "$1" && ls -laR --time-style=+%s .); }
# same_listing: the two mounts list the same.
same_listing() {
	diff <(listing "$ref") <(listing "$mnt") | head -n 20 | sed 's/^/# /'
	[ "${PIPESTATUS[0]}" = 0 ]
}

work=$(mktemp -d /tmp/read-test.XXXXXX)
mnt=$work/$fstype ref=$work/ext4-ref sref=$work/statfs-ref loop='' loop2=''
mkdir "$mnt" "$ref" "$sref"
cleanup() {
	mountpoint -q "$mnt" && umount "$mnt"
	mountpoint -q "$ref" && umount "$ref"
	mountpoint -q "$sref" && umount "$sref"
	[ -z "$loop" ] || losetup -d "$loop"
	[ -z "$loop2" ] || losetup -d "$loop2"
	rm -rf "$work"
}
trap cleanup EXIT

[ -x "$treecmp" ] || { not_ok "treecmp binary $treecmp exists"; finish; }
echo "# read.sh: $fstype on $dev against $tree, holes=$holes"

check "mount -t $fstype -o ro $dev" mount -t "$fstype" -o ro "$dev" "$mnt"
mountpoint -q "$mnt" || finish

# 1. Against the source tree. mke2fs -d neither copies the root directory's
# metadata nor atimes/ctimes, and adds lost+found. sparse-big/ is left to
# the comparison with ext4.
check "$fstype matches the source tree (read())" "$treecmp" --no-holes --no-atime \
	--no-ctime --no-blocks --no-dir-size --no-root-meta --ignore lost+found \
	--ignore sparse-big "$tree" "$mnt"

# 2. Against ext4 on the same image. The second mount needs its own block
# device: a read-only loop device over $dev.
loop=$(losetup -r -f --show "$dev") || loop=
check "mount -t ext4 -o ro (reference, via ${loop:-no loop device})" \
	mount -t ext4 -o ro "${loop:-/dev/null}" "$ref"
if mountpoint -q "$ref"; then
	if [ "$holes" = 1 ]; then
		check "$fstype matches ext4: metadata, mmap contents, holes, fiemap" \
			"$treecmp" --mmap "$ref" "$mnt"
	else
		check "$fstype matches ext4: metadata, mmap contents (HOLES=0)" \
			"$treecmp" --mmap --no-holes "$ref" "$mnt"
	fi

	# 3. Listings and statfs.
	check "ls -laR equal to ext4's" same_listing
	check "statfs equal to $statfs_ref's" statfs_check
	check "umount ext4 reference" umount "$ref"
fi
check "umount $fstype" umount "$mnt"
finish
