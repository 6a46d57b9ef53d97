// SPDX-License-Identifier: GPL-2.0

//! Plugging the block I/O a task submits.
//!
//! C headers: [`include/linux/blkdev.h`](srctree/include/linux/blkdev.h)

use crate::vfs::bindings;

/// Runs `f` with the current task's block I/O plugged (`blk_start_plug`,
/// `blk_finish_plug`): the bios `f` submits are held back and merged where
/// adjacent on disk, and go to the disk as requests when `f` returns (or
/// when it sleeps, which flushes the plug). Inside another plug of the
/// task (a readahead's, a writeback's) this one does nothing and the
/// outer one submits.
pub fn plugged<R>(f: impl FnOnce() -> R) -> R {
    let mut plug = bindings::blk_plug::default();
    // SAFETY: `plug` lives on this stack frame, unmoved, until
    // `blk_finish_plug` below takes it off the task again; the block layer
    // initialises it and, if the task has a plug already, leaves it unused.
    unsafe { bindings::blk_start_plug(&raw mut plug) };
    let ret = f();
    // SAFETY: `plug` was started above on this task and not finished since.
    unsafe { bindings::blk_finish_plug(&raw mut plug) };
    ret
}
