// SPDX-License-Identifier: GPL-2.0

//! iomap mappings of the block tree (fs/ext2/inode.c: ext2_iomap_begin):
//! reads, buffered writes, page faults, direct I/O, SEEK_HOLE/SEEK_DATA and
//! fiemap all map file ranges through [`Ext2Iomap`].

use crate::blockmap;
use crate::sb::Ext2Fs;
use crate::vfs::errno;
use crate::vfs::inode::INode;
use crate::vfs::iomap;
use crate::vfs::iomap::Map;
use core::sync::atomic::Ordering;
use kernel::prelude::*;

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
        let sb = inode.super_block();
        let bits = sb.block_size_bits();
        let size = inode.size();
        let write = flags & iomap::IOMAP_WRITE != 0;
        let direct = flags & iomap::IOMAP_DIRECT != 0;
        let first = u64::try_from(pos)? >> bits;
        let end = pos.checked_add(length).ok_or(EINVAL)?;
        let last = u64::try_from(end.saturating_sub(1))? >> bits;
        // Zeroing skips holes; everything else that writes allocates,
        // except direct I/O inside i_size: ext2 has no unwritten extents,
        // so filling a hole there would expose stale data if the write
        // failed; such writes go buffered (-ENOTBLK below).
        let create = write
            && flags & iomap::IOMAP_ZERO == 0
            && !(direct && i64::try_from(first << bits)? < size);
        let mapped = blockmap::get_blocks(inode, first, last.saturating_sub(first) + 1, create)?;
        let mut map_flags = 0;
        // A write past EOF changes the size at completion: count it as a
        // metadata change for O_DSYNC even when no block is allocated.
        if write && end > size {
            map_flags |= iomap::IOMAP_F_DIRTY;
        }
        map.set_offset(i64::try_from(first << bits)?)
            .set_length(mapped.run.len << bits)
            .set_bdev(sb)
            .set_validity_cookie(mapped.seq);
        match mapped.run.phys {
            None if write && direct && !create => return Err(errno::enotblk()),
            None => map.set_type(iomap::Type::Hole),
            Some(phys) => map.set_type(iomap::Type::Mapped).set_addr(phys << bits),
        };
        if mapped.new {
            map_flags |= iomap::IOMAP_F_NEW;
        }
        if mapped.run.phys.is_some() {
            map_flags |= iomap::IOMAP_F_MERGED;
        }
        // Flags last, always (see `Map::set_flags`).
        map.set_flags(map_flags);
        Ok(())
    }

    fn map_seq(inode: &INode<Ext2Fs>) -> u64 {
        inode.data().map_seq.load(Ordering::Acquire)
    }

    fn end(
        inode: &INode<Ext2Fs>,
        pos: i64,
        length: i64,
        written: isize,
        flags: u32,
        map: &mut Map,
    ) -> Result {
        if flags & iomap::IOMAP_WRITE == 0 || flags & iomap::IOMAP_ZERO != 0 {
            return Ok(());
        }
        // iomap grew i_size: the inode must be written for the new size to
        // survive (the time update may have left it clean).
        if map.flags() & iomap::IOMAP_F_SIZE_CHANGED != 0 {
            inode.mark_dirty();
        }
        let written = i64::try_from(written)?;
        let size = inode.size();
        if flags & iomap::IOMAP_DIRECT != 0 {
            // Nothing went direct: let the caller retry buffered, which
            // uses the blocks allocated here.
            if written == 0 {
                return Err(errno::enotblk());
            }
            // Part went: blocks past both EOF and what was submitted will
            // not be written. The submitted ones (still in flight) stay.
            if written < length && pos + length > size {
                let keep = size.max(pos + written);
                blockmap::truncate_blocks(inode, u64::try_from(keep)?)?;
            }
            return Ok(());
        }
        if written == length {
            return Ok(());
        }
        // A short write (a fault in the user's buffer) into fresh blocks
        // inside i_size leaves blocks nothing will write, which would read
        // back as whatever the disk held. A fault's own mapping is not
        // short: page_mkwrite fails before it allocates.
        if map.flags() & iomap::IOMAP_F_NEW != 0 && flags & iomap::IOMAP_FAULT == 0 {
            punch_unwritten(inode, pos, length, written, size)?;
        }
        // The blocks allocated past the new EOF go the same way
        // (`ext2_write_failed`); iomap already dropped their page cache.
        if pos + length > size {
            blockmap::truncate_blocks(inode, u64::try_from(size)?)?;
        }
        Ok(())
    }
}

/// Frees the fresh blocks of a short buffered write of `written` of
/// `length` bytes at `pos` that lie inside `size` and that the write did
/// not reach: from the block after the last byte written (or from the
/// first block, if nothing was), up to the block holding EOF; truncation
/// takes the rest. A page fault that mapped one of them since would have
/// dirtied a folio over a block about to be freed: the page cache of the
/// range goes first, under the `invalidate_lock` that faults take.
fn punch_unwritten(
    inode: &INode<Ext2Fs>,
    pos: i64,
    length: i64,
    written: i64,
    size: i64,
) -> Result {
    let bits = inode.super_block().block_size_bits();
    let mask = (1i64 << bits) - 1;
    let start = if written == 0 {
        pos & !mask
    } else {
        (pos + written + mask) & !mask
    };
    let end = ((pos + length).min(size) + mask) & !mask;
    if start >= end {
        return Ok(());
    }
    let _invalidate = inode.mapping().invalidate_lock();
    inode.mapping().truncate_pagecache_range(start, end - 1);
    let first = u64::try_from(start)? >> bits;
    let last = u64::try_from(end)? >> bits;
    blockmap::punch_blocks(inode, first, last)
}
