#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest-side namespace test (run by scripts/tests/run-namespace-tests.sh):
#
#   scripts/tests/namespace-guest.sh DEV SMALL BS
#
# DEV is an empty ext2 image, SMALL a tiny one (few inodes and blocks), both
# of block size BS. Mounts DEV as ext2rs and exercises every namespace
# operation and its errors: create, mkdir, mknod (char, block, FIFO,
# socket), fast and slow symlinks, hard links, unlink, rmdir, rename (in a
# directory, across directories, over files and empty directories, with
# RENAME_NOREPLACE; RENAME_EXCHANGE and RENAME_WHITEOUT are EINVAL),
# O_TMPFILE (with and without linkat), setgid directories, EMLINK (link
# counts set near the limit with debugfs), ENAMETOOLONG, inode flags
# (chattr/lsattr: immutable and append-only enforced, statx attributes,
# inheritance, noatime, CAP_LINUX_IMMUTABLE), file handles
# (open_by_handle_at, stale handles), FIBMAP, leases, directory fsync, and
# thousands of
# creates, renames and unlinks over directories of many blocks, checking
# that freed entry space is reused. Then records what ext2rs shows, unmounts,
# runs e2fsck -fn, mounts the image with the in-kernel ext2 and compares.
# On SMALL, runs out of inodes and of blocks (ENOSPC while a directory
# grows) and checks that nothing is left half done. Prints ok/not ok lines
# and "namespace: N passed, N failed".

# shellcheck disable=SC2317,SC2016,SC2012 # helpers are called through check(); bash -c bodies expand later
set -u

if [ $# -ne 3 ]; then
	echo "usage: $0 DEV SMALL BS" >&2
	exit 2
fi
dev=$1 small=$2 bs=$3

pass=0 fail=0
ok() { echo "ok - bs $bs: $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - bs $bs: $1"; fail=$((fail + 1)); }
# check WHAT CMD...: one test.
check() {
	local what=$1 start=$SECONDS
	shift
	if "$@"; then
		ok "$what ($((SECONDS - start)) s)"
	else
		not_ok "$what ($((SECONDS - start)) s)"
	fi
}
# fails_with ERRNO-TEXT CMD...: CMD fails and says ERRNO-TEXT.
fails_with() {
	local want=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "# succeeded: $*"
		return 1
	fi
	case "$out" in
	*"$want"*) return 0 ;;
	*) echo "# $*: $out (wanted: $want)"; return 1 ;;
	esac
}
# is WANT CMD...: CMD prints WANT.
is() {
	local want=$1 got
	shift
	got=$("$@" 2>&1 | tr '\n' ' ')
	got=${got% }
	[ "$got" = "$want" ] && return 0
	echo "# $*: got '$got', wanted '$want'"
	return 1
}
finish() {
	echo "namespace: $pass passed, $fail failed"
	exit 0
}

work=$(mktemp -d /tmp/ns-test.XXXXXX)
m=$work/mnt
mkdir "$m"
cleanup() {
	cd /
	mountpoint -q "$m" && umount "$m"
	rm -rf "$work"
}
trap cleanup EXIT

# renameat2 FLAGS OLD NEW: renameat2(2) with RENAME_* flags.
renameat2() {
	python3 - "$@" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
flags = {"noreplace": 1, "exchange": 2, "whiteout": 4}[sys.argv[1]]
if libc.renameat2(-100, sys.argv[2].encode(), -100, sys.argv[3].encode(), flags):
    e = ctypes.get_errno()
    sys.exit(f"renameat2: {os.strerror(e)}")
PY
}
fsck_clean() {
	local out
	out=$(e2fsck -fn "$1" 2>&1) && return 0
	echo "$out" | head -n 30 | sed 's/^/# /'
	return 1
}
# snapshot DIR: what a mount shows: every name with inode, links, mode,
# owner, size, mtime, device numbers and symlink target, plus ls -laR.
snapshot() {
	(cd "$1" && find . -printf '%p %i %n %M %U %G %s %T@ %l\n' | sort &&
		find . \( -type c -o -type b \) -exec stat -c '%n %t:%T' {} + | sort &&
		find . \( -type f -o -type d \) -exec lsattr -d {} + | sort &&
		ls -laR --time-style=+%s . | sed '0,/ \.\.$/{/ \.\.$/d}')
}

echo "# namespace-guest.sh: bs $bs on $dev and $small"
check "mount -t ext2rs $dev" mount -t ext2rs "$dev" "$m"
mountpoint -q "$m" || finish
cd "$m" || finish

# --- Creation of every type ---------------------------------------------
check "create a regular file" touch f1
check "mkdir" mkdir d1
check "new directory has 2 links, parent gains one (lost+found has one)" is "2 4" stat -c '%h' d1 .
check "new directory is empty" is "" ls -A d1
check "new directory's .. is the parent" is "$(stat -c %i .)" stat -c %i d1/..
check "mknod char 1:3" mknod c1 c 1 3
check "mknod block 7:1" mknod b1 b 7 1
check "mknod char with a large device number 300:70000" mknod c2 c 300 70000
check "mknod types and devices" is "character special file 1 3 block special file 7 1 character special file 12c 11170" \
	stat -c '%F %t %T' c1 b1 c2
check "mkfifo" mkfifo p1
check "fifo type" is "fifo" stat -c %F p1
check "unix socket" python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("s1")'
check "socket type" is "socket" stat -c %F s1
fast=$(printf 'f%.0s' $(seq 59))
slow60=$(printf 's%.0s' $(seq 60))
slowmax=$(printf 'm%.0s' $(seq $((bs - 1))))
check "fast symlink (1 byte)" ln -s a l1
check "fast symlink (59 bytes)" ln -s "$fast" l59
check "slow symlink (60 bytes)" ln -s "$slow60" l60
check "slow symlink (block size - 1 bytes)" ln -s "$slowmax" lmax
check "symlink of block size bytes: ENAMETOOLONG" fails_with "too long" ln -s "${slowmax}x" ltoolong
check "symlink targets read back" is "a $fast $slow60 $slowmax" \
	bash -c 'echo $(readlink l1) $(readlink l59) $(readlink l60) $(readlink lmax)'
check "symlink sizes" is "1 59 60 $((bs - 1))" stat -c %s l1 l59 l60 lmax
check "symlink modes are lrwxrwxrwx" is "lrwxrwxrwx" stat -c %A l60
check "following a symlink" bash -c 'ln -s f1 lf && [ "$(stat -L -c %i lf)" = "$(stat -c %i f1)" ]'

# --- Errors -------------------------------------------------------------
n255=$(printf 'n%.0s' $(seq 255))
check "255-byte name" touch "$n255"
check "256-byte name: ENAMETOOLONG" fails_with "too long" touch "${n255}x"
check "256-byte mkdir: ENAMETOOLONG" fails_with "too long" mkdir "${n255}x"
check "mkdir over a file: EEXIST" fails_with "exists" mkdir f1
check "mkdir over a directory: EEXIST" fails_with "exists" mkdir d1
check "create exclusively over a file: EEXIST" fails_with "exists" \
	python3 -c 'import os; os.open("f1", os.O_CREAT | os.O_EXCL)'
check "link over a name: EEXIST" fails_with "exists" ln f1 c1
check "symlink over a name: EEXIST" fails_with "exists" ln -s x f1
check "unlink of a missing name: ENOENT" fails_with "No such file" rm nothere
check "rmdir of a file: ENOTDIR" fails_with "Not a directory" rmdir f1
check "unlink of a directory: EISDIR" fails_with "directory" \
	python3 -c 'import os; os.unlink("d1")'
touch d1/x
check "rmdir of a non-empty directory: ENOTEMPTY" fails_with "not empty" rmdir d1
rm d1/x
check "rmdir after emptying it" rmdir d1
check "parent loses the link" is 3 stat -c %h .
check "rmdir'd name is gone" fails_with "No such file" stat d1

# --- Hard links ---------------------------------------------------------
touch h
check "link" ln h h2
mkdir hd
check "link into another directory" ln h hd/h3
check "three links" is 3 stat -c %h h
check "all names are one inode" is "$(stat -c %i h) $(stat -c %i h)" stat -c %i h2 hd/h3
rm h2
check "unlink drops a link" is 2 stat -c %h h
check "link to a directory: EPERM" fails_with "not allowed" ln hd hd2
rm h hd/h3
check "last unlink frees the inode" fails_with "No such file" stat h

# --- Rename -------------------------------------------------------------
touch r1
ino=$(stat -c %i r1)
check "rename in a directory" mv r1 r2
check "renamed file keeps its inode" is "$ino" stat -c %i r2
mkdir ra rb
check "rename across directories" mv r2 ra/r3
check "renamed across" is "$ino" stat -c %i ra/r3
touch rb/t
old=$(stat -c %i rb/t)
check "rename over an existing file" mv ra/r3 rb/t
check "target replaced" is "$ino" stat -c %i rb/t
check "replaced inode is freed" bash -c "! find . -inum $old | grep -q ."
check "source gone" fails_with "No such file" stat ra/r3
touch ra/keep
ln ra/keep ra/keep2
check "rename over a hard link of another file drops its link" \
	bash -c 'mv rb/t ra/keep2 && [ "$(stat -c %h ra/keep)" = 1 ]'
mkdir ra/sub ra/sub/deep
check "rename a directory across directories" mv ra/sub rb/sub
check "moved directory's .. is the new parent" is "$(stat -c %i rb)" stat -c %i rb/sub/..
check "link counts of both parents" is "2 3" stat -c %h ra rb
check "moved directory's own links" is 3 stat -c %h rb/sub
mkdir ra/empty
check "rename a directory over an empty directory" mv rb/sub ra/empty
check "link counts after replacing a directory" is "3 2 3" stat -c %h ra rb ra/empty
check "replaced directory's .. is right" is "$(stat -c %i ra)" stat -c %i ra/empty/..
mkdir rb/full rb/full/x rb/d2
check "rename a directory over a non-empty one: ENOTEMPTY (plain)" fails_with "not empty" \
	python3 -c 'import os; os.rename("rb/d2", "rb/full")'
check "rename a directory over a file: ENOTDIR" fails_with "Not a directory" \
	python3 -c 'import os; os.rename("rb/d2", "ra/keep")'
check "rename a file over a directory: EISDIR" fails_with "directory" \
	python3 -c 'import os; os.rename("ra/keep", "rb/d2")'
check "rename a directory into itself: EINVAL" fails_with "Invalid argument" \
	python3 -c 'import os; os.rename("rb", "rb/d2/x")'
touch rb/n1 rb/n2
check "RENAME_NOREPLACE over a name: EEXIST" fails_with "exists" renameat2 noreplace rb/n1 rb/n2
check "RENAME_NOREPLACE to a free name" renameat2 noreplace rb/n1 rb/n3
check "RENAME_EXCHANGE: EINVAL" fails_with "Invalid argument" renameat2 exchange rb/n2 rb/n3
check "RENAME_WHITEOUT: EINVAL" fails_with "Invalid argument" renameat2 whiteout rb/n2 rb/n4
check "rename a directory within its parent" \
	bash -c 'mv rb/d2 rb/d3 && [ "$(stat -c %h rb)" = 4 ] && [ "$(stat -c %i rb/d3/..)" = "$(stat -c %i rb)" ]'
check "rename to the same inode (hard link) is a no-op" \
	bash -c 'ln rb/n2 rb/n5 && python3 -c "import os; os.rename(\"rb/n2\", \"rb/n5\")" && [ -e rb/n2 ] && [ -e rb/n5 ]'

# --- O_TMPFILE ----------------------------------------------------------
free0=$(stat -f -c %d .)
check "O_TMPFILE without a link is freed on close" \
	bash -c "xfs_io -T -c stat . >/dev/null && sync && [ \$(stat -f -c %d .) = $free0 ]"
check "O_TMPFILE then linkat" xfs_io -T -c "flink $m/tmpl" . >/dev/null
check "linked tmpfile: a regular file with one link" is "1 regular empty file" stat -c '%h %F' tmpl
check "O_TMPFILE linked through /proc/self/fd" python3 -c "
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open('.', os.O_TMPFILE | os.O_WRONLY, 0o600)
AT_FDCWD, AT_SYMLINK_FOLLOW = -100, 0x400
if libc.linkat(AT_FDCWD, f'/proc/self/fd/{fd}'.encode(), AT_FDCWD, b'tmpl2', AT_SYMLINK_FOLLOW):
    raise OSError(ctypes.get_errno(), 'linkat')"
check "linked tmpfile has mode 600" is "600 1" stat -c '%a %h' tmpl2

# --- setgid directories -------------------------------------------------
mkdir sg
chown 0:100 sg && chmod 2775 sg
check "file in a setgid directory gets its group" bash -c 'touch sg/f && [ "$(stat -c %g sg/f)" = 100 ]'
check "directory in a setgid directory gets group and setgid" \
	bash -c 'mkdir sg/d && [ "$(stat -c "%g %A" sg/d)" = "100 drwxr-sr-x" ]'
check "files are created with the umask applied" bash -c 'umask 027; touch um && [ "$(stat -c %a um)" = 640 ]'
check "new files belong to the caller (fsuid)" \
	bash -c 'chmod 2777 sg && setpriv --reuid=1234 --regid=1234 --clear-groups touch sg/u && [ "$(stat -c "%u %g" sg/u)" = "1234 100" ]'

# --- Many entries -------------------------------------------------------
check "3000 creates, 1500 renames across, 1000 unlinks, 300 mkdirs, space reuse" python3 - <<'PY'
import os, sys
def die(msg):
    print("# " + msg)
    sys.exit(1)
os.mkdir("big"); os.mkdir("big2")
names = [f"file-{i:05d}-" + "x" * (i % 40) for i in range(3000)]
for n in names:
    os.close(os.open("big/" + n, os.O_CREAT | os.O_WRONLY, 0o644))
size_full = os.stat("big").st_size
if size_full < 4 * os.statvfs(".").f_bsize:
    die(f"big/ has only {size_full} bytes")
moved = names[::2]
for n in moved:
    os.rename("big/" + n, "big2/" + n + ".r")
gone = names[1::6]
for n in gone:
    os.unlink("big/" + n)
want = set(names) - set(moved) - set(gone)
if set(os.listdir("big")) != want:
    die("big/ lists the wrong names")
if set(os.listdir("big2")) != {n + ".r" for n in moved}:
    die("big2/ lists the wrong names")
# Entries freed above must be reused: no growth for as many new names.
for i in range(len(moved)):
    os.close(os.open(f"big/new-{i:05d}-" + "y" * (i % 40), os.O_CREAT | os.O_WRONLY, 0o644))
if os.stat("big").st_size != size_full:
    die(f"big/ grew from {size_full} to {os.stat('big').st_size} bytes")
for i in range(300):
    os.mkdir(f"big/dir-{i:03d}")
if os.stat("big").st_nlink != 302:
    die(f"big/ has {os.stat('big').st_nlink} links, not 302")
for i in range(0, 300, 2):
    os.rename(f"big/dir-{i:03d}", f"big2/dir-{i:03d}")
for i in range(1, 300, 4):
    os.rmdir(f"big/dir-{i:03d}")
links = (os.stat("big").st_nlink, os.stat("big2").st_nlink)
if links != (2 + 75, 2 + 150):
    die(f"link counts {links}")
for i in range(0, 300, 2):
    if os.stat(f"big2/dir-{i:03d}/..").st_ino != os.stat("big2").st_ino:
        die(f"big2/dir-{i:03d}/.. is wrong")
PY
check "readdir sees every entry once" bash -c '[ "$(ls -f big | sort | uniq -d)" = "" ] && [ "$(ls -f big | wc -l)" = $((2 + 3000 - 1500 - 500 + 1500 + 75)) ]'

# --- Inode flags (chattr/lsattr, statx attributes) -----------------------
# flags FILE: the lsattr letters of FILE.
flags() { lsattr -d "$1" 2>&1 | cut -d' ' -f1; }
# statx_attr FILE: statx's attributes field of FILE.
statx_attr() { xfs_io -r -c "statx -r" "$1" | sed -n 's/^stat.attributes = //p'; }
export -f flags statx_attr
eperm="Operation not permitted"
check "chattr +i, lsattr shows it" bash -c 'echo data >fimm && chattr +i fimm && [[ $(lsattr -d fimm) == *i*" fimm" ]]'
check "immutable: statx has STATX_ATTR_IMMUTABLE" is 0x10 statx_attr fimm
check "immutable: no write" fails_with "$eperm" bash -c 'echo x >>fimm'
check "immutable: no truncate" fails_with "$eperm" truncate -s 0 fimm
check "immutable: no unlink" fails_with "$eperm" rm -f fimm
check "immutable: no rename" fails_with "$eperm" mv fimm fi2
check "immutable: no link" fails_with "$eperm" ln fimm fi2
check "immutable: no chmod" fails_with "$eperm" chmod 600 fimm
check "immutable: no setxattr" fails_with "$eperm" setfattr -n user.a -v 1 fimm
check "immutable: data unchanged" is data cat fimm
check "chattr +a: appends only" bash -c 'echo one >fa && chattr +a fa && echo two >>fa && [ "$(cat fa)" = "one
two" ]'
check "append-only: statx has STATX_ATTR_APPEND" is 0x20 statx_attr fa
check "append-only: no overwrite" fails_with "$eperm" bash -c 'echo x >fa'
check "append-only: no truncate" fails_with "$eperm" truncate -s 0 fa
check "append-only: no unlink" fails_with "$eperm" rm -f fa
check "chattr -i: writable again, ctime changes" bash -c 'touch fj && chattr +i fj && c=$(stat -c %Z fj) && sleep 1.1 &&
	chattr -i fj && echo y >fj && [ "$(stat -c %Z fj)" -gt "$c" ] && [[ $(flags fj) != *i* ]]'
check "chattr +d by the owner, +i refused without CAP_LINUX_IMMUTABLE" bash -c 'touch fu && chown 65534 fu &&
	setpriv --reuid=65534 --regid=65534 --clear-groups chattr +d fu &&
	! setpriv --reuid=65534 --regid=65534 --clear-groups chattr +i fu 2>/dev/null &&
	[ "$(statx_attr fu)" = 0x40 ]'
check "a directory's +S +d pass to new files, +S +D +d to new directories" bash -c 'mkdir dfl && chattr +dSD dfl &&
	touch dfl/f && mkdir dfl/d && [[ $(flags dfl/f) == *S*d* && $(flags dfl/f) != *D* && $(flags dfl/d) == *S*D*d* ]]'
check "chattr +A: reads do not update atime" bash -c 'echo a >fn && chattr +A fn && touch -a -d @1000000000 fn &&
	cat fn >/dev/null && [ "$(stat -c %X fn)" = 1000000000 ]'
cd / || finish
check "flags survive a remount" bash -c "umount $m && mount -t ext2rs $dev $m &&
	[[ \$(lsattr -d $m/fimm) == *i* && \$(lsattr -d $m/fa) == *a* ]]"
cd "$m" || finish

# --- File handles, FIBMAP, leases, directory fsync ------------------------
check "file handles: open_by_handle_at after the caches are dropped, stale once deleted" python3 - "$m" "$dev" <<'PY'
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
m, dev = sys.argv[1], sys.argv[2]
def die(msg):
    print("# " + msg); sys.exit(1)
class Handle(ctypes.Structure):
    _fields_ = [("handle_bytes", ctypes.c_uint), ("handle_type", ctypes.c_int),
                ("f_handle", ctypes.c_uint32 * 32)]
def handle(path):
    fh, mount_id = Handle(handle_bytes=128), ctypes.c_int()
    if libc.name_to_handle_at(-100, path.encode(), ctypes.byref(fh), ctypes.byref(mount_id), 0):
        die(f"name_to_handle_at {path}: {os.strerror(ctypes.get_errno())}")
    return fh
def open_handle(fh, flags=os.O_RDONLY):
    mfd = os.open(m, os.O_RDONLY | os.O_DIRECTORY)
    fd = libc.open_by_handle_at(mfd, ctypes.byref(fh), flags)
    err = ctypes.get_errno()
    os.close(mfd)
    return fd, err
def drop_caches():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("2")
os.makedirs(f"{m}/hd/sub/deeper")
with open(f"{m}/hd/sub/file", "w") as f:
    f.write("by handle")
with open(f"{m}/hd/gone", "w") as f:
    f.write("x")
hf, hd, hg = handle(f"{m}/hd/sub/file"), handle(f"{m}/hd/sub/deeper"), handle(f"{m}/hd/gone")
want = (os.stat(f"{m}/hd/sub/file").st_ino, os.stat(f"{m}/hd/sub/deeper").st_ino)
if hf.handle_type != 1 or hf.handle_bytes != 8 or hf.f_handle[0] != want[0]:
    die(f"handle type {hf.handle_type}, {hf.handle_bytes} bytes: not ext2's (inode, generation)")
os.unlink(f"{m}/hd/gone")
drop_caches()
fd, err = open_handle(hf)
if fd < 0:
    die(f"open_by_handle_at (file): {os.strerror(err)}")
if os.fstat(fd).st_ino != want[0] or os.read(fd, 64) != b"by handle":
    die("the file handle opened something else")
os.close(fd)
# A directory handle is reconnected to the tree through get_parent.
fd, err = open_handle(hd, os.O_RDONLY | os.O_DIRECTORY)
if fd < 0:
    die(f"open_by_handle_at (directory): {os.strerror(err)}")
if os.fstat(fd).st_ino != want[1] or os.readlink(f"/proc/self/fd/{fd}") != f"{m}/hd/sub/deeper":
    die(f"the directory handle opened {os.readlink(f'/proc/self/fd/{fd}')}")
os.close(fd)
fd, err = open_handle(hg)
if fd >= 0 or err != errno.ESTALE:
    die(f"handle of a deleted file: {fd}, {os.strerror(err)}")
# Handles from outside: out-of-range, reserved and wrong-generation
# numbers are stale, and nothing is reported as corruption.
for ino, gen in ((0x7FFFFFFF, 0), (3, 0), (want[0], hf.f_handle[1] ^ 1)):
    bad = Handle(handle_bytes=8, handle_type=1)
    bad.f_handle[0], bad.f_handle[1] = ino, gen
    fd, err = open_handle(bad)
    if fd >= 0 or err != errno.ESTALE:
        die(f"handle of inode {ino} generation {gen}: {fd}, {os.strerror(err)}")
PY
check "bogus handles left the filesystem error-free" bash -c "! dumpe2fs -h $dev 2>/dev/null | grep -q 'state:.*error'"
check "FIBMAP: the block debugfs shows, 0 for a hole" python3 - "$m" "$dev" <<'PY'
import fcntl, os, struct, subprocess, sys
m, dev = sys.argv[1], sys.argv[2]
bs = os.statvfs(m).f_bsize
with open(f"{m}/fibmap", "wb") as f:
    f.write(b"d" * bs)
    f.seek(5 * bs)
    f.write(b"e" * bs)
os.sync()
ino = os.stat(f"{m}/fibmap").st_ino
fd = os.open(f"{m}/fibmap", os.O_RDONLY)
got = [struct.unpack("i", fcntl.ioctl(fd, 1, struct.pack("i", b)))[0] for b in (0, 2, 5)]
os.close(fd)
want = [int(subprocess.run(["debugfs", "-R", f"bmap <{ino}> {b}", dev], capture_output=True,
                           text=True).stdout.split()[0]) for b in (0, 2, 5)]
if got != want or got[1] != 0 or got[0] == 0:
    print(f"# FIBMAP {got}, debugfs {want}"); sys.exit(1)
PY
check "leases: F_SETLEASE read lease on a file" python3 -c '
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
sys.exit(fcntl.fcntl(fd, fcntl.F_GETLEASE) != fcntl.F_RDLCK)' "$m/fibmap"
check "fsync of a directory" python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
os.fsync(fd)' "$m/hd"

# --- dirsync ------------------------------------------------------------
cd / || finish
check "-o noquota is accepted, -o usrquota refused (no quota support)" bash -c "umount $m &&
	mount -t ext2rs -o noquota $dev $m && umount $m && ! mount -t ext2rs -o usrquota $dev $m 2>/dev/null &&
	mount -t ext2rs $dev $m"
check "remount with -o dirsync and create, rename, unlink" bash -c "umount $m && mount -t ext2rs -o dirsync $dev $m && cd $m && mkdir ds && touch ds/a && mv ds/a ds/b && ln -s ds/b ds/l && rm ds/b"

# --- remount read-only ----------------------------------------------------
# Unmounting a read-only filesystem syncs nothing, so going read-only must
# write every dirty inode and buffer first (xfstests generic/294, 306).
check "create, then remount read-only at once" bash -c "umount $m && mount -t ext2rs $dev $m &&
	mkdir $m/ro && mknod $m/ro/c c 1 3 && ln -s f $m/ro/l && echo data >$m/ro/f &&
	mount -o remount,ro $m"
check "read-only: new files refused (EROFS)" fails_with "Read-only" touch "$m/ro/new"
check "umount after the read-only remount" umount "$m"
check "e2fsck -fn clean after a read-only remount" fsck_clean "$dev"
check "mount again: the files made before the remount are there" bash -c "mount -t ext2rs $dev $m &&
	[ \"\$(cat $m/ro/f)\" = data ] && [ -c $m/ro/c ] && [ \"\$(readlink $m/ro/l)\" = f ]"

# truncate(2) by path, unlike ftruncate(2), asks the filesystem for no time
# change: the size change itself must move mtime and ctime (generic/313).
check "truncate(2) by path down and up moves mtime and ctime" python3 -c '
import os, sys, time
p = sys.argv[1]
with open(p, "w") as f:
    f.write("x" * 100)
for size in (10, 1000):
    os.utime(p, (1000000000, 1000000000))
    before = os.stat(p).st_ctime
    time.sleep(1.1)  # timestamps have whole seconds
    os.truncate(p, size)
    st = os.stat(p)
    if st.st_size != size or st.st_mtime <= 1000000000 or st.st_ctime <= before:
        sys.exit(f"size {st.st_size}: mtime {st.st_mtime} ctime {st.st_ctime} (ctime was {before})")
' "$m/ro/t"

# --- freeze -------------------------------------------------------------
# As ext2: frozen, the disk is a clean image (unless unlinked files are
# still open); thawed, it is marked in use again; writers wait while it
# is frozen (generic/491 and 738 need FIFREEZE to run at all).
fs_state() { dumpe2fs -h "$dev" 2>/dev/null | sed -n 's/^Filesystem state: *//p'; }
# state_while_frozen_is STATE: the on-disk state while frozen is STATE.
state_while_frozen_is() {
	local st
	fsfreeze -f "$m" || return 1
	st=$(fs_state)
	fsfreeze -u "$m" || return 1
	[ "$st" = "$1" ] || { echo "# frozen state: $st (wanted: $1)"; return 1; }
}
state_is() { [ "$(fs_state)" = "$1" ] || { echo "# state: $(fs_state) (wanted: $1)"; return 1; }; }
write_waits_for_thaw() {
	local pid early=0
	fsfreeze -f "$m" || return 1
	(echo y >"$m/ro/fz") &
	pid=$!
	sleep 2
	[ -e "$m/ro/fz" ] && early=1
	fsfreeze -u "$m"
	wait "$pid" || return 1
	[ "$early" = 0 ] && [ "$(cat "$m/ro/fz")" = y ]
}
frozen_with_open_unlinked_file() {
	local rc
	exec 3>"$m/ro/gone"
	rm "$m/ro/gone"
	state_while_frozen_is "not clean"
	rc=$?
	exec 3>&-
	return "$rc"
}
check "fsfreeze: the frozen disk says clean" state_while_frozen_is clean
check "fsfreeze: thawed, the disk says not clean" state_is "not clean"
check "fsfreeze: a write waits for the thaw" write_waits_for_thaw
check "fsfreeze with an open unlinked file: the disk stays not clean" frozen_with_open_unlinked_file

# --- Compare with the in-kernel ext2 ------------------------------------
check "umount and mount again" bash -c "umount $m && mount -t ext2rs $dev $m"
snapshot "$m" >"$work/ext2rs.snap"
check "umount ext2rs" umount "$m"
check "e2fsck -fn clean after ext2rs" fsck_clean "$dev"
check "mount -t ext2" mount -t ext2 "$dev" "$m"
if mountpoint -q "$m"; then
	snapshot "$m" >"$work/ext2.snap"
	check "ext2 shows what ext2rs showed (find, stat, ls -laR, readlink)" \
		diff "$work/ext2rs.snap" "$work/ext2.snap"
	check "ext2 reads the slow symlinks" is "$slow60 $slowmax" \
		bash -c "echo \$(readlink $m/l60) \$(readlink $m/lmax)"
	check "umount ext2" umount "$m"
fi

# --- EMLINK (link counts near the limit set with debugfs) -----------------
mount -t ext2rs "$dev" "$m" && touch "$m/ml" && mkdir "$m/md" && umount "$m"
debugfs -w -R "sif /ml links_count 31999" "$dev" >/dev/null 2>&1
debugfs -w -R "sif /md links_count 31999" "$dev" >/dev/null 2>&1
if mount -t ext2rs "$dev" "$m"; then
	check "link up to 32000 links" ln "$m/ml" "$m/ml2"
	check "link past 32000: EMLINK" fails_with "Too many links" ln "$m/ml" "$m/ml3"
	check "mkdir up to 32000 links" mkdir "$m/md/s1"
	check "mkdir past 32000: EMLINK" fails_with "Too many links" mkdir "$m/md/s2"
	mkdir "$m/mv"
	check "rename of a directory into a full one: EMLINK" fails_with "Too many links" mv "$m/mv" "$m/md/mv"
	rm "$m/ml2" && rmdir "$m/md/s1"
	umount "$m"
fi
debugfs -w -R "sif /ml links_count 1" "$dev" >/dev/null 2>&1
debugfs -w -R "sif /md links_count 2" "$dev" >/dev/null 2>&1
check "e2fsck -fn clean after the EMLINK tests" fsck_clean "$dev"

# --- ENOSPC on the small image ------------------------------------------
check "mount the small image" mount -t ext2rs "$small" "$m"
if mountpoint -q "$m"; then
	free=$(stat -f -c %d "$m")
	check "creating until out of inodes: ENOSPC after $free" python3 - "$m" "$free" <<'PY'
import errno, os, sys
m, free = sys.argv[1], int(sys.argv[2])
for i in range(free):
    os.close(os.open(f"{m}/i{i}", os.O_CREAT | os.O_WRONLY))
for op in (lambda: os.close(os.open(f"{m}/extra", os.O_CREAT | os.O_WRONLY)),
           lambda: os.mkdir(f"{m}/extra"), lambda: os.symlink("x", f"{m}/extra")):
    try:
        op()
        print("# created past the last inode"); sys.exit(1)
    except OSError as e:
        if e.errno != errno.ENOSPC:
            print(f"# {e}"); sys.exit(1)
if os.path.lexists(f"{m}/extra"):
    print("# a failed create left a name"); sys.exit(1)
for i in range(free):
    os.unlink(f"{m}/i{i}")
PY
	check "filling the blocks by growing directories: ENOSPC, nothing half done" python3 - "$m" <<'PY'
import errno, os, sys
m = sys.argv[1]
bs = os.statvfs(m).f_bsize
def die(msg):
    print("# " + msg); sys.exit(1)
def name(i):
    return f"{i:05d}-" + "q" * 249
os.close(os.open(f"{m}/f", os.O_CREAT | os.O_WRONLY))
# Directories of 8 blocks at most, so each link scans little.
made, d = 0, None
try:
    while True:
        if d is None or os.stat(d).st_size >= 8 * bs:
            os.mkdir(f"{m}/g{made:05d}")
            d = f"{m}/g{made:05d}"
        os.link(f"{m}/f", f"{d}/{name(made)}")
        made += 1
except OSError as e:
    if e.errno != errno.ENOSPC:
        die(f"filling: {e}")
# Fill the last block of the last directory: the next link needs a block.
try:
    while True:
        os.link(f"{m}/f", f"{d}/{name(made)}")
        made += 1
except OSError as e:
    if e.errno != errno.ENOSPC:
        die(f"growing: {e}")
if os.path.lexists(f"{d}/{name(made)}"):
    die("a failed link left a name")
names = sum(len(os.listdir(f"{m}/{g}")) for g in os.listdir(m) if g.startswith("g"))
if made < 50 or names != made or os.stat(f"{m}/f").st_nlink != made + 1:
    die(f"{made} links, {names} names, nlink {os.stat(f'{m}/f').st_nlink}")
for what, op in (("mkdir", os.mkdir), ("slow symlink", lambda p: os.symlink("t" * 200, p))):
    p = f"{d}/{what}-" + "q" * 240
    try:
        op(p)
        die(f"{what} succeeded with no block free")
    except OSError as e:
        if e.errno != errno.ENOSPC:
            die(f"{what}: {e}")
    if os.path.lexists(p):
        die(f"a failed {what} left a name")
PY
	check "umount the small image" umount "$m"
	check "e2fsck -fn clean after ENOSPC" fsck_clean "$small"
fi
finish
