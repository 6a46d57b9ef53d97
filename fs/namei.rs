// SPDX-License-Identifier: GPL-2.0

//! Name lookup (fs/ext2/namei.c: ext2_lookup, fs/ext2/dir.c:
//! ext2_inode_by_name).

use crate::dir;
use crate::inode;
use crate::sb::Ext2Fs;
use crate::vfs::errno;
use crate::vfs::inode::INode;
use core::ops::ControlFlow;
use kernel::prelude::*;
use kernel::sync::aref::ARef;

/// The longest name a directory entry holds.
const EXT2_NAME_LEN: usize = 255;

/// The inode number `name` refers to in `dir`, if any.
pub(crate) fn inode_by_name(dir: &INode<Ext2Fs>, name: &[u8]) -> Result<Option<u32>> {
    dir::walk(dir, 0, |_, block| match block.find(name) {
        Some(de) => ControlFlow::Break(de.inode),
        None => ControlFlow::Continue(()),
    })
}

/// Looks `name` up in `dir`: its inode, or `None` for a negative dentry.
pub(crate) fn lookup(dir: &INode<Ext2Fs>, name: &[u8]) -> Result<Option<ARef<INode<Ext2Fs>>>> {
    if name.len() > EXT2_NAME_LEN {
        return Err(errno::enametoolong());
    }
    let Some(ino) = inode_by_name(dir, name)? else {
        return Ok(None);
    };
    match inode::iget(dir.super_block(), ino) {
        Ok(inode) => Ok(Some(inode)),
        Err(e) if e == errno::estale() => Err(crate::report(
            dir.super_block(),
            dir.ino(),
            format_args!("entry '{}' names deleted inode {ino}", name.escape_ascii()),
        )),
        Err(e) => Err(e),
    }
}
