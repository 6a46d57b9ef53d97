#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side driver of the read-path tests:
#
#   scripts/tests/run-read-tests.sh [--kasan] [FSTYPE]   (default ext2rs)
#
# Builds treecmp and the source tree (scripts/tests/mktree.sh) once under
# target/read-tests/, then for block sizes 1024, 2048 and 4096 makes an
# image of it (mkimage.sh) and boots the test VM once per image to run
# scripts/tests/read.sh; then makes the corrupted images of every block size
# (corrupt.sh) and runs them all (corrupt-guest.sh) in one more boot. Prints
# the time of each VM run and ends with "read-tests: N passed, N failed".
#
# FSTYPE other than ext2rs (ext4, ext2: the in-kernel drivers, to check the
# tests themselves) boots without loading ext2rs.ko. HOLES=0 skips the hole
# and fiemap comparison (needed for ext2, which has no SEEK_HOLE); HUGE=1
# adds a 4 GiB sparse file (see mktree.sh); STATFS_REF names the driver
# whose statfs numbers must be matched (see read.sh).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
cd "$EXT2RS_ROOT" || exit 1

# Boot timeouts. KASAN under TCG is several times slower, more so on a
# busy host: with a second VM beside it, a KASAN read boot took 708 s and
# the corrupt boot 516 s, too close to 900 and 600.
vm_flags=() read_timeout=900 corrupt_timeout=600
if [ "${1:-}" = --kasan ]; then
	vm_flags+=(--kasan)
	read_timeout=1800 corrupt_timeout=1200
	shift
fi
fstype=${1:-ext2rs}
holes=${HOLES:-1}
[ "$fstype" = ext2rs ] || vm_flags+=(--no-module)
work=$EXT2RS_ROOT/target/read-tests
passed=0 failed=0

# vm_run LABEL TIMEOUT [VM OPTIONS] -- CMD...: one VM boot; adds the guest's
# "<name>: N passed, N failed" lines to the totals, and counts a failed run
# without such a failure as one failure.
vm_run() {
	local label=$1 timeout=$2 t0=$SECONDS rc p f got_fail=0 got=0
	shift 2
	log "=== $label"
	scripts/vm "${vm_flags[@]}" --timeout "$timeout" "$@" 2>&1 | tee "$work/$label.log"
	rc=${PIPESTATUS[0]}
	while read -r p f; do
		passed=$((passed + p)) failed=$((failed + f)) got_fail=$((got_fail + f)) got=1
	done < <(sed -nE 's/^(read|corrupt): ([0-9]+) passed, ([0-9]+) failed.*/\2 \3/p' "$work/$label.log")
	if [ "$rc" != 0 ] && [ "$got_fail" = 0 ]; then
		failed=$((failed + 1))
		log "$label: the VM run failed (exit $rc) without a failed test"
	elif [ "$got" = 0 ]; then
		failed=$((failed + 1))
		log "$label: no summary line from the guest"
	fi
	log "=== $label: $((SECONDS - t0)) s (VM exit $rc)"
}

run "building treecmp" cargo build --quiet -p treecmp
rm -rf "$work"
mkdir -p "$work"
run "generating the tree" scripts/tests/mktree.sh "$work/tree"

for bs in 1024 2048 4096; do
	img=$work/ext2-$bs.img
	if ! scripts/tests/mkimage.sh "$work/tree" "$img" "$bs"; then
		failed=$((failed + 1))
		continue
	fi
	vm_run "read-$bs" "$read_timeout" --disk "$img" -- \
		env HOLES="$holes" ${STATFS_REF:+STATFS_REF="$STATFS_REF"} scripts/tests/read.sh "$work/tree" /dev/vda "$fstype"
	rm -f "$img"
done

corrupt_ok=1
for bs in 1024 2048 4096; do
	scripts/tests/corrupt.sh "$work/corrupt-$bs" "$bs" || corrupt_ok=0
done
if [ "$corrupt_ok" = 1 ]; then
	# shellcheck disable=SC2016 # expanded by the guest's bash
	vm_run corrupt "$corrupt_timeout" -- bash -c 'rc=0
		for bs in 1024 2048 4096; do
			echo "# block size $bs"
			scripts/tests/corrupt-guest.sh "$0/corrupt-$bs" "$1" || rc=1
		done
		exit $rc' "$work" "$fstype"
else
	failed=$((failed + 1))
fi

echo "read-tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
