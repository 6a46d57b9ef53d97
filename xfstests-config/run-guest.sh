#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the scripts/vm guest for scripts/xfstests: one xfstests
# `./check -R xunit` over the tests of LIST that have no result yet.
#
#   run-guest.sh XFSTESTS_DIR CONFIG RESULTS LIST STAMP
#
# check's output goes to RESULTS/log/check-STAMP.log as it runs (the host
# parses it into RESULTS/status/<test>, also after a timeout); RESULTS/xfstests
# is xfstests' RESULT_BASE (.out.bad, .full, .dmesg, .notrun per test) and
# its JUnit report is copied to RESULTS/xunit/result-STAMP.xml (xfstests
# rewrites it after every test, so an interrupted run keeps one too).
set -u
xfs=$1 config=$2 res=$3 list=$4 stamp=$5
here=$(cd "$(dirname "$0")" && pwd)
export PATH="$here:$PATH"  # mkfs.ext2rs, fsck.ext2rs, mount-ext2rs
export HOST_OPTIONS=$config RESULT_BASE=$res/xfstests
# No udev runs in the guest: libdevmapper and LVM then create and remove
# the /dev/mapper nodes themselves, so the dm-error, dm-flakey and LVM
# tests find their devices.
export DM_DISABLE_UDEV=1
mkdir -p "$res"/{log,xunit,xfstests} /tmp/xfstests/test /tmp/xfstests/scratch
# The xfstests tree is the host's and read-only here, but some tests write
# into it: _link_out_file points tests/generic/NNN.out at the output for
# the filesystem (generic/035 "could not setup output file"). An overlay
# on a tmpfs takes those writes and leaves the user's tree untouched.
ovl=/tmp/xfstests-overlay
if ! { mkdir -p "$ovl" && mount -t tmpfs tmpfs "$ovl" &&
	mkdir "$ovl/upper" "$ovl/work" &&
	mount -t overlay overlay \
		-o "lowerdir=$xfs,upperdir=$ovl/upper,workdir=$ovl/work" "$xfs"; }; then
	echo "run-guest.sh: cannot put a writable overlay on $xfs" >&2
	exit 1
fi
cd "$xfs" || exit 1
todo=()
while read -r t; do
	[ -n "$t" ] && [ ! -e "$res/status/$t" ] && todo+=("$t")
done <"$list"
echo "xfstests: FSTYP=$FSTYP $(uname -r): ${#todo[@]} tests"
(
	while sleep 20; do
		cp "$RESULT_BASE/result.xml" "$res/xunit/result-$stamp.xml" 2>/dev/null
	done
) &
./check -R xunit "${todo[@]}" >"$res/log/check-$stamp.log" 2>&1
rc=$?
kill $! 2>/dev/null
cp "$RESULT_BASE/result.xml" "$res/xunit/result-$stamp.xml" 2>/dev/null
tail -n 5 "$res/log/check-$stamp.log"
exit $rc
