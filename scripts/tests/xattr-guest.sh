#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the extended attribute and ACL tests (run by
# run-xattr-tests.sh inside the test VM):
#
#   xattr-guest.sh DEV BS
#
# DEV is an empty ext2 image of block size BS. Phases: attributes made by
# ext2rs, read back by the in-kernel ext2; blocks shared by the in-kernel
# ext2 then changed by ext2rs (copy-on-write); ACLs; deletion. e2fsck -fn
# after each. Prints "ok"/"not ok" lines and "xattr: N passed, N failed".
set -u
# shellcheck disable=SC2103 # the phases move between directories on purpose
dev=$1 bs=$2
mnt=/tmp/xattr-$bs
tmp=/tmp/xattr-tmp-$bs
mkdir -p "$mnt" "$tmp"
pass=0 fail=0
ok() { echo "ok - [$bs] $1"; pass=$((pass + 1)); }
notok() { echo "not ok - [$bs] $1"; fail=$((fail + 1)); }
check() { # check NAME COMMAND...: the command must succeed
	local name=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else notok "$name"; fi
}
fails() { # fails NAME ERRNO-TEXT COMMAND...: must fail with that message
	local name=$1 want=$2; shift 2
	local out
	if out=$("$@" 2>&1); then notok "$name (succeeded)"; return; fi
	case "$out" in *"$want"*) ok "$name" ;; *) notok "$name ($out)" ;; esac
}
same() { # same NAME A B
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1 ('$2' != '$3')"; fi
}
fsck() {
	if e2fsck -fn "$dev" >"$tmp"/fsck.log 2>&1; then ok "e2fsck clean: $1"
	else notok "e2fsck clean: $1"; cat "$tmp"/fsck.log; fi
}
dump() { (cd "$mnt" && getfattr -R -h -d -m - -e hex . 2>/dev/null); }
free_blocks() { stat -f -c %f "$mnt"; }

# Phase 1: attributes through ext2rs.
mount -t ext2rs "$dev" "$mnt" || { notok "mount"; exit 1; }
cd "$mnt" || exit 1
touch f
check "set user attribute" setfattr -n user.a -v hello f
same "get user attribute" "$(getfattr --only-values -n user.a f)" hello
same "blocks charged" "$(stat -c %b f)" $((bs / 512))
check "replace with longer value" setfattr -n user.a -v "a longer value" f
same "replaced value" "$(getfattr --only-values -n user.a f)" "a longer value"
check "empty value" setfattr -n user.empty f
same "empty value reads empty" "$(getfattr --only-values -n user.empty f | wc -c)" 0
check "trusted attribute" setfattr -n trusted.t -v tv f
check "security attribute" setfattr -n security.s -v sv f
same "listxattr" "$(getfattr -m - f | grep -v '^#' | sort | tr '\n' ' ')" \
	" security.s trusted.t user.a user.empty "
fails "XATTR_CREATE on existing: EEXIST" "File exists" \
	python3 -c 'import os; os.setxattr("f", "user.a", b"x", os.XATTR_CREATE)'
fails "XATTR_REPLACE on missing: ENODATA" "No data" \
	python3 -c 'import os; os.setxattr("f", "user.zz", b"x", os.XATTR_REPLACE)'
fails "remove missing: ENODATA" "No such attribute" setfattr -x user.zz f
fails "get missing: ENODATA" "No such attribute" getfattr -n user.zz f
fails "small buffer: ERANGE" "Numerical result" \
	python3 -c 'import ctypes, os; b = ctypes.create_string_buffer(2)
r = ctypes.CDLL(None, use_errno=True).getxattr(b"f", b"user.a", b, 2)
raise SystemExit(os.strerror(ctypes.get_errno()) if r < 0 else 0)'
fails "small list buffer: ERANGE" "Numerical result" \
	python3 -c 'import ctypes, os; b = ctypes.create_string_buffer(4)
r = ctypes.CDLL(None, use_errno=True).listxattr(b"f", b, 4)
raise SystemExit(os.strerror(ctypes.get_errno()) if r < 0 else 0)'
fails "name of 256 bytes: ERANGE" "Numerical result" \
	setfattr -n "user.$(printf 'n%.0s' $(seq 256))" -v x f
fails "value larger than a block: E2BIG/ERANGE" "" \
	python3 -c "import os; os.setxattr('f', 'user.big', b'x' * ($bs + 1))"
fails "trusted set needs CAP_SYS_ADMIN" "Operation not permitted" \
	setpriv --reuid 0 --inh-caps=-all --bounding-set=-all setfattr -n trusted.u -v 1 f
fails "trusted get needs CAP_SYS_ADMIN" "No such attribute" \
	setpriv --reuid 0 --inh-caps=-all --bounding-set=-all getfattr -n trusted.t f
same "trusted hidden from unprivileged list" \
	"$(setpriv --reuid 1000 --inh-caps=-all --bounding-set=-all getfattr -m - f 2>/dev/null | grep -c trusted)" 0
# Large values: one as large as fits, then ENOSPC for anything more.
touch big
max=$((bs - 32 - 4 - 20))
check "value filling the block" python3 -c "import os; os.setxattr('big', 'user.v', b'y' * $max)"
fails "one more attribute: ENOSPC" "No space" setfattr -n user.w -v 1 big
same "large value reads back" "$(getfattr --only-values -n user.v big | wc -c)" $max
# Many attributes until ENOSPC.
touch many
n=0
while setfattr -n "user.attr$n" -v "value-$n" many 2>"$tmp"/err; do n=$((n + 1)); done
case "$(cat "$tmp"/err)" in *"No space"*) ok "many attributes end in ENOSPC ($n)" ;;
*) notok "many attributes: $(cat "$tmp"/err)" ;; esac
same "all of them listed" "$(getfattr -m 'user\.' many | grep -c attr)" $n
check "remove one, then it fits" sh -c 'setfattr -x user.attr0 many && setfattr -n user.attrX -v value-0 many'
# Symlinks, directories, special files.
ln -s target sl; mkdir d; mknod fifo p
check "trusted on symlink" setfattr -h -n trusted.l -v 1 sl
same "listxattr on symlink" "$(getfattr -h -m - sl | grep -c trusted.l)" 1
check "user on directory" setfattr -n user.d -v 1 d
check "trusted on fifo" setfattr -n trusted.p -v 1 fifo
same "listxattr on fifo" "$(getfattr -m - fifo | grep -c trusted.p)" 1
# Removing the last attribute frees the block.
touch g; setfattr -n user.x -v 1 g
before=$(free_blocks)
check "remove last attribute" setfattr -x user.x g
same "its block freed" "$(free_blocks)" $((before + 1))
same "i_blocks back to 0" "$(stat -c %b g)" 0
dump >"$tmp"/dump-rs
cd /; umount "$mnt"
fsck "after ext2rs attributes"
mount -t ext2 "$dev" "$mnt" || notok "mount ext2"
same "in-kernel ext2 reads the same attributes" "$(dump | md5sum)" "$(md5sum <"$tmp"/dump-rs)"
# Phase 2: blocks shared by the in-kernel ext2, changed by ext2rs.
cd "$mnt" || exit 1; touch s1 s2 s3
for f in s1 s2 s3; do setfattr -n user.same -v shared $f; done
cd /; umount "$mnt"
mount -t ext2rs "$dev" "$mnt"; cd "$mnt" || exit 1
acl_block() { debugfs -R "stat /$1" "$dev" 2>/dev/null | sed -n 's/.*File ACL: \([0-9]*\).*/\1/p'; }
b1=$(acl_block s1)
same "ext2 shared one block" "$(acl_block s2)" "$b1"
check "change a shared block" setfattr -n user.same -v private s2
sync
same "copy-on-write gave s2 its own block" "$([ "$(acl_block s2)" != "$b1" ] && echo yes)" yes
same "s1 unchanged" "$(getfattr --only-values -n user.same s1)" shared
same "s2 changed" "$(getfattr --only-values -n user.same s2)" private
check "remove from shared block" setfattr -x user.same s3
sync
same "s3 dropped its reference" "$(acl_block s3)" 0
check "delete sharer" rm s1
sync
cd /; umount "$mnt"; fsck "after copy-on-write of shared blocks"
mount -t ext2 "$dev" "$mnt"
same "ext2 reads s2 private" "$(cd "$mnt" && getfattr --only-values -n user.same s2)" private
umount "$mnt"
# Phase 3: POSIX ACLs.
mount -t ext2rs "$dev" "$mnt"; cd "$mnt" || exit 1
mkdir acl; cd acl || exit 1
touch plain
check "setfacl user entry" setfacl -m u:1234:rw,g:55:r plain
same "getfacl shows it" "$(getfacl -cpn plain | tr '\n' ' ')" \
	"user::rw- user:1234:rw- group::r-- group:55:r-- mask::rw- other::r--  "
check "chmod updates the mask" chmod 640 plain
same "mask after chmod" "$(getfacl -cpn plain | grep mask)" "mask::r--"
same "mode after chmod" "$(stat -c %a plain)" 640
check "default ACL on directory" setfacl -d -m u:42:rwx,g::rx,o::- .
umask 022
mkdir sub; touch inh
same "file inherits default ACL" "$(getfacl -cpn inh | grep '^user:42')" "user:42:rwx	#effective:rw-"
same "dir inherits default ACL" "$(getfacl -cpn sub | grep -c '^default:user:42')" 1
same "umask ignored under default ACL" "$(stat -c %a inh)" 660
cd .. || exit 1; umask 027; touch noinh
same "umask applies without default ACL" "$(stat -c %a noinh)" 640
umask 022
fails "default ACL on a file: EACCES" "Permission denied" setfattr -n system.posix_acl_default \
	-v "$(getfattr -e hex -n system.posix_acl_default acl 2>/dev/null |
		sed -n 's/^system.posix_acl_default=//p')" acl/plain
check "remove ACL" setfacl -b acl/plain
same "no ACL left" "$(getfattr -m - acl/plain 2>/dev/null | grep -c posix_acl)" 0
setfacl -m u:1234:rw acl/plain
dump >"$tmp"/dump-acl
(cd acl && getfacl -R . ) >"$tmp"/facl 2>/dev/null
cd /; umount "$mnt"; fsck "after ACLs"
mount -t ext2 "$dev" "$mnt"
same "in-kernel ext2 reads the same ACL attributes" "$(dump | md5sum)" "$(md5sum <"$tmp"/dump-acl)"
same "in-kernel ext2 getfacl agrees" "$(cd "$mnt"/acl && getfacl -R . 2>/dev/null | md5sum)" "$(md5sum <"$tmp"/facl)"
umount "$mnt"
# Phase 4: deleting inodes frees their attribute blocks.
mount -t ext2rs "$dev" "$mnt"; cd "$mnt" || exit 1
before=$(free_blocks)
rm -rf many big f
sync
same "deletion freed the attribute blocks" "$(( $(free_blocks) - before >= 3 ))" 1
cd /; umount "$mnt"; fsck "after deletion"
mount -t ext2rs -o nouser_xattr "$dev" "$mnt"
fails "nouser_xattr refuses user.*" "Operation not supported" setfattr -n user.n -v 1 "$mnt/g"
umount "$mnt"
mount -t ext2rs -o noacl "$dev" "$mnt"
fails "noacl refuses ACLs" "Operation not supported" setfacl -m u:1:r "$mnt/g"
umount "$mnt"
echo "xattr: $pass passed, $fail failed"
