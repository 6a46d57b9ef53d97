// SPDX-License-Identifier: GPL-2.0

//! Block reservation windows (fs/ext2/balloc.c's `ext2_reserve_window`).
//!
//! A regular file being written gets a window: a range of blocks in one
//! group that its next allocations come from and that the windows of other
//! files keep out of. Files written side by side then grow in long runs of
//! their own instead of interleaving at the size of each write. A window
//! lives in memory only: its blocks stay free in the bitmap until taken,
//! an allocation without a window (a directory's, or after no window could
//! be found) may still take them, and it is dropped when the file is
//! truncated, closed by a writer or evicted, so nothing about it reaches
//! the disk.
//!
//! A window starts at [`DEFAULT_SIZE`] blocks, or the size of the request;
//! each time a file has used more than half of its window when it needs a
//! new one, the next is twice as large, up to [`MAX_SIZE`] blocks.
//!
//! Locking: a file's [`Reservation`] lives in its block-map mutex
//! ([`InodeInfo::disk`](crate::InodeInfo)); the filesystem's [`Windows`]
//! have their own mutex, taken inside a group lock or on its own, and
//! never held across anything that may sleep for memory or I/O.

use crate::format::bitmap;
use kernel::alloc::flags::GFP_NOWAIT;
use kernel::prelude::*;
use kernel::sync::Mutex;

/// A new file's first window, in blocks (`EXT2_DEFAULT_RESERVE_BLOCKS`).
pub(crate) const DEFAULT_SIZE: u32 = 8;

/// The largest window, in blocks. ext2 stops at 1027
/// (`EXT2_MAX_RESERVE_BLOCKS`); larger windows leave files written
/// together in fewer, longer runs, and cost nothing once the file is
/// closed. 8192 blocks is a whole group at 1 KiB blocks (the window ends
/// where its group does): a run there is then 8 MiB, where the device
/// takes reads of up to 4 MiB and readahead asks for 8 MiB at a time
/// (virtio-blk); at 4096 blocks a 4 MiB run split most readahead
/// windows in two.
pub(crate) const MAX_SIZE: u32 = 8192;

/// Blocks `[start, end)` set aside for one file.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// The first block.
    start: u64,
    /// One past the last block.
    end: u64,
}

/// Every window of a filesystem, sorted by start; no two overlap.
pub(crate) struct Windows(KVec<Window>);

impl Windows {
    /// No windows.
    pub(crate) fn new() -> Self {
        Self(KVec::new())
    }

    /// The first window that overlaps blocks `[start, end)`.
    fn overlap(&self, start: u64, end: u64) -> Option<Window> {
        // Sorted and disjoint: the ends are sorted too.
        let i = self.0.partition_point(|w| w.end <= start);
        self.0.get(i).copied().filter(|w| w.start < end)
    }

    /// Adds `w`, which overlaps no window; false if there was no memory
    /// for it (the caller goes on without a window).
    fn insert(&mut self, w: Window) -> bool {
        // GFP_NOWAIT: reclaim could evict an inode, whose window is
        // dropped under this mutex.
        if self.0.reserve(1, GFP_NOWAIT).is_err() {
            return false;
        }
        let i = self.0.partition_point(|x| x.start < w.start);
        self.0.insert_within_capacity(i, w).is_ok()
    }

    /// Removes `w`.
    fn remove(&mut self, w: Window) {
        if let Ok(i) = self.0.binary_search_by_key(&w.start, |x| x.start) {
            if self.0.get(i) == Some(&w) {
                let _ = self.0.remove(i);
            }
        }
    }
}

/// A file's window and how large its next one should be
/// (`ext2_reserve_window_node`'s goal size and hit count).
pub(crate) struct Reservation {
    /// The current window, if any.
    window: Option<Window>,
    /// The size the next window asks for.
    goal_size: u32,
    /// Blocks allocated from the current window.
    hits: u32,
}

impl Reservation {
    /// No window yet.
    pub(crate) const fn new() -> Self {
        Self {
            window: None,
            goal_size: DEFAULT_SIZE,
            hits: 0,
        }
    }

    /// If block `first + bit` lies in the window, the group bit the window
    /// ends at (`goal_in_my_reservation`); `first` is the group's first
    /// block.
    pub(crate) fn end_bit(&self, first: u64, bit: u32) -> Option<u32> {
        let w = self.window?;
        let block = first + u64::from(bit);
        if block < w.start || block >= w.end {
            return None;
        }
        u32::try_from(w.end - first).ok()
    }

    /// Counts `n` blocks allocated from the window.
    pub(crate) fn hit(&mut self, n: u32) {
        self.hits = self.hits.saturating_add(n);
    }

    /// Drops the window (`ext2_discard_reservation`).
    pub(crate) fn discard(&mut self, windows: &Mutex<Windows>) {
        if let Some(w) = self.window.take() {
            windows.lock().remove(w);
        }
        self.hits = 0;
    }

    /// Replaces the window with a new one in the group whose `size` blocks
    /// start at block `first` and whose block bitmap is `bitmap`: the
    /// first stretch from bit `bit` on that starts with a free block and
    /// overlaps no other window (`alloc_new_reservation`). Returns its
    /// first and end bits, or `None` if the group has no room for one.
    /// The caller holds the group's lock.
    pub(crate) fn renew(
        &mut self,
        windows: &Mutex<Windows>,
        bitmap: &[u8],
        (first, size): (u64, u32),
        bit: u32,
        count: u32,
    ) -> Option<(u32, u32)> {
        if let Some(w) = self.window {
            if u64::from(self.hits) > (w.end - w.start) / 2 {
                self.goal_size = self.goal_size.saturating_mul(2).min(MAX_SIZE);
            }
        }
        self.discard(windows);
        self.goal_size = self.goal_size.max(count.min(MAX_SIZE));
        let want = u64::from(self.goal_size);
        let group_end = first + u64::from(size);
        let mut list = windows.lock();
        let mut pos = bit;
        while pos < size {
            let free = bitmap::find_next_zero_bit(bitmap, size, pos)?;
            let start = first + u64::from(free);
            let end = (start + want).min(group_end);
            match list.overlap(start, end) {
                Some(w) => pos = u32::try_from(w.end.saturating_sub(first)).ok()?,
                None => {
                    let w = Window { start, end };
                    if !list.insert(w) {
                        return None;
                    }
                    self.window = Some(w);
                    return Some((free, u32::try_from(end - first).ok()?));
                }
            }
        }
        None
    }
}
