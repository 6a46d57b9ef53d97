// SPDX-License-Identifier: GPL-2.0

//! Inode allocation: inode bitmaps and the inode and directory counters
//! (fs/ext2/ialloc.c).
//!
//! Locking: as for blocks (see `balloc`), a group's descriptor mutex is
//! held while its inode bitmap and counters change.

use crate::balloc::lock_group_with_bitmap;
use crate::balloc::mark_group_dirty;
use crate::balloc::read_bitmap_then_lock;
use crate::format::bitmap;
use crate::format::inode::EXT2_ROOT_INO;
use crate::sb::Ext2Fs;
use crate::vfs::sb::SuperBlock;
use kernel::prelude::*;

/// A group's free inodes and blocks, read under its lock.
fn group_counts(sb: &SuperBlock<Ext2Fs>, group: u32) -> Result<(u32, u32)> {
    let desc = sb.data().lock_group(group)?;
    Ok((
        u32::from(desc.bg_free_inodes_count),
        u32::from(desc.bg_free_blocks_count),
    ))
}

/// The group for a new directory, as ext2's pre-Orlov `find_group_dir`:
/// among the groups with at least the average number of free inodes, the
/// one with the most free blocks, which spreads directories out.
fn find_group_dir(sb: &SuperBlock<Ext2Fs>) -> Result<Option<u32>> {
    let ngroups = sb.data().sb.groups_count();
    let mut counts = KVec::with_capacity(usize::try_from(ngroups)?, GFP_KERNEL)?;
    let mut total_free = 0u64;
    for g in 0..ngroups {
        let c = group_counts(sb, g)?;
        total_free += u64::from(c.0);
        counts.push(c, GFP_KERNEL)?;
    }
    let avg = total_free.checked_div(u64::from(ngroups)).unwrap_or(0);
    let mut best: Option<(u32, u32)> = None;
    for (g, &(inodes, blocks)) in (0u32..).zip(counts.iter()) {
        if inodes == 0 || u64::from(inodes) < avg {
            continue;
        }
        if best.is_none_or(|(_, b)| blocks > b) {
            best = Some((g, blocks));
        }
    }
    Ok(best.map(|(g, _)| g))
}

/// The group for any other inode (`find_group_other`): the parent's if it
/// has room, else a quadratic hash from it, else any group with a free
/// inode.
fn find_group_other(sb: &SuperBlock<Ext2Fs>, parent: u32) -> Result<Option<u32>> {
    let ngroups = sb.data().sb.groups_count();
    let (inodes, blocks) = group_counts(sb, parent)?;
    if inodes != 0 && blocks != 0 {
        return Ok(Some(parent));
    }
    let mut group = parent;
    let mut step = 1;
    while step < ngroups {
        group = (group + step).checked_rem(ngroups).unwrap_or(0);
        let (inodes, blocks) = group_counts(sb, group)?;
        if inodes != 0 && blocks != 0 {
            return Ok(Some(group));
        }
        step <<= 1;
    }
    for i in 0..ngroups {
        let group = (parent + i).checked_rem(ngroups).unwrap_or(0);
        if group_counts(sb, group)?.0 != 0 {
            return Ok(Some(group));
        }
    }
    Ok(None)
}

/// Allocates an inode number for a new inode in directory `dir_ino`
/// (`ext2_new_inode`, bitmap part): marks it used and counts it (and the
/// directory, for `is_dir`). Returns `ENOSPC` when no inode is free.
pub(crate) fn new_inode(sb: &SuperBlock<Ext2Fs>, dir_ino: u64, is_dir: bool) -> Result<u32> {
    let sbi = sb.data();
    let ngroups = sbi.sb.groups_count();
    let ipg = sbi.sb.s_inodes_per_group;
    let parent = u32::try_from(dir_ino.saturating_sub(1))?
        .checked_div(ipg)
        .unwrap_or(0);
    let start = if is_dir {
        find_group_dir(sb)?
    } else {
        find_group_other(sb, parent.min(ngroups.saturating_sub(1)))?
    };
    let Some(start) = start else {
        return Err(ENOSPC);
    };
    // The counters may have changed since the search: try every group
    // from the chosen one, as ext2 does.
    for i in 0..ngroups {
        let group = (start + i).checked_rem(ngroups).unwrap_or(0);
        if let Some(ino) = alloc_in_group(sb, group, is_dir)? {
            return Ok(ino);
        }
    }
    Err(ENOSPC)
}

/// Takes the first free inode of `group`, if any.
fn alloc_in_group(sb: &SuperBlock<Ext2Fs>, group: u32, is_dir: bool) -> Result<Option<u32>> {
    let sbi = sb.data();
    let ipg = sbi.sb.s_inodes_per_group;
    let bitmap = sbi.inode_bitmap(group)?;
    let Some((mut desc, bh)) =
        lock_group_with_bitmap(sb, group, bitmap, |d| d.bg_free_inodes_count != 0)?
    else {
        return Ok(None);
    };
    // Inodes below s_first_ino are reserved; they live in group 0.
    let first = if group == 0 {
        sbi.sb.first_ino().saturating_sub(1)
    } else {
        0
    };
    let Some(bit) = bitmap::find_next_zero_bit(bh.data(), ipg, first) else {
        return Err(crate::report(
            sb,
            0,
            format_args!("free inodes count of group {group} is wrong: the bitmap is full"),
        ));
    };
    let ino = group * ipg + bit + 1;
    if ino > sbi.sb.s_inodes_count || ino == EXT2_ROOT_INO {
        return Err(crate::report(
            sb,
            0,
            format_args!("inode bitmap of group {group} marks reserved inode {ino} free"),
        ));
    }
    bitmap::set_bits(bh.data_atomic(), bit, 1).map_err(|_| EINVAL)?;
    bh.mark_dirty();
    desc.bg_free_inodes_count -= 1;
    if is_dir {
        desc.bg_used_dirs_count = desc.bg_used_dirs_count.saturating_add(1);
    }
    mark_group_dirty(sbi, group);
    Ok(Some(ino))
}

/// Frees inode `ino` in its bitmap and counters (`ext2_free_inode`).
pub(crate) fn free_inode(sb: &SuperBlock<Ext2Fs>, ino: u32, is_dir: bool) -> Result {
    let sbi = sb.data();
    if ino < sbi.sb.first_ino() || ino > sbi.sb.s_inodes_count {
        return Err(crate::report(
            sb,
            u64::from(ino),
            format_args!("freeing reserved or nonexistent inode"),
        ));
    }
    let ipg = sbi.sb.s_inodes_per_group;
    let (Some(group), Some(bit)) = ((ino - 1).checked_div(ipg), (ino - 1).checked_rem(ipg)) else {
        return Err(EINVAL);
    };
    let (mut desc, bh) = read_bitmap_then_lock(sb, group, sbi.inode_bitmap(group)?)?;
    let was_set = bitmap::clear_bits(bh.data_atomic(), bit, 1).map_err(|_| EINVAL)? == 0;
    bh.mark_dirty();
    if !was_set {
        return Err(crate::report(
            sb,
            u64::from(ino),
            format_args!("bit already cleared for inode"),
        ));
    }
    desc.bg_free_inodes_count = desc.bg_free_inodes_count.saturating_add(1);
    if is_dir {
        desc.bg_used_dirs_count = desc.bg_used_dirs_count.saturating_sub(1);
    }
    mark_group_dirty(sbi, group);
    Ok(())
}
