#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build an ext2 image holding a copy of a directory tree, check it with
# e2fsck and print its size:
#
#   scripts/tests/mkimage.sh TREE IMG BLOCKSIZE [extra mke2fs options]
#
# The image is sized from the blocks the tree really uses (du), not from the
# apparent file sizes (the sparse files would ask for gigabytes), plus a
# margin for inodes, directories, indirect blocks and group metadata. The
# inode count is set from the number of entries (mke2fs's default ratio
# gives too few inodes for small images with many empty files); extra
# options come last and may override it.
set -eu

if [ $# -lt 3 ]; then
	echo "usage: $0 TREE IMG BLOCKSIZE [extra mke2fs options]" >&2
	exit 2
fi
tree=$1 img=$2 bs=$3
shift 3
case "$bs" in 1024 | 2048 | 4096) ;; *) echo "$0: bad block size $bs" >&2; exit 2 ;; esac
[ -d "$tree" ] || { echo "$0: $tree is not a directory" >&2; exit 2; }

entries=$(find "$tree" | wc -l)
used=$(du -s --block-size=1 "$tree" | cut -f1)
# Data plus a quarter, one block and one 256-byte inode per entry, then
# 4 MiB for group metadata, reserved GDT blocks and lost+found.
margin=$((used / 4 + entries * (bs + 256) + 4 * 1024 * 1024))
mib=$(((used + margin + 1048575) / 1048576))
inodes=$((entries + entries / 4 + 64))

rm -f "$img"
truncate -s "${mib}M" "$img"
mke2fs -q -F -t ext2 -b "$bs" -N "$inodes" -d "$tree" "$@" "$img"
if ! e2fsck -fn "$img" >"$img.fsck" 2>&1; then
	cat "$img.fsck" >&2
	echo "$0: e2fsck -fn found problems in $img" >&2
	exit 1
fi
rm -f "$img.fsck"
echo "mkimage: $img: ${mib} MiB, block size $bs, $entries entries, $inodes inodes"
