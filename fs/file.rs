// SPDX-License-Identifier: GPL-2.0

//! Regular files: reads through iomap into the page cache, `mmap`,
//! `SEEK_HOLE`/`SEEK_DATA` and fiemap (fs/ext2/file.c).

use crate::iomap::Ext2Iomap;
use crate::sb::Ext2Fs;
use crate::vfs::address_space;
use crate::vfs::address_space::Readahead;
use crate::vfs::file;
use crate::vfs::file::File;
use crate::vfs::folio::LockedFolio;
use crate::vfs::inode;
use crate::vfs::inode::INode;
use crate::vfs::iomap;
use crate::vfs::iomap::FiemapInfo;
use kernel::prelude::*;

/// Regular file operations.
struct FileOps;

#[vtable]
impl file::Operations for FileOps {
    type FileSystem = Ext2Fs;

    fn llseek(file: &File<Ext2Fs>, offset: i64, whence: i32) -> Result<i64> {
        let inode = file.inode();
        let max = inode.super_block().max_bytes();
        match whence {
            file::SEEK_HOLE => file.setpos(iomap::seek_hole::<Ext2Iomap>(inode, offset)?, max),
            file::SEEK_DATA => file.setpos(iomap::seek_data::<Ext2Iomap>(inode, offset)?, max),
            _ => file.generic_llseek(offset, whence, max, inode.size()),
        }
    }
}

/// Regular file inode operations.
struct FileInodeOps;

#[vtable]
impl inode::Operations for FileInodeOps {
    type FileSystem = Ext2Fs;

    fn fiemap(inode: &INode<Ext2Fs>, info: &mut FiemapInfo, start: u64, len: u64) -> Result {
        iomap::fiemap::<Ext2Iomap>(inode, info, start, len)
    }
}

/// Address space operations of files and slow symlinks: iomap's.
struct Aops;

#[vtable]
impl address_space::Operations for Aops {
    type FileSystem = Ext2Fs;

    fn read_folio(folio: LockedFolio) -> Result {
        iomap::read_folio::<Ext2Iomap>(folio);
        Ok(())
    }

    fn readahead(rac: &Readahead) {
        iomap::readahead::<Ext2Iomap>(rac);
    }
}

/// The inode operations of regular files.
pub(crate) const FILE_IOPS: &inode::Ops<Ext2Fs> = &inode::Ops::new::<FileInodeOps>();
/// The file operations of regular files.
pub(crate) const FILE_FOPS: &file::Ops<Ext2Fs> = &file::Ops::regular::<FileOps>();
/// The address space operations of regular files and slow symlinks.
pub(crate) const AOPS: &address_space::Ops<Ext2Fs> = &address_space::Ops::iomap::<Aops>();
