# SPDX-License-Identifier: GPL-2.0
#
# ext2rs: build, test and demo entry points.
#
#   make                      ext2rs.ko against the cached test kernel
#   make KDIR=<dir> LLVM=-19  ext2rs.ko against any Linux 7.2 build tree with
#                             CONFIG_RUST=y and CONFIG_FS_IOMAP=y
#   make EXT2RS_DEBUG=1       the debug build: every lookup through an
#                             indirect block takes the unlocked-read path
#                             (see fs/blockmap.rs), for the tests
#   make kernel [KASAN=1]     the test kernel, cached outside the repo
#   make kernel FLAVOUR=bench the benchmark kernel (no lockdep)
#   make check                everything CI runs
#   make demo                 boot the test kernel and show ext2rs at work
#
# Kbuild (not this file) describes the module to the kernel's build system.

LLVM ?= -19
export LLVM

ifeq ($(KDIR),)
# The cached test kernel, built (once) by scripts/build-kernel.
KDIR_CMD = scripts/setup >&2 && scripts/build-kernel
else
KDIR_CMD = echo $(KDIR)
endif

.PHONY: all modules kernel setup check demo clean rust-analyzer fmt

all: modules

modules:
	@kdir=$$($(KDIR_CMD)) && \
	$(MAKE) -C "$$kdir" M="$(CURDIR)" LLVM=$(LLVM) modules

setup:
	scripts/setup

kernel:
	@scripts/setup && FLAVOUR=$(or $(FLAVOUR),default) KASAN=$(or $(KASAN),0) \
		scripts/build-kernel >/dev/null

check:
	KASAN=$(or $(KASAN),1) scripts/check

demo:
	scripts/demo

fmt:
	rustfmt --edition 2021 --config-path .rustfmt.toml fs/ext2rs.rs
	cargo fmt --all

rust-analyzer:
	@kdir=$$($(KDIR_CMD)) && \
	$(MAKE) -C "$$kdir" M="$(CURDIR)" LLVM=$(LLVM) rust-analyzer

clean:
	@kdir=$$($(KDIR_CMD)) && \
	$(MAKE) -C "$$kdir" M="$(CURDIR)" LLVM=$(LLVM) clean
	rm -rf target

# xfstests on ext2rs in the test VM (XFSTESTS_DIR must point at your own
# xfstests build, see Documentation/xfstests.md); arguments in XFSTESTS_ARGS,
# e.g. make xfstests XFSTESTS_ARGS="--bs 4096 --shard 1/8".
.PHONY: xfstests
xfstests: modules
	scripts/xfstests $(XFSTESTS_ARGS)

# iozone comparison of ext2rs with ext2, ext4 and xfs in one boot of the
# test VM (scripts/bench, Documentation/benchmarks/README.md); arguments in
# BENCH_ARGS, e.g. make bench BENCH_ARGS="--quick --fs ext2rs,ext2".
.PHONY: bench
bench: modules
	scripts/bench $(BENCH_ARGS)

# perf profiles of a write, rewrite or read phase, ext2rs beside ext2 in
# one boot (scripts/profile), e.g.
# make profile PROFILE_ARGS="--phases rewrite --bs 1024,4096".
.PHONY: profile
profile: modules
	scripts/profile $(PROFILE_ARGS)
