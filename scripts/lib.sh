# SPDX-License-Identifier: GPL-2.0
# Shared settings for the ext2rs scripts: cache locations, kernel identity, logging.
# Sourced, never executed.

: "${EXT2RS_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/ext2rs}"
: "${LLVM_SUFFIX:=-19}"
EXT2RS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KERNEL_SERIES=7.2
KERNEL_SRC_PKG=linux-source-$KERNEL_SERIES
BINDGEN_VERSION=0.72.1
VENV="$EXT2RS_CACHE/venv"
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

# The kernel source tarball installed by the Debian package, newest first.
kernel_tarball() {
	ls -1 /usr/src/linux-source-"$KERNEL_SERIES"*.tar.xz 2>/dev/null | sort -V | tail -n 1
}
