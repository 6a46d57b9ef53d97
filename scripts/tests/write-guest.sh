#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest-side write-path scenarios (run by scripts/vm):
#
#   scripts/tests/write-guest.sh FSTYPE BS:DEV:FILLDEV...
#
# For each block size BS, DEV and FILLDEV hold empty ext2 filesystems of
# that block size made on the host (FILLDEV a small one: the fill scenario
# uses all of it). Each scenario of target/release/wtest (see
# tools/wtest) runs on its own mount:
#
#   mount -t FSTYPE DEV; wtest SCENARIO run; sync; e2fsck -fn (clean, while
#   mounted); umount; e2fsck -fn (clean);
#   mount -t FSTYPE -o ro; wtest SCENARIO verify; umount   (not for ext2)
#   mount -t ext2 -o ro;   wtest SCENARIO verify; umount   (the reference)
#
# Scenarios: mmap-extend, mmap-eof-gap, mmap-holes, dio, truncate-levels,
# storm on DEV (one after the other, the image keeps what each left),
# fill on FILLDEV, then on FILLDEV made afresh that the blocks reserved
# for root stay root's, then on DEV what fsync of a file and of a
# directory puts on the disk (read back past the page cache with debugfs
# -D), whether compaction can move the files' page-cache folios, what a
# write that faults in its buffer leaves, where mappings are placed and
# what stores through them after a truncation reach, and (ext2rs) how
# reservation windows keep files apart.
# Every wtest case and every mount/umount/e2fsck step is
# one numbered "ok N - ..." or "not ok N - ..." line; wtest dying without a
# failed case counts as one failure. Ends with "write: N passed, N failed".
#
# WTEST_SEED (default 1) seeds dio, mmap-holes and storm; WTEST_STORM_OPS
# and WTEST_DIO_OPS override their step counts (3000 and 600); WTEST
# overrides the binary (default: target/release/wtest of this repository).
set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 FSTYPE BS:DEV:FILLDEV..." >&2
	exit 2
fi
fstype=$1
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
wtest=${WTEST:-$root/target/release/wtest}
seed=${WTEST_SEED:-1}
# The guest runs no udev: libdevmapper makes the /dev/mapper nodes itself.
export DM_DISABLE_UDEV=1
# The Python steps import their shared helpers (drop_caches, fiemap).
export PYTHONPATH=$root/scripts/tests PYTHONDONTWRITEBYTECODE=1

n=0 pass=0 fail=0 skipped=0
ok() { n=$((n + 1)) pass=$((pass + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)) fail=$((fail + 1)); echo "not ok $n - $1"; }
# skip WHAT WHY: a case that could not be run here; TAP's "# SKIP",
# counted apart from the passed ones.
skip() { n=$((n + 1)) skipped=$((skipped + 1)); echo "ok $n - $1 # SKIP $2"; }
finish() {
	echo "write: $pass passed, $fail failed, $skipped skipped"
	[ "$fail" = 0 ]
	exit
}
[ -x "$wtest" ] || { not_ok "$wtest exists (cargo build --release -p wtest)"; finish; }

mnt=$(mktemp -d /tmp/write-mnt.XXXXXX)
log=$(mktemp /tmp/write-log.XXXXXX)
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	mountpoint -q "$mnt" && umount "$mnt"
	rmdir "$mnt"
	rm -f "$log"
}
trap cleanup EXIT

# step WHAT CMD...: one numbered case for a command; its output only on failure.
step() {
	local what=$1
	shift
	if "$@" >"$log" 2>&1; then
		ok "$what"
	else
		sed 's/^/# /' "$log" | tail -n 30
		not_ok "$what"
	fi
}

# step_or_skip WHAT CMD...: as step, but a command that exits 77 (the
# automake convention) skips the case, its last line of output saying why.
step_or_skip() {
	local what=$1 rc=0
	shift
	"$@" >"$log" 2>&1 || rc=$?
	case $rc in
	0) ok "$what" ;;
	77) sed '$d; s/^/# /' "$log" | tail -n 30; skip "$what" "$(tail -n 1 "$log")" ;;
	*) sed 's/^/# /' "$log" | tail -n 30; not_ok "$what" ;;
	esac
}

# wtest_cases LABEL CMD...: runs wtest, renumbers its ok/not ok lines
# under LABEL, passes its diagnostics through; exits without a failed case
# count as one failure.
wtest_cases() {
	local label=$1 line rc=none failed_before=$fail seen=0
	shift
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) ok "$label: ${line#ok - }"; seen=1 ;;
		"not ok - "*) not_ok "$label: ${line#not ok - }"; seen=1 ;;
		"wtest-exit "*) rc=${line#wtest-exit } ;;
		*) echo "# $line" ;;
		esac
	done < <(timeout -k 10 900 "$@" 2>&1; echo "wtest-exit $?")
	if [ "$rc" != 0 ] && [ "$fail" = "$failed_before" ]; then
		not_ok "$label: wtest exited $rc without a failed case"
	elif [ "$seen" = 0 ]; then
		not_ok "$label: wtest reported no case"
	fi
}

# sync_fsck DEV: sync(2), then e2fsck -fn of DEV, which is mounted (e2fsck
# warns and checks).
# shellcheck disable=SC2317 # called through step
sync_fsck() { sync && e2fsck -fn "$1"; }

# fresh_mount WHAT BS DEV [OPTION [RESERVED]]: starts a shell step on a
# filesystem of its own: a fresh mke2fs of block size BS on DEV, mounted
# as FSTYPE (with -o OPTION, if not empty). No blocks are reserved for
# root unless RESERVED (mke2fs -m, a percentage) says. Fails if either
# step does.
fresh_mount() {
	local what=$1 bs=$2 dev=$3 opts=() reserved=${5:-0}
	[ -n "${4:-}" ] && opts=(-o "$4")
	echo "# === $what"
	step "$what: mke2fs -b $bs${5:+ -m $5}" \
		mke2fs -q -F -t ext2 -b "$bs" -m "$reserved" "$dev" || return
	step "$what: mount -t $fstype ${opts[*]:+${opts[*]} }$dev" \
		mount -t "$fstype" "${opts[@]}" "$dev" "$mnt"
}

# py_scenario BS DEV NAME CHECK [OPTS]: a scenario of one Python step:
# the program on stdin runs on a fresh filesystem (fresh_mount, mounted
# with OPTS) with the mountpoint as its argument, as the step "CHECK",
# then umount_fsck.
py_scenario() {
	local what="$fstype-$1 $3"
	fresh_mount "$what" "$1" "$2" "${5:-}" || return
	step "$what: $4" python3 - "$mnt"
	umount_fsck "$what" "$2"
}

# umount_fsck WHAT DEV: umount, then e2fsck -fn of DEV, which must be
# clean. Fails only if the umount does (the device is then still busy).
umount_fsck() {
	step "$1: umount" umount "$mnt" || return
	step "$1: e2fsck -fn clean" e2fsck -fn "$2"
	return 0
}

# scenario BS DEV NAME [WTEST-ARGS...]: the whole cycle of one scenario.
scenario() {
	local bs=$1 dev=$2 name=$3 t0=$SECONDS
	shift 3
	local what="$fstype-$bs $name"
	echo "# === $what"
	step "$what: mount -t $fstype $dev" mount -t "$fstype" "$dev" "$mnt" || return
	# From / so that nothing of ours keeps the mount busy.
	wtest_cases "$what" bash -c 'cd / && exec "$@"' wtest "$wtest" "$name" run "$mnt" --seed "$seed" "$@"
	# What sync(2) leaves on the disk, checked while still mounted: every
	# bitmap, group descriptor and counter written, not only at umount.
	step "$what: sync, then e2fsck -fn of the mounted device clean" sync_fsck "$dev"
	umount_fsck "$what" "$dev" || return
	local ref refs=("$fstype")
	[ "$fstype" = ext2 ] || refs+=(ext2)
	for ref in "${refs[@]}"; do
		step "$what: mount -t $ref -o ro" mount -t "$ref" -o ro "$dev" "$mnt" || continue
		wtest_cases "$what: verify under $ref" "$wtest" "$name" verify "$mnt" --seed "$seed" "$@"
		step "$what: umount ($ref)" umount "$mnt"
	done
	echo "# $what: $((SECONDS - t0)) s"
}

# durable BS DEV: what fsync wrote must be on the disk itself. The
# filesystem is mounted through a device-mapper linear target over DEV,
# and debugfs -D reads DEV with O_DIRECT: a direct read of a device first
# writes back that device's own page cache, but not the cache of the
# target above it, where the metadata buffers sit. This runs alone in the
# guest, after a sync, so nothing but the fsync writes them within the
# flusher's 30 s expiry.
durable() {
	local bs=$1 dev=$2
	local what="$fstype-$bs durable" dm=durable-$bs
	echo "# === $what"
	step "$what: dmsetup linear over $dev" dmsetup create "$dm" \
		--table "0 $(blockdev --getsz "$dev") linear $dev 0" || return
	step "$what: mount -t $fstype /dev/mapper/$dm" \
		mount -t "$fstype" "/dev/mapper/$dm" "$mnt" || { dmsetup remove "$dm"; return; }
	step "$what: fsync writes a file's data, indirect blocks and inode" python3 - "$mnt" "$dev" <<'PY'
import os, subprocess, sys
m, dev = sys.argv[1], sys.argv[2]
os.sync()
bs = os.statvfs(m).f_bsize
data = os.urandom((12 + bs // 4 + 3) * bs)  # direct, single and double indirect
fd = os.open(f"{m}/durable", os.O_CREAT | os.O_WRONLY | os.O_TRUNC)
os.write(fd, data)
os.fsync(fd)
os.close(fd)
ino = os.stat(f"{m}/durable").st_ino
got = subprocess.run(["debugfs", "-D", "-R", f"cat <{ino}>", dev], capture_output=True).stdout
if got != data:
    print(f"on disk: {len(got)} bytes, {sum(a != b for a, b in zip(got, data))} differ; "
          f"wrote {len(data)}")
    sys.exit(1)
PY
	step "$what: fsync of a directory writes its new entries" python3 - "$mnt" "$dev" <<'PY'
import os, subprocess, sys
m, dev = sys.argv[1], sys.argv[2]
os.sync()
os.mkdir(f"{m}/fsd")
names = {f"entry-{i:04d}-{'x' * 40}" for i in range(300)}  # 18 KiB: indirect at 1 KiB
for n in names:
    open(f"{m}/fsd/{n}", "w").close()
fd = os.open(f"{m}/fsd", os.O_RDONLY | os.O_DIRECTORY)
os.fsync(fd)
os.close(fd)
ino = os.stat(f"{m}/fsd").st_ino
out = subprocess.run(["debugfs", "-D", "-R", f"ls <{ino}>", dev], capture_output=True,
                     text=True).stdout
found = set(out.split()) & names
if found != names:
    print(f"on disk: {len(found)} of {len(names)} entries")
    sys.exit(1)
PY
	step "$what: umount" umount "$mnt" || return
	step "$what: dmsetup remove" dmsetup remove "$dm"
	step "$what: e2fsck -fn clean" e2fsck -fn "$dev"
}

# migrate BS DEV: compaction moves ext2rs's page-cache folios, clean and
# dirty (address_space_operations::migrate_folio; without it the kernel
# warns, and async compaction skips dirty folios). Most of the guest's
# free memory becomes the page cache of sparse files, read round robin in
# 64 KiB steps; deleting every other file leaves holes in every
# pageblock, which /proc/sys/vm/compact_memory fills by moving the
# others' folios. Their page frames (/proc/self/pagemap) must change, and
# data files dirtied just before must read back the same from the page
# cache, after writes into the moved folios, and from the disk.
migrate() {
	local bs=$1 dev=$2
	local what="$fstype-$bs migrate"
	echo "# === $what"
	step "$what: mount -t $fstype $dev" mount -t "$fstype" "$dev" "$mnt" || return
	mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
	step_or_skip "$what: compaction moves clean and dirty folios, data intact" python3 - "$mnt" <<'PY'
import bisect, ctypes, mmap, os, random, re, struct, sys
from guest import drop_caches
m = sys.argv[1]
rnd = random.Random(7)
PAGE, CHUNK = 4096, 64 << 10
os.makedirs(f"{m}/mig", exist_ok=True)

def meminfo(key):
    with open("/proc/meminfo") as f:
        return next(int(l.split()[1]) << 10 for l in f if l.startswith(key + ":"))

# Most of the free memory becomes ext2rs page cache: holes of sparse
# files, read without readahead in 64 KiB steps, round robin over the
# files, so each pageblock holds folios of several files.
SPARSE = 16
per = (meminfo("MemAvailable") * 6 // 10 // SPARSE) // CHUNK * CHUNK
sfds = []
for i in range(SPARSE):
    fd = os.open(f"{m}/mig/s{i}", os.O_CREAT | os.O_RDWR | os.O_TRUNC)
    os.ftruncate(fd, per)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
    sfds.append(fd)
# Files with data, dirty when compaction runs: stores through a mapping
# in the even ones, write(2) of odd sizes at odd offsets in the odd ones.
# Written a page at a time, so that their folios are single pages like
# the sparse files' (random reads): a large folio for which compaction
# finds no free block of its order makes migrate_pages() fail with
# -ENOMEM, which ends the whole compaction pass early ("contended"). With
# 1 MiB writes that left 0 of ~36000 watched pages moved at 1 KiB blocks,
# as it does for XFS's large folios in the same test.
DATA, size = 4, 1 << 20
keep = [bytearray(rnd.randbytes(size)) for _ in range(DATA)]
dfds = []
for i in range(DATA):
    fd = os.open(f"{m}/mig/k{i}", os.O_CREAT | os.O_RDWR | os.O_TRUNC)
    for off in range(0, size, PAGE):
        os.pwrite(fd, keep[i][off:off + PAGE], off)
    os.fsync(fd)
    dfds.append(fd)
for off in range(0, per, CHUNK):
    for fd in sfds:
        os.pread(fd, CHUNK, off)
maps = [mmap.mmap(fd, size) for fd in dfds]

def dirty(i):
    for _ in range(64):
        off, n = rnd.randrange(size - 3000), rnd.randrange(1, 3000)
        data = rnd.randbytes(n)
        keep[i][off:off + n] = data
        if i % 2 == 0:
            maps[i][off:off + n] = data
        else:
            os.pwrite(dfds[i], data, off)

def frames(fd, length):
    # The page frame of each page of a file, through a mapping of it.
    mp = mmap.mmap(fd, length)
    c = ctypes.c_char.from_buffer(mp)
    addr = ctypes.addressof(c)
    del c
    for pg in range(0, length, PAGE):
        mp[pg]
    with open("/proc/self/pagemap", "rb") as pm:
        pm.seek(addr // PAGE * 8)
        ents = struct.unpack(f"{length // PAGE}Q", pm.read(length // PAGE * 8))
    mp.close()
    return [e & ((1 << 55) - 1) for e in ents]

# Half of the sparse files go: their folios leave holes next to the others'.
for i in range(1, SPARSE, 2):
    os.close(sfds[i])
    os.unlink(f"{m}/mig/s{i}")
for i in range(DATA):
    dirty(i)
watch = [(sfds[i], per) for i in (0, 2)] + [(fd, size) for fd in dfds]
before = [frames(fd, n) for fd, n in watch]
# Compaction is best effort: a pass can end early, before it reaches the
# watched pages. A large folio it finds no free block for makes
# migrate_pages() fail with -ENOMEM, and compact_zone() then ends the pass
# as "contended"; in one run of many at 1 KiB blocks, three passes moved
# 0 of ~36000 watched pages. Each pass scans the whole zone again
# (compact_node sets whole_zone) and meets memory that has changed since,
# so the step compacts up to five times. The compaction:mm_compaction_end
# trace event says where each pass's migrate scanner stopped: watched
# pages below that point were offered to ext2rs's migrate_folio.
T = "/sys/kernel/tracing"
EV = f"{T}/events/compaction/mm_compaction_end/enable"

def put(path, text):
    with open(path, "w") as f:
        f.write(text)

def compaction_ends():
    # (zone_start, migrate_pfn, zone_end, status) of each pass's zones.
    with open(f"{T}/trace") as f:
        found = re.findall(r"mm_compaction_end: zone_start=(0x[0-9a-f]+) migrate_pfn=(0x[0-9a-f]+)"
                           r" free_pfn=0x[0-9a-f]+ zone_end=(0x[0-9a-f]+).*status=(\w+)", f.read())
    return [(int(a, 16), int(b, 16), int(c, 16), st) for a, b, c, st in found]

traced = os.path.exists(EV)
if traced:
    put(f"{T}/trace", "")
    put(EV, "1")
pfns = sorted(p for x in before for p in x if p)
reached, ends = 0, []
for attempt in range(1, 6):
    with open("/proc/sys/vm/compact_memory", "w") as f:
        f.write("1")
    after = [frames(fd, n) for fd, n in watch]
    moved = sum(a != b for x, y in zip(before, after) for a, b in zip(x, y))
    if traced:
        ends = compaction_ends()
        put(f"{T}/trace", "")
        below = max((bisect.bisect_left(pfns, mig) - bisect.bisect_left(pfns, start)
                     for start, mig, end, _ in ends), default=0)
        reached = max(reached, below)
        print(f"pass {attempt}: {moved} moved; the migrate scanner passed {below} watched pages; "
              + ", ".join(f"zone {z0:#x}-{z1:#x} {st} at {mig:#x}" for z0, mig, z1, st in ends))
    if moved:
        break
if traced:
    put(EV, "0")
total = sum(len(x) for x in before)
print(f"{moved} of {total} watched pages moved in {attempt} compaction pass(es) "
      f"({per >> 20} MiB x {SPARSE} sparse files read)")
bad = []
for i in range(DATA):
    if maps[i][:] != keep[i]:
        bad.append(f"k{i} differs in the page cache after compaction")
    dirty(i)  # write into folios that may have moved
    maps[i].flush()
    os.fsync(dfds[i])
    maps[i].close()
    os.close(dfds[i])
drop_caches()
for i in range(DATA):
    with open(f"{m}/mig/k{i}", "rb") as f:
        if f.read() != keep[i]:
            bad.append(f"k{i} differs on the disk")
# A page the migrate scanner passed but could not move can be one it met
# locked or under writeback; hundreds are ext2rs refusing to migrate.
if moved == 0 and (reached >= 256 or not traced):
    bad.append(f"{attempt} compaction passes moved none of the watched pages "
               f"(the migrate scanner passed {reached} of them)")
print("\n".join(bad))
if bad:
    sys.exit(1)
if moved == 0:
    last = [f"{st} at {mig:#x}" for z0, mig, z1, st in ends if z0 <= pfns[0] < z1]
    print(f"{attempt} compaction passes ended before the watched pages "
          f"(lowest at pfn {pfns[0]:#x}): the last {', '.join(last) or 'reported no end'}")
    sys.exit(77)
PY
	umount_fsck "$what" "$dev"
}

# short_write BS DEV: a buffered write that faults part way through the
# user's buffer allocates blocks it then does not write. Those inside
# i_size must not read back as what the disk held before (the filesystem
# is first filled with 0xab and emptied), and those past the new EOF must
# not stay allocated: each file must read back as a file given just the
# bytes the write returned, and count as many blocks, but for indirect
# blocks over the range the write did not reach (kept, zeroed, for the
# next write there). Cases: block-aligned inside i_size, unaligned,
# nothing written (EFAULT), and across EOF.
short_write() {
	local bs=$1 dev=$2
	local what="$fstype-$bs short-write"
	fresh_mount "$what" "$bs" "$dev" || return
	step "$what: faulting writes read back as the bytes written" python3 - "$mnt" <<'PY'
import ctypes, mmap, os, sys
from guest import drop_caches
m = sys.argv[1]
MB, PAGE = 1 << 20, mmap.PAGESIZE
st = os.statvfs(m)
bs = st.f_bsize
with open(f"{m}/junk", "wb") as f:
    f.write(b"\xab" * (st.f_bavail * st.f_frsize // 2))
    os.fsync(f.fileno())
os.unlink(f"{m}/junk")
os.sync()
libc = ctypes.CDLL(None, use_errno=True)
# (name, file size, write offset, bytes before the fault, buffer length)
cases = [("aligned", 8 * MB, 3 * MB, MB, 2 * MB),
         ("unaligned", 8 * MB, 3 * MB + 1000, 171 * PAGE, 2 * MB),
         ("nothing", 8 * MB, 5 * MB + 100, 0, MB),
         ("across-eof", 4 * MB + 500, 3 * MB + MB // 2, 75 * PAGE, 2 * MB)]
bad = []
for name, size, off, good, length in cases:
    buf = mmap.mmap(-1, length)
    payload = bytes((i * 7 + 3) % 167 + 1 for i in range(good))  # no 0xab
    buf[:good] = payload
    view = ctypes.c_char.from_buffer(buf)
    addr = ctypes.addressof(view)
    del view  # an exported buffer cannot be closed
    if libc.mprotect(ctypes.c_void_p(addr + good), ctypes.c_size_t(length - good), 0):
        sys.exit(f"mprotect: errno {ctypes.get_errno()}")
    fds = []
    for f in (f"{m}/{name}", f"{m}/{name}.ref"):
        fd = os.open(f, os.O_CREAT | os.O_RDWR | os.O_TRUNC)
        os.ftruncate(fd, size)
        fds.append(fd)
    try:
        n = os.pwrite(fds[0], buf, off)
    except OSError as e:
        n = 0 if e.errno == 14 else sys.exit(f"{name}: pwrite: {e}")
    if n != good:
        bad.append(f"{name}: the write returned {n}, expected {good}")
    os.pwrite(fds[1], payload[:n], off)
    for fd in fds:
        os.fsync(fd)
    drop_caches()
    got, ref = (os.pread(fd, size + MB, 0) for fd in fds)
    blocks, ref_blocks = (os.fstat(fd).st_blocks for fd in fds)
    stale = sum(1 for b in got if b == 0xab)
    print(f"{name}: wrote {n} of {length}, {stale} stale bytes, "
          f"{blocks} sectors (reference {ref_blocks})")
    if got != ref:
        bad.append(f"{name}: reads back differently from the reference ({stale} stale bytes)")
    # Indirect blocks allocated for the range not reached may stay
    # (zeroed): at most one per leaf array it spans, and two more.
    spare = ((length - n) // (bs * bs // 4) + 2) * bs // 512
    if not ref_blocks <= blocks <= ref_blocks + spare:
        bad.append(f"{name}: {blocks} sectors allocated, the reference {ref_blocks} (+{spare})")
    for fd in fds:
        os.close(fd)
    buf.close()
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
	sed -n 's/^[a-z-]*: wrote /# &/p' "$log"
	umount_fsck "$what" "$dev"
}

# mappings BS DEV: shared mappings of 2 MiB or more start where a PMD can
# map a whole 2 MiB folio (address and file offset equal modulo 2 MiB, as
# ext2, ext4 and XFS place them), and the block runs page_mkwrite keeps
# per inode go stale when truncation frees their blocks. A file of 8 MiB
# is written through a mapping, 4..6 MiB of it once more (the runs kept
# are then those), truncated to 1 MiB, its freed blocks taken by a
# second file, and grown back; stores through a new mapping then go to
# 4..6 MiB, which must get new blocks: through a stale run they would
# land in the old ones, now the second file's. Both files must read back
# from the disk (caches dropped) as written, and e2fsck find nothing.
mappings() {
	local bs=$1 dev=$2
	local what="$fstype-$bs mappings"
	fresh_mount "$what" "$bs" "$dev" || return
	step "$what: PMD-aligned mappings; stores after truncation land in new blocks" \
		python3 - "$mnt" <<'PY'
import ctypes, mmap, os, sys
from guest import drop_caches
m = sys.argv[1]
MB = 1 << 20
PMD = 2 * MB
bad = []

def address(mp):
    view = ctypes.c_char.from_buffer(mp)
    addr = ctypes.addressof(view)
    del view  # an exported buffer cannot be closed
    return addr

def pattern(seed, n):
    return bytes((i * 13 + seed) % 251 + 1 for i in range(n))

fd = os.open(f"{m}/runs", os.O_CREAT | os.O_RDWR | os.O_TRUNC)
os.ftruncate(fd, 8 * MB)
for off, length in ((0, 8 * MB), (MB, 4 * MB), (3 * MB, 4 * MB + 4096)):
    mp = mmap.mmap(fd, length, offset=off)
    addr = address(mp)
    print(f"map of {length} at file offset {off}: address {addr:#x}")
    if (addr - off) % PMD:
        bad.append(f"map at {off}: address {addr:#x} not at the file offset modulo 2 MiB")
    mp.close()
a = pattern(1, 8 * MB)
mp = mmap.mmap(fd, 8 * MB)
mp[:] = a
mp.flush()
# Written back, the pages are clean again: a store to each folio of
# 4..6 MiB faults, and the runs kept last are those of 4..6 MiB, where
# the stores after the truncation go.
mp[4 * MB:6 * MB] = a[4 * MB:6 * MB]
mp.close()
# Block-aligned, so no EOF block is zeroed (mapped) before the stores.
keep = MB
os.ftruncate(fd, keep)
os.fsync(fd)
with open(f"{m}/other", "wb") as f:
    c = pattern(7, 7 * MB)
    f.write(c)
    os.fsync(f.fileno())
os.ftruncate(fd, 8 * MB)
b = pattern(3, 2 * MB)
mp = mmap.mmap(fd, 8 * MB)
mp[4 * MB:6 * MB] = b
mp.flush()
mp.close()
os.fsync(fd)
os.close(fd)
# Closed, the inode goes with the caches: read back from the disk through
# a fresh one, whose block pointers say where the stores went.
drop_caches()
want = a[:keep] + bytes(4 * MB - keep) + b + bytes(2 * MB)
with open(f"{m}/runs", "rb") as f:
    if f.read() != want:
        bad.append("the truncated and rewritten file reads back different")
with open(f"{m}/other", "rb") as f:
    if f.read() != c:
        bad.append("the file that took the freed blocks reads back different")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
	sed -n 's/^map of /# &/p' "$log"
	umount_fsck "$what" "$dev"
}

# cold_walks BS DEV: lookups beside dropped caches. ext2rs reads an
# indirect block the buffer cache lacks with the block-map mutex dropped,
# then walks again. A 32 MiB file (at 1 KiB blocks under single and
# double indirect blocks) is written in random order, 64 KiB at a time,
# so its runs of blocks are short; then for three rounds, with the caches
# dropped over and over by a third thread: random 64 KiB overwrites of
# its first half, with fsyncs (writeback maps the same file), beside
# random reads of its second half, which must read as written. After the
# rounds the file must read back from the disk as the model of it says,
# and e2fsck find nothing. A module that takes the lookup after such a
# read for a hole still passes this (the lookups it reaches find their
# blocks cached, or in a kept run); truncate-levels catches that one at
# every block size, and in the debug build (EXT2RS_DEBUG=1), where every
# lookup takes that read, so does this scenario.
cold_walks() {
	py_scenario "$1" "$2" cold-walks "overwrites and reads beside dropped caches read back as written" <<'PY'
import os, random, sys, threading, time
from guest import drop_caches
m = sys.argv[1]
MB, REC = 1 << 20, 64 << 10
SIZE = 32 * MB
rng = random.Random(11)
model = bytearray(rng.randbytes(SIZE))
fd = os.open(f"{m}/cold", os.O_CREAT | os.O_RDWR | os.O_TRUNC)
# Written in random order, so its blocks lie in the order of the writes
# and a lookup of a record seldom falls in a run kept from another.
offsets = list(range(0, SIZE, REC))
rng.shuffle(offsets)
for off in offsets:
    os.pwrite(fd, model[off:off + REC], off)
os.fsync(fd)
bad, stop = [], threading.Event()

def dropper():
    while not stop.is_set():
        drop_caches()
        time.sleep(0.05)

def writer(seed):
    r = random.Random(seed)
    for i in range(200):
        off = r.randrange(SIZE // 2 // REC) * REC
        data = r.randbytes(REC)
        model[off:off + REC] = data
        os.pwrite(fd, data, off)
        if i % 25 == 24:
            os.fsync(fd)

def reader(seed):
    r = random.Random(seed)
    for _ in range(200):
        off = SIZE // 2 + r.randrange(SIZE // 2 // REC) * REC
        if os.pread(fd, REC, off) != model[off:off + REC]:
            bad.append(f"read at {off} differs")
            return

for rnd in range(3):
    stop.clear()
    threads = [threading.Thread(target=dropper), threading.Thread(target=writer, args=(rnd,)),
               threading.Thread(target=reader, args=(rnd + 100,))]
    for t in threads[1:]:
        t.start()
    threads[0].start()
    for t in threads[1:]:
        t.join()
    stop.set()
    threads[0].join()
os.fsync(fd)
os.close(fd)
drop_caches()
with open(f"{m}/cold", "rb") as f:
    back = f.read()
if back != model:
    bad.append("the file reads back from disk different from its model")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
}

# in_order_rewrites BS DEV: rewrites in order over a file that jumps on
# the disk every few blocks. An in-order lookup maps its leaf array to
# the end and keeps the run, so the requests after it find their blocks
# without a walk; a kept run that went on past a jump, or was taken at
# the wrong offset, would write into the other file's blocks. Mounted
# `-o noreservation`, two 8 MiB files are appended in turn in pieces of
# one block to 300 KiB (runs that end inside leaves and runs that cross
# them); the first must have 20 extents or more.
# The first is rewritten in order three times: in 64 KiB records, in
# 24 KiB records from block 5, and through a shared mapping 1 MiB at a
# time. Both must then read back from the disk as written.
in_order_rewrites() {
	py_scenario "$1" "$2" in-order-rewrites "rewrites in order over jumps read back as written" noreservation <<'PY'
import mmap, os, random, sys
from guest import drop_caches, fiemap
m = sys.argv[1]
bs = os.statvfs(m).f_bsize
SIZE = 8 << 20
rng = random.Random(17)
want = [bytearray(rng.randbytes(SIZE)), rng.randbytes(SIZE)]
fds = [os.open(f"{m}/{n}", os.O_CREAT | os.O_RDWR | os.O_TRUNC) for n in "ab"]
ends = [0, 0]
while min(ends) < SIZE:
    for i, fd in enumerate(fds):
        n = min(rng.randint(1, (300 << 10) // bs) * bs, SIZE - ends[i])
        if n:
            os.pwrite(fd, want[i][ends[i]:ends[i] + n], ends[i])
            ends[i] += n
for fd in fds:
    os.fsync(fd)
extents = len(fiemap(fds[0]))
print(f"a: {extents} extents")
bad = [] if extents >= 20 else [f"a has {extents} extents, not the jumps asked for"]
fd, a = fds[0], want[0]


def rewrite(start, rec):
    for off in range(start, SIZE, rec):
        buf = rng.randbytes(min(rec, SIZE - off))
        a[off:off + len(buf)] = buf
        os.pwrite(fd, buf, off)


rewrite(0, 64 << 10)
rewrite(5 * bs, 24 << 10)
with mmap.mmap(fd, SIZE) as mm:
    for off in range(0, SIZE, 1 << 20):
        buf = rng.randbytes(1 << 20)
        a[off:off + len(buf)] = buf
        mm[off:off + len(buf)] = buf
    mm.flush()
os.fsync(fd)
for fd in fds:
    os.close(fd)
drop_caches()
for n, data in zip("ab", want):
    with open(f"{m}/{n}", "rb") as f:
        if f.read() != data:
            bad.append(f"{n} reads back different")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
}

# windows BS DEV: reservation windows keep files written side by side
# apart. Four files get 8 MiB each in 64 KiB writes taken round robin,
# so that without windows their blocks interleave at the size of a write.
# A "jump" is a step between logical neighbours of more than 3 blocks on
# the disk (the gaps of 1 to 3 left by indirect blocks in line do not
# count). With windows (the default) each file may jump at most once per 8
# writes (windows double from the first write's size: 7 or 8 of them per
# file), and may have no more gaps of any size than that: its indirect
# blocks sit at the ends of its windows, not between its leaves (at 1 KiB
# an 8 MiB file has 32 leaves); mounted -o noreservation, each file must
# jump at least every other write, which shows that the test sees what it
# measures. Either way no fiemap extent may go on where the one before
# it ends: a mapping runs across leaf arrays as far as the data runs on
# disk. The data must read back, and e2fsck find nothing. The
# filesystem is made afresh, so that no free-space fragments left by the
# scenarios before add jumps.
windows() {
	local bs=$1 dev=$2 opt
	for opt in reservation noreservation; do
		local what="$fstype-$bs windows ($opt)"
		fresh_mount "$what" "$bs" "$dev" "$opt" || return
		step "$what: round-robin writers" python3 - "$mnt" "$opt" <<'PY'
import os, random, sys
from guest import drop_caches, fiemap
m, opt = sys.argv[1], sys.argv[2]
FILES, SIZE, REC = 4, 8 << 20, 64 << 10
rnd = random.Random(11)
data = [rnd.randbytes(SIZE) for _ in range(FILES)]
fds = [os.open(f"{m}/w{i}", os.O_CREAT | os.O_RDWR | os.O_TRUNC) for i in range(FILES)]
for off in range(0, SIZE, REC):
    for fd, d in zip(fds, data):
        os.pwrite(fd, d[off:off + REC], off)
for fd in fds:
    os.fsync(fd)

bs = os.statvfs(m).f_bsize
writes = SIZE // REC
bad = []
for i, fd in enumerate(fds):
    ext = fiemap(fd)
    steps = [(p1 - p0 - n0) // bs for (l0, p0, n0), (l1, p1, n1) in zip(ext, ext[1:])]
    jumps = sum(1 for s in steps if not 0 <= s <= 3)
    gaps = sum(1 for s in steps if s != 0)
    # Extents that go on where the one before ends, on disk and in the
    # file: a mapping cut short (at a leaf array) where the data was not.
    touching = sum(1 for (l0, p0, n0), (l1, p1, n1) in zip(ext, ext[1:])
                   if l0 + n0 == l1 and p0 + n0 == p1)
    print(f"w{i}: {len(ext)} extents, {gaps} gaps, {jumps} jumps, {touching} touching, {writes} writes")
    if touching:
        bad.append(f"w{i}: {touching} extents go on from the one before")
    if opt == "reservation" and jumps > writes // 8:
        bad.append(f"w{i}: {jumps} jumps with windows, over {writes // 8}")
    if opt == "reservation" and gaps > writes // 8:
        bad.append(f"w{i}: {gaps} gaps with windows, over {writes // 8}")
    if opt == "noreservation" and jumps < writes // 2:
        bad.append(f"w{i}: {jumps} jumps without windows, under {writes // 2}")
    os.close(fd)
drop_caches()
for i in range(FILES):
    with open(f"{m}/w{i}", "rb") as f:
        if f.read() != data[i]:
            bad.append(f"w{i} reads back different")
    os.unlink(f"{m}/w{i}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
		sed -n 's/^w[0-9]: /# &/p' "$log"
		umount_fsck "$what" "$dev" || return
	done
}

# leaf_runs BS DEV: runs that go on from one leaf indirect block into
# the next, read back cold. ext2rs maps the leaf arrays after a run's
# first from their parent indirect block, not by a walk from the top, and
# goes back to walking where the next leaf hangs from another parent. A
# sparse file gets (in blocks, P pointers per block, from the first
# block under the double-indirect block) data from 3 blocks before leaf 2
# to 2 blocks into leaf 3, with leaves 4 and 5 missing; 3 blocks from
# block 1 of leaf 6; and data from a leaf and 3 blocks before the end of
# the double-indirect range to a leaf and 5 blocks into the
# triple-indirect one (the end of the file). With the caches dropped,
# the ranges around them must read back as written and holes as zeros,
# and SEEK_DATA and
# SEEK_HOLE must find every edge: a hole run goes on over missing leaves
# and across the two parents.
leaf_runs() {
	py_scenario "$1" "$2" leaf-runs "runs across leaves and parents read back as written" <<'PY'
import os, random, sys
from guest import drop_caches
m = sys.argv[1]
st = os.statvfs(m)
bs, per = st.f_bsize, st.f_bsize // 4
dind = 12 + per
tind = dind + per * per
data = [(dind + 2 * per - 3, dind + 3 * per + 2), (dind + 6 * per + 1, dind + 6 * per + 4),
        (tind - per - 3, tind + per + 5)]
rng = random.Random(5)
content = {}
path = f"{m}/leaves"
fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_TRUNC)
for start, end in data:
    buf = rng.randbytes((end - start) * bs)
    content[start] = buf
    for off in range(0, len(buf), 64 << 10):
        os.pwrite(fd, buf[off:off + (64 << 10)], start * bs + off)
os.fsync(fd)
os.close(fd)
drop_caches()
bad = []

def expected(block, n):
    out = bytearray(n * bs)
    for start, end in data:
        lo, hi = max(block, start), min(block + n, end)
        if lo < hi:
            src = content[start][(lo - start) * bs:(hi - start) * bs]
            out[(lo - block) * bs:(hi - block) * bs] = src
    return bytes(out)

fd = os.open(path, os.O_RDONLY)
for lo, hi in [(dind + per, dind + 7 * per), (tind - 2 * per, tind + per + 5)]:
    for block in range(lo, hi, 256):
        n = min(256, hi - block)
        if os.pread(fd, n * bs, block * bs) != expected(block, n):
            bad.append(f"blocks {block}..{block + n} read back wrong")
            break
edges = []
pos = 0
for start, end in data:
    edges.append(("SEEK_DATA", pos, start * bs))
    edges.append(("SEEK_HOLE", start * bs, end * bs))
    pos = end * bs
for name, at, want in edges:
    got = os.lseek(fd, at, getattr(os, name))
    if got != want:
        bad.append(f"{name} from {at}: {got}, not {want}")
try:
    got = os.lseek(fd, pos, os.SEEK_DATA)
    bad.append(f"SEEK_DATA from the end of the file: {got}, not ENXIO")
except OSError:
    pass
os.close(fd)
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
}

# root_reserve BS FILLDEV: the blocks mke2fs -m reserves for root. On a
# fresh filesystem with 10% reserved, a writer that is not root (uid and
# gid 1000, no capabilities) writes one file until ENOSPC: statfs must
# then show the reserve still free, and no more than a few blocks over
# it (a write that needs a new leaf indirect block fails with one block
# left). Root then writes a second file until ENOSPC, into the reserve:
# it must get most of it and leave at most a few blocks free. Then the
# reserve's own user and group, as tune2fs -u/-g set them in the
# superblock (1000 and 2000): user 1000 and a user in group 2000 write
# into the reserve as root did, a user in neither stops at it. Then the
# resuid=/resgid= mount options, which override the superblock's: mounted
# -o resuid=1001,resgid=3000, user 1001 and a user in group 3000 write
# into it and user 1000 stops; remounted -o resuid=1000,resgid=2000,
# user 1000 writes into it again and user 1001 stops. Every file must
# read back whole from the disk, and e2fsck find nothing.
root_reserve() {
	local bs=$1 dev=$2 what="$fstype-$1 root-reserve"
	fresh_mount "$what" "$bs" "$dev" "" 10 || return
	step "$what: a user stops at the reserve, root writes into it" \
		python3 -c "$(reserve_py)" "$mnt" root
	sed -n 's/^\(block size\|the user\|root wrote\)/# &/p' "$log"
	umount_fsck "$what" "$dev" || return
	step "$what: tune2fs -u 1000 -g 2000" tune2fs -u 1000 -g 2000 "$dev" || return
	step "$what: mount -t $fstype $dev" mount -t "$fstype" "$dev" "$mnt" || return
	step "$what: the reserve's user and group write into it, others stop" \
		python3 -c "$(reserve_py)" "$mnt" owners
	sed -n 's/^user /# &/p' "$log"
	umount_fsck "$what" "$dev" || return
	step "$what: mount -o resuid=1001,resgid=3000" \
		mount -t "$fstype" -o resuid=1001,resgid=3000 "$dev" "$mnt" || return
	step "$what: resuid= and resgid= override the superblock's" \
		python3 -c "$(reserve_py)" "$mnt" options
	sed -n 's/^user /# &/p' "$log"
	step "$what: mount -o remount,resuid=1000,resgid=2000" \
		mount -o remount,resuid=1000,resgid=2000 "$mnt" || return
	step "$what: a remount changes the reserve's user and group" \
		python3 -c "$(reserve_py)" "$mnt" remount
	sed -n 's/^user /# &/p' "$log"
	umount_fsck "$what" "$dev"
}

# mount_options BS DEV: /proc/mounts shows a mount's options as ext2 does
# for the same mount (ext2_show_options: errors= and the attribute
# switches always, resuid=/resgid= when set here or in the superblock),
# and a remount changes the options it names and keeps the others, as in
# ext2. After a remount with nouser_xattr and noacl, setting a user.
# attribute or an ACL fails; after one with user_xattr and acl, both work
# again. A bad id is refused and changes nothing. The defaults come from
# the superblock as in ext2: its reserve owners, its s_errors (a value
# that names no policy means remount-ro) and its default mount options
# (tune2fs -o ^user_xattr,^acl: neither, unless the mount asks).
mount_options() {
	local bs=$1 dev=$2 what="$fstype-$1 mount-options"
	local off=errors=remount-ro,nouser_xattr,noacl,noreservation
	fresh_mount "$what" "$bs" "$dev" || return
	step "$what: shows rw,relatime,errors=continue,user_xattr,acl" \
		shows rw,relatime,errors=continue,user_xattr,acl
	step "$what: a file to set attributes on" touch "$mnt/f"
	step "$what: mount -o remount,$off,resuid=5,resgid=6" \
		mount -o "remount,$off,resuid=5,resgid=6" "$mnt"
	step "$what: shows rw,relatime,resuid=5,resgid=6,$off" \
		shows "rw,relatime,resuid=5,resgid=6,$off"
	step "$what: nouser_xattr: setfattr user.a fails" refuses setfattr -n user.a -v 1 "$mnt/f"
	step "$what: noacl: setfacl fails" refuses setfacl -m u:1000:r "$mnt/f"
	step "$what: mount -o remount,user_xattr,acl,reservation" \
		mount -o remount,user_xattr,acl,reservation "$mnt"
	step "$what: shows rw,relatime,resuid=5,resgid=6,errors=remount-ro,user_xattr,acl" \
		shows rw,relatime,resuid=5,resgid=6,errors=remount-ro,user_xattr,acl
	step "$what: setfattr user.a and setfacl work again" sets_attrs "$mnt/f"
	step "$what: mount -o remount,resuid=abc is refused" \
		refuses mount -o remount,resuid=abc "$mnt"
	step "$what: the refused remount changed nothing" \
		shows rw,relatime,resuid=5,resgid=6,errors=remount-ro,user_xattr,acl
	umount_fsck "$what" "$dev" || return
	step "$what: tune2fs -e remount-ro -u 1000 -g 2000" \
		tune2fs -e remount-ro -u 1000 -g 2000 "$dev" || return
	step "$what: mount -t $fstype $dev" mount -t "$fstype" "$dev" "$mnt" || return
	step "$what: shows the superblock's rw,relatime,resuid=1000,resgid=2000,user_xattr,acl" \
		shows rw,relatime,resuid=1000,resgid=2000,user_xattr,acl
	umount_fsck "$what" "$dev" || return
	step "$what: tune2fs -e continue -o ^user_xattr,^acl" \
		tune2fs -e continue -o ^user_xattr,^acl "$dev" || return
	step "$what: mount -t $fstype $dev" mount -t "$fstype" "$dev" "$mnt" || return
	step "$what: shows rw,relatime,resuid=1000,resgid=2000,errors=continue" \
		shows rw,relatime,resuid=1000,resgid=2000,errors=continue
	step "$what: no default user_xattr: setfattr user.a fails" \
		refuses setfattr -n user.a -v 2 "$mnt/f"
	step "$what: no default acl: setfacl fails" refuses setfacl -m u:1001:r "$mnt/f"
	step "$what: umount" umount "$mnt" || return
	step "$what: debugfs ssv errors 0 (no policy)" \
		debugfs -w -R "ssv errors 0" "$dev" || return
	step "$what: mount -t $fstype -o user_xattr,acl $dev" \
		mount -t "$fstype" -o user_xattr,acl "$dev" "$mnt" || return
	step "$what: s_errors 0 means remount-ro: shows rw,relatime,resuid=1000,resgid=2000,user_xattr,acl" \
		shows rw,relatime,resuid=1000,resgid=2000,user_xattr,acl
	step "$what: setfattr user.a and setfacl work as asked" sets_attrs "$mnt/f"
	step "$what: umount" umount "$mnt" || return
	step "$what: tune2fs -e continue" tune2fs -e continue "$dev" || return
	step "$what: e2fsck -fn clean" e2fsck -fn "$dev"
}

# shows OPTIONS: the options /proc/mounts shows for the mount on $mnt are
# OPTIONS; prints them if not.
# shellcheck disable=SC2317 # called through step
shows() {
	local got
	got=$(awk -v m="$mnt" '$2 == m { o = $4 } END { print o }' /proc/mounts)
	[ "$got" = "$1" ] || { echo "shown: $got"; return 1; }
}

# sets_attrs FILE: a user. attribute and an ACL entry can be set on FILE.
# shellcheck disable=SC2317 # called through step
sets_attrs() { setfattr -n user.a -v 1 "$1" && setfacl -m u:1000:r "$1"; }

# is_block WORD: WORD is a block number other than 0 (what debugfs bmap
# prints for a mapped block).
# shellcheck disable=SC2317 # called through step
is_block() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

# refuses CMD...: CMD fails.
# shellcheck disable=SC2317 # called through step
refuses() { ! "$@"; }

# errors_policy BS DEV: errors= decides what corruption found at run time
# does, also after a remount changes it. The first entry of a directory's
# block is zeroed on the disk (rec_len 0). Mounted -o errors=continue,
# listing the directory fails and the filesystem stays writable;
# remounted -o remount,errors=remount-ro, listing it fails again and the
# filesystem is read-only from then on. DEV is left corrupt: the next
# step makes its own filesystem.
errors_policy() {
	local bs=$1 dev=$2 what="$fstype-$1 errors-policy" block
	fresh_mount "$what" "$bs" "$dev" || return
	step "$what: mkdir /d" mkdir "$mnt/d" || return
	step "$what: three files in /d" touch "$mnt/d/a" "$mnt/d/b" "$mnt/d/c" || return
	step "$what: umount" umount "$mnt" || return
	block=$(debugfs -R "bmap /d 0" "$dev" 2>/dev/null)
	step "$what: debugfs maps /d's first block (${block:-nothing})" is_block "$block" || return
	step "$what: zero the first entry of /d's block ($block) on the disk" \
		dd if=/dev/zero of="$dev" bs=8 count=1 seek=$((block * bs / 8)) conv=notrunc,fsync || return
	step "$what: mount -o errors=continue" \
		mount -t "$fstype" -o errors=continue "$dev" "$mnt" || return
	step "$what: listing the corrupt directory fails" refuses ls "$mnt/d"
	step "$what: errors=continue: still read-write" shows rw,relatime,errors=continue,user_xattr,acl
	step "$what: errors=continue: a file can be created" touch "$mnt/f"
	step "$what: mount -o remount,errors=remount-ro" mount -o remount,errors=remount-ro "$mnt"
	step "$what: listing the corrupt directory fails again" refuses ls "$mnt/d"
	step "$what: errors=remount-ro: read-only now" shows ro,relatime,errors=remount-ro,user_xattr,acl
	step "$what: errors=remount-ro: creating a file fails" refuses touch "$mnt/g"
	step "$what: umount" umount "$mnt"
}

# reserve_py: the program of root_reserve's Python steps (MNT PHASE):
# phase root, then phases owners, options and remount.
reserve_py() {
	cat <<'PY'
import errno, os, sys
from guest import drop_caches
m, phase = sys.argv[1], sys.argv[2]
CHUNK = b"\x5a" * (64 << 10)
SLACK = 4  # blocks left over at an ENOSPC: a write needs its leaf too

def fill(path, uid, groups=()):
    """Writes path until ENOSPC in a child process, as root (uid 0) or as
    uid with gid uid, the supplementary groups, and no capabilities;
    returns the bytes written."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            if uid:
                os.setgroups(list(groups))
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
            fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
            off = 0
            while True:
                try:
                    off += os.pwrite(fd, CHUNK, off)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
            os.fsync(fd)
            os.close(fd)
            os.write(w, str(off).encode())
            os._exit(0)
        except BaseException as e:
            os.write(w, f"{path} as uid {uid}: {e!r}".encode())
            os._exit(1)
    os.close(w)
    out = b""
    while chunk := os.read(r, 4096):
        out += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        sys.exit(out.decode())
    return int(out)

def read_back(name, size):
    drop_caches()
    with open(f"{m}/{name}", "rb") as f:
        data = f.read()
    if len(data) != size or data.strip(b"\x5a"):
        bad.append(f"{name}: {len(data)} bytes read back, not {size} of 0x5a")

def stops_at_reserve(who, wrote):
    st = os.statvfs(m)
    print(f"{who} wrote {wrote} bytes, leaving {st.f_bfree} free")
    if not reserved <= st.f_bfree <= reserved + SLACK:
        bad.append(f"{st.f_bfree} blocks free after {who}'s ENOSPC, not {reserved} to {reserved + SLACK}")

def writes_into_reserve(who, wrote, free):
    st = os.statvfs(m)
    print(f"{who} wrote {wrote} bytes into the reserve, leaving {st.f_bfree} free")
    # The file needs an indirect block per leaf of data too.
    if wrote < (free - free // 64 - 2 * SLACK) * bs:
        bad.append(f"{who} wrote {wrote} bytes of {free} free blocks of {bs}")
    if st.f_bfree > SLACK:
        bad.append(f"{st.f_bfree} blocks free after {who}'s ENOSPC")

os.chmod(m, 0o777)
if phase != "root":
    # The root phase's files go: every writer starts from the same free
    # space, and statfs shows the whole reserve again.
    for name in os.listdir(m):
        if name != "lost+found":
            os.unlink(f"{m}/{name}")
st = os.statvfs(m)
bs, reserved = st.f_bsize, st.f_bfree - st.f_bavail
bad = []
if reserved < 64:
    sys.exit(f"{reserved} blocks reserved: mke2fs -m 10 did not take")
print(f"block size {bs}, {reserved} reserved")
if phase == "root":
    user = fill(f"{m}/user", 1000)
    stops_at_reserve("the user", user)
    free = os.statvfs(m).f_bfree
    root = fill(f"{m}/root", 0)
    writes_into_reserve("root", root, free)
    read_back("user", user)
    read_back("root", root)
else:
    # (who, uid, supplementary groups, may write into the reserve)
    writers = {
        "owners": (
            ("user 1000, the reserve's user", 1000, (), True),
            ("user 1001 in group 2000, the reserve's group", 1001, (2000,), True),
            ("user 1001 in neither", 1001, (), False),
        ),
        "options": (
            ("user 1001, resuid=", 1001, (), True),
            ("user 1002 in group 3000, resgid=", 1002, (3000,), True),
            ("user 1000, the superblock's, overridden", 1000, (2000,), False),
        ),
        "remount": (
            ("user 1000, resuid= at the remount", 1000, (), True),
            ("user 1001, resuid= before the remount", 1001, (), False),
        ),
    }[phase]
    for who, uid, groups, into in writers:
        free = os.statvfs(m).f_bfree
        wrote = fill(f"{m}/{uid}", uid, groups)
        if into:
            writes_into_reserve(who, wrote, free)
        else:
            stops_at_reserve(who, wrote)
        read_back(str(uid), wrote)
        os.unlink(f"{m}/{uid}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
}

echo "# write-guest.sh: $fstype, $*, seed $seed, $(uname -r)"
for spec in "$@"; do
	IFS=: read -r bs dev filldev <<<"$spec"
	scenario "$bs" "$dev" mmap-extend
	scenario "$bs" "$dev" mmap-eof-gap
	scenario "$bs" "$dev" mmap-holes
	scenario "$bs" "$dev" dio ${WTEST_DIO_OPS:+--ops "$WTEST_DIO_OPS"}
	scenario "$bs" "$dev" truncate-levels
	scenario "$bs" "$dev" storm ${WTEST_STORM_OPS:+--ops "$WTEST_STORM_OPS"}
	scenario "$bs" "$filldev" fill
	root_reserve "$bs" "$filldev"
	mount_options "$bs" "$filldev"
	errors_policy "$bs" "$filldev"
	durable "$bs" "$dev"
	migrate "$bs" "$dev"
	short_write "$bs" "$dev"
	mappings "$bs" "$dev"
	cold_walks "$bs" "$dev"
	leaf_runs "$bs" "$dev"
	in_order_rewrites "$bs" "$dev"
	[ "$fstype" = ext2rs ] && windows "$bs" "$dev"
done
finish
