// SPDX-License-Identifier: GPL-2.0

//! Block mapping: the ext2 block tree (12 direct pointers, then single,
//! double and triple indirect blocks) as iomap mappings
//! (fs/ext2/inode.c: ext2_get_blocks and ext2_iomap_begin).
//!
//! A lookup walks from `i_block` down to the leaf array holding the
//! pointer of the first block, then extends the mapping over the pointers
//! that follow it in the same array while they stay holes or stay
//! physically contiguous. Every pointer is checked before use: it must lie
//! inside the filesystem's data area and must not be one of the indirect
//! blocks on its own path (a loop).

use crate::format::blockmap;
use crate::sb::Ext2Fs;
use crate::vfs::buffer::BufferHead;
use crate::vfs::inode::INode;
use crate::vfs::iomap;
use crate::vfs::iomap::Map;
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
    Indirect(BufferHead),
}

impl Leaf<'_> {
    /// Pointer `i` of the array, if in range.
    fn get(&self, i: usize) -> Option<u32> {
        match self {
            Leaf::Direct(ptrs) => ptrs.get(i).copied(),
            Leaf::Indirect(bh) => le32_at(bh.data(), i),
        }
    }
}

/// The little-endian pointer at index `i` of an indirect block.
fn le32_at(data: &[u8], i: usize) -> Option<u32> {
    let bytes = data.get(i.checked_mul(4)?..)?.first_chunk::<4>()?;
    Some(u32::from_le_bytes(*bytes))
}

/// Reports a block pointer that cannot be right.
fn bad_pointer(inode: &INode<Ext2Fs>, iblock: u64, ptr: u32) -> Error {
    crate::report(
        inode.super_block(),
        inode.ino(),
        format_args!("invalid block pointer {ptr} for logical block {iblock}"),
    )
}

/// Maps logical block `iblock` of `inode` and up to `max - 1` blocks
/// after it, as far as they share a leaf array and a kind (hole or
/// contiguous).
pub(crate) fn map_blocks(inode: &INode<Ext2Fs>, iblock: u64, max: u64) -> Result<Run> {
    let sb = inode.super_block();
    let sbi = sb.data();
    let corrupt = |e| crate::report(sb, inode.ino(), e);
    let path = blockmap::block_to_path(sb.block_size(), iblock).map_err(corrupt)?;
    let offsets = path.offsets();
    let (&top, rest) = offsets.split_first().ok_or(EINVAL)?;
    let max = max.clamp(1, u64::from(path.boundary) + 1);
    let i_block = &inode.data().i_block;
    if rest.is_empty() {
        return scan(inode, &Leaf::Direct(i_block), top, iblock, max, &[]);
    }
    // Walk down the indirect blocks, remembering them to catch loops.
    let mut ancestors = [0u64; 3];
    let mut ptr = i_block.get(top).copied().ok_or(EINVAL)?;
    for (level, &index) in rest.iter().enumerate() {
        if ptr == 0 {
            // A missing indirect block: everything below it is a hole; the
            // rest of the leaf array is at least that.
            return Ok(Run {
                phys: None,
                len: max,
            });
        }
        let block = u64::from(ptr);
        if !sbi.sb.data_block_valid(block, 1) || ancestors.contains(&block) {
            return Err(bad_pointer(inode, iblock, ptr));
        }
        let bh = sb.bread(block)?;
        let slot = ancestors.get_mut(level).ok_or(EINVAL)?;
        *slot = block;
        if level + 1 == rest.len() {
            return scan(inode, &Leaf::Indirect(bh), index, iblock, max, &ancestors);
        }
        ptr = le32_at(bh.data(), index).ok_or(EINVAL)?;
    }
    Err(EINVAL)
}

/// Extends a run from `leaf[start]` over up to `max` pointers.
fn scan(
    inode: &INode<Ext2Fs>,
    leaf: &Leaf<'_>,
    start: usize,
    iblock: u64,
    max: u64,
    ancestors: &[u64],
) -> Result<Run> {
    let sb = inode.super_block();
    let first = leaf.get(start).ok_or(EINVAL)?;
    let mut len: u64 = 1;
    while len < max {
        let Some(next) = usize::try_from(len).ok().and_then(|l| leaf.get(start + l)) else {
            break;
        };
        let expected = if first == 0 {
            Some(0)
        } else {
            first.checked_add(u32::try_from(len)?)
        };
        if Some(next) != expected {
            break;
        }
        len += 1;
    }
    if first == 0 {
        return Ok(Run { phys: None, len });
    }
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

/// The iomap operations of regular files, directories and symlinks.
pub(crate) struct Ext2Iomap;

#[vtable]
impl iomap::Operations for Ext2Iomap {
    type FileSystem = Ext2Fs;

    fn begin(
        inode: &INode<Ext2Fs>,
        pos: i64,
        length: i64,
        flags: u32,
        map: &mut Map,
        _srcmap: &mut Map,
    ) -> Result {
        if flags & iomap::IOMAP_WRITE != 0 {
            return Err(EROFS);
        }
        let sb = inode.super_block();
        let bits = sb.block_size_bits();
        let pos = u64::try_from(pos)?;
        let end = pos.checked_add(u64::try_from(length)?).ok_or(EINVAL)?;
        let first = pos >> bits;
        let last = end.saturating_sub(1) >> bits;
        let run = map_blocks(inode, first, last.saturating_sub(first) + 1)?;
        map.set_offset(i64::try_from(first << bits)?)
            .set_length(run.len << bits)
            .set_bdev(sb);
        match run.phys {
            None => map.set_type(iomap::Type::Hole),
            Some(phys) => map.set_type(iomap::Type::Mapped).set_addr(phys << bits),
        };
        // Flags last, always (see `Map::set_flags`).
        map.set_flags(0);
        Ok(())
    }
}
