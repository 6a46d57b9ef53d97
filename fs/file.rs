// SPDX-License-Identifier: GPL-2.0

//! Regular files (fs/ext2/file.c): reads and writes, buffered through
//! iomap or direct, `mmap` with `page_mkwrite`, size changes, fsync,
//! `SEEK_HOLE`/`SEEK_DATA` and fiemap.
//!
//! Locking: writes and size changes hold `i_rwsem` exclusively (the VFS
//! takes it for setattr), direct reads hold it shared. Truncation also
//! takes the mapping's `invalidate_lock` exclusively, which page faults
//! take shared, so no fault maps a folio being truncated. iomap takes the
//! folio lock; [`blockmap`](crate::blockmap) the block-map mutex inside it.
//!
//! The size rules that keep mapped writes from landing in holes when the
//! block size is below the page size (the "blocksize < pagesize" mmap
//! problem): whenever `i_size` grows, the block straddling the old EOF is
//! zeroed past it ([`zero_eof`]), and the folio straddling the old EOF is
//! write-protected and its dirty part past EOF zeroed
//! (`pagecache_isize_extended`, which iomap's buffered write and
//! `truncate_setsize` call, and [`dio_write`] calls itself), so the next
//! store through a mapping faults into `page_mkwrite`, which allocates.

use crate::blockmap;
use crate::iomap::Ext2Iomap;
use crate::sb::Ext2Fs;
use crate::vfs::acl::Acl;
use crate::vfs::acl::AclType;
use crate::vfs::acl::PosixAcl;
use crate::vfs::address_space;
use crate::vfs::address_space::Readahead;
use crate::vfs::address_space::Writeback;
use crate::vfs::errno;
use crate::vfs::file;
use crate::vfs::file::File;
use crate::vfs::file::IovIter;
use crate::vfs::file::Kiocb;
use crate::vfs::folio::LockedFolio;
use crate::vfs::inode;
use crate::vfs::inode::FileAttr;
use crate::vfs::inode::INode;
use crate::vfs::inode::Kstat;
use crate::vfs::inode::MntIdmap;
use crate::vfs::inode::SetAttr;
use crate::vfs::iomap;
use crate::vfs::iomap::FiemapInfo;
use crate::vfs::mm;
use crate::vfs::mm::VmFault;
use crate::vfs::mm::VmFaultT;
use kernel::prelude::*;
use kernel::sync::aref::ARef;

/// Regular file operations.
struct FileOps;

#[vtable]
impl file::Operations for FileOps {
    type FileSystem = Ext2Fs;

    const VM_OPS: Option<&'static mm::VmOps<Ext2Fs>> = Some(VM_OPS);

    fn llseek(file: &File<Ext2Fs>, offset: i64, whence: i32) -> Result<i64> {
        let inode = file.inode();
        let max = inode.super_block().max_bytes();
        match whence {
            file::SEEK_HOLE => file.setpos(iomap::seek_hole::<Ext2Iomap>(inode, offset)?, max),
            file::SEEK_DATA => file.setpos(iomap::seek_data::<Ext2Iomap>(inode, offset)?, max),
            _ => file.generic_llseek(offset, whence, max, inode.size()),
        }
    }

    fn read_iter(iocb: &mut Kiocb<Ext2Fs>, to: &mut IovIter) -> Result<usize> {
        if !iocb.is_direct() {
            return iocb.generic_file_read_iter(to);
        }
        let inode: ARef<INode<Ext2Fs>> = iocb.file().inode().into();
        let _rwsem = inode.lock_shared();
        iocb.file().accessed();
        iomap::dio_read::<Ext2Iomap>(iocb, to)
    }

    fn write_iter(iocb: &mut Kiocb<Ext2Fs>, from: &mut IovIter) -> Result<usize> {
        let inode: ARef<INode<Ext2Fs>> = iocb.file().inode().into();
        let written = {
            let _rwsem = inode.lock();
            if iocb.generic_write_checks(from)? == 0 {
                return Ok(0);
            }
            iocb.file().modified()?;
            let (pos, old) = (iocb.pos(), inode.size());
            if pos > old {
                zero_eof(&inode, old, pos)?;
            }
            if iocb.is_direct() {
                dio_write(&inode, iocb, from, old)?
            } else {
                iomap::file_buffered_write::<Ext2Iomap>(iocb, from)?
            }
        };
        if written == 0 {
            return Ok(0);
        }
        iocb.generic_write_sync(written)
    }

    /// `ext2_release_file`: a writer's close drops the reservation
    /// window, so that the blocks it held are free for other files' windows.
    fn release(file: &File<Ext2Fs>) {
        if file.is_writable() {
            let inode = file.inode();
            let windows = &inode.super_block().data().windows;
            inode.data().disk.lock().rsv.discard(windows);
        }
    }

    fn fsync(file: &File<Ext2Fs>, start: i64, end: i64, datasync: bool) -> Result {
        fsync(file, start, end, datasync)
    }
}

/// `fsync` of files and directories (`ext2_fsync`): the range of the page
/// cache (directories have none there: their blocks are metadata), the
/// metadata buffers the inode's data depends on (indirect blocks, and a
/// directory's own blocks), the inode, then the device's cache. Like ext2,
/// it leaves bitmaps and group descriptors to writeback: e2fsck rebuilds
/// their counts after a crash, but not a lost block pointer.
pub(crate) fn fsync(file: &File<Ext2Fs>, start: i64, end: i64, datasync: bool) -> Result {
    file.fsync_metadata_bhs(start, end, datasync)
}

/// Zeroes the block straddling `old`, the current EOF, from `old` on (up
/// to `new`), before the size grows to `new`: bytes past EOF in it may
/// hold what a store through a mapping left there, and must read as zeros
/// once inside the file. Holes need nothing.
fn zero_eof(inode: &INode<Ext2Fs>, old: i64, new: i64) -> Result {
    let bs = i64::from(inode.super_block().block_size());
    let tail = old & (bs - 1);
    if tail == 0 {
        return Ok(());
    }
    let end = (old - tail + bs).min(new);
    iomap::zero_range::<Ext2Iomap>(inode, old, end - old)
}

/// A direct write (`i_rwsem` held). Writes into holes inside `i_size`
/// come back `-ENOTBLK` from the mapping and go through the page cache
/// instead, written back and dropped before returning so the data is on
/// disk as after a direct write.
fn dio_write(
    inode: &INode<Ext2Fs>,
    iocb: &mut Kiocb<Ext2Fs>,
    from: &mut IovIter,
    old: i64,
) -> Result<usize> {
    let pos = iocb.pos();
    let count = i64::try_from(from.count())?;
    let bs = i64::from(inode.super_block().block_size());
    // Extending writes set i_size at completion under i_rwsem, and
    // sub-block writes zero around themselves: both must complete here.
    let flags = if (pos | count) & (bs - 1) != 0 || pos + count > old {
        iomap::IOMAP_DIO_FORCE_WAIT
    } else {
        0
    };
    let mut done = match iomap::dio_rw::<Ext2Iomap, DioOps>(iocb, from, flags) {
        Ok(n) => n,
        Err(e) if e == errno::enotblk() => 0,
        Err(e) => return Err(e),
    };
    if inode.size() > old && pos > old {
        inode.mapping().isize_extended(old, pos);
    }
    if from.count() > 0 {
        done += fallback_buffered_write(inode, iocb, from)?;
    }
    Ok(done)
}

/// Finishes a direct write through the page cache (see [`dio_write`]).
fn fallback_buffered_write(
    inode: &INode<Ext2Fs>,
    iocb: &mut Kiocb<Ext2Fs>,
    from: &mut IovIter,
) -> Result<usize> {
    let start = iocb.pos();
    iocb.clear_direct();
    let written = iomap::file_buffered_write::<Ext2Iomap>(iocb, from)?;
    if written == 0 {
        return Ok(0);
    }
    let end = start + i64::try_from(written)? - 1;
    let mapping = inode.mapping();
    mapping.write_and_wait_range(start, end).map_err(|_| EIO)?;
    let shift = kernel::page::PAGE_SHIFT;
    mapping.invalidate_pages(
        usize::try_from(start >> shift)?,
        usize::try_from(end >> shift)?,
    );
    Ok(written)
}

/// Completion of direct writes.
struct DioOps;

#[vtable]
impl iomap::DioOperations for DioOps {
    type FileSystem = Ext2Fs;

    /// An extending write (always waited for, `i_rwsem` held) moves EOF.
    fn end_io(iocb: &Kiocb<Ext2Fs>, size: isize, error: i32, _flags: u32) -> Result {
        if error != 0 {
            return Err(Error::from_errno(error));
        }
        let inode = iocb.file().inode();
        let end = iocb.pos() + i64::try_from(size)?;
        if size > 0 && end > inode.size() {
            inode.set_size(end);
            inode.mark_dirty();
        }
        Ok(())
    }
}

/// Changes the size (`ext2_setsize`), `i_rwsem` held: growing zeroes past
/// the old EOF and write-protects its folio; shrinking zeroes the new last
/// block past EOF, drops the page cache and frees the blocks past it.
/// Either way mtime and ctime move: truncate(2), unlike ftruncate(2), asks
/// for no time change (xfstests generic/313).
fn setsize(inode: &INode<Ext2Fs>, size: i64) -> Result {
    resize(inode, size)?;
    inode.touch_cmtime();
    inode.mark_dirty();
    if inode.needs_sync() {
        inode.sync_metadata()?;
    }
    Ok(())
}

/// The data side of [`setsize`].
fn resize(inode: &INode<Ext2Fs>, size: i64) -> Result {
    let old = inode.size();
    inode.dio_wait();
    if size > old {
        zero_eof(inode, old, size)?;
        let _invalidate = inode.mapping().invalidate_lock();
        inode.mapping().truncate_setsize(size);
        return Ok(());
    }
    iomap::truncate_page::<Ext2Iomap>(inode, size)?;
    let _invalidate = inode.mapping().invalidate_lock();
    inode.mapping().truncate_setsize(size);
    blockmap::truncate_blocks(inode, u64::try_from(size)?)
}

/// `setattr` of regular files.
pub(crate) fn setattr(inode: &INode<Ext2Fs>, attr: &SetAttr<'_>) -> Result {
    if let Some(size) = attr.size() {
        if size != inode.size() {
            setsize(inode, size)?;
        }
    }
    attr.copy(inode);
    inode.mark_dirty();
    attr.posix_acl_chmod(inode)
}

/// Page faults on mapped files.
struct VmOpsImpl;

#[vtable]
impl mm::Operations for VmOpsImpl {
    type FileSystem = Ext2Fs;

    /// Allocates the folio's blocks up to EOF before it can be dirtied
    /// through the map: writeback never allocates, so a dirty byte over a
    /// hole would be lost. Out of space is SIGBUS now, not lost data later.
    fn page_mkwrite(vmf: &VmFault<Ext2Fs>) -> VmFaultT {
        let _pagefault = vmf.start_pagefault();
        vmf.file_update_time();
        let _invalidate = vmf.inode().mapping().invalidate_lock_shared();
        iomap::page_mkwrite::<Ext2Iomap>(vmf)
    }
}

/// Regular file inode operations.
struct FileInodeOps;

#[vtable]
impl inode::Operations for FileInodeOps {
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

    fn get_acl(inode: &INode<Ext2Fs>, typ: AclType) -> Result<Option<PosixAcl>> {
        crate::acl::get_acl(inode, typ)
    }

    fn set_acl(idmap: &MntIdmap, inode: &INode<Ext2Fs>, acl: Option<&Acl>, typ: AclType) -> Result {
        crate::acl::set_acl(idmap, inode, acl, typ)
    }

    fn setattr(inode: &INode<Ext2Fs>, attr: &SetAttr<'_>) -> Result {
        setattr(inode, attr)
    }

    fn fiemap(inode: &INode<Ext2Fs>, info: &mut FiemapInfo, start: u64, len: u64) -> Result {
        iomap::fiemap::<Ext2Iomap>(inode, info, start, len)
    }
}

/// Address space operations of files and slow symlinks: iomap's.
struct Aops;

#[vtable]
impl address_space::Operations for Aops {
    type FileSystem = Ext2Fs;
    // iomap keeps per-block state in folios of any size, at every block
    // size; writes then dirty, write back and free folios of up to a few
    // hundred KiB instead of single pages, which is where the write gap to
    // XFS was (Documentation/benchmarks/2026-11-22-cpu-model.md).
    const LARGE_FOLIOS: bool = true;

    fn read_folio(folio: LockedFolio) -> Result {
        iomap::read_folio::<Ext2Iomap>(folio);
        Ok(())
    }

    fn readahead(rac: &Readahead) {
        iomap::readahead::<Ext2Iomap>(rac);
    }

    fn writepages(wb: &Writeback) -> Result {
        iomap::writepages::<Ext2Iomap>(wb)
    }

    fn bmap(inode: &INode<Ext2Fs>, block: u64) -> u64 {
        iomap::bmap::<Ext2Iomap>(inode, block)
    }
}

/// The fault handlers of mapped regular files.
const VM_OPS: &mm::VmOps<Ext2Fs> = &mm::VmOps::new::<VmOpsImpl>();
/// The inode operations of regular files.
pub(crate) const FILE_IOPS: &inode::Ops<Ext2Fs> = &inode::Ops::new::<FileInodeOps>();
/// The file operations of regular files.
pub(crate) const FILE_FOPS: &file::Ops<Ext2Fs> = &file::Ops::regular::<FileOps>();
/// The address space operations of regular files and slow symlinks.
pub(crate) const AOPS: &address_space::Ops<Ext2Fs> = &address_space::Ops::iomap::<Aops>();
