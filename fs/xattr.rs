// SPDX-License-Identifier: GPL-2.0

//! Extended attribute blocks (fs/ext2/xattr.c): for now only what deleting
//! an inode needs, dropping its reference to a shared attribute block.

use crate::sb::Ext2Fs;
use crate::vfs::inode::INode;
use kernel::prelude::*;

/// `EXT2_XATTR_MAGIC`: the first word of an attribute block.
const EXT2_XATTR_MAGIC: u32 = 0xEA02_0000;

/// Drops the inode's reference to its attribute block, freeing the block
/// with the last reference (`ext2_xattr_delete_inode`).
pub(crate) fn delete_inode(inode: &INode<Ext2Fs>) -> Result {
    let sb = inode.super_block();
    let mut disk = inode.data().disk.lock();
    let block = u64::from(disk.raw.i_file_acl);
    if block == 0 {
        return Ok(());
    }
    if !sb.data().sb.data_block_valid(block, 1) {
        return Err(crate::report(
            sb,
            inode.ino(),
            format_args!("invalid xattr block {block}"),
        ));
    }
    let bh = sb.bread(block)?;
    let last = {
        let mut locked = bh.lock();
        let data = locked.data_mut();
        let word = |i: usize| -> Option<u32> {
            Some(u32::from_le_bytes(*data.get(i..)?.first_chunk::<4>()?))
        };
        let (magic, refcount, blocks) = (word(0), word(4), word(8));
        if magic != Some(EXT2_XATTR_MAGIC) || blocks != Some(1) || refcount == Some(0) {
            drop(locked);
            return Err(crate::report(
                sb,
                inode.ino(),
                format_args!("bad xattr block {block}"),
            ));
        }
        let refcount = refcount.unwrap_or(1) - 1;
        if let Some(slot) = data.get_mut(4..8) {
            slot.copy_from_slice(&refcount.to_le_bytes());
        }
        refcount == 0
    };
    disk.raw.i_file_acl = 0;
    drop(disk);
    inode.sub_bytes(i64::from(sb.block_size()));
    if last {
        bh.forget();
        crate::balloc::free_blocks(sb, block, 1)
    } else {
        bh.mark_dirty();
        Ok(())
    }
}
