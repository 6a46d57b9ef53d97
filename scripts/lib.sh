# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # the settings are for the scripts that source this
# Shared settings for the ext2rs scripts: cache locations, kernel identity, logging.
# Sourced, never executed.

: "${EXT2RS_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/ext2rs}"
: "${LLVM_SUFFIX:=-19}"
EXT2RS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KERNEL_SERIES=7.2
KERNEL_SRC_PKG=linux-source-$KERNEL_SERIES
BINDGEN_VERSION=0.72.1
VENV="$EXT2RS_CACHE/venv"
# The QEMU CPU model of benchmark and profile guests under TCG. With ERMS or
# FSRM the kernel copies between user memory and the page cache with
# `rep movsb`, which TCG emulates a byte at a time, each byte a load and a
# store through the software TLB: the copy then dominates every buffered
# run (one-thread 256 MiB reads: 231-337 MiB/s with them, 1054-1061 without,
# back-to-back boots of one module) and collides with large folios
# (Documentation/benchmarks/2026-11-22-large-folios.md).
# Without them the kernel copies with `rep movsq`, eight bytes a step, as on
# CPUs without ERMS; the filesystems' own costs then show. Every filesystem
# of a run boots with the same model.
BENCH_CPU=max,erms=off,fsrm=off
export EXT2RS_CACHE EXT2RS_ROOT
export PATH="$HOME/.cargo/bin:$VENV/bin:$PATH"
export LIBCLANG_PATH="${LIBCLANG_PATH:-/usr/lib/llvm${LLVM_SUFFIX}/lib}"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { printf '[%s] error: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# run DESCRIPTION CMD...: run a step, and on failure say which step and command failed.
run() {
	local what=$1; shift
	"$@" || die "$what failed (command: $*)"
}

# missing_cmds CMD...: prints, one per line, each CMD not found on the host
# (the test VM runs the host's binaries).
missing_cmds() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || echo "$c"
	done
}

# need_cmds CMD...: dies naming the first command missing on the host;
# scripts/setup installs them all.
need_cmds() {
	local c
	c=$(missing_cmds "$@")
	[ -z "$c" ] || die "${c%%$'\n'*} not found on the host: run scripts/setup"
}

# size_kb SIZE: iozone-style size (plain KiB, or k/m/g suffix) in KiB
# (scripts/bench, scripts/profile).
size_kb() {
	[[ "$1" =~ ^([0-9]+)([kKmMgG]?)$ ]] || die "bad size $1 (want N, Nk, Nm or Ng)"
	case "${BASH_REMATCH[2]}" in
	'' | k | K) echo "${BASH_REMATCH[1]}" ;;
	m | M) echo $((BASH_REMATCH[1] * 1024)) ;;
	g | G) echo $((BASH_REMATCH[1] * 1048576)) ;;
	esac
}

# check_fs_bs FS_LIST BS_LIST: dies unless every filesystem is one the
# benchmark guests can make and every block size one ext2 has.
check_fs_bs() {
	local f b
	for f in ${1//,/ }; do
		case "$f" in ext2rs | ext2 | ext4 | xfs) ;; *) die "--fs: unknown filesystem $f" ;; esac
	done
	for b in ${2//,/ }; do
		case "$b" in 1024 | 2048 | 4096) ;; *) die "--bs: block size $b not 1024, 2048 or 4096" ;; esac
	done
}

# The kernel source tarball installed by the Debian package, newest first.
kernel_tarball() {
	find /usr/src -maxdepth 1 -name "linux-source-$KERNEL_SERIES*.tar.xz" | sort -V | tail -n 1
}

# kvm_works KDIR: whether KVM boots a guest of the kernel built in KDIR.
# /dev/kvm may exist and still hang (nested), so the first call per host
# kernel probes with a bounded boot and remembers the answer
# (EXT2RS_KVM=0/1 decides instead). scripts/vm and scripts/bench use it.
kvm_works() {
	local kdir=$1
	case "${EXT2RS_KVM:-auto}" in 0) return 1 ;; 1) return 0 ;; esac
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	local stamp
	stamp="$EXT2RS_CACHE/vm/kvm-$(hostname)-$(uname -r)"
	if [ ! -f "$stamp" ]; then
		mkdir -p "$(dirname "$stamp")"
		log "probing KVM (bounded to 30 s)"
		if timeout -k 5 30 qemu-system-x86_64 -enable-kvm -cpu host -m 256 -nographic \
			-no-reboot -kernel "$kdir/arch/x86/boot/bzImage" \
			-append "console=ttyS0 panic=-1 root=/dev/nonexistent" </dev/null 2>&1 |
			grep -q 'Kernel panic'; then
			echo yes >"$stamp"
		else
			echo no >"$stamp"
		fi
	fi
	[ "$(cat "$stamp")" = yes ]
}

# module_sources DIR: copies the module's sources in this tree (Kbuild, fs/
# and rust/, without build products) into DIR, for a build of ext2rs.ko
# outside the tree. tar keeps the sources' times, so a build in DIR stays
# incremental.
module_sources() {
	mkdir -p "$1" &&
		tar -C "$EXT2RS_ROOT" --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
			--exclude='*.mod' --exclude='*.mod.c' --exclude='*.d' \
			--exclude='bindings_generated.rs' -cf - Kbuild fs rust | tar -C "$1" -xf -
}

# flavour_module FLAVOUR KDIR: the ext2rs.ko of this tree for the kernel of
# FLAVOUR built in KDIR (scripts/bench, scripts/profile). For the default
# kernel that is the tree's own ext2rs.ko (built by make); for another
# flavour it is built in $EXT2RS_CACHE/module/FLAVOUR from a copy
# (module_sources), so the tree's own stays the default kernel's: a
# module only works in the kernel it was built against (scripts/vm checks).
# Prints the module's path.
flavour_module() {
	local kdir=$2 out="$EXT2RS_CACHE/module/$1"
	if [ "$1" = default ]; then
		echo "$EXT2RS_ROOT/ext2rs.ko"
		return
	fi
	module_sources "$out"
	log "building ext2rs.ko for the $1 kernel in $out"
	if ! make -C "$kdir" M="$out" LLVM="$LLVM_SUFFIX" modules >"$out/build.log" 2>&1; then
		tail -n 30 "$out/build.log" >&2
		log "module build for the $1 kernel failed; log: $out/build.log"
		return 1
	fi
	echo "$out/ext2rs.ko"
}

# module_commit DIR: the commit of the tree in DIR, where a module was
# built, for the reports of scripts/bench and scripts/profile. A `git
# archive` export names it in .archive-commit (export-subst in
# .gitattributes; in a checkout the file holds the unexpanded format). A
# checkout gives `git describe` and the last commit that changed the
# module's sources (the branch may have moved on in scripts or docs only).
module_commit() {
	local stamp src commit
	stamp=$(cat "$1/.archive-commit" 2>/dev/null) || stamp=''
	case "$stamp" in
	'' | *"\$Format"*) ;;
	*)
		echo "$stamp (built from a git archive of it)"
		return
		;;
	esac
	if ! src=$(git -C "$1" rev-parse --show-toplevel 2>/dev/null); then
		echo unknown
		return
	fi
	commit="$(git -C "$src" describe --always --dirty); module sources: $(git -C "$src" log -1 --format=%h -- fs rust Kbuild)"
	git -C "$src" diff --quiet HEAD -- fs rust Kbuild || commit+=" + uncommitted changes"
	echo "$commit"
}

# module_fits KO KDIR: whether KO was built for the kernel in KDIR (its
# vermagic starts with that kernel's release).
module_fits() {
	local magic
	magic=$(modinfo -F vermagic "$1") || return 1
	[ "${magic%% *}" = "$(cat "$2/include/config/kernel.release")" ]
}
