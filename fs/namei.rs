// SPDX-License-Identifier: GPL-2.0

//! Name lookup and the namespace operations of directories
//! (fs/ext2/namei.c): create, mknod, symlink, link, unlink, mkdir, rmdir,
//! rename and O_TMPFILE.
//!
//! Every change is ordered so that a failure leaves the filesystem as it
//! was: a new inode is only published once its name is in place, and a
//! [`Created`] inode dropped on an error path loses its links, so eviction
//! frees its blocks and number (ext2's `discard_new_inode` endings).
//!
//! Locking: the VFS holds `i_rwsem` of the directories involved
//! exclusively (both, via `lock_rename`, for a rename) and of the inodes
//! whose links change; link counts change only under those locks.

use crate::blockmap;
use crate::dir;
use crate::format::blockmap::EXT2_N_BLOCKS;
use crate::format::inode as raw;
use crate::format::inode::EXT2_LINK_MAX;
use crate::inode;
use crate::inode::Init;
use crate::sb::Ext2Fs;
use crate::vfs::dentry::DEntry;
use crate::vfs::errno;
use crate::vfs::inode::Created;
use crate::vfs::inode::INode;
use crate::vfs::inode::MntIdmap;
use crate::vfs::inode::Rename;
use crate::vfs::inode::TmpFile;
use crate::vfs::inode::RENAME_NOREPLACE;
use core::ops::ControlFlow;
use kernel::prelude::*;
use kernel::sync::aref::ARef;

/// The longest name a directory entry holds.
const EXT2_NAME_LEN: usize = 255;

/// Permission bits of a mode (`S_IALLUGO`: with setuid, setgid, sticky).
const S_IALLUGO: u16 = 0o7777;

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

/// Names the new non-directory `inode` `dentry` in `dir` and publishes it
/// (`ext2_add_nondir`); on failure, dropping `inode` frees it.
fn add_nondir(dir: &INode<Ext2Fs>, dentry: &DEntry, inode: Created<Ext2Fs>) -> Result {
    dir::add_link(dir, dentry.name(), &inode)?;
    inode.instantiate(dentry);
    Ok(())
}

/// `create`: a new regular file.
pub(crate) fn create(idmap: &MntIdmap, dir: &INode<Ext2Fs>, dentry: &DEntry, mode: u16) -> Result {
    let inode = inode::new_inode(idmap, dir, raw::S_IFREG | (mode & S_IALLUGO), Init::Empty)?;
    add_nondir(dir, dentry, inode)
}

/// `tmpfile`: a regular file without a name, for `O_TMPFILE`; it has no
/// links until `linkat` gives it one, and is deleted when closed without.
pub(crate) fn tmpfile(idmap: &MntIdmap, dir: &INode<Ext2Fs>, file: &TmpFile, mode: u16) -> Result {
    let inode = inode::new_inode(idmap, dir, raw::S_IFREG | (mode & S_IALLUGO), Init::Empty)?;
    inode.tmpfile(file)
}

/// `mknod`: a device node, FIFO or socket (the VFS sends regular files to
/// `create`). Only device nodes keep `rdev`, as `__ext2_write_inode`.
pub(crate) fn mknod(
    idmap: &MntIdmap,
    dir: &INode<Ext2Fs>,
    dentry: &DEntry,
    mode: u16,
    rdev: u32,
) -> Result {
    let init = if raw::s_ischr(mode) || raw::s_isblk(mode) {
        Init::Device(rdev)
    } else {
        Init::Empty
    };
    let inode = inode::new_inode(idmap, dir, mode, init)?;
    add_nondir(dir, dentry, inode)
}

/// `symlink`: a target shorter than `i_block` (60 bytes with its NUL) is
/// kept there (a fast symlink); a longer one, up to a block with its NUL,
/// goes into one data block.
pub(crate) fn symlink(
    idmap: &MntIdmap,
    dir: &INode<Ext2Fs>,
    dentry: &DEntry,
    target: &[u8],
) -> Result {
    let len = target.len() + 1;
    if len > usize::try_from(dir.super_block().block_size())? {
        return Err(errno::enametoolong());
    }
    let mode = raw::S_IFLNK | 0o777;
    let inode = if len > 4 * EXT2_N_BLOCKS {
        let inode = inode::new_inode(idmap, dir, mode, Init::SlowSymlink)?;
        write_slow_symlink(&inode, target)?;
        inode
    } else {
        inode::new_inode(idmap, dir, mode, Init::FastSymlink(target))?
    };
    inode.set_size(i64::try_from(target.len())?);
    inode.mark_dirty();
    add_nondir(dir, dentry, inode)
}

/// Writes a slow symlink's target into its first block. The block is
/// written through the buffer cache and synced at once, because
/// `page_get_link` reads it through the symlink's page cache from disk.
fn write_slow_symlink(inode: &INode<Ext2Fs>, target: &[u8]) -> Result {
    let sb = inode.super_block();
    let phys = blockmap::get_block(inode, 0, true)?.ok_or_else(|| {
        crate::report(sb, inode.ino(), format_args!("symlink block not allocated"))
    })?;
    let bh = sb.getblk_zeroed(phys)?;
    {
        let mut locked = bh.lock();
        let dst = locked.data_mut().get_mut(..target.len()).ok_or(EINVAL)?;
        dst.copy_from_slice(target);
    }
    bh.mark_dirty();
    bh.sync()
}

/// `link`: another name for `inode`, which may be an `O_TMPFILE` inode
/// without links yet.
pub(crate) fn link(inode: &INode<Ext2Fs>, dir: &INode<Ext2Fs>, dentry: &DEntry) -> Result {
    if inode.nlink() >= EXT2_LINK_MAX {
        return Err(EMLINK);
    }
    inode.touch_ctime();
    inode.inc_nlink();
    inode.mark_dirty();
    if let Err(e) = dir::add_link(dir, dentry.name(), inode) {
        inode.drop_nlink();
        inode.mark_dirty();
        return Err(e);
    }
    INode::instantiate(ARef::from(inode), dentry);
    Ok(())
}

/// `unlink`: removes the name; the inode goes when its last link and
/// user do.
pub(crate) fn unlink(dir: &INode<Ext2Fs>, dentry: &DEntry, inode: &INode<Ext2Fs>) -> Result {
    let entry = dir::find_entry(dir, dentry.name())?.ok_or(ENOENT)?;
    dir::delete_entry(dir, &entry)?;
    inode.touch_ctime();
    inode.drop_nlink();
    inode.mark_dirty();
    Ok(())
}

/// `mkdir`: the parent gains a link (the new ".."), the new directory two
/// ("." and its name).
pub(crate) fn mkdir(idmap: &MntIdmap, dir: &INode<Ext2Fs>, dentry: &DEntry, mode: u16) -> Result {
    if dir.nlink() >= EXT2_LINK_MAX {
        return Err(EMLINK);
    }
    dir.inc_nlink();
    dir.mark_dirty();
    let res = mkdir_child(idmap, dir, dentry, mode);
    if res.is_err() {
        dir.drop_nlink();
        dir.mark_dirty();
    }
    res
}

/// The new directory of [`mkdir`], freed again if any step fails.
fn mkdir_child(idmap: &MntIdmap, dir: &INode<Ext2Fs>, dentry: &DEntry, mode: u16) -> Result {
    let inode = inode::new_inode(idmap, dir, raw::S_IFDIR | (mode & S_IALLUGO), Init::Empty)?;
    inode.inc_nlink();
    dir::make_empty(&inode, dir)?;
    dir::add_link(dir, dentry.name(), &inode)?;
    inode.instantiate(dentry);
    Ok(())
}

/// `rmdir`: the directory must hold only "." and ".."; it loses both its
/// links and the parent loses the one of "..".
pub(crate) fn rmdir(dir: &INode<Ext2Fs>, dentry: &DEntry, inode: &INode<Ext2Fs>) -> Result {
    if !dir::empty_dir(inode)? {
        return Err(errno::enotempty());
    }
    unlink(dir, dentry, inode)?;
    inode.set_size(0);
    inode.drop_nlink();
    inode.mark_dirty();
    dir.drop_nlink();
    dir.mark_dirty();
    Ok(())
}

/// `rename` (`ext2_rename`): the new name is made to point at the inode
/// (replacing what it named, which for a directory must be empty), then
/// the old name goes; a directory moved to another parent has its ".."
/// repointed, and the link counts of the parents follow their "..".
/// `RENAME_EXCHANGE` and `RENAME_WHITEOUT` are not supported (`EINVAL`),
/// as in ext2; the VFS enforces `RENAME_NOREPLACE`.
pub(crate) fn rename(r: &Rename<'_, Ext2Fs>) -> Result {
    if r.flags & !RENAME_NOREPLACE != 0 {
        return Err(EINVAL);
    }
    let old_is_dir = raw::s_isdir(r.old_inode.mode());
    let moved = r.old_dir.ino() != r.new_dir.ino();
    let old = dir::find_entry(r.old_dir, r.old_dentry.name())?.ok_or(ENOENT)?;
    // Found before anything changes, so a corrupt ".." fails the rename
    // while nothing is half done.
    let dotdot = if old_is_dir && moved {
        Some(dir::dotdot(r.old_inode)?)
    } else {
        None
    };
    match r.new_inode {
        Some(target) => replace_target(r, target, old_is_dir)?,
        None => {
            if old_is_dir && moved && r.new_dir.nlink() >= EXT2_LINK_MAX {
                return Err(EMLINK);
            }
            dir::add_link(r.new_dir, r.new_dentry.name(), r.old_inode)?;
            if old_is_dir {
                r.new_dir.inc_nlink();
                r.new_dir.mark_dirty();
            }
        }
    }
    r.old_inode.touch_ctime();
    r.old_inode.mark_dirty();
    dir::delete_entry(r.old_dir, &old)?;
    if old_is_dir {
        if let Some(dotdot) = dotdot {
            dir::set_link(r.old_inode, &dotdot, r.new_dir, false)?;
        }
        r.old_dir.drop_nlink();
        r.old_dir.mark_dirty();
    }
    Ok(())
}

/// Points the existing new name of a rename at the renamed inode; the
/// inode it named loses that link (and, for a directory, the link of its
/// "." too).
fn replace_target(r: &Rename<'_, Ext2Fs>, target: &INode<Ext2Fs>, old_is_dir: bool) -> Result {
    if old_is_dir && !dir::empty_dir(target)? {
        return Err(errno::enotempty());
    }
    let new = dir::find_entry(r.new_dir, r.new_dentry.name())?.ok_or(ENOENT)?;
    if new.ino != u32::try_from(target.ino())? {
        return Err(crate::report(
            r.new_dir.super_block(),
            r.new_dir.ino(),
            format_args!("entry of the rename target names another inode"),
        ));
    }
    dir::set_link(r.new_dir, &new, r.old_inode, true)?;
    target.touch_ctime();
    if old_is_dir {
        target.drop_nlink();
    }
    target.drop_nlink();
    target.mark_dirty();
    Ok(())
}
