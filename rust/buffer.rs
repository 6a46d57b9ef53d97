// SPDX-License-Identifier: GPL-2.0

//! Metadata blocks read through the block device's buffer cache.
//!
//! C headers: [`include/linux/buffer_head.h`](srctree/include/linux/buffer_head.h)
//!
//! ext2rs reads its metadata (superblock, group descriptors, bitmaps, inode
//! tables, indirect and directory blocks) as buffer heads of the block
//! device, never through the iomap data folios of regular files, whose
//! `folio->private` belongs to iomap.

use crate::vfs::{bindings, fs::FileSystem, inode::INode};
use core::{ptr::NonNull, sync::atomic::AtomicU8};
use kernel::prelude::*;

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

    /// The block's contents as atomic bytes, to change without the buffer
    /// lock, as ext2 changes bitmaps (`ext2_set_bit_atomic`) and block
    /// pointers (`ext2_splice_branch`).
    ///
    /// [`BufferHead::lock`] waits for a write of the block in flight to
    /// complete, which under writeback is the whole disk write. A change
    /// made while the block is being written may reach the disk partly or
    /// not at all; the caller marks the buffer dirty after the change, so
    /// the next writeback sends all of it, and readers of the block on
    /// disk (e2fsck) see it only after `sync`, which waits for that write.
    /// Callers serialise the writers and readers of one block's bytes with
    /// their own lock, as for [`BufferHead::data`].
    pub fn data_atomic(&self) -> &[AtomicU8] {
        // SAFETY: By the type invariant the buffer is referenced and its `b_data` holds
        // `b_size` initialised bytes that live as long as the reference. `AtomicU8` has
        // the size and alignment of `u8`, and every change made through the slice is
        // atomic, so it does not race with writeback reading the block.
        unsafe {
            let bh = self.bh.as_ptr();
            core::slice::from_raw_parts((*bh).b_data.cast::<AtomicU8>(), (*bh).b_size)
        }
    }

    /// Locks the buffer (`lock_buffer`) to change its contents: the lock
    /// keeps writeback from sending a half-made change to disk, and keeps
    /// two writers of one block (inodes sharing an inode-table block) apart.
    pub fn lock(&self) -> BufferLock<'_> {
        // SAFETY: The buffer is referenced; `lock_buffer` may sleep, which callers of a
        // buffer-cache API must allow.
        unsafe { bindings::ext2rs_lock_buffer(self.bh.as_ptr()) };
        // INVARIANT: We hold the buffer lock until the guard is dropped.
        BufferLock { bh: self }
    }

    /// Marks the buffer dirty for writeback (`mark_buffer_dirty`).
    pub fn mark_dirty(&self) {
        // SAFETY: The buffer is referenced and up to date.
        unsafe { bindings::mark_buffer_dirty(self.bh.as_ptr()) };
    }

    /// Marks the buffer dirty and puts it on `inode`'s list of metadata
    /// buffers (`mmb_mark_buffer_dirty`), so that `fsync` of `inode` writes
    /// it: for indirect and directory blocks, which the inode's data needs.
    /// A buffer already on another inode's list stays there.
    pub fn mark_dirty_inode<T: FileSystem>(&self, inode: &INode<T>) {
        // SAFETY: The buffer is referenced and up to date; the inode is live, so its list
        // is initialised, and `evict_inode` empties the list before the inode is freed.
        unsafe { bindings::mmb_mark_buffer_dirty(self.bh.as_ptr(), inode.metadata_bhs()) };
    }

    /// Writes the buffer now if it is dirty and waits (`sync_dirty_buffer`).
    pub fn sync(&self) -> Result {
        // SAFETY: The buffer is referenced; the function locks it itself.
        kernel::error::to_result(unsafe { bindings::sync_dirty_buffer(self.bh.as_ptr()) })
    }

    /// Releases the buffer and drops any pending write of it (`bforget`):
    /// for a metadata block being freed, whose old contents must not be
    /// written over whatever the block holds next.
    pub fn forget(self) {
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: This object owns one reference, which `bforget` consumes.
        unsafe { bindings::ext2rs_bforget(this.bh.as_ptr()) };
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

/// A locked buffer whose contents may be changed.
///
/// # Invariants
///
/// The caller holds the buffer lock of `bh` (taken by [`BufferHead::lock`]).
pub struct BufferLock<'a> {
    bh: &'a BufferHead,
}

impl BufferLock<'_> {
    /// The block's contents, for changing.
    ///
    /// Readers of the same bytes hold the filesystem's lock for them (see
    /// [`BufferHead::data`]), which writers hold too.
    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: The buffer is referenced and up to date, its data is `b_size` bytes, and
        // by the type invariant we hold its lock, so no other writer touches it; `&mut
        // self` keeps this the only mutable slice made from the guard.
        unsafe {
            let bh = self.bh.bh.as_ptr();
            core::slice::from_raw_parts_mut((*bh).b_data.cast::<u8>(), (*bh).b_size)
        }
    }
}

impl Drop for BufferLock<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we hold the lock.
        unsafe { bindings::unlock_buffer(self.bh.bh.as_ptr()) };
    }
}
