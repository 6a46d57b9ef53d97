// SPDX-License-Identifier: GPL-2.0
//! fsop: a seeded, reproducible randomized file operation tester in the
//! spirit of xfstests' fsx, checked against an in-memory model of the file
//! after every operation. Written to test the ext2rs write path; validated
//! against the kernel's ext2 and ext4.
//!
//! # What each operation checks
//!
//! Every operation is logged (number, kind, offset, length, size before and
//! after) and followed by an fstat() size check against the model. Every
//! `--check-every` operations (default 100), after a remount and at the end,
//! the whole file is read back with pread and compared.
//!
//! - `read`: pread of a random range (sometimes past EOF) through the page
//!   cache; the byte count and the bytes must match the model.
//! - `write`: pwrite of random bytes at a random offset (anywhere below
//!   `--maxlen`: overwrites, extensions, writes past EOF that leave holes);
//!   then the written range and the gap from the old EOF are read back.
//! - `mapread`: MAP_SHARED read-only mapping of a range inside the file,
//!   compared with the model; if the mapping covers the EOF page, the bytes
//!   from EOF to the end of that page must read zero (fsx's check_eofpage),
//!   unless a `mapeof` store may still sit there (see below).
//! - `mapwrite`: MAP_SHARED read-write mapping of a range inside the file
//!   (never past the page holding EOF), random stores, then no msync,
//!   MS_ASYNC or MS_SYNC; the range is read back with pread.
//! - `mapeof`: stores non-zero bytes through a mapping of the EOF page
//!   *beyond* EOF (fsx's "mapped write past EOF" / EOF pollution); the
//!   file is unchanged, and the in-file part of the page is read back.
//! - `truncate`: ftruncate to 0, down, up, the same size, unaligned sizes
//!   and sizes near block and page boundaries; the last two pages below the
//!   new (or old, if smaller) EOF and the whole extension are read back.
//! - `dread`/`dwrite`: O_DIRECT pread/pwrite through a second descriptor,
//!   offsets and lengths multiples of `--block-size` (default 512, the
//!   logical sector size, so 1 KiB and 4 KiB block filesystems also see
//!   sub-block direct I/O), 4096-aligned buffers; direct reads may run past
//!   EOF and must return exactly the bytes up to EOF; direct writes may
//!   extend the file or leave holes, and are read back through the page
//!   cache.
//! - `fsync`: fsync or fdatasync on the buffered descriptor, or fsync on
//!   the O_DIRECT one.
//! - `reopen`: close both descriptors, reopen, read the last two pages.
//! - `remount` (with `--remount DEV:MNT:FSTYPE:OPTS`): close, umount2,
//!   mount(2), reopen, verify the whole file: what reached the disk.
//!
//! # Semantics modelled
//!
//! - Size changes: the model is a byte vector whose length is the file
//!   size. Any growth (extending write, write past EOF, truncate up,
//!   extending direct write) exposes zeros between the old EOF and the new
//!   data; truncate down discards the tail, so a later truncate up reads
//!   zeros there.
//! - Mapped stores beyond EOF (`mapeof`) are not part of the file: like
//!   fsx's EOF-page pollution, the model does not change, and after a later
//!   extension the bytes they hit must read zero (the kernel must zero the
//!   post-EOF part of the EOF block/folio on extension, cf.
//!   pagecache_isize_extended() and generic/363). While such stores may
//!   still be in the page cache beyond EOF, `mapread` skips its zero-tail
//!   check; a shrink, or growth into another page, clears that state.
//!   XFS (Linux 7.2) meets this for every path. The kernel's ext2 does not
//!   for extending writes and truncate up (pagecache_isize_extended() only
//!   zeroes when bs < ps, the growth leaves the EOF block and that block is
//!   not the last of its page; ext2_setsize() zeroes only from the new
//!   size to the end of its block), and neither ext2 nor ext4 does for an
//!   O_DIRECT write that extends the file beyond the EOF page. `--relaxed-eof` accommodates them: before an operation grows the
//!   file while such a store may still be dirty, fsop fsyncs, and writeback
//!   zeroes the post-EOF part of the page.
//! - Direct I/O coherency: direct and buffered/mapped access are mixed
//!   freely on the same file with no extra syncs; the kernel must write back
//!   and invalidate the page cache around direct I/O, so every access is
//!   expected to see the latest data. Mappings are unmapped at the end of
//!   each operation.
//! - Filesystems without O_DIRECT: EINVAL from open(O_DIRECT) (or from the
//!   first direct I/O) prints a notice and skips direct operations, unless
//!   `--require-direct`; their parameters are still drawn so the rest of
//!   the sequence is the same.
//!
//! # Reproducibility and failures
//!
//! A splitmix64 generator seeded by `--seed` drives every choice, so the
//! same seed and options replay the same operations. On the first mismatch
//! or unexpected error fsop prints the seed, the operation number, a hex
//! dump of model vs file around the first differing byte and the last
//! `--log` operations, writes the model to PATH.fsopgood and the file to
//! PATH.fsopbad, and exits 1. A SIGBUS/SIGSEGV during a mapped access
//! prints the seed and log too.

mod gen;
mod mix;
mod model;
mod options;
mod report;
mod rng;
mod runner;
mod sys;

use options::Command;
use std::process::ExitCode;

fn main() -> ExitCode {
    let opts = match options::parse(std::env::args().skip(1)) {
        Ok(Command::Run(opts)) => opts,
        Ok(Command::Help) => {
            println!("{}", options::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("fsop: {e}\n{}", options::USAGE);
            return ExitCode::from(2);
        }
    };
    let seed = opts.seed;
    let mut runner = match runner::Runner::new(*opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fsop: {e}");
            return ExitCode::from(2);
        }
    };
    match runner.run() {
        Ok(summary) => {
            runner::print_summary(summary, seed);
            ExitCode::SUCCESS
        }
        Err(_) => ExitCode::from(1),
    }
}
