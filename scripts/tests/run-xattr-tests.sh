#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side driver of the extended attribute and ACL tests:
#
#   scripts/tests/run-xattr-tests.sh [--kasan]
#
# Makes an empty 32 MiB ext2 image for block sizes 1024 and 4096, boots the
# test VM once with both attached, and runs scripts/tests/xattr-guest.sh on
# each, side by side. Prints the guest's ok/not ok lines and ends with
# "xattr: N passed, N failed" (a VM run that fails without a failed test,
# e.g. on a kernel log WARNING, counts as one failure).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
cd "$EXT2RS_ROOT" || exit 1
need_cmds getfattr setfattr getfacl setfacl

# KASAN under TCG is several times slower, more so on a busy machine.
timeout=600
vm_flags=()
if [ "${1:-}" = --kasan ]; then
	vm_flags+=(--kasan)
	timeout=1800
	shift
fi
work=$EXT2RS_ROOT/target/xattr-tests
rm -rf "$work"
mkdir -p "$work"
disks=() args=() letter=(a b)
n=0
for bs in 1024 4096; do
	run "making the $bs-byte image" mke2fs -q -F -t ext2 -b "$bs" -m 0 "$work/xattr-$bs.img" 32M
	disks+=(--disk "$work/xattr-$bs.img")
	args+=("/dev/vd${letter[n]}" "$bs")
	n=$((n + 1))
done

t0=$SECONDS
# shellcheck disable=SC2016 # expanded by the guest's bash
scripts/vm "${vm_flags[@]}" --timeout "$timeout" "${disks[@]}" -- bash -c '
	logs=$(mktemp -d /tmp/xattr-logs.XXXXXX)
	while [ $# -ge 2 ]; do
		scripts/tests/xattr-guest.sh "$1" "$2" >"$logs/$2.log" 2>&1 &
		shift 2
	done
	wait
	cat "$logs"/1024.log "$logs"/4096.log' xattr "${args[@]}" 2>&1 | tee "$work/vm.log"
rc=${PIPESTATUS[0]}
passed=0 failed=0 ended=0
while read -r p f; do
	passed=$((passed + p)) failed=$((failed + f)) ended=$((ended + 1))
done < <(sed -nE 's/^xattr: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' "$work/vm.log")
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
	failed=$((failed + 1))
	log "the VM run failed (exit $rc) without a failed test"
fi
# Each block size ends with its own summary line; one missing means its
# script died early.
if [ "$ended" != 2 ]; then
	failed=$((failed + 1))
	log "only $ended of 2 block sizes reported their results"
fi
log "VM run: $((SECONDS - t0)) s (exit $rc)"
echo "xattr: $passed passed, $failed failed"
[ "$failed" = 0 ]
