// SPDX-License-Identifier: GPL-2.0

//! Inode flags: `lsattr`/`chattr` (`FS_IOC_GETFLAGS`/`FS_IOC_SETFLAGS`
//! through the VFS's fileattr calls), the VFS flags they imply, and the
//! `statx` attributes they show (fs/ext2/ioctl.c, ext2_set_inode_flags and
//! ext2_getattr).
//!
//! Locking: the on-disk flags are the inode's `flags` atom, read without a
//! lock; the VFS flags are updated atomically beside them
//! (`inode_set_flags`). `fileattr_set` runs under `i_rwsem`, so two
//! changes never interleave.

use crate::format::inode as raw;
use crate::sb::Ext2Fs;
use crate::vfs::errno;
use crate::vfs::inode as vfs_inode;
use crate::vfs::inode::FileAttr;
use crate::vfs::inode::INode;
use crate::vfs::inode::Kstat;
use core::sync::atomic::Ordering;
use kernel::prelude::*;

/// The VFS inode flags of on-disk flags `i_flags` (`ext2_set_inode_flags`):
/// the VFS then refuses writes to immutable files, non-appending writes to
/// append-only ones, and so on.
pub(crate) fn vfs_flags(i_flags: u32) -> u32 {
    const MAP: [(u32, u32); 5] = [
        (raw::EXT2_SYNC_FL, vfs_inode::S_SYNC),
        (raw::EXT2_APPEND_FL, vfs_inode::S_APPEND),
        (raw::EXT2_IMMUTABLE_FL, vfs_inode::S_IMMUTABLE),
        (raw::EXT2_NOATIME_FL, vfs_inode::S_NOATIME),
        (raw::EXT2_DIRSYNC_FL, vfs_inode::S_DIRSYNC),
    ];
    MAP.iter()
        .filter(|(disk, _)| i_flags & disk != 0)
        .fold(0, |acc, (_, vfs)| acc | vfs)
}

/// The flags `lsattr` shows (`ext2_fileattr_get`).
pub(crate) fn fileattr_get(inode: &INode<Ext2Fs>) -> Result<u32> {
    Ok(inode.data().flags.load(Ordering::Relaxed) & raw::EXT2_FL_USER_VISIBLE)
}

/// Sets the flags users may change, keeping the others
/// (`ext2_fileattr_set`); XFS-only attributes are refused.
pub(crate) fn fileattr_set(inode: &INode<Ext2Fs>, fa: &FileAttr<'_>) -> Result {
    if fa.has_fsx() {
        return Err(errno::eopnotsupp());
    }
    // i_rwsem (held by the VFS) makes this read-modify-write atomic.
    let old = inode.data().flags.load(Ordering::Relaxed);
    let flags = (old & !raw::EXT2_FL_USER_MODIFIABLE) | (fa.flags() & raw::EXT2_FL_USER_MODIFIABLE);
    inode.data().flags.store(flags, Ordering::Relaxed);
    inode.set_flags(vfs_flags(flags));
    inode.touch_ctime();
    inode.mark_dirty();
    Ok(())
}

/// The `statx` attributes of the inode's flags (`ext2_getattr`).
pub(crate) fn getattr(inode: &INode<Ext2Fs>, stat: &mut Kstat<'_>) -> Result {
    const MAP: [(u32, u64); 4] = [
        (raw::EXT2_APPEND_FL, vfs_inode::STATX_ATTR_APPEND),
        (raw::EXT2_COMPR_FL, vfs_inode::STATX_ATTR_COMPRESSED),
        (raw::EXT2_IMMUTABLE_FL, vfs_inode::STATX_ATTR_IMMUTABLE),
        (raw::EXT2_NODUMP_FL, vfs_inode::STATX_ATTR_NODUMP),
    ];
    let flags = fileattr_get(inode)?;
    let attrs = MAP
        .iter()
        .filter(|(disk, _)| flags & disk != 0)
        .fold(0, |acc, (_, attr)| acc | attr);
    // ext2 names encryption as supported-but-unset too, so statx users see
    // the same mask on both.
    let mask = MAP
        .iter()
        .fold(vfs_inode::STATX_ATTR_ENCRYPTED, |acc, (_, a)| acc | a);
    stat.add_attributes(attrs, mask);
    Ok(())
}
