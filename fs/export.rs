// SPDX-License-Identifier: GPL-2.0

//! NFS-style file handles (fs/ext2/super.c: ext2_nfs_get_inode,
//! ext2_export_ops; fs/ext2/namei.c: ext2_get_parent): a handle holds the
//! inode number and generation, as for ext2, so handles made by either
//! driver open the same files under the other.

use crate::format::inode as raw;
use crate::inode;
use crate::namei;
use crate::sb::Ext2Fs;
use crate::vfs::errno;
use crate::vfs::export;
use crate::vfs::inode::INode;
use crate::vfs::sb::SuperBlock;
use kernel::prelude::*;
use kernel::sync::aref::ARef;

struct ExportOps;

#[vtable]
impl export::Operations for ExportOps {
    type FileSystem = Ext2Fs;

    /// A handle comes from outside: a number out of range or reserved, or
    /// an inode deleted since, is stale, never reported as corruption.
    fn nfs_get_inode(
        sb: &SuperBlock<Ext2Fs>,
        ino: u64,
        generation: u32,
    ) -> Result<ARef<INode<Ext2Fs>>> {
        let ino = u32::try_from(ino).map_err(|_| errno::estale())?;
        if raw::inode_loc(&sb.data().sb, ino).is_err() {
            return Err(errno::estale());
        }
        let inode = inode::iget(sb, ino)?;
        if generation != 0 && inode.generation() != generation {
            return Err(errno::estale());
        }
        Ok(inode)
    }

    fn get_parent(child: &INode<Ext2Fs>) -> Result<ARef<INode<Ext2Fs>>> {
        namei::lookup(child, b"..")?.ok_or(ENOENT)
    }
}

/// The file handle operations of every ext2rs superblock.
pub(crate) const EXPORT_OPS: &export::Ops<Ext2Fs> = &export::Ops::ino32::<ExportOps>();
