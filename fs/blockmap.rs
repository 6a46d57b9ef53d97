// SPDX-License-Identifier: GPL-2.0

//! The ext2 block tree: 12 direct pointers, then single, double and triple
//! indirect blocks (fs/ext2/inode.c: ext2_get_blocks, ext2_alloc_branch,
//! ext2_truncate_blocks).
//!
//! A lookup walks from `i_block` down to the leaf array holding the
//! pointer of the first block, then extends the mapping over the pointers
//! that follow it while they stay holes or stay physically contiguous,
//! from leaf array to leaf array. Every pointer is checked before use: it
//! must lie inside the filesystem's data area and must not be one of the
//! indirect blocks on its own path (a loop).
//!
//! Locking: everything here runs under the inode's block-map mutex
//! ([`InodeInfo::disk`](crate::InodeInfo)), taken by [`get_blocks`] and
//! [`truncate_blocks`]; the group locks of `balloc` nest inside it. One
//! exception: [`get_blocks`] reads an indirect block of its path that is
//! not in the buffer cache with the mutex dropped, then walks again, so
//! the file's other mappers (writeback, readahead, another writer) do not
//! wait out the read. The buffer cache may then hold a block that a
//! truncation freed meanwhile, as ext2's lockless `ext2_get_branch` may
//! leave one: a block that becomes an indirect block again is zeroed
//! (`getblk_zeroed`), never read.

use crate::balloc;
use crate::format::blockmap;
use crate::format::inode::s_isreg;
use crate::inode::DiskInode;
use crate::rsv::Reservation;
use crate::sb::Ext2Fs;
use crate::vfs::blk;
use crate::vfs::buffer::BufferHead;
use crate::vfs::inode::INode;
use core::sync::atomic::Ordering;
use kernel::prelude::*;

/// A run of logical blocks: a hole, or blocks contiguous on disk.
pub(crate) struct Run {
    /// The first physical block, or `None` for a hole.
    pub(crate) phys: Option<u64>,
    /// Number of blocks in the run (at least 1).
    pub(crate) len: u64,
}

/// The leaf array holding the pointer of a logical block.
enum Leaf<'a> {
    /// The direct pointers in the inode.
    Direct(&'a [u32]),
    /// An indirect block.
    Indirect(&'a BufferHead),
}

impl Leaf<'_> {
    /// Pointer `i` of the array, if in range.
    fn get(&self, i: usize) -> Option<u32> {
        match self {
            Leaf::Direct(ptrs) => ptrs.get(i).copied(),
            Leaf::Indirect(bh) => le32_at(bh.data(), i),
        }
    }

    /// How many pointers from `start` on, up to `max`, go on the way
    /// pointer `start` (`first`) begins: zeros after a zero, each one
    /// more than the one before otherwise.
    fn run_len(&self, start: usize, first: u32, max: u64) -> u64 {
        let from = start.saturating_add(1);
        match self {
            Leaf::Direct(ptrs) => {
                let rest = ptrs.get(from..).unwrap_or_default();
                run_len(first, rest.iter().copied(), max)
            }
            Leaf::Indirect(bh) => run_len(first, le32s(bh.data(), from), max),
        }
    }
}

/// [`Leaf::run_len`] over the pointers after `first`, `rest`: one pass
/// over the array, where indexing it pointer by pointer checked the
/// bounds of each (a scan runs over every pointer a lookup maps, 256 per
/// 256 KiB of file at 1 KiB blocks).
fn run_len(first: u32, rest: impl Iterator<Item = u32>, max: u64) -> u64 {
    let step = u32::from(first != 0);
    let mut expected = first;
    let mut len: u64 = 1;
    for next in rest {
        if len >= max {
            break;
        }
        match expected.checked_add(step) {
            Some(e) if e == next => expected = e,
            _ => break,
        }
        len += 1;
    }
    len
}

/// The little-endian pointers of an indirect block from index `from` on
/// (none if `from` is past its end).
fn le32s(data: &[u8], from: usize) -> impl Iterator<Item = u32> + '_ {
    let rest = from
        .checked_mul(4)
        .and_then(|at| data.get(at..))
        .unwrap_or_default();
    rest.chunks_exact(4).map_while(|c| {
        let bytes = c.first_chunk::<4>()?;
        Some(u32::from_le_bytes(*bytes))
    })
}

/// The little-endian pointer at index `i` of an indirect block.
fn le32_at(data: &[u8], i: usize) -> Option<u32> {
    le32s(data, i).next()
}

/// Reports a block pointer that cannot be right.
fn bad_pointer(inode: &INode<Ext2Fs>, iblock: u64, ptr: u32) -> Error {
    crate::report(
        inode.super_block(),
        inode.ino(),
        format_args!("invalid block pointer {ptr} for logical block {iblock}"),
    )
}

/// Where a walk down the block tree stopped: allocation goes on from
/// there instead of walking again.
struct Reached {
    /// How many indirect blocks of the path exist (their pointers were
    /// followed); allocation starts at that level.
    depth: usize,
    /// The indirect block holding the pointer at `depth`, or `None` for
    /// the inode's `i_block`.
    holder: Option<BufferHead>,
    /// Blocks from the looked-up one to the end of its leaf array: a run
    /// this long may go on in the next array.
    leaf_left: u64,
    /// The indirect block holding the pointer to the leaf array, when the
    /// walk read that leaf from one: the next leaf arrays are looked up
    /// there, not by a walk from the top (see [`next_leaf`]).
    parent: Option<Parent>,
}

/// An indirect block whose pointers are leaf indirect blocks, and where a
/// walk through it stood: enough to map the next leaf array without
/// walking down to this block again.
struct Parent {
    bh: BufferHead,
    /// The index in `bh` of the leaf array last mapped.
    index: usize,
    /// The indirect blocks of the path, `bh` included, by level; the leaf
    /// array's level (`level`) is filled in for each leaf.
    ancestors: [u64; 3],
    /// The leaf arrays' level in the path below `i_block`.
    level: usize,
    /// The pointer after `bh`'s in the indirect block above it: the next
    /// parent of leaf arrays, read ahead as the leaves of this one run
    /// out (see [`read_next_parent_ahead`]); 0 if there is none, or `bh`
    /// hangs from `i_block`.
    next: u32,
}

/// Indirect block pointer `ptr`, met looking up `iblock`, as a block
/// number: it must lie in the data area and not be one of `ancestors`
/// (the indirect blocks above it on the path: a loop).
fn indirect_block(inode: &INode<Ext2Fs>, iblock: u64, ptr: u32, ancestors: &[u64]) -> Result<u64> {
    let block = u64::from(ptr);
    if !inode.super_block().data().sb.data_block_valid(block, 1) || ancestors.contains(&block) {
        return Err(bad_pointer(inode, iblock, ptr));
    }
    Ok(block)
}

/// What a walk down the block tree found: the mapping, or (for a walk
/// that may not wait) an indirect block on the path that must be read
/// first.
enum Walk {
    /// The run found and where the walk stopped.
    Mapped(Run, Reached),
    /// The indirect block, checked to lie in the data area, that the
    /// buffer cache does not hold (or that [`Reads::Miss`] did not
    /// look for there).
    Uncached(u64),
}

/// Where a walk takes the indirect blocks of its path from.
enum Reads {
    /// The buffer cache, reading (and waiting for) what it does not hold.
    Wait,
    /// The buffer cache only: the first block it does not hold ends the
    /// walk with [`Walk::Uncached`].
    Cached,
    /// Nowhere, as if the buffer cache missed every block: the first
    /// indirect block ends the walk with [`Walk::Uncached`]. Only debug
    /// builds walk so (see [`DEBUG_UNLOCKED_READS`]).
    Miss,
}

/// Whether this is a debug build (`make EXT2RS_DEBUG=1`, which sets
/// `--cfg ext2rs_debug`): its [`get_blocks`] takes the path of an indirect
/// block missing from the buffer cache (drop the mutex, read, walk again)
/// on every lookup through one, not only after memory pressure evicted
/// it, so the tests reach that path on every lookup. Production builds
/// never take it for a cached block.
const DEBUG_UNLOCKED_READS: bool = cfg!(ext2rs_debug);

/// Maps logical block `iblock` of `inode` and up to `max - 1` blocks
/// after it, as far as they share a leaf array and a kind (hole or
/// contiguous), or as far as the hole under a missing indirect block
/// goes; with `ahead`, a mapped run to the end of its leaf array even past
/// `max`. The caller holds the block-map mutex (`i_block`), which keeps
/// the returned [`Reached`] current while it holds it.
fn map_blocks(
    inode: &INode<Ext2Fs>,
    i_block: &[u32],
    iblock: u64,
    max: u64,
    ahead: bool,
) -> Result<(Run, Reached)> {
    match walk(inode, i_block, iblock, max, ahead, Reads::Wait)? {
        Walk::Mapped(run, reached) => Ok((run, reached)),
        // A walk that may wait reads every block it needs.
        Walk::Uncached(_) => Err(EINVAL),
    }
}

/// [`map_blocks`], taking the indirect blocks of the path as `reads` says;
/// with `ahead`, a mapped run is followed to the end of its leaf array
/// even past `max` blocks (see [`get_blocks`]).
fn walk(
    inode: &INode<Ext2Fs>,
    i_block: &[u32],
    iblock: u64,
    max: u64,
    ahead: bool,
    reads: Reads,
) -> Result<Walk> {
    let sb = inode.super_block();
    let corrupt = |e| crate::report(sb, inode.ino(), e);
    let path = blockmap::block_to_path(sb.block_size(), iblock).map_err(corrupt)?;
    let offsets = path.offsets();
    let (&top, rest) = offsets.split_first().ok_or(EINVAL)?;
    let leaf_left = u64::from(path.boundary) + 1;
    let want = max.max(1);
    let max = want.min(leaf_left);
    let limits = scan_limits(max, leaf_left, ahead);
    if rest.is_empty() {
        let run = scan(inode, &Leaf::Direct(i_block), top, iblock, limits, &[])?;
        let reached = Reached {
            depth: 0,
            holder: None,
            leaf_left,
            parent: None,
        };
        return Ok(Walk::Mapped(run, reached));
    }
    // Walk down the indirect blocks, remembering them to catch loops.
    let mut ancestors = [0u64; 3];
    let mut holder: Option<BufferHead> = None;
    let mut next_parent = 0;
    let mut ptr = i_block.get(top).copied().ok_or(EINVAL)?;
    for (level, &index) in rest.iter().enumerate() {
        if ptr == 0 {
            // A missing indirect block: everything below it is a hole.
            let below = rest.get(level..).ok_or(EINVAL)?;
            let left = blockmap::left_below(sb.block_size(), below).map_err(corrupt)?;
            let run = Run {
                phys: None,
                len: want.min(left),
            };
            let reached = Reached {
                depth: level,
                holder,
                leaf_left,
                parent: None,
            };
            return Ok(Walk::Mapped(run, reached));
        }
        let block = indirect_block(inode, iblock, ptr, &ancestors)?;
        let is_leaf = level + 1 == rest.len();
        let cached = match reads {
            Reads::Wait if is_leaf => Some(read_leaf(
                inode,
                holder.as_ref(),
                offsets.get(level),
                block,
            )?),
            Reads::Wait => Some(sb.bread(block)?),
            Reads::Cached if is_leaf => {
                leaf_cached(inode, holder.as_ref(), offsets.get(level), block)
            }
            Reads::Cached => sb.bread_cached(block),
            Reads::Miss => None,
        };
        let Some(bh) = cached else {
            return Ok(Walk::Uncached(block));
        };
        let slot = ancestors.get_mut(level).ok_or(EINVAL)?;
        *slot = block;
        if level + 1 == rest.len() {
            let run = scan(
                inode,
                &Leaf::Indirect(&bh),
                index,
                iblock,
                limits,
                &ancestors,
            )?;
            let parent = match (holder, level.checked_sub(1).and_then(|l| rest.get(l))) {
                (Some(bh), Some(&index)) => Some(Parent {
                    bh,
                    index,
                    ancestors,
                    level,
                    next: next_parent,
                }),
                _ => None,
            };
            let reached = Reached {
                depth: rest.len(),
                holder: Some(bh),
                leaf_left,
                parent,
            };
            return Ok(Walk::Mapped(run, reached));
        }
        ptr = le32_at(bh.data(), index).ok_or(EINVAL)?;
        if level + 2 == rest.len() {
            let above = level.checked_sub(1).and_then(|l| rest.get(l));
            next_parent = match (holder.as_ref(), above) {
                (Some(grand), Some(&i)) => le32_at(grand.data(), i + 1).unwrap_or(0),
                _ => 0,
            };
            read_leaves_ahead(inode, &bh, index, next_parent);
        }
        holder = Some(bh);
    }
    Err(EINVAL)
}

/// Leaf indirect block `block`, pointer `index` of `parent`, from the
/// buffer cache, or read (and waited for) after starting the batch of
/// leaves around it (see [`read_leaves_around`]).
fn read_leaf(
    inode: &INode<Ext2Fs>,
    parent: Option<&BufferHead>,
    index: Option<&usize>,
    block: u64,
) -> Result<BufferHead> {
    match leaf_cached(inode, parent, index, block) {
        Some(bh) => Ok(bh),
        None => inode.super_block().bread(block),
    }
}

/// Leaf indirect block `block`, pointer `index` of `parent`, if the
/// buffer cache holds it; if not, the batch of leaves around it is
/// started, the leaf among them (see [`read_leaves_around`]).
fn leaf_cached(
    inode: &INode<Ext2Fs>,
    parent: Option<&BufferHead>,
    index: Option<&usize>,
    block: u64,
) -> Option<BufferHead> {
    let bh = inode.super_block().bread_cached(block);
    if bh.is_none() {
        read_leaves_around(inode, parent, index);
    }
    bh
}

/// Maps the leaf array after `parent`'s last, from its first block
/// `iblock`, up to `max` blocks (with `ahead`, a mapped run to its end),
/// as a walk from the top would ([`map_blocks`]), and moves `parent` on
/// to it: the run, and the blocks of the leaf array (its `leaf_left`).
/// `None` if that leaf hangs from another indirect block. Walking from
/// the top for each leaf a run goes on into cost, at 1 KiB blocks past
/// 64 MiB into a file, three buffer-cache lookups per 256 KiB of the run
/// where one will do.
fn next_leaf(
    inode: &INode<Ext2Fs>,
    parent: &mut Parent,
    iblock: u64,
    max: u64,
    ahead: bool,
) -> Result<Option<(Run, u64)>> {
    let sb = inode.super_block();
    let per_leaf =
        blockmap::addr_per_block(sb.block_size()).map_err(|e| crate::report(sb, inode.ino(), e))?;
    let index = parent.index + 1;
    let Some(ptr) = le32_at(parent.bh.data(), index) else {
        return Ok(None);
    };
    let leaf_left = u64::from(per_leaf);
    let max = max.max(1).min(leaf_left);
    parent.index = index;
    if ptr == 0 {
        return Ok(Some((
            Run {
                phys: None,
                len: max,
            },
            leaf_left,
        )));
    }
    let above = parent.ancestors.get(..parent.level).ok_or(EINVAL)?;
    let block = indirect_block(inode, iblock, ptr, above)?;
    // As a walk does: the leaves ahead are asked for before this one is
    // waited for.
    read_leaves_ahead(inode, &parent.bh, index, parent.next);
    let leaf = read_leaf(inode, Some(&parent.bh), Some(&index), block)?;
    *parent.ancestors.get_mut(parent.level).ok_or(EINVAL)? = block;
    let run = scan(
        inode,
        &Leaf::Indirect(&leaf),
        0,
        iblock,
        scan_limits(max, leaf_left, ahead),
        &parent.ancestors,
    )?;
    Ok(Some((run, leaf_left)))
}

/// File data, in bytes, that the leaf indirect blocks read ahead in one
/// batch map (see [`read_leaves_ahead`]). Two readahead windows (8 MiB on
/// virtio): the leaves are read in the readahead's plug, behind the data
/// of its window, and at 4 MiB the next window's walk still found them
/// in flight. A sequential mapped read of 1 GiB at 1 KiB blocks (iozone
/// -B, lockdep kernel) waited 129 ms for them over 109 waits; at 16 MiB
/// it does not wait for them.
const LEAVES_AHEAD_BYTES: u64 = 16 << 20;

/// Starts reading leaf indirect blocks that follow leaf `index` of
/// `parent`, without waiting: at every `n`th leaf, those `n` to `2 * n`
/// after it, where `n` leaves map [`LEAVES_AHEAD_BYTES`] of data, so the
/// batch after the current one is in flight too. The leaves before were
/// asked for by the `n`th leaf back (or by [`read_leaves_around`], whose
/// aligned batch of `2 * n` ends where this one starts): asking again
/// cost a buffer-cache lookup for each. At 1 KiB blocks a leaf maps
/// 256 KiB, and a sequential reader or rewriter of a file whose leaves
/// are not cached would otherwise stop for each leaf's read in turn: 4096
/// reads per GiB, one at a time. At 4 KiB blocks a leaf maps 4 MiB, and
/// every 4th leaf reads the 4 to 8 after it: one 4 KiB read for each
/// 4 MiB would otherwise stop every readahead window that reaches a new
/// leaf.
/// A batch that runs past the end of `parent` goes on in the leaves of
/// the next parent, `next` (see [`read_next_parent_ahead`]).
/// Pointers that cannot be right are skipped: the walk that reaches one
/// reports it.
fn read_leaves_ahead(inode: &INode<Ext2Fs>, parent: &BufferHead, index: usize, next: u32) {
    let Some(n) = leaves_per_batch(inode) else {
        return;
    };
    if index % n == 0 {
        let end = index + 2 * n + 1;
        read_leaves(inode, parent, index + n..end);
        read_next_parent_ahead(inode, end, n, next);
    }
}

/// Starts reading the next parent of leaf arrays, block `next`, when the
/// leaves read ahead in the current parent end within `n` leaves of its
/// end (`end` is one past the last), and the first leaves of `next` once
/// they run past it and `next` is in the buffer cache: `n` leaves on, a
/// batch later, it is. At 1 KiB blocks a parent maps 64 MiB, and past 64 MiB
/// into a file every parent hangs from the triple-indirect block; a
/// sequential reader of a file whose blocks are not cached otherwise
/// waited at each new parent for two reads in turn, the parent and its
/// first leaf: 660 to 726 ms in 133 waits of a 4.7 to 6.4 s four-thread
/// read of 1 GiB files (off-CPU profile, lockdep kernel), 76 to 118 ms in
/// 23 with this. At 4 KiB blocks a parent maps 4 GiB.
fn read_next_parent_ahead(inode: &INode<Ext2Fs>, end: usize, n: usize, next: u32) {
    let sb = inode.super_block();
    let Some(per_parent) = blockmap::addr_per_block(sb.block_size())
        .ok()
        .and_then(|per| usize::try_from(per).ok())
    else {
        return;
    };
    let block = u64::from(next);
    if end + n <= per_parent || next == 0 || !sb.data().sb.data_block_valid(block, 1) {
        return;
    }
    match sb.bread_cached(block) {
        Some(bh) if end > per_parent => read_leaves(inode, &bh, 0..end - per_parent),
        Some(_) => {}
        None => sb.breadahead(block),
    }
}

/// How many leaves map [`LEAVES_AHEAD_BYTES`] of data at this block size
/// (one where a leaf maps that much alone, at 4 KiB blocks).
fn leaves_per_batch(inode: &INode<Ext2Fs>) -> Option<usize> {
    let block_size = inode.super_block().block_size();
    let per_leaf = blockmap::addr_per_block(block_size).ok()?;
    let leaf_maps = u64::from(per_leaf) * u64::from(block_size);
    LEAVES_AHEAD_BYTES
        .checked_div(leaf_maps)
        .and_then(|n| usize::try_from(n).ok())
        .map(|n| n.max(1))
}

/// Starts reading the leaves `range` of `parent`, in one plug: the leaves
/// of a batch gather at the ends of reservation windows, and the block
/// layer then merges neighbours into one request. Unplugged, each 1 KiB
/// leaf went to the disk alone: a random writer of a 256 MiB file at
/// 1 KiB blocks whose leaves were not cached sent 1031 requests of 1 KiB.
/// Pointers that cannot be right are skipped: the walk that reaches one
/// reports it.
fn read_leaves(inode: &INode<Ext2Fs>, parent: &BufferHead, range: core::ops::Range<usize>) {
    let sb = inode.super_block();
    blk::plugged(|| {
        for i in range {
            // Past the end of the parent: its last leaf is reached.
            let Some(ptr) = le32_at(parent.data(), i) else {
                break;
            };
            let block = u64::from(ptr);
            if ptr != 0 && sb.data().sb.data_block_valid(block, 1) {
                sb.breadahead(block);
            }
        }
    });
}

/// Starts reading the batch of leaf indirect blocks around a leaf the
/// buffer cache does not hold, without waiting: the `2 * n` leaves of
/// `parent` from a multiple of `2 * n` on (`n` as in
/// [`read_leaves_ahead`]); `index` is the leaf's in `parent`.
/// A random reader or writer of a file whose leaves the page cache has
/// pushed out would otherwise wait for one leaf at a time, at 1 KiB
/// blocks one 1 KiB read for every 256 KiB of file, where neighbouring
/// leaves are read in one plug, most of them into the same page. The
/// leaf itself is in the batch: the read its walk then waits for (a
/// `bread` that finds it in flight) is the batch's request, not one of
/// its own behind it.
fn read_leaves_around(inode: &INode<Ext2Fs>, parent: Option<&BufferHead>, index: Option<&usize>) {
    let (Some(parent), Some(&index)) = (parent, index) else {
        return;
    };
    let Some(n) = leaves_per_batch(inode) else {
        return;
    };
    let batch = 2 * n;
    let first = index - index % batch;
    read_leaves(inode, parent, first..first + batch);
}

/// The limits [`scan`] takes in a leaf array with `leaf_left` blocks
/// from the looked-up one: `max` blocks (at most `leaf_left`), and with
/// `ahead` a mapped run on to the end of the array.
fn scan_limits(max: u64, leaf_left: u64, ahead: bool) -> (u64, u64) {
    (max, if ahead { leaf_left } else { max })
}

/// Extends a run from `leaf[start]` over up to `max` pointers, or up to
/// `look` (at least `max`) if it maps blocks.
fn scan(
    inode: &INode<Ext2Fs>,
    leaf: &Leaf<'_>,
    start: usize,
    iblock: u64,
    (max, look): (u64, u64),
    ancestors: &[u64],
) -> Result<Run> {
    let sb = inode.super_block();
    let first = leaf.get(start).ok_or(EINVAL)?;
    if first == 0 {
        let len = leaf.run_len(start, first, max);
        return Ok(Run { phys: None, len });
    }
    let len = leaf.run_len(start, first, look);
    let phys = u64::from(first);
    let overlaps_path = ancestors
        .iter()
        .any(|&a| a != 0 && a >= phys && a < phys + len);
    if !sb.data().sb.data_block_valid(phys, len) || overlaps_path {
        return Err(bad_pointer(inode, iblock, first));
    }
    Ok(Run {
        phys: Some(phys),
        len,
    })
}

/// A mapped run [`get_blocks`] returned, kept in [`RunCache`].
#[derive(Default, Clone, Copy)]
struct KeptRun {
    /// The first logical block of the run.
    iblock: u64,
    /// Its first physical block; 0 when nothing is kept.
    phys: u64,
    /// Its length in blocks.
    len: u64,
    /// Whether the run ends where the file's mapping does (a hole or a
    /// jump on disk follows), rather than where its request did.
    whole: bool,
    /// The mapping sequence it was found at.
    seq: u64,
}

impl KeptRun {
    /// The run from `iblock`, up to `max` blocks, if this one maps it at
    /// mapping sequence `seq`: all `max` blocks, or up to the end of a
    /// whole run (a walk would stop there too). Otherwise a walk may find
    /// the run goes on.
    fn lookup(&self, iblock: u64, max: u64, seq: u64) -> Option<Run> {
        let skip = iblock.checked_sub(self.iblock)?;
        let left = self.len.checked_sub(skip).filter(|&l| l > 0)?;
        if self.phys == 0 || self.seq != seq || (left < max && !self.whole) {
            return None;
        }
        Some(Run {
            phys: Some(self.phys + skip),
            len: left.min(max),
        })
    }

    /// Whether a lookup from `iblock` at sequence `seq` goes on from this
    /// run: starts inside it or right after it.
    fn followed_by(&self, iblock: u64, seq: u64) -> bool {
        self.phys != 0
            && self.seq == seq
            && iblock >= self.iblock
            && iblock - self.iblock <= self.len
    }
}

/// The last mapped runs [`get_blocks`] returned, kept so that mapping
/// them again costs no walk: a page fault maps the whole large folio (up
/// to hundreds of blocks) for each 4 KiB page it makes writable, and a
/// folio may span two runs.
///
/// Locking: under the block-map mutex, in [`DiskInode`]. A kept run stays
/// right while the mapping sequence it was found at is current: an
/// allocation only fills holes, and every path that frees or moves a
/// mapped block (truncation, punching) bumps the sequence first.
#[derive(Default)]
pub(crate) struct RunCache {
    runs: [KeptRun; 2],
    /// The entry used last; the other one is replaced next.
    recent: usize,
}

impl RunCache {
    /// The run from `iblock`, up to `max` blocks, if a kept run maps it at
    /// mapping sequence `seq`.
    fn lookup(&mut self, iblock: u64, max: u64, seq: u64) -> Option<Run> {
        let (i, run) = self
            .runs
            .iter()
            .enumerate()
            .find_map(|(i, kept)| Some((i, kept.lookup(iblock, max, seq)?)))?;
        self.recent = i;
        Some(run)
    }

    /// Whether a lookup from `iblock` at sequence `seq` goes on from a kept
    /// run: the file is being read or written in order.
    fn sequential(&self, iblock: u64, seq: u64) -> bool {
        self.runs.iter().any(|kept| kept.followed_by(iblock, seq))
    }

    /// Keeps `run` from `iblock`, found at sequence `seq`, if it maps
    /// blocks; `whole` if it ends where the file's mapping does. A run
    /// that goes on from a kept one replaces it, so that two streams of
    /// lookups in order (a writer and writeback) keep one run each;
    /// another replaces the one used less recently.
    fn keep(&mut self, iblock: u64, run: &Run, seq: u64, whole: bool) {
        let Some(phys) = run.phys else {
            return;
        };
        let victim = self
            .runs
            .iter()
            .position(|kept| kept.followed_by(iblock, seq))
            .unwrap_or(1 - self.recent.min(1));
        if let Some(slot) = self.runs.get_mut(victim) {
            *slot = KeptRun {
                iblock,
                phys,
                len: run.len,
                whole,
                seq,
            };
            self.recent = victim;
        }
    }
}

/// A mapping made by [`get_blocks`].
pub(crate) struct Mapped {
    /// The run found or allocated.
    pub(crate) run: Run,
    /// Whether the blocks were allocated just now (their contents are
    /// garbage until written: iomap must zero what it does not write).
    pub(crate) new: bool,
    /// The file's mapping sequence when the run was found.
    pub(crate) seq: u64,
}

/// How many indirect blocks [`get_blocks`] reads with the block-map mutex
/// dropped before it walks holding it throughout: a path changing under
/// every read (a truncation, another writer) must not keep it walking.
const UNLOCKED_READS: u32 = 3;

/// Maps up to `max` blocks from logical block `iblock`; with `create`, a
/// hole there is filled with newly allocated blocks. A run goes on across
/// leaf arrays while it stays a hole or stays contiguous on disk, and an
/// allocation goes on across them while the file's reservation window
/// continues it on disk: one mapping then covers a whole write, where at
/// 1 KiB blocks a leaf maps only 256 KiB. The indirect blocks on the path
/// to `iblock` are read with the block-map mutex dropped; those of the
/// leaf arrays a run goes on into are read under it.
pub(crate) fn get_blocks(
    inode: &INode<Ext2Fs>,
    iblock: u64,
    max: u64,
    create: bool,
) -> Result<Mapped> {
    let max = max.max(1);
    let mut disk = inode.data().disk.lock();
    let mut unlocked_reads = 0;
    let (seq, found, reached, ahead) = loop {
        // Read under the lock truncate bumps it under: a run found now is
        // current as long as the sequence is.
        let seq = inode.data().map_seq.load(Ordering::Acquire);
        if let Some(run) = disk.runs.lookup(iblock, max, seq) {
            return Ok(Mapped {
                run,
                new: false,
                seq,
            });
        }
        let reads = match unlocked_reads {
            UNLOCKED_READS => Reads::Wait,
            0 if DEBUG_UNLOCKED_READS => Reads::Miss,
            _ => Reads::Cached,
        };
        // In-order requests (a rewrite in 64 KiB records) map the rest of
        // the leaf array ahead, to be kept: the next requests then find
        // their run kept instead of walking the tree each. Random ones
        // scan only what they ask for.
        let ahead = disk.runs.sequential(iblock, seq);
        match walk(inode, &disk.raw.i_block, iblock, max, ahead, reads)? {
            Walk::Mapped(found, reached) => break (seq, found, reached, ahead),
            Walk::Uncached(block) => {
                // Not across the read: writeback and the other mappers of
                // the file go on meanwhile. The tree may change before the
                // mutex is back, so the walk starts over.
                drop(disk);
                drop(inode.super_block().bread(block)?);
                unlocked_reads += 1;
                disk = inode.data().disk.lock();
            }
        }
    };
    if found.phys.is_some() || !create {
        let i_block = &disk.raw.i_block;
        let (mut run, ends_leaf) =
            extend_found(inode, i_block, iblock, max, ahead, found, reached)?;
        // The run ends where the file's mapping does if it stopped short
        // of what it was asked for, or, looking ahead, inside a leaf.
        let whole = run.len < max || (ahead && !ends_leaf);
        disk.runs.keep(iblock, &run, seq, whole);
        run.len = run.len.min(max);
        return Ok(Mapped {
            run,
            new: false,
            seq,
        });
    }
    let leaf_left = reached.leaf_left;
    let mut run =
        alloc_branch(inode, &mut disk, iblock, found.len, reached, None)?.ok_or(ENOSPC)?;
    extend_allocated(inode, &mut disk, iblock, max, &mut run, leaf_left)?;
    disk.runs.keep(iblock, &run, seq, false);
    drop(disk);
    inode.mark_dirty();
    Ok(Mapped {
        run,
        new: true,
        seq,
    })
}

/// Extends `run`, found from `iblock` by [`map_blocks`], over the leaf
/// arrays after its own while they go on the same way: a hole, or the
/// next blocks on disk. Up to `max` blocks in all; with `ahead`, a mapped
/// run to the end of the leaf array it reaches. Returns the run, and
/// whether it ends where a leaf array (or the hole under a missing
/// indirect block) does, so that it may go on in the next.
fn extend_found(
    inode: &INode<Ext2Fs>,
    i_block: &[u32],
    iblock: u64,
    max: u64,
    ahead: bool,
    mut run: Run,
    reached: Reached,
) -> Result<(Run, bool)> {
    // Only a run that reaches the end of its leaf array (or of the hole
    // under a missing indirect block) can go on.
    let mut open = run.len >= reached.leaf_left;
    let mut parent = reached.parent;
    while open && run.len < max {
        let next = iblock + run.len;
        let left = max - run.len;
        let in_parent = match parent.as_mut() {
            Some(p) => next_leaf(inode, p, next, left, ahead)?,
            None => None,
        };
        let (more, leaf_left) = match in_parent {
            Some(found) => found,
            None => {
                let (more, next) = map_blocks(inode, i_block, next, left, ahead)?;
                parent = next.parent;
                (more, next.leaf_left)
            }
        };
        let goes_on = match (run.phys, more.phys) {
            (None, None) => true,
            (Some(first), Some(phys)) => phys == first + run.len,
            _ => false,
        };
        if !goes_on {
            break;
        }
        run.len += more.len;
        open = more.len >= leaf_left;
    }
    Ok((run, open))
}

/// Extends `run`, just allocated from `iblock`, over the holes of the
/// leaf arrays after its own with blocks that continue it on disk, up to
/// `max` blocks in all. Only the file's reservation window can promise
/// such blocks: its indirect blocks go to the window's end, and the data
/// to the goal only if the window holds it and it is free. A leaf's
/// indirect block allocated without the data stays: the next mapping of
/// the leaf uses it.
fn extend_allocated(
    inode: &INode<Ext2Fs>,
    disk: &mut DiskInode,
    iblock: u64,
    max: u64,
    run: &mut Run,
    leaf_left: u64,
) -> Result {
    let Some(first) = run.phys else {
        return Ok(());
    };
    if !uses_window(inode) {
        return Ok(());
    }
    // Only a run that fills the rest of its leaf array can go on.
    let mut open = run.len >= leaf_left;
    while open && run.len < max {
        let next = iblock + run.len;
        let (hole, reached) = map_blocks(inode, &disk.raw.i_block, next, max - run.len, false)?;
        if hole.phys.is_some() {
            break;
        }
        let leaf_left = reached.leaf_left;
        let at = first + run.len;
        let Some(more) = alloc_branch(inode, disk, next, hole.len, reached, Some(at))? else {
            break;
        };
        run.len += more.len;
        open = more.len >= leaf_left;
    }
    Ok(())
}

/// The physical block of logical block `iblock`, allocating it with
/// `create` (for directories, whose blocks are read through the buffer
/// cache). `None` is a hole.
pub(crate) fn get_block(inode: &INode<Ext2Fs>, iblock: u64, create: bool) -> Result<Option<u64>> {
    Ok(get_blocks(inode, iblock, 1, create)?.run.phys)
}

/// An array of block pointers being changed: the inode's `i_block` or an
/// indirect block of the inode (which its `fsync` writes).
enum Slot<'a> {
    Direct(&'a mut [u32; blockmap::EXT2_N_BLOCKS]),
    Indirect(&'a BufferHead, &'a INode<Ext2Fs>),
}

impl Slot<'_> {
    /// Stores `count` pointers `first, first + 1, ...` from index `i`
    /// (zeros when `first` is 0).
    fn set(&mut self, i: usize, first: u32, count: u32) -> Result {
        let value = |n: u32| if first == 0 { 0 } else { first + n };
        match self {
            Slot::Direct(p) => {
                for n in 0..count {
                    *p.get_mut(i + usize::try_from(n)?).ok_or(EINVAL)? = value(n);
                }
            }
            Slot::Indirect(bh, inode) => {
                // Without the buffer lock, which would wait for writeback
                // of the block: readers of the pointers hold the block-map
                // lock, as this writer does.
                let data = bh.data_atomic();
                for n in 0..count {
                    let at = (i + usize::try_from(n)?) * 4;
                    let slot = data.get(at..at + 4).ok_or(EINVAL)?;
                    for (byte, v) in slot.iter().zip(value(n).to_le_bytes()) {
                        byte.store(v, Ordering::Relaxed);
                    }
                }
                bh.mark_dirty_inode(inode);
            }
        }
        Ok(())
    }
}

/// Where to look for free blocks for logical block `iblock`
/// (`ext2_find_goal`): right after the last allocation, else near the
/// inode's group.
fn find_goal(inode: &INode<Ext2Fs>, disk: &DiskInode) -> u64 {
    if disk.goal != 0 {
        return disk.goal;
    }
    let sbi = inode.super_block().data();
    let ipg = u64::from(sbi.sb.s_inodes_per_group);
    // CAST: the group number of a valid inode fits in u32.
    let group = inode.ino().saturating_sub(1).checked_div(ipg).unwrap_or(0) as u32;
    sbi.sb.group_first_block(group)
}

/// Whether `inode` allocates through a reservation window: a regular
/// file, unless mounted `noreservation`, as ext2 does.
fn uses_window(inode: &INode<Ext2Fs>) -> bool {
    inode.super_block().data().reservation() && s_isreg(inode.mode())
}

/// Allocates up to `count` blocks near `goal` for the block tree: from
/// the file's reservation window if it [uses one](uses_window).
fn new_blocks(
    inode: &INode<Ext2Fs>,
    rsv: &mut Reservation,
    goal: u64,
    count: u32,
) -> Result<(u64, u32)> {
    let sb = inode.super_block();
    if uses_window(inode) {
        balloc::new_blocks_rsv(sb, rsv, goal, count)
    } else {
        balloc::new_blocks(sb, goal, count)
    }
}

/// Allocates an indirect block: at the end of a regular file's
/// reservation window, out of the way of the data that fills the window
/// from `goal` on, so that the data stays one contiguous run across leaf
/// arrays (at 1 KiB blocks a leaf maps only 256 KiB: in line, every leaf
/// would cut the data's writeback into another bio, and each indirect
/// block would be written alone). Otherwise at the goal, which moves past
/// it, as ext2 places them.
fn new_indirect_block(inode: &INode<Ext2Fs>, rsv: &mut Reservation, goal: &mut u64) -> Result<u64> {
    if uses_window(inode) {
        let sb = inode.super_block();
        if let Some(block) = balloc::new_block_at_window_end(sb, rsv, *goal)? {
            return Ok(block);
        }
    }
    let (block, _) = new_blocks(inode, rsv, *goal, 1)?;
    *goal = block + 1;
    Ok(block)
}

/// Fills a hole of `len` blocks from logical block `iblock` (all in one
/// leaf array), where [`map_blocks`] stopped: allocates the missing
/// indirect blocks on the path, zeroed, then one contiguous run of data
/// blocks (`ext2_alloc_branch`): near the goal, or with `at` from block
/// `at` exactly, in the file's window. Every pointer below `reached` is 0:
/// the walk found it so under the block-map mutex the caller still holds,
/// or it lies in a block zeroed here. `None` if the data cannot start at
/// `at`.
fn alloc_branch(
    inode: &INode<Ext2Fs>,
    disk: &mut DiskInode,
    iblock: u64,
    len: u64,
    reached: Reached,
    at: Option<u64>,
) -> Result<Option<Run>> {
    let sb = inode.super_block();
    let bs = sb.block_size();
    let path =
        blockmap::block_to_path(bs, iblock).map_err(|e| crate::report(sb, inode.ino(), e))?;
    let offsets = path.offsets();
    let (&leaf_index, parents) = offsets.split_last().ok_or(EINVAL)?;
    let missing = parents.get(reached.depth..).ok_or(EINVAL)?;
    let mut goal = at.unwrap_or_else(|| find_goal(inode, disk));
    let mut holder = reached.holder;
    for &index in missing {
        let block = new_indirect_block(inode, &mut disk.rsv, &mut goal)?;
        inode.add_bytes(i64::from(bs));
        let child = sb.getblk_zeroed(block)?;
        child.mark_dirty_inode(inode);
        let mut slot = match &holder {
            None => Slot::Direct(&mut disk.raw.i_block),
            Some(bh) => Slot::Indirect(bh, inode),
        };
        slot.set(index, u32::try_from(block)?, 1)?;
        holder = Some(child);
    }
    let want = u32::try_from(len.min(u64::from(path.boundary) + 1))?;
    let (first, got) = match at {
        None => new_blocks(inode, &mut disk.rsv, goal, want)?,
        Some(at) => match balloc::new_blocks_in_window_at(sb, &mut disk.rsv, at, want)? {
            Some(run) => run,
            None => return Ok(None),
        },
    };
    inode.add_bytes(i64::from(got) << sb.block_size_bits());
    let mut slot = match &holder {
        None => Slot::Direct(&mut disk.raw.i_block),
        Some(bh) => Slot::Indirect(bh, inode),
    };
    slot.set(leaf_index, u32::try_from(first)?, got)?;
    disk.goal = first + u64::from(got);
    Ok(Some(Run {
        phys: Some(first),
        len: u64::from(got),
    }))
}

/// Data blocks being freed, gathered into contiguous runs.
struct Freer<'a> {
    inode: &'a INode<Ext2Fs>,
    start: u64,
    len: u64,
}

impl Freer<'_> {
    fn add(&mut self, block: u64) -> Result {
        if self.len != 0 && self.start + self.len == block {
            self.len += 1;
            return Ok(());
        }
        self.flush()?;
        self.start = block;
        self.len = 1;
        Ok(())
    }

    fn flush(&mut self) -> Result {
        if self.len == 0 {
            return Ok(());
        }
        let sb = self.inode.super_block();
        let (start, len) = (self.start, self.len);
        self.len = 0;
        balloc::free_blocks(sb, start, len)?;
        self.inode
            .sub_bytes(i64::try_from(len << sb.block_size_bits())?);
        Ok(())
    }
}

/// Frees the data blocks of logical blocks `first..end`, leaving a hole
/// there; indirect blocks stay, zeroed where they map nothing more. For
/// blocks a short write allocated and did not write: the caller has
/// dropped their page cache under the `invalidate_lock`.
pub(crate) fn punch_blocks(inode: &INode<Ext2Fs>, first: u64, end: u64) -> Result {
    let sb = inode.super_block();
    let mut disk = inode.data().disk.lock();
    // Before anything is freed: runs writeback mapped earlier are stale.
    inode.data().map_seq.fetch_add(1, Ordering::AcqRel);
    let mut freer = Freer {
        inode,
        start: 0,
        len: 0,
    };
    let mut iblock = first;
    while iblock < end {
        let (run, reached) = map_blocks(inode, &disk.raw.i_block, iblock, end - iblock, false)?;
        if let Some(phys) = run.phys {
            let path = blockmap::block_to_path(sb.block_size(), iblock)
                .map_err(|e| crate::report(sb, inode.ino(), e))?;
            let index = path.offsets().last().copied().ok_or(EINVAL)?;
            let mut slot = match &reached.holder {
                None => Slot::Direct(&mut disk.raw.i_block),
                Some(bh) => Slot::Indirect(bh, inode),
            };
            slot.set(index, 0, u32::try_from(run.len)?)?;
            for block in phys..phys + run.len {
                freer.add(block)?;
            }
        }
        iblock += run.len;
    }
    let result = freer.flush();
    drop(disk);
    inode.mark_dirty();
    result
}

/// Frees every block of the file from logical block `first` on: data
/// blocks, and indirect blocks left with nothing below them
/// (`ext2_truncate_blocks`). The caller has set the new size and dropped
/// the page cache past it.
pub(crate) fn truncate_blocks(inode: &INode<Ext2Fs>, size: u64) -> Result {
    let sb = inode.super_block();
    let bs = sb.block_size();
    let bits = sb.block_size_bits();
    let first = (size >> bits) + u64::from(size & ((1 << bits) - 1) != 0);
    let mut disk = inode.data().disk.lock();
    // Before anything is freed: runs writeback mapped earlier are stale.
    inode.data().map_seq.fetch_add(1, Ordering::AcqRel);
    disk.goal = 0;
    disk.rsv.discard(&sb.data().windows);
    let mut freer = Freer {
        inode,
        start: 0,
        len: 0,
    };
    for i in 0..blockmap::EXT2_NDIR_BLOCKS {
        // CAST: i < 12.
        if (i as u64) < first {
            continue;
        }
        let ptr = disk.raw.i_block.get(i).copied().ok_or(EINVAL)?;
        if ptr != 0 {
            freer.add(u64::from(ptr))?;
            if let Some(p) = disk.raw.i_block.get_mut(i) {
                *p = 0;
            }
        }
    }
    for depth in 1..=3usize {
        let start = blockmap::level_start(bs, depth + 1).map_err(|_| EINVAL)?;
        let span = blockmap::blocks_at_level(bs, depth + 1).map_err(|_| EINVAL)?;
        let index = blockmap::EXT2_NDIR_BLOCKS + depth - 1;
        let ptr = disk.raw.i_block.get(index).copied().ok_or(EINVAL)?;
        if ptr == 0 || first >= start + span {
            continue;
        }
        let from = first.saturating_sub(start);
        free_tree(&mut freer, u64::from(ptr), depth, from)?;
        if from == 0 {
            if let Some(p) = disk.raw.i_block.get_mut(index) {
                *p = 0;
            }
        }
    }
    let result = freer.flush();
    drop(disk);
    inode.mark_dirty();
    result
}

/// Frees the blocks below indirect block `block` (at `depth`: 1 for an
/// indirect block of data pointers) from offset `from` in its range; with
/// `from` 0 the indirect block itself goes too.
fn free_tree(freer: &mut Freer<'_>, block: u64, depth: usize, from: u64) -> Result {
    let inode = freer.inode;
    let sb = inode.super_block();
    if !sb.data().sb.data_block_valid(block, 1) {
        // CAST: block numbers of ext2 fit in 32 bits.
        return Err(bad_pointer(inode, from, block as u32));
    }
    let bits = blockmap::addr_per_block_bits(sb.block_size()).map_err(|_| EINVAL)?;
    // CAST: depth <= 3.
    let span = 1u64 << (bits * (depth as u32 - 1));
    let per_block = 1usize << bits;
    let bh = sb.bread(block)?;
    let first_index = usize::try_from(from >> (span.trailing_zeros()))?;
    let within = from & (span - 1);
    let partial = within != 0;
    let mut changed = false;
    for index in first_index..per_block {
        let ptr = le32_at(bh.data(), index).ok_or(EINVAL)?;
        if ptr == 0 {
            continue;
        }
        if depth == 1 {
            freer.add(u64::from(ptr))?;
        } else if index == first_index && partial {
            free_tree(freer, u64::from(ptr), depth - 1, within)?;
            continue;
        } else {
            free_tree(freer, u64::from(ptr), depth - 1, 0)?;
        }
        changed = true;
        if from != 0 {
            Slot::Indirect(&bh, inode).set(index, 0, 1)?;
        }
    }
    if from == 0 {
        // Nothing below it is left: free the indirect block itself, and
        // drop its buffer so no pending write lands on the reused block.
        bh.forget();
        freer.flush()?;
        balloc::free_blocks(sb, block, 1)?;
        inode.sub_bytes(i64::from(sb.block_size()));
    } else if changed {
        bh.mark_dirty_inode(inode);
    }
    Ok(())
}
