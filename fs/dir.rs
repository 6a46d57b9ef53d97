// SPDX-License-Identifier: GPL-2.0

//! Directories: one walk over checked directory blocks, shared by
//! `readdir` and `lookup` (fs/ext2/dir.c).
//!
//! Directory blocks are read as buffer heads of the block device, never
//! through the iomap page cache of the directory. Every block is checked
//! whole (`ext2_check_folio`) before any entry of it is used.
//!
//! Locking: callers hold the directory's `i_rwsem` (shared for readdir
//! and lookup), which the VFS takes.

use crate::blockmap;
use crate::format::dir::ftype_to_dtype;
use crate::format::dir::DirBlock;
use crate::namei;
use crate::sb::Ext2Fs;
use crate::vfs::file;
use crate::vfs::file::DirEmitter;
use crate::vfs::file::File;
use crate::vfs::inode;
use crate::vfs::inode::INode;
use core::ops::ControlFlow;
use kernel::prelude::*;

/// Calls `f` with each checked block of `dir` from block `start` on, until
/// it breaks.
pub(crate) fn walk<B>(
    dir: &INode<Ext2Fs>,
    start: u64,
    mut f: impl FnMut(u64, &DirBlock<'_>) -> ControlFlow<B>,
) -> Result<Option<B>> {
    let sb = dir.super_block();
    let bits = sb.block_size_bits();
    let size = u64::try_from(dir.size())?;
    // ext2 only ever grows directories by whole blocks (ext2_check_folio).
    if size & ((1 << bits) - 1) != 0 {
        return Err(crate::report(
            sb,
            dir.ino(),
            format_args!("directory size {size} is not a multiple of the block size"),
        ));
    }
    let nblocks = size >> bits;
    for n in start..nblocks {
        let phys = blockmap::get_block(dir, n, false)?.ok_or_else(|| {
            crate::report(sb, dir.ino(), format_args!("hole at directory block {n}"))
        })?;
        let bh = sb.bread(phys)?;
        let block = DirBlock::with_format(bh.data(), sb.data().dir_format)
            .map_err(|e| crate::report(sb, dir.ino(), e))?;
        if let ControlFlow::Break(b) = f(n, &block) {
            return Ok(Some(b));
        }
    }
    Ok(None)
}

/// `readdir`: emits the live entries from the file position on; the
/// position is the byte offset of the next entry in the directory.
fn readdir(dir: &INode<Ext2Fs>, emitter: &mut DirEmitter<'_>) -> Result {
    let bits = dir.super_block().block_size_bits();
    let Ok(pos) = u64::try_from(emitter.pos()) else {
        return Ok(());
    };
    let mut skip_to = usize::try_from(pos & ((1 << bits) - 1))?;
    walk(dir, pos >> bits, |n, block| {
        let base = n << bits;
        for de in block.entries().filter(|de| de.offset >= skip_to) {
            if de.is_live()
                && !emitter.emit(
                    de.name,
                    u64::from(de.inode),
                    ftype_to_dtype(de.file_type).into(),
                )
            {
                return ControlFlow::Break(());
            }
            // CAST: offsets within a block are below 4096.
            let next = base + (de.offset + de.rec_len) as u64;
            emitter.set_pos(i64::try_from(next).unwrap_or(i64::MAX));
        }
        skip_to = 0;
        ControlFlow::Continue(())
    })?;
    Ok(())
}

/// Directory inode operations.
struct DirInodeOps;

#[vtable]
impl inode::Operations for DirInodeOps {
    type FileSystem = Ext2Fs;

    fn lookup(
        dir: &INode<Ext2Fs>,
        dentry: &crate::vfs::dentry::DEntry,
    ) -> Result<Option<kernel::sync::aref::ARef<INode<Ext2Fs>>>> {
        namei::lookup(dir, dentry.name())
    }
}

/// Directory file operations.
struct DirFileOps;

#[vtable]
impl file::Operations for DirFileOps {
    type FileSystem = Ext2Fs;

    fn iterate_shared(file: &File<Ext2Fs>, emitter: &mut DirEmitter<'_>) -> Result {
        readdir(file.inode(), emitter)
    }
}

/// The inode operations of directories.
pub(crate) const DIR_IOPS: &inode::Ops<Ext2Fs> = &inode::Ops::new::<DirInodeOps>();
/// The file operations of directories.
pub(crate) const DIR_FOPS: &file::Ops<Ext2Fs> = &file::Ops::dir::<DirFileOps>();
