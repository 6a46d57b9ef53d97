#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest-side smoke test (run by scripts/vm, ext2rs.ko already loaded):
# the filesystem type is registered, a mount attempt fails cleanly, and the
# module unloads.
set -u
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

check "ext2rs.ko is loaded" grep -q '^ext2rs ' /proc/modules
check "ext2rs is in /proc/filesystems" grep -qw ext2rs /proc/filesystems
check "registration was logged" sh -c 'dmesg | grep -q "ext2rs: registering filesystem type ext2rs"'
check "rmmod ext2rs" rmmod ext2rs
check "ext2rs is gone from /proc/filesystems" sh -c '! grep -qw ext2rs /proc/filesystems'
echo "smoke: $pass passed, $fail failed"
[ "$fail" = 0 ]
