// SPDX-License-Identifier: GPL-2.0

//! Block allocation: block bitmaps and the free-block counters
//! (fs/ext2/balloc.c).
//!
//! Locking: a group's descriptor mutex ([`SbInfo::lock_group`]) is held
//! while its bitmap and counters change; it is the innermost ext2rs lock
//! (after `i_rwsem`, `invalidate_lock`, the folio lock and the inode's
//! block-map mutex), with only the reservation-window list
//! ([`crate::rsv`]) inside it. The bitmap is read before the lock is
//! taken, since a read may wait for the disk, and its bits change as
//! atomic bytes without the buffer lock, which would wait out a write of
//! the block in flight (ext2's `ext2_set_bit_atomic`).
//! Blocks are allocated when a write or a page fault needs them
//! (iomap_begin with IOMAP_WRITE), never at writeback.

use crate::format::bitmap;
use crate::format::group::GroupDesc;
use crate::rsv::Reservation;
use crate::sb::Ext2Fs;
use crate::sb::SbInfo;
use crate::vfs::buffer::BufferHead;
use crate::vfs::cred;
use crate::vfs::sb::SuperBlock;
use core::sync::atomic::Ordering;
use kernel::prelude::*;
use kernel::sync::lock::mutex::MutexBackend;
use kernel::sync::lock::Guard;

/// Records that group `group`'s descriptor changed. Called under the
/// group's lock, after the change.
///
/// The descriptor reaches its block at the next [`write_group_descs`]
/// (sync_fs, freeze, remount and unmount), as the superblock's counters do
/// in ext2. Writing it through on every allocation would lock the
/// descriptor block, which one block shares with 31 to 127 other groups,
/// and wait out its writeback with a group lock held. The counters on disk
/// are behind only while the filesystem is mounted, and then marked not
/// clean: after a crash, e2fsck counts them again.
pub(crate) fn mark_group_dirty(sbi: &SbInfo, group: u32) {
    if let Some(flag) = usize::try_from(group)
        .ok()
        .and_then(|g| sbi.desc_dirty.get(g))
    {
        flag.store(true, Ordering::Release);
    }
}

/// Writes the group descriptors changed since the last call into their
/// blocks and marks those dirty; with `sync`, writes them and waits.
pub(crate) fn write_group_descs(sb: &SuperBlock<Ext2Fs>, sync: bool) -> Result {
    let sbi = sb.data();
    let per_block = sbi.sb.desc_per_block();
    for (nr, flags) in (0u32..).zip(sbi.desc_dirty.chunks(usize::try_from(per_block)?)) {
        if !flags.iter().any(|f| f.load(Ordering::Acquire)) {
            continue;
        }
        let bh = sb.bread(sbi.sb.descriptor_loc(nr))?;
        for (index, flag) in (0u32..).zip(flags.iter()) {
            // Cleared before the copy: a change after the copy sets it again.
            if !flag.swap(false, Ordering::AcqRel) {
                continue;
            }
            let group = nr * per_block + index;
            // A copy, so that the group lock is not held with the buffer's.
            let desc = *sbi.lock_group(group)?;
            if let Err(e) = write_desc(&bh, sbi, group, &desc) {
                flag.store(true, Ordering::Release);
                return Err(e);
            }
        }
        bh.mark_dirty();
        if sync {
            bh.sync()?;
        }
    }
    Ok(())
}

/// Writes `desc`, group `group`'s descriptor, into its place in the
/// descriptor block `bh`.
fn write_desc(bh: &BufferHead, sbi: &SbInfo, group: u32, desc: &GroupDesc) -> Result {
    let (_, offset) = sbi.sb.descriptor_block(group).map_err(|_| EINVAL)?;
    let mut locked = bh.lock();
    let bytes = locked.data_mut().get_mut(offset..).ok_or(EINVAL)?;
    desc.write(bytes).map_err(|_| EINVAL)
}

/// Whether `count` blocks from `block` (in group `group`) overlap the
/// group's bitmaps or inode table (`ext2_free_blocks`' "system zones").
fn in_system_zone(sbi: &SbInfo, desc: &GroupDesc, block: u64, count: u64) -> bool {
    let end = block + count;
    let hits = |start: u64, len: u64| start < end && block < start + len;
    hits(u64::from(desc.bg_block_bitmap), 1)
        || hits(u64::from(desc.bg_inode_bitmap), 1)
        || hits(
            u64::from(desc.bg_inode_table),
            u64::from(sbi.sb.itb_per_group()),
        )
}

/// How many of `want` blocks an allocation may take: as many as are free
/// for a caller who may use the blocks reserved for root
/// ([`may_use_reserve`]), else as many as are free beyond them
/// (`ext2_has_free_blocks`). As in ext2, who the caller is is asked only
/// when the request reaches into the reserve: `capable` goes through the
/// security modules and marks the task as having used superuser
/// privileges (`PF_SUPERPRIV`, process accounting's `ASU` flag), which an
/// allocation that needs none must not do.
fn available(sbi: &SbInfo, want: u64) -> u64 {
    let free = sbi.free_blocks.load(Ordering::Relaxed);
    let unreserved = free.saturating_sub(u64::from(sbi.sb.s_r_blocks_count));
    if want <= unreserved {
        return want;
    }
    if may_use_reserve(sbi) {
        return want.min(free);
    }
    unreserved
}

/// Whether the current task may allocate the blocks reserved for root, as
/// ext2 decides: with `CAP_SYS_RESOURCE`, as the reserve's user
/// (`resuid=`, else the superblock's `s_def_resuid`, `tune2fs -u`; root
/// unless set), or in its group (`resgid=`, else `s_def_resgid`,
/// `tune2fs -g`), unless that group is root's.
fn may_use_reserve(sbi: &SbInfo) -> bool {
    let (uid, gid) = sbi.reserve_owners();
    cred::capable_sys_resource() || cred::fsuid_is(uid) || (gid != 0 && cred::in_group(gid))
}

/// Allocates up to `count` contiguous blocks, as near `goal` as possible:
/// at the goal or after it in its group, else in the following groups.
/// Returns the first block and how many were allocated (at least 1), or
/// `ENOSPC`.
pub(crate) fn new_blocks(sb: &SuperBlock<Ext2Fs>, goal: u64, count: u32) -> Result<(u64, u32)> {
    search(sb, goal, count, |group, bit, count| {
        alloc_in_group(sb, group, bit, count)
    })?
    .ok_or(ENOSPC)
}

/// Calls `try_group(group, bit, count)` on the goal's group from the
/// goal's bit, then on the following groups from their first bit, until
/// one allocates; `count` is cut to what the caller may take. `ENOSPC` if
/// the caller may take nothing.
fn search(
    sb: &SuperBlock<Ext2Fs>,
    goal: u64,
    count: u32,
    mut try_group: impl FnMut(u32, u32, u32) -> Result<Option<(u64, u32)>>,
) -> Result<Option<(u64, u32)>> {
    let sbi = sb.data();
    let count = available(sbi, u64::from(count.max(1)));
    if count == 0 {
        return Err(ENOSPC);
    }
    let count = u32::try_from(count)?;
    let ngroups = sbi.sb.groups_count();
    let goal = if sbi.sb.data_block_valid(goal, 1) {
        goal
    } else {
        u64::from(sbi.sb.s_first_data_block)
    };
    let (goal_group, goal_bit) = sbi.sb.block_group(goal).unwrap_or((0, 0));
    for i in 0..ngroups {
        let group = (goal_group + i).checked_rem(ngroups).unwrap_or(0);
        let bit = if i == 0 { goal_bit } else { 0 };
        if let Some(run) = try_group(group, bit, count)? {
            return Ok(Some(run));
        }
    }
    Ok(None)
}

/// Tries to allocate up to `count` blocks in `group` from bit `goal` on.
fn alloc_in_group(
    sb: &SuperBlock<Ext2Fs>,
    group: u32,
    goal: u32,
    count: u32,
) -> Result<Option<(u64, u32)>> {
    alloc_picked(sb, group, |bitmap, size, _| {
        Ok(bitmap::find_free_run(bitmap, size, goal, count))
    })
}

/// A group's descriptor, locked, and one of its bitmaps.
type LockedGroup<'a> = (Guard<'a, GroupDesc, MutexBackend>, BufferHead);

/// Reads `group`'s bitmap in block `bitmap`, then locks the group.
///
/// The read comes first because a first read of a bitmap waits for the
/// disk, and every allocator or freer of the group would wait on the lock
/// meanwhile.
pub(crate) fn read_bitmap_then_lock(
    sb: &SuperBlock<Ext2Fs>,
    group: u32,
    bitmap: u64,
) -> Result<LockedGroup<'_>> {
    let bh = sb.bread(bitmap)?;
    Ok((sb.data().lock_group(group)?, bh))
}

/// [`read_bitmap_then_lock`] for an allocation: `None` if
/// `has_room(descriptor)` says the group has nothing to give, checked
/// before the read (so a full group's bitmap stays unread) and again
/// under the lock.
pub(crate) fn lock_group_with_bitmap<'a>(
    sb: &'a SuperBlock<Ext2Fs>,
    group: u32,
    bitmap: u64,
    has_room: impl Fn(&GroupDesc) -> bool,
) -> Result<Option<LockedGroup<'a>>> {
    if !has_room(&*sb.data().lock_group(group)?) {
        return Ok(None);
    }
    let (desc, bh) = read_bitmap_then_lock(sb, group, bitmap)?;
    Ok(has_room(&desc).then_some((desc, bh)))
}

/// Locks `group` and, if it has free blocks, allocates the run of free
/// bits that `pick(bitmap, size, first)` chooses in its block bitmap
/// (`size` bits, the first for block `first`), if it chooses one.
fn alloc_picked(
    sb: &SuperBlock<Ext2Fs>,
    group: u32,
    pick: impl FnOnce(&[u8], u32, u64) -> Result<Option<(u32, u32)>>,
) -> Result<Option<(u64, u32)>> {
    let sbi = sb.data();
    let bitmap = sbi.block_bitmap(group)?;
    let Some((mut desc, bh)) =
        lock_group_with_bitmap(sb, group, bitmap, |d| d.bg_free_blocks_count != 0)?
    else {
        return Ok(None);
    };
    let size = u32::try_from(sbi.sb.blocks_in_group(group))?;
    let first = sbi.sb.group_first_block(group);
    let Some(run) = pick(bh.data(), size, first)? else {
        return Ok(None);
    };
    let (block, len) = claim(sb, group, &mut desc, &bh, run)?;
    drop(desc);
    // The blocks may have been metadata before: drop stale buffers so
    // they are never written over the data to come. The blocks are ours
    // once claimed, and nothing writes them before this returns, so this
    // runs after the group lock: it looks up the block device's page
    // cache, and other writers wait on that lock to allocate.
    sb.clean_bdev_aliases(block, u64::from(len));
    Ok(Some((block, len)))
}

/// Allocates up to `count` blocks for a regular file as near `goal` as
/// possible, from the file's reservation window, or from a new window
/// found at the goal or after it (`ext2_try_to_allocate_with_rsv`). Where
/// no group has room for a window, allocates as [`new_blocks`] does.
pub(crate) fn new_blocks_rsv(
    sb: &SuperBlock<Ext2Fs>,
    rsv: &mut Reservation,
    goal: u64,
    count: u32,
) -> Result<(u64, u32)> {
    let found = search(sb, goal, count, |group, bit, count| {
        alloc_in_window(sb, rsv, group, bit, count)
    })?;
    if let Some(run) = found {
        return Ok(run);
    }
    rsv.discard(&sb.data().windows);
    new_blocks(sb, goal, count)
}

/// Where `goal` lies, as its group, its bit and the bit the file's window
/// ends at, if the window holds it and the caller may allocate at all.
fn window_holding(sbi: &SbInfo, rsv: &Reservation, goal: u64) -> Option<(u32, u32, u32)> {
    if !sbi.sb.data_block_valid(goal, 1) || available(sbi, 1) == 0 {
        return None;
    }
    let (group, bit) = sbi.sb.block_group(goal)?;
    let end = rsv.end_bit(sbi.sb.group_first_block(group), bit)?;
    Some((group, bit, end))
}

/// Allocates one block for an indirect block of a regular file: the last
/// free block of its reservation window, if the window holds `goal` (the
/// data's next block) and has room after it. The file's data then runs on
/// from the window's start without a gap at each indirect block, and the
/// indirect blocks gather at the window's end. `None` if the window does
/// not serve (the caller allocates at the goal instead).
pub(crate) fn new_block_at_window_end(
    sb: &SuperBlock<Ext2Fs>,
    rsv: &mut Reservation,
    goal: u64,
) -> Result<Option<u64>> {
    let Some((group, goal_bit, end)) = window_holding(sb.data(), rsv, goal) else {
        return Ok(None);
    };
    let got = alloc_picked(sb, group, |bitmap, _, _| {
        // Not the goal itself: that is where the data goes on.
        let bit = bitmap::find_last_zero_bit(bitmap, goal_bit + 1, end);
        Ok(bit.map(|b| (b, 1)))
    })?;
    if got.is_some() {
        rsv.hit(1);
    }
    Ok(got.map(|(block, _)| block))
}

/// Allocates up to `count` blocks of a regular file from block `goal`
/// exactly, inside its reservation window: the blocks that carry a run
/// just allocated on into the next leaf array of the block tree. `None`
/// if the window does not hold `goal` or `goal` is taken.
pub(crate) fn new_blocks_in_window_at(
    sb: &SuperBlock<Ext2Fs>,
    rsv: &mut Reservation,
    goal: u64,
    count: u32,
) -> Result<Option<(u64, u32)>> {
    let sbi = sb.data();
    let Some((group, goal_bit, end)) = window_holding(sbi, rsv, goal) else {
        return Ok(None);
    };
    let max = u32::try_from(available(sbi, u64::from(count)))?.min(end - goal_bit);
    let got = alloc_picked(sb, group, |bitmap, size, _| {
        let run = bitmap::find_free_run(bitmap, size, goal_bit, max);
        Ok(run.filter(|&(start, _)| start == goal_bit))
    })?;
    if let Some((_, n)) = got {
        rsv.hit(n);
    }
    Ok(got)
}

/// Tries to allocate up to `count` blocks in `group` from bit `goal` on,
/// inside the file's window if it holds `goal`, else inside a new one.
fn alloc_in_window(
    sb: &SuperBlock<Ext2Fs>,
    rsv: &mut Reservation,
    group: u32,
    goal: u32,
    count: u32,
) -> Result<Option<(u64, u32)>> {
    let windows = &sb.data().windows;
    let mut renewed = false;
    let got = alloc_picked(sb, group, |bitmap, size, first| {
        // The first free run from bit `from` on, cut at bit `end`.
        let in_window = |from: u32, end: u32| {
            let max = count.min(end.saturating_sub(from));
            bitmap::find_free_run(bitmap, size, from, max)
                .filter(|&(start, _)| start >= from && start < end)
                .map(|(start, len)| (start, len.min(end - start)))
        };
        if let Some(run) = rsv
            .end_bit(first, goal)
            .and_then(|end| in_window(goal, end))
        {
            return Ok(Some(run));
        }
        let Some((start, end)) = rsv.renew(windows, bitmap, (first, size), goal, count) else {
            return Ok(None);
        };
        renewed = true;
        // A new window starts at a free bit, under this group's lock.
        in_window(start, end).map(Some).ok_or(EINVAL)
    })?;
    if let Some((_, n)) = got {
        rsv.hit(n);
    }
    if renewed {
        read_next_bitmap_ahead(sb, group);
    }
    Ok(got)
}

/// Starts reading the block bitmap of the group after `group`, where a
/// file that has just taken a new window in `group` goes on when `group`
/// is full: its writer then finds the bitmap read, not waits for it.
fn read_next_bitmap_ahead(sb: &SuperBlock<Ext2Fs>, group: u32) {
    let sbi = sb.data();
    let next = (group + 1).checked_rem(sbi.sb.groups_count()).unwrap_or(0);
    if let Ok(block) = sbi.block_bitmap(next) {
        sb.breadahead(block);
    }
}

/// Marks the `(start, len)` bits of `group`'s bitmap `bh`, found free
/// under the group's lock (held as `desc`), allocated and updates the
/// counters. Returns the first block and the count.
fn claim(
    sb: &SuperBlock<Ext2Fs>,
    group: u32,
    desc: &mut GroupDesc,
    bh: &BufferHead,
    (start, len): (u32, u32),
) -> Result<(u64, u32)> {
    let sbi = sb.data();
    let first = sbi.sb.group_first_block(group) + u64::from(start);
    if in_system_zone(sbi, desc, first, u64::from(len))
        || !sbi.sb.data_block_valid(first, u64::from(len))
    {
        return Err(crate::report(
            sb,
            0,
            format_args!("block bitmap of group {group} marks metadata blocks from {first} free"),
        ));
    }
    let already = bitmap::set_bits(bh.data_atomic(), start, len).map_err(|_| EINVAL)?;
    if already != 0 {
        return Err(EINVAL);
    }
    bh.mark_dirty();
    let len16 = u16::try_from(len).map_err(|_| EINVAL)?;
    desc.bg_free_blocks_count = desc
        .bg_free_blocks_count
        .checked_sub(len16)
        .ok_or_else(|| {
            crate::report(
                sb,
                0,
                format_args!("free block count of group {group} below its free bits"),
            )
        })?;
    mark_group_dirty(sbi, group);
    sbi.free_blocks.fetch_sub(u64::from(len), Ordering::Relaxed);
    Ok((first, len))
}

/// Frees `count` blocks from `block` (`ext2_free_blocks`). Blocks outside
/// the data area, over group metadata, or already free are corruption,
/// reported and not freed.
pub(crate) fn free_blocks(sb: &SuperBlock<Ext2Fs>, block: u64, count: u64) -> Result {
    let sbi = sb.data();
    if !sbi.sb.data_block_valid(block, count) {
        return Err(crate::report(
            sb,
            0,
            format_args!("freeing blocks not in datazone: {block}, count {count}"),
        ));
    }
    let (mut block, mut count) = (block, count);
    while count > 0 {
        let (group, bit) = sbi.sb.block_group(block).ok_or(EINVAL)?;
        let n = count.min(sbi.sb.blocks_in_group(group) - u64::from(bit));
        free_in_group(sb, group, bit, n)?;
        block += n;
        count -= n;
    }
    Ok(())
}

/// Frees `count` blocks from bit `bit` of `group`.
fn free_in_group(sb: &SuperBlock<Ext2Fs>, group: u32, bit: u32, count: u64) -> Result {
    let sbi = sb.data();
    let first = sbi.sb.group_first_block(group) + u64::from(bit);
    let (mut desc, bh) = read_bitmap_then_lock(sb, group, sbi.block_bitmap(group)?)?;
    if in_system_zone(sbi, &desc, first, count) {
        return Err(crate::report(
            sb,
            0,
            format_args!("freeing blocks in system zones: {first}, count {count}"),
        ));
    }
    let count32 = u32::try_from(count)?;
    let already = bitmap::clear_bits(bh.data_atomic(), bit, count32).map_err(|_| EINVAL)?;
    bh.mark_dirty();
    let freed = count32 - already;
    desc.bg_free_blocks_count = desc
        .bg_free_blocks_count
        .saturating_add(u16::try_from(freed).unwrap_or(u16::MAX));
    mark_group_dirty(sbi, group);
    sbi.free_blocks
        .fetch_add(u64::from(freed), Ordering::Relaxed);
    if already != 0 {
        return Err(crate::report(
            sb,
            0,
            format_args!("freeing {already} already free blocks from {first}"),
        ));
    }
    Ok(())
}
