#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Generate the deterministic source tree of the read-path tests:
#
#   scripts/tests/mktree.sh DIR [SEED]
#
# DIR must not exist or be empty. SEED (default 1) selects the file contents;
# names, sizes, holes, modes, owners and times are fixed. Needs root (mknod,
# chown) and python3. The tree holds:
#   files/     sizes around the 1/2/4 KiB block and page boundaries, 64 KiB+7,
#              3 MiB+5 (needs double-indirect blocks at 1 KiB blocks)
#   sparse/    holes at the start, middle and end, data in the direct,
#              single-, double- and (1 KiB blocks) triple-indirect ranges,
#              an all-hole file and unaligned data
#   sparse-big/ a 520 MiB sparse file reaching the triple-indirect range of
#              2 KiB blocks too (it starts at 64.26 MiB with 1 KiB blocks,
#              513 MiB with 2 KiB, 4 GiB with 4 KiB); with HUGE=1 also a
#              4 GiB + 8 MiB one for 4 KiB blocks. Reading gigabytes of holes
#              takes minutes under emulation, and 9p makes reading them from
#              the source tree in the guest slower still: read.sh compares
#              this directory with ext4's view of the image only.
#   bigdir/    3000 entries, names of 1 to 255 bytes, some UTF-8
#   deep/      40 nested directories
#   links/     fast (< 60 bytes) and slow symlinks (60 .. 1023 bytes: a
#              symlink must fit one block, so 1023 is the 1 KiB maximum),
#              dangling ones, a link to a directory; hard links with nlink 2
#              and 3 across directories
#   devs/      character and block devices (old and new dev_t encodings),
#              a FIFO and a UNIX socket (mke2fs -d copies sockets)
#   modes/     modes 0000, 0001, 0777, 4755, 2755, 1777, 6755, directories
#              1777 and 2755
#   owners/    uid:gid 1000:1000, 65534:100, 123456:654321 (high 16 bits),
#              on files, a directory and a symlink
#   names/     spaces and UTF-8
#   times/     mtimes 0, before 1970 and 2^31-1; everything else has fixed
#              times too, so the tree is identical run after run
set -eu
huge=${HUGE:-0}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 DIR [SEED]" >&2
	exit 2
fi
dir=$1 seed=${2:-1}
mkdir -p "$dir"
if [ -n "$(ls -A "$dir")" ]; then
	echo "$0: $dir is not empty" >&2
	exit 2
fi
cd "$dir"

# Regular and sparse files and the big directory, written by one python run.
# Data is random from a seeded generator (never a whole zero block, which
# mke2fs -d would turn into a hole).
python3 - "$seed" "$huge" <<'PY'
import os, random, sys

rng = random.Random("ext2rs-mktree-" + sys.argv[1])
KiB, MiB = 1024, 1024 * 1024

def data(n):
    return rng.randbytes(n)

def write(path, size, extents=None):
    """Creates path of `size` bytes: random data where `extents` say
    ((offset, length) pairs), everywhere when it is None."""
    with open(path, "wb") as f:
        if extents is None:
            left = size
            while left:
                n = min(left, MiB)
                f.write(data(n))
                left -= n
        for off, length in extents or ():
            f.seek(off)
            f.write(data(length))
        f.truncate(size)

os.mkdir("files")
for size in (0, 1, 1023, 1024, 1025, 2047, 2048, 2049, 4095, 4096, 4097,
             8191, 8192, 64 * KiB + 7, 3 * MiB + 5):
    write("files/size-%d" % size, size)

os.mkdir("sparse")
write("sparse/hole-start", 68 * KiB + 3, [(64 * KiB, 4 * KiB + 3)])
write("sparse/hole-middle", MiB + 5000, [(0, 8 * KiB), (MiB, 5000)])
write("sparse/hole-end", MiB, [(0, 5000)])
# 1 KiB blocks: direct < 12 KiB, single < 268 KiB, double < 64.26 MiB;
# 2 KiB: direct < 24 KiB, single < 1.02 MiB; 4 KiB: direct < 48 KiB.
write("sparse/levels", 5 * MiB + 4 * KiB,
      [(0, KiB), (13 * KiB, KiB), (300 * KiB, KiB), (5 * MiB, 4 * KiB)])
write("sparse/triple", 65 * MiB + 3 * KiB, [(0, 2 * KiB), (65 * MiB, 3 * KiB)])
write("sparse/all-hole", 2 * MiB, [])
write("sparse/unaligned", 70001, [(1000, 3000), (65531, 10), (70000, 1)])

os.mkdir("sparse-big")
write("sparse-big/triple-2k", 520 * MiB + 4 * KiB,
      [(0, 2 * KiB), (80 * MiB, 3 * KiB), (520 * MiB, 4 * KiB)])
if sys.argv[2] == "1":
    write("sparse-big/triple-4k", 4 * 1024 * MiB + 8 * MiB + 5,
          [(4 * KiB, 4 * KiB), (4 * 1024 * MiB + 8 * MiB - 3, 8)])

os.mkdir("bigdir")
utf8 = ["é", "日本", "ß", "Ω", "😀"]
for i in range(3000):
    name = "e%04d" % i
    if i % 7 == 0:
        name += "-" + utf8[i % len(utf8)] * (i % 13)
    target = (i * 37) % 256
    if i % 3 == 0 and target > len(name.encode()):
        name += "x" * (target - len(name.encode()))
    if i == 2999:
        name += "L" * (255 - len(name.encode()))
    open(os.path.join("bigdir", name), "wb").close()
PY

# 40 nested directories with a file at the bottom.
d=deep
for i in $(seq -w 1 40); do d=$d/l$i; done
mkdir -p "$d"
printf 'bottom of deep\n' >"$d/leaf"

# Symlinks: fast ones keep the target in the inode (< 60 bytes), slow ones in
# a block. pad N prints an N-byte relative target.
pad() { python3 -c "import sys; n=int(sys.argv[1]); print(('x/' * n)[:n - 4] + 'tail', end='')" "$1"; }
mkdir links
ln -s ../files/size-1 links/fast
ln -s "$(pad 59)" links/fast-59
ln -s "$(pad 60)" links/slow-60
ln -s "$(pad 61)" links/slow-61
ln -s "$(pad 200)" links/slow-200
ln -s "$(pad 1023)" links/slow-1023
ln -s does/not/exist links/dangling
ln -s "/nonexistent/$(pad 100)" links/dangling-slow
ln -s ../deep links/to-dir
ln -s / links/root
printf 'two links\n' >links/hl2
ln links/hl2 files/hl2-other
printf 'three links\n' >links/hl3
ln links/hl3 files/hl3-b
ln links/hl3 deep/l01/hl3-c

mkdir devs
mknod devs/null c 1 3
mknod devs/sda1 b 8 1
mknod devs/chr-new c 300 70000
mknod devs/blk-max b 4095 1048575
# Not 0:0: overlayfs takes a 0:0 character device for a whiteout, and the
# guest sees host paths under /tmp (where a clone may live) through one.
mknod devs/chr-low c 0 1
mkfifo devs/fifo
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' devs/socket

mkdir modes
for m in 0000 0001 0777 4755 2755 1777 6755; do
	printf 'mode %s\n' "$m" >"modes/m$m"
	chmod "$m" "modes/m$m"
done
mkdir modes/dir-1777 modes/dir-2755
chmod 1777 modes/dir-1777
chmod 2755 modes/dir-2755

mkdir owners owners/dir-1000
printf 'owned\n' >owners/u1000
printf 'owned\n' >owners/u65534
printf 'owned\n' >owners/u123456
ln -s u123456 owners/link-123456
chown 1000:1000 owners/u1000 owners/dir-1000
chown 65534:100 owners/u65534
chown 123456:654321 owners/u123456
chown -h 123456:654321 owners/link-123456
# chown clears setuid/setgid; modes above are set on other files.

mkdir names
printf 'space\n' >"names/with space"
printf 'spaces\n' >"names/ leading and trailing "
printf 'utf8\n' >"names/héllo wörld"
printf 'utf8\n' >"names/日本語のファイル名"
printf 'emoji\n' >"names/emoji-😀"
mkdir "names/dir with space"

mkdir times
for t in 0 -1000000000 2147483647 1234567890; do
	printf 'time %s\n' "$t" >"times/t$t"
done

# Fixed times everywhere (bottom-up so directories keep theirs), then the
# special ones.
find . -depth -print0 | xargs -0 touch -h -d @1600000000
for t in 0 -1000000000 2147483647 1234567890; do
	touch -d "@$t" "times/t$t"
done
touch -h -d @1500000000 links/fast links/slow-200
touch -d @1600000000 times .

files=$(find . -type f | wc -l) dirs=$(find . -type d | wc -l)
links=$(find . -type l | wc -l) other=$(find . ! -type f ! -type d ! -type l | wc -l)
used=$(du -s --block-size=1 . | cut -f1) apparent=$(du -s --apparent-size --block-size=1 . | cut -f1)
echo "mktree: $dir seed $seed huge $huge: $files files, $dirs dirs, $links symlinks, $other others;" \
	"$used bytes used, $apparent bytes apparent"
