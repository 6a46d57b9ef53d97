// SPDX-License-Identifier: GPL-2.0

//! Metadata blocks read through the block device's buffer cache.
//!
//! C headers: [`include/linux/buffer_head.h`](srctree/include/linux/buffer_head.h)
//!
//! ext2rs reads its metadata (superblock, group descriptors, bitmaps, inode
//! tables, indirect and directory blocks) as buffer heads of the block
//! device, never through the iomap data folios of regular files, whose
//! `folio->private` belongs to iomap.

use crate::vfs::bindings;
use core::ptr::NonNull;

/// An owned reference to an up-to-date buffer head; released on drop.
///
/// # Invariants
///
/// `bh` points to a buffer head on which this object holds one reference
/// (taken by `sb_bread`), whose data is up to date and `b_size` bytes long.
pub struct BufferHead {
    bh: NonNull<bindings::buffer_head>,
}

// SAFETY: A buffer head reference may be dropped (`brelse`) on any thread.
unsafe impl Send for BufferHead {}
// SAFETY: Shared access only reads the data, see [`BufferHead::data`].
unsafe impl Sync for BufferHead {}

impl BufferHead {
    /// Takes ownership of a reference returned by `sb_bread`.
    ///
    /// # Safety
    ///
    /// `bh` must be a buffer head returned by `sb_bread` (up to date, one
    /// reference owned by the caller), whose reference is transferred here.
    pub(crate) unsafe fn from_raw(bh: NonNull<bindings::buffer_head>) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self { bh }
    }

    /// The block's contents.
    ///
    /// ext2rs changes buffer contents only under its own locks (the lock of
    /// the group for bitmaps, the directory's `i_rwsem` for directory
    /// blocks, the block-map lock for indirect blocks), and readers hold the
    /// same locks, so the slice is not written while it is borrowed.
    pub fn data(&self) -> &[u8] {
        // SAFETY: By the type invariant the buffer is referenced and its `b_data` holds
        // `b_size` initialised bytes that live as long as the reference.
        unsafe {
            let bh = self.bh.as_ptr();
            core::slice::from_raw_parts((*bh).b_data.cast::<u8>(), (*bh).b_size)
        }
    }

    /// The block number this buffer holds.
    pub fn block_nr(&self) -> u64 {
        // SAFETY: `b_blocknr` does not change while the buffer is referenced.
        unsafe { (*self.bh.as_ptr()).b_blocknr }
    }
}

impl Drop for BufferHead {
    fn drop(&mut self) {
        // SAFETY: By the type invariant this object owns one reference.
        unsafe { bindings::ext2rs_brelse(self.bh.as_ptr()) };
    }
}
