#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make small corrupted ext2 images, one per case, for the read path's
# validation tests:
#
#   scripts/tests/corrupt.sh OUTDIR BLOCKSIZE
#
# Writes OUTDIR/<case>.img and OUTDIR/cases.txt, one line per case:
#
#   <case> mount-refused         <what>   mounting (even read-only) must fail
#   <case> ro-only               <what>   read-only mount works, rw is refused
#   <case> access-error <PATH>   <what>   the mount works; stat/ls/cat/readlink
#                                         of PATH fails with EIO or EUCLEAN
#
# Every image starts as the same fresh 4 MiB mke2fs image (errors=continue)
# holding /dir (40 entries), /file (64 KiB: direct and single-indirect
# blocks), /sparse (data at 0 and 8 MiB: double-indirect at every block
# size), /span (four blocks across the first two leaves under its
# double-indirect block), /small, /slowlink and /fastlink; each case then
# changes one thing
# with debugfs -w or a byte-level edit. Each image is checked to make
# `e2fsck -fn` complain (the script fails otherwise). scripts/tests/
# corrupt-guest.sh runs the cases in the guest.
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 OUTDIR BLOCKSIZE" >&2
	exit 2
fi
out=$1 bs=$2
case "$bs" in 1024 | 2048 | 4096) ;; *) echo "$0: bad block size $bs" >&2; exit 2 ;; esac
mkdir -p "$out"
rm -f "$out"/*.img "$out/cases.txt"
src=$(mktemp -d "${TMPDIR:-/tmp}/corrupt-src.XXXXXX")
trap 'rm -rf "$src"' EXIT

# The source tree of the base image.
mkdir "$src/dir"
for i in $(seq -w 0 39); do printf 'entry %s\n' "$i" >"$src/dir/f$i"; done
python3 - "$src" "$bs" <<'PY'
import os, random, sys
rng = random.Random("ext2rs-corrupt")
root = sys.argv[1]
with open(os.path.join(root, "file"), "wb") as f:
    f.write(rng.randbytes(64 * 1024))
with open(os.path.join(root, "sparse"), "wb") as f:
    f.write(rng.randbytes(4096))
    f.seek(8 << 20)
    f.write(rng.randbytes(4096))
bs, per = int(sys.argv[2]), int(sys.argv[2]) // 4
with open(os.path.join(root, "span"), "wb") as f:
    f.seek((12 + 2 * per - 2) * bs)
    f.write(rng.randbytes(4 * bs))
PY
printf 'small\n' >"$src/small"
ln -s "$(printf 'long/%.0s' $(seq 1 30))target" "$src/slowlink"
ln -s short/target "$src/fastlink"
base=$out/base.img
rm -f "$base"
truncate -s 4M "$base"
mke2fs -q -F -t ext2 -b "$bs" -e continue -d "$src" "$base"
e2fsck -fn "$base" >/dev/null 2>&1

# Helpers. dfs IMG CMD... runs debugfs -w commands on IMG.
dfs() {
	local img=$1
	shift
	local cmd
	for cmd in "$@"; do
		debugfs -w -R "$cmd" "$img" >/dev/null 2>&1 || {
			echo "$0: debugfs '$cmd' failed on $img" >&2
			exit 1
		}
	done
}
# meta_block IMG PATH KIND: the block number of PATH's IND/DIND/TIND block.
meta_block() {
	debugfs -R "stat $2" "$1" 2>/dev/null | grep -o "($3):[0-9]*" | head -n1 | cut -d: -f2
}
# data_block IMG PATH LBLK: the physical block of logical block LBLK.
data_block() {
	debugfs -R "bmap $2 $3" "$1" 2>/dev/null | tail -n1
}
# poke IMG OFFSET FORMAT VALUE: write VALUE (python struct FORMAT, little
# endian) at byte OFFSET of IMG.
poke() {
	python3 - "$@" <<'PY'
import struct, sys
img, off, fmt, val = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4], 0)
with open(img, "r+b") as f:
    f.seek(off)
    f.write(struct.pack("<" + fmt, val))
PY
}
# peek IMG OFFSET FORMAT: read a little-endian value at byte OFFSET.
peek() {
	python3 - "$@" <<'PY'
import struct, sys
img, off, fmt = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(img, "rb") as f:
    f.seek(off)
    print(struct.unpack("<" + fmt, f.read(struct.calcsize(fmt)))[0])
PY
}

# sb_set OFFSET FORMAT VALUE: set a superblock field of the current image
# in place (debugfs's ssv would also rewrite group descriptors and backups
# at the places the corrupted geometry implies, growing the image to 100 GB
# for a huge s_first_data_block).
sb_set() {
	poke "$img" $((1024 + $1)) "$2" "$3"
}

ncases=0
# new CASE EXPECT WHAT: start CASE from the base image and record it.
new() {
	img=$out/$1.img
	cp --sparse=always "$base" "$img"
	printf '%s %s %s\n' "$1" "$2" "$3" >>"$out/cases.txt"
	ncases=$((ncases + 1))
}

inodes_count=$(peek "$base" 1024 I)
dir_blk=$(data_block "$base" /dir 0)
file_ind=$(meta_block "$base" /file IND)
sparse_dind=$(meta_block "$base" /sparse DIND)
span_dind=$(meta_block "$base" /span DIND)
# The third entry of /dir's first block (after "." and ".."); its fields.
ent=$((dir_blk * bs + 24))

# Superblock and group descriptors: the mount must be refused. Superblock
# field offsets are those of struct ext2_super_block.
new sb-magic mount-refused "s_magic is 0"
sb_set 56 H 0
new sb-log-block-size mount-refused "s_log_block_size 20 (1 GiB blocks)"
sb_set 24 I 20
new sb-log-block-size-8k mount-refused "s_log_block_size says 8 KiB blocks on a ${bs}-byte image"
sb_set 24 I 3
new sb-inodes-per-group-0 mount-refused "s_inodes_per_group is 0"
sb_set 40 I 0
new sb-inodes-per-group-huge mount-refused "s_inodes_per_group exceeds the bits of one bitmap block"
sb_set 40 I $((bs * 8 + 8))
new sb-blocks-per-group-0 mount-refused "s_blocks_per_group is 0"
sb_set 32 I 0
new sb-blocks-count mount-refused "s_blocks_count far beyond the device"
sb_set 4 I 4000000000
new sb-first-data-block mount-refused "s_first_data_block beyond s_blocks_count"
sb_set 20 I 99999999
new sb-inode-size mount-refused "s_inode_size 100 (not a power of two, below 128)"
sb_set 88 H 100
new feat-incompat-unknown mount-refused "an unknown incompat feature bit (0x40000000)"
sb_set 96 I 0x40000002
new feat-incompat-extents mount-refused "the extents incompat feature (ext4 only)"
dfs "$img" "feature extent"
new feat-rocompat-unknown ro-only "an unknown ro_compat feature bit (0x40000000)"
sb_set 100 I 0x40000003
new gd-block-bitmap mount-refused "group 0's block bitmap at block 999999999"
dfs "$img" "set_bg 0 block_bitmap 999999999"
new gd-inode-bitmap mount-refused "group 0's inode bitmap at block 999999999"
dfs "$img" "set_bg 0 inode_bitmap 999999999"
new gd-inode-table mount-refused "group 0's inode table at block 999999999"
dfs "$img" "set_bg 0 inode_table 999999999"
new root-not-dir mount-refused "the root inode is a regular file"
dfs "$img" "sif <2> mode 0100755"
new root-unlinked mount-refused "the root inode has no links"
dfs "$img" "sif <2> links_count 0"

# Inodes and block maps: the mount works, the access fails.
new file-block-oor "access-error /file" "/file's block[0] is 4000000000"
dfs "$img" "sif /file block[0] 4000000000"
new file-ind-oor "access-error /file" "/file's single-indirect block is 4000000000"
dfs "$img" "sif /file block[IND] 4000000000"
new file-ind-entry-oor "access-error /file" "an entry of /file's indirect block is 0xfffffff0"
poke "$img" $((file_ind * bs)) I 0xfffffff0
new file-ind-self "access-error /file" "/file's indirect block maps itself as data (a cycle)"
poke "$img" $((file_ind * bs)) I "$file_ind"
new sparse-dind-oor "access-error /sparse" "/sparse's double-indirect block is 4000000000"
dfs "$img" "sif /sparse block[DIND] 4000000000"
new sparse-dind-loop "access-error /sparse" "/sparse's double-indirect block points to itself (a loop)"
first=$(python3 -c "print(((8 << 20) // $bs - 12 - $bs // 4) // ($bs // 4))")
poke "$img" $((sparse_dind * bs + first * 4)) I "$sparse_dind"
# A run that reaches the end of /span's first leaf maps the next leaf
# from their parent, not by a walk from the top: its pointer is checked
# there.
new span-leaf-oor "access-error /span" "/span's second double-indirect leaf is 4000000000"
poke "$img" $((span_dind * bs + 4)) I 4000000000
new span-leaf-loop "access-error /span" "/span's second double-indirect leaf is its double-indirect block (a loop)"
poke "$img" $((span_dind * bs + 4)) I "$span_dind"
new inode-bad-mode "access-error /small" "/small has file type bits 0170000"
dfs "$img" "sif /small mode 0170644"
new symlink-slow-oor "access-error /slowlink" "/slowlink's block is 4000000000"
dfs "$img" "sif /slowlink block[0] 4000000000"
new symlink-fast-size "access-error /fastlink" "fast symlink /fastlink claims 200 bytes"
dfs "$img" "sif /fastlink size 200"
new dir-block-oor "access-error /dir" "/dir's block[0] is 4000000000"
dfs "$img" "sif /dir block[0] 4000000000"
new dir-size-unaligned "access-error /dir" "/dir's size is not a multiple of the block size"
dfs "$img" "sif /dir size $((bs - 100))"

# Directory entries, edited in /dir's first block.
new dirent-rec-len-0 "access-error /dir" "rec_len 0 in /dir's third entry"
poke "$img" $((ent + 4)) H 0
new dirent-rec-len-unaligned "access-error /dir" "rec_len 14 (not a multiple of 4) in /dir's third entry"
poke "$img" $((ent + 4)) H 14
new dirent-rec-len-past-end "access-error /dir" "/dir's third entry's rec_len runs past the block end"
poke "$img" $((ent + 4)) H "$bs"
new dirent-name-len "access-error /dir" "name_len 200 > rec_len - 8 in /dir's third entry"
poke "$img" $((ent + 6)) B 200
new dirent-inode-oor "access-error /dir" "inode $((inodes_count + 1)) > s_inodes_count in /dir's third entry"
poke "$img" "$ent" I $((inodes_count + 1))

# Each image must really be corrupt (an ext2 image with extents is a valid
# ext4 image: only ext2 drivers must refuse it).
bad=0
while read -r name _; do
	if [ "$(stat -c %s "$out/$name.img")" != "$(stat -c %s "$base")" ]; then
		echo "$0: $name.img changed size" >&2
		bad=$((bad + 1))
	fi
	[ "$name" != feat-incompat-extents ] || continue
	if e2fsck -fn "$out/$name.img" >"$out/$name.fsck" 2>&1; then
		echo "$0: e2fsck -fn finds nothing wrong with $name.img" >&2
		bad=$((bad + 1))
	fi
done <"$out/cases.txt"
rm -f "$base" "$out"/*.fsck
[ "$bad" = 0 ] || exit 1
echo "corrupt: $ncases images in $out (block size $bs), e2fsck -fn rejects each"
