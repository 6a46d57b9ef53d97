#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side driver of the namespace tests:
#
#   scripts/tests/run-namespace-tests.sh [--kasan]
#
# Makes, for block sizes 1024, 2048 and 4096, an empty 32 MiB ext2 image and
# a 2 MiB one with few inodes (for ENOSPC), boots the test VM once with all
# six attached, and runs scripts/tests/namespace-guest.sh on each pair,
# the three at once.
# Prints the guest's ok/not ok lines and ends with
# "namespace: N passed, N failed" (a VM run that fails without a failed
# test, e.g. on a kernel log WARNING, counts as one failure).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
cd "$EXT2RS_ROOT" || exit 1
need_cmds setfattr

# KASAN under TCG is several times slower, more so on a busy machine.
timeout=900
vm_flags=()
if [ "${1:-}" = --kasan ]; then
	vm_flags+=(--kasan)
	timeout=1800
	shift
fi
work=$EXT2RS_ROOT/target/namespace-tests
rm -rf "$work"
mkdir -p "$work"
disks=() args=() letter=(a b c d e f)
n=0
for bs in 1024 2048 4096; do
	run "making the $bs-byte images" mke2fs -q -F -t ext2 -b "$bs" -m 0 "$work/ns-$bs.img" 32M
	run "making the small $bs-byte image" mke2fs -q -F -t ext2 -b "$bs" -m 0 -N 128 \
		"$work/small-$bs.img" 1M
	disks+=(--disk "$work/ns-$bs.img" --disk "$work/small-$bs.img")
	args+=("/dev/vd${letter[n]}" "/dev/vd${letter[n + 1]}" "$bs")
	n=$((n + 2))
done

t0=$SECONDS
# shellcheck disable=SC2016 # expanded by the guest's bash
# The three block sizes run side by side (the guest has two CPUs; each
# test is mostly process start-up under TCG), their logs shown in order.
scripts/vm "${vm_flags[@]}" --timeout "$timeout" "${disks[@]}" -- bash -c '
	logs=$(mktemp -d /tmp/ns-logs.XXXXXX)
	while [ $# -ge 3 ]; do
		scripts/tests/namespace-guest.sh "$1" "$2" "$3" >"$logs/$3.log" 2>&1 &
		shift 3
	done
	wait
	cat "$logs"/1024.log "$logs"/2048.log "$logs"/4096.log' namespace "${args[@]}" 2>&1 | tee "$work/vm.log"
rc=${PIPESTATUS[0]}
passed=0 failed=0 ended=0
while read -r p f; do
	passed=$((passed + p)) failed=$((failed + f)) ended=$((ended + 1))
done < <(sed -nE 's/^namespace: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' "$work/vm.log")
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
	failed=$((failed + 1))
	log "the VM run failed (exit $rc) without a failed test"
fi
# Each block size ends with its own summary line; one missing means its
# script died early (a syntax error counts nothing by itself).
if [ "$ended" != 3 ]; then
	failed=$((failed + 1))
	log "only $ended of 3 block sizes reported their results"
fi
log "VM run: $((SECONDS - t0)) s (exit $rc)"
echo "namespace: $passed passed, $failed failed"
[ "$failed" = 0 ]
