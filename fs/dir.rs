// SPDX-License-Identifier: GPL-2.0

//! Directories: one walk over checked directory blocks, shared by
//! `readdir` and `lookup`, and the entry edits of namespace changes
//! (fs/ext2/dir.c).
//!
//! Directory blocks are read and written as buffer heads of the block
//! device, never through the iomap page cache of the directory. Every block
//! is checked whole (`ext2_check_folio`) before any entry of it is used or
//! changed.
//!
//! Locking: callers hold the directory's `i_rwsem`, which the VFS takes:
//! shared for readdir and lookup, exclusive for every change (create,
//! link, unlink, mkdir, rmdir, rename, where `lock_rename` holds both
//! directories). So the entries of a block change only under the exclusive
//! `i_rwsem`, and the buffer lock taken for each change keeps writeback
//! from sending a half-edited block to disk. Growing the directory takes
//! its block-map mutex inside `blockmap::get_block`.

use crate::blockmap;
use crate::format::dir as fmt;
use crate::format::dir::ftype_to_dtype;
use crate::format::dir::AddLink;
use crate::format::dir::DirBlock;
use crate::format::inode::EXT2_INDEX_FL;
use crate::namei;
use crate::sb::Ext2Fs;
use crate::vfs::acl::Acl;
use crate::vfs::acl::AclType;
use crate::vfs::acl::PosixAcl;
use crate::vfs::buffer::BufferHead;
use crate::vfs::dentry::DEntry;
use crate::vfs::errno;
use crate::vfs::file;
use crate::vfs::file::DirEmitter;
use crate::vfs::file::File;
use crate::vfs::inode;
use crate::vfs::inode::FileAttr;
use crate::vfs::inode::INode;
use crate::vfs::inode::Kstat;
use crate::vfs::inode::MntIdmap;
use crate::vfs::inode::Rename;
use crate::vfs::inode::TmpFile;
use core::ops::ControlFlow;
use core::sync::atomic::Ordering;
use kernel::prelude::*;
use kernel::sync::aref::ARef;

/// The number of blocks of `dir`, whose size must be whole blocks.
fn nblocks(dir: &INode<Ext2Fs>) -> Result<u64> {
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
    Ok(size >> bits)
}

/// Reads block `n` of `dir`, which must be mapped.
fn read_block(dir: &INode<Ext2Fs>, n: u64) -> Result<BufferHead> {
    let sb = dir.super_block();
    let phys = blockmap::get_block(dir, n, false)?
        .ok_or_else(|| crate::report(sb, dir.ino(), format_args!("hole at directory block {n}")))?;
    sb.bread(phys)
}

/// Checks a block of `dir` read by [`read_block`].
fn checked<'a>(dir: &INode<Ext2Fs>, bh: &'a BufferHead) -> Result<DirBlock<'a>> {
    let sb = dir.super_block();
    DirBlock::with_format(bh.data(), sb.data().dir_format)
        .map_err(|e| crate::report(sb, dir.ino(), e))
}

/// Calls `f` with each checked block of `dir` from block `start` on, until
/// it breaks.
pub(crate) fn walk<B>(
    dir: &INode<Ext2Fs>,
    start: u64,
    mut f: impl FnMut(u64, &DirBlock<'_>) -> ControlFlow<B>,
) -> Result<Option<B>> {
    for n in start..nblocks(dir)? {
        let bh = read_block(dir, n)?;
        if let ControlFlow::Break(b) = f(n, &checked(dir, &bh)?) {
            return Ok(Some(b));
        }
    }
    Ok(None)
}

/// A live directory entry found for a change: its block and its place.
pub(crate) struct Entry {
    bh: BufferHead,
    /// Byte offset of the entry in its block.
    offset: usize,
    /// The inode it names.
    pub(crate) ino: u32,
}

/// Finds the live entry `name` in `dir` (`ext2_find_entry`).
pub(crate) fn find_entry(dir: &INode<Ext2Fs>, name: &[u8]) -> Result<Option<Entry>> {
    for n in 0..nblocks(dir)? {
        let bh = read_block(dir, n)?;
        let found = checked(dir, &bh)?
            .find(name)
            .map(|de| (de.offset, de.inode));
        if let Some((offset, ino)) = found {
            return Ok(Some(Entry { bh, offset, ino }));
        }
    }
    Ok(None)
}

/// The ".." entry of directory `dir` (`ext2_dotdot`): the second entry of
/// its first block; a directory without one is corrupt.
pub(crate) fn dotdot(dir: &INode<Ext2Fs>) -> Result<Entry> {
    let bh = read_block(dir, 0)?;
    let found = checked(dir, &bh)?.dotdot().map(|de| (de.offset, de.inode));
    match found {
        Some((offset, ino)) if ino != 0 => Ok(Entry { bh, offset, ino }),
        _ => Err(crate::report(
            dir.super_block(),
            dir.ino(),
            format_args!("directory has no '..' entry"),
        )),
    }
}

/// Whether directory `inode` holds nothing but "." and ".."
/// (`ext2_empty_dir`).
pub(crate) fn empty_dir(inode: &INode<Ext2Fs>) -> Result<bool> {
    let ino = u32::try_from(inode.ino())?;
    let busy = walk(inode, 0, |_, block| {
        if block.empty_dir(ino) {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    })?;
    Ok(busy.is_none())
}

/// Applies `edit` to the block holding an entry, under the buffer lock.
/// The format codecs check the whole block before changing a byte, so a
/// failed edit changes nothing; their errors are corruption.
fn edit_block<R>(
    dir: &INode<Ext2Fs>,
    bh: &BufferHead,
    edit: impl FnOnce(&mut [u8]) -> crate::format::error::Result<R>,
) -> Result<R> {
    let res = edit(bh.lock().data_mut());
    res.map_err(|e| crate::report(dir.super_block(), dir.ino(), e))
}

/// Finishes a change to a block of `dir` (`ext2_commit_chunk` and what its
/// callers do next): the block goes to writeback, the directory's times
/// move (with `update_times`), its htree index, which ext2 does not keep
/// up to date, is declared stale, and with `dirsync` both reach the disk.
fn commit(dir: &INode<Ext2Fs>, bh: &BufferHead, update_times: bool) -> Result {
    bh.mark_dirty_inode(dir);
    if update_times {
        dir.touch_cmtime();
    }
    dir.data()
        .flags
        .fetch_and(!EXT2_INDEX_FL, Ordering::Relaxed);
    dir.mark_dirty();
    handle_dirsync(dir, bh)
}

/// With `-o sync`, `-o dirsync` or the directory's sync flags, writes the
/// changed block and the directory inode and waits
/// (`ext2_handle_dirsync`).
fn handle_dirsync(dir: &INode<Ext2Fs>, bh: &BufferHead) -> Result {
    if !dir.is_dirsync() {
        return Ok(());
    }
    bh.sync()?;
    crate::inode::write_inode(dir, true)
}

/// Adds the entry `name` -> `inode` to `dir` (`ext2_add_link`): in the
/// first block with room, else in a block appended to the directory.
/// `EEXIST` if a block searched before the one with room has the name
/// (the VFS has already checked that it does not exist).
pub(crate) fn add_link(dir: &INode<Ext2Fs>, name: &[u8], inode: &INode<Ext2Fs>) -> Result {
    if name.len() > fmt::EXT2_NAME_LEN {
        return Err(errno::enametoolong());
    }
    let format = dir.super_block().data().dir_format;
    let ino = u32::try_from(inode.ino())?;
    let file_type = format.de_type(inode.mode());
    let add = |buf: &mut [u8]| fmt::add_link(buf, format, name, ino, file_type);
    let nblocks = nblocks(dir)?;
    for n in 0..nblocks {
        let bh = read_block(dir, n)?;
        match edit_block(dir, &bh, add)? {
            AddLink::Added { .. } => return commit(dir, &bh, true),
            AddLink::Exists { .. } => return Err(EEXIST),
            AddLink::NoSpace => {}
        }
    }
    let bh = append_block(dir, nblocks)?;
    match edit_block(dir, &bh, add)? {
        AddLink::Added { .. } => commit(dir, &bh, true),
        _ => Err(crate::report(
            dir.super_block(),
            dir.ino(),
            format_args!("no room for a name in a new directory block"),
        )),
    }
}

/// Appends block `n` to `dir`: allocates it, formats it as one unused
/// entry and grows the directory over it, so the directory is whole even
/// if what comes next fails.
fn append_block(dir: &INode<Ext2Fs>, n: u64) -> Result<BufferHead> {
    let sb = dir.super_block();
    let bh = new_block(dir, n)?;
    edit_block(dir, &bh, fmt::init_block)?;
    let end = (n + 1) << sb.block_size_bits();
    dir.set_size(i64::try_from(end)?);
    dir.mark_dirty();
    Ok(bh)
}

/// Allocates block `n` of `dir` and returns a zeroed buffer for it.
fn new_block(dir: &INode<Ext2Fs>, n: u64) -> Result<BufferHead> {
    let sb = dir.super_block();
    let phys = blockmap::get_block(dir, n, true)?
        .ok_or_else(|| crate::report(sb, dir.ino(), format_args!("block {n} not allocated")))?;
    sb.getblk_zeroed(phys)
}

/// Removes `entry` from `dir` (`ext2_delete_entry`): the previous entry
/// of its block absorbs it.
pub(crate) fn delete_entry(dir: &INode<Ext2Fs>, entry: &Entry) -> Result {
    let format = dir.super_block().data().dir_format;
    edit_block(dir, &entry.bh, |buf| {
        fmt::delete_entry(buf, format, entry.offset)
    })?;
    commit(dir, &entry.bh, true)
}

/// Points `entry` of `dir` to `inode` (`ext2_set_link`): for a rename over
/// an existing name, and for ".." of a directory moved elsewhere (which
/// does not change that directory's times).
pub(crate) fn set_link(
    dir: &INode<Ext2Fs>,
    entry: &Entry,
    inode: &INode<Ext2Fs>,
    update_times: bool,
) -> Result {
    let format = dir.super_block().data().dir_format;
    let ino = u32::try_from(inode.ino())?;
    let file_type = format.de_type(inode.mode());
    edit_block(dir, &entry.bh, |buf| {
        fmt::set_link(buf, format, entry.offset, ino, file_type)
    })?;
    commit(dir, &entry.bh, update_times)
}

/// Gives the new directory `inode` its first block, with "." and ".."
/// naming `parent` (`ext2_make_empty`).
pub(crate) fn make_empty(inode: &INode<Ext2Fs>, parent: &INode<Ext2Fs>) -> Result {
    let sb = inode.super_block();
    let format = sb.data().dir_format;
    let (ino, parent_ino) = (u32::try_from(inode.ino())?, u32::try_from(parent.ino())?);
    let bh = new_block(inode, 0)?;
    edit_block(inode, &bh, |buf| {
        fmt::make_empty(buf, format, ino, parent_ino)
    })?;
    bh.mark_dirty_inode(inode);
    inode.set_size(i64::from(sb.block_size()));
    inode.mark_dirty();
    handle_dirsync(inode, &bh)
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

    fn getattr(inode: &INode<Ext2Fs>, stat: &mut Kstat<'_>) -> Result {
        crate::ioctl::getattr(inode, stat)
    }

    fn fileattr_get(inode: &INode<Ext2Fs>) -> Result<u32> {
        crate::ioctl::fileattr_get(inode)
    }

    fn fileattr_set(_idmap: &MntIdmap, inode: &INode<Ext2Fs>, fa: &FileAttr<'_>) -> Result {
        crate::ioctl::fileattr_set(inode, fa)
    }

    fn listxattr(inode: &INode<Ext2Fs>, buf: Option<&mut [u8]>) -> Result<usize> {
        crate::xattr::list(inode, buf)
    }

    fn setattr(inode: &INode<Ext2Fs>, attr: &inode::SetAttr<'_>) -> Result {
        crate::inode::setattr_simple(inode, attr)
    }

    fn get_acl(inode: &INode<Ext2Fs>, typ: AclType) -> Result<Option<PosixAcl>> {
        crate::acl::get_acl(inode, typ)
    }

    fn set_acl(idmap: &MntIdmap, inode: &INode<Ext2Fs>, acl: Option<&Acl>, typ: AclType) -> Result {
        crate::acl::set_acl(idmap, inode, acl, typ)
    }

    fn lookup(dir: &INode<Ext2Fs>, dentry: &DEntry) -> Result<Option<ARef<INode<Ext2Fs>>>> {
        namei::lookup(dir, dentry.name())
    }

    fn create(
        idmap: &MntIdmap,
        dir: &INode<Ext2Fs>,
        dentry: &DEntry,
        mode: u16,
        _excl: bool,
    ) -> Result {
        namei::create(idmap, dir, dentry, mode)
    }

    fn link(inode: &INode<Ext2Fs>, dir: &INode<Ext2Fs>, dentry: &DEntry) -> Result {
        namei::link(inode, dir, dentry)
    }

    fn unlink(dir: &INode<Ext2Fs>, dentry: &DEntry, inode: &INode<Ext2Fs>) -> Result {
        namei::unlink(dir, dentry, inode)
    }

    fn symlink(idmap: &MntIdmap, dir: &INode<Ext2Fs>, dentry: &DEntry, target: &CStr) -> Result {
        namei::symlink(idmap, dir, dentry, target.to_bytes())
    }

    fn mkdir(idmap: &MntIdmap, dir: &INode<Ext2Fs>, dentry: &DEntry, mode: u16) -> Result {
        namei::mkdir(idmap, dir, dentry, mode)
    }

    fn rmdir(dir: &INode<Ext2Fs>, dentry: &DEntry, inode: &INode<Ext2Fs>) -> Result {
        namei::rmdir(dir, dentry, inode)
    }

    fn mknod(
        idmap: &MntIdmap,
        dir: &INode<Ext2Fs>,
        dentry: &DEntry,
        mode: u16,
        rdev: u32,
    ) -> Result {
        namei::mknod(idmap, dir, dentry, mode, rdev)
    }

    fn rename(_idmap: &MntIdmap, r: &Rename<'_, Ext2Fs>) -> Result {
        namei::rename(r)
    }

    fn tmpfile(idmap: &MntIdmap, dir: &INode<Ext2Fs>, file: &TmpFile, mode: u16) -> Result {
        namei::tmpfile(idmap, dir, file, mode)
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

    fn fsync(file: &File<Ext2Fs>, start: i64, end: i64, datasync: bool) -> Result {
        crate::file::fsync(file, start, end, datasync)
    }
}

/// The inode operations of directories.
pub(crate) const DIR_IOPS: &inode::Ops<Ext2Fs> = &inode::Ops::new::<DirInodeOps>();
/// The file operations of directories.
pub(crate) const DIR_FOPS: &file::Ops<Ext2Fs> = &file::Ops::dir::<DirFileOps>();
