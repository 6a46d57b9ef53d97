#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side driver of the write-path tests:
#
#   scripts/tests/run-write-tests.sh [--kasan] [--only write|fsop] [FSTYPE]
#
# FSTYPE defaults to ext2rs; ext2 (or ext4) runs the same tests on the
# in-kernel driver, booting without ext2rs.ko, to check the tests
# themselves (see Documentation/testing.md for what ext2 fails and why).
# Builds the test tools (release), then:
#
#   write  one VM boot with, for block sizes 1024, 2048 and 4096, an empty
#          64 MiB ext2 image and an 8 MiB one for the fill scenario, running
#          scripts/tests/write-guest.sh (the wtest scenarios, e2fsck, and
#          verification under the in-kernel ext2 after remount);
#   fsop   one VM boot with three empty 32 MiB images, running
#          scripts/tests/fsop-guest.sh on each: FSOP_OPS operations
#          (default 100000, 10000 with --kasan) with fixed seeds
#          (FSOP_SEED + block size, FSOP_SEED default 20240), then e2fsck.
#          For ext2/ext4 fsop relaxes its EOF model unless FSOP_STRICT=1
#          (see fsop-guest.sh).
#
# --only runs one part. Prints the time of each boot and ends with
# "write-tests: N passed, N failed, N skipped" (the sum of the guests'
# "write:" and "fsop:" lines; a boot that fails without a failed case
# counts as one failure; a skipped case, TAP's "# SKIP", is one the guest
# could not run and says why), exit status 0 only if nothing failed. EXT2RS_KO selects the
# module file (default ./ext2rs.ko); WTEST_* variables are passed to
# write-guest.sh (with --kasan, WTEST_STORM_OPS and WTEST_DIO_OPS default
# to 1000 and 200).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
cd "$EXT2RS_ROOT" || exit 1

vm_flags=() kasan=0 only=all
while [ $# -gt 0 ]; do
	case "$1" in
	--kasan) vm_flags+=(--kasan) kasan=1; shift ;;
	--only) only=$2; shift 2 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
case "$only" in all | write | fsop) ;; *) die "--only write or --only fsop" ;; esac
fstype=${1:-ext2rs}
if [ "$fstype" = ext2rs ]; then
	vm_flags+=(--module "${EXT2RS_KO:-$EXT2RS_ROOT/ext2rs.ko}")
else
	vm_flags+=(--no-module)
fi
if [ "$kasan" = 1 ]; then
	fsop_ops=${FSOP_OPS:-10000}
	# KASAN under TCG is several times slower: smaller random scenarios.
	: "${WTEST_STORM_OPS:=1000}" "${WTEST_DIO_OPS:=200}"
else
	fsop_ops=${FSOP_OPS:-100000}
fi
fsop_seed=${FSOP_SEED:-20240}
work=$EXT2RS_ROOT/target/write-tests
passed=0 failed=0 skipped=0

# vm_run LABEL TIMEOUT [VM OPTIONS] -- CMD...: one VM boot; adds the
# guest's "write:"/"fsop:" summary lines to the totals, and counts a failed
# run without a failed case as one failure.
vm_run() {
	local label=$1 timeout=$2 t0=$SECONDS rc p f s got_fail=0 got=0
	shift 2
	log "=== $label"
	scripts/vm "${vm_flags[@]}" --timeout "$timeout" "$@" 2>&1 | tee "$work/$label.log"
	rc=${PIPESTATUS[0]}
	while read -r p f s; do
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
		got_fail=$((got_fail + f)) got=1
	done < <(sed -nE 's/^(write|fsop): ([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\2 \3 \5/p' "$work/$label.log")
	if [ "$rc" != 0 ] && [ "$got_fail" = 0 ]; then
		failed=$((failed + 1))
		log "$label: the VM run failed (exit $rc) without a failed test"
	elif [ "$got" = 0 ]; then
		failed=$((failed + 1))
		log "$label: no summary line from the guest"
	fi
	log "=== $label: $((SECONDS - t0)) s (VM exit $rc)"
}

# mkfs IMG BS SIZE: an empty ext2 image.
mkfs() {
	rm -f "$1"
	truncate -s "$3" "$1" && mke2fs -q -F -t ext2 -b "$2" -m 0 "$1" >/dev/null
}

run "building the test tools" cargo build --quiet --release -p wtest -p fsop
rm -rf "$work"
mkdir -p "$work"

if [ "$only" != fsop ]; then
	disks=() specs=() i=0 ok=1 letters=(a b c d e f)
	for bs in 1024 2048 4096; do
		mkfs "$work/write-$bs.img" "$bs" 64M || ok=0
		mkfs "$work/fill-$bs.img" "$bs" 8M || ok=0
		disks+=(--disk "$work/write-$bs.img" --disk "$work/fill-$bs.img")
		# virtio disks are vda, vdb, ... in the order given.
		specs+=("$bs:/dev/vd${letters[i]}:/dev/vd${letters[i + 1]}")
		i=$((i + 2))
	done
	if [ "$ok" = 1 ]; then
		env_args=()
		for v in WTEST_SEED WTEST_STORM_OPS WTEST_DIO_OPS; do
			[ -z "${!v:-}" ] || env_args+=("$v=${!v}")
		done
		vm_run write 1800 "${disks[@]}" -- \
			env "${env_args[@]}" scripts/tests/write-guest.sh "$fstype" "${specs[@]}"
	else
		failed=$((failed + 1))
	fi
	rm -f "$work"/write-*.img "$work"/fill-*.img
fi

if [ "$only" != write ]; then
	disks=() ok=1
	for bs in 1024 2048 4096; do
		mkfs "$work/fsop-$bs.img" "$bs" 32M || ok=0
		disks+=(--disk "$work/fsop-$bs.img")
	done
	if [ "$ok" = 1 ]; then
		# Under TCG fsop does 300-500 ops/s; allow 150/s.
		# shellcheck disable=SC2016 # expanded by the guest's bash
		vm_run fsop $((600 + 3 * fsop_ops / 150)) "${disks[@]}" -- \
			env FSOP_STRICT="${FSOP_STRICT:-0}" bash -c '
			fstype=$1 ops=$2 seed=$3 rc=0
			for disk in a:1024 b:2048 c:4096; do
				bs=${disk#*:}
				scripts/tests/fsop-guest.sh "/dev/vd${disk%:*}" "$fstype" "$bs" "$ops" $((seed + bs)) || rc=1
			done
			exit $rc' fsop "$fstype" "$fsop_ops" "$fsop_seed"
	else
		failed=$((failed + 1))
	fi
	rm -f "$work"/fsop-*.img
fi

echo "write-tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
