// SPDX-License-Identifier: GPL-2.0

//! iomap: file-offset-to-block mappings and the generic I/O built on them.
//!
//! C headers: [`include/linux/iomap.h`](srctree/include/linux/iomap.h)
//!
//! A filesystem describes where a range of a file lives on disk in
//! [`Operations::begin`]; iomap does buffered reads, `SEEK_HOLE`/`SEEK_DATA`,
//! fiemap (and later writes, writeback, direct I/O and page faults) with it.

use crate::vfs::address_space::Readahead;
use crate::vfs::address_space::Writeback;
use crate::vfs::bindings;
use crate::vfs::errno;
use crate::vfs::file::from_ssize;
use crate::vfs::file::IovIter;
use crate::vfs::file::Kiocb;
use crate::vfs::folio::LockedFolio;
use crate::vfs::fs::FileSystem;
use crate::vfs::inode::INode;
use crate::vfs::mm::VmFault;
use crate::vfs::mm::VmFaultT;
use crate::vfs::sb::SuperBlock;
use core::marker::PhantomData;
use kernel::build_error;
use kernel::error::from_result;
use kernel::error::to_result;
use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::ffi::c_int;
use kernel::ffi::c_uint;
use kernel::prelude::*;
use kernel::types::Opaque;

/// `iomap_begin` flag: a write that must allocate blocks.
pub const IOMAP_WRITE: u32 = bindings::IOMAP_WRITE;
/// `iomap_begin` flag: zeroing, holes may be skipped.
pub const IOMAP_ZERO: u32 = bindings::IOMAP_ZERO;
/// `iomap_begin` flag: reporting only (fiemap, seek).
pub const IOMAP_REPORT: u32 = bindings::IOMAP_REPORT;
/// `iomap_begin` flag: a page fault.
pub const IOMAP_FAULT: u32 = bindings::IOMAP_FAULT;
/// `iomap_begin` flag: direct I/O.
pub const IOMAP_DIRECT: u32 = bindings::IOMAP_DIRECT;

/// Mapping flag: the blocks were just allocated; iomap zeroes what the
/// operation does not write.
// CAST: the flags are 16-bit values in `struct iomap`.
pub const IOMAP_F_NEW: u16 = bindings::IOMAP_F_NEW as u16;
/// Mapping flag: the inode has metadata changes for `O_DSYNC` to write.
// CAST: as above.
pub const IOMAP_F_DIRTY: u16 = bindings::IOMAP_F_DIRTY as u16;
/// Mapping flag set by iomap: the operation grew `i_size`.
// CAST: as above.
pub const IOMAP_F_SIZE_CHANGED: u16 = bindings::IOMAP_F_SIZE_CHANGED as u16;
/// Mapping flag: the mapping merges several on-disk extents.
// CAST: as above.
pub const IOMAP_F_MERGED: u16 = bindings::IOMAP_F_MERGED as u16;

/// The kind of a mapping.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// No blocks: reads see zeroes.
    Hole,
    /// Blocks at the mapping's address.
    Mapped,
}

/// One mapping: `length` bytes of the file from `offset`, at `addr` on disk.
///
/// # Invariants
///
/// `inner` is a live `struct iomap` exclusively borrowed for the callback.
#[repr(transparent)]
pub struct Map {
    inner: Opaque<bindings::iomap>,
}

impl Map {
    /// Creates a mutable reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must be live and exclusively ours for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::iomap) -> &'a mut Self {
        // SAFETY: Transparent wrapper; validity and exclusivity per the caller.
        unsafe { &mut *ptr.cast::<Self>() }
    }

    fn raw(&mut self) -> &mut bindings::iomap {
        // SAFETY: By the type invariant the iomap is exclusively ours.
        unsafe { &mut *self.inner.get() }
    }

    /// Sets the kind; a hole gets `IOMAP_NULL_ADDR` as its address.
    pub fn set_type(&mut self, typ: Type) -> &mut Self {
        let raw = self.raw();
        match typ {
            Type::Hole => {
                // CAST: IOMAP_HOLE is 0 and fits the 16-bit field.
                raw.type_ = bindings::IOMAP_HOLE as u16;
                raw.addr = u64::MAX;
            }
            // CAST: IOMAP_MAPPED is 2 and fits the 16-bit field.
            Type::Mapped => raw.type_ = bindings::IOMAP_MAPPED as u16,
        }
        self
    }

    /// Sets the file offset in bytes.
    pub fn set_offset(&mut self, offset: i64) -> &mut Self {
        self.raw().offset = offset;
        self
    }

    /// Sets the length in bytes.
    pub fn set_length(&mut self, length: u64) -> &mut Self {
        self.raw().length = length;
        self
    }

    /// Sets the disk address in bytes (for [`Type::Mapped`]).
    pub fn set_addr(&mut self, addr: u64) -> &mut Self {
        self.raw().addr = addr;
        self
    }

    /// Sets the block device the mapping is on.
    pub fn set_bdev<T: FileSystem>(&mut self, sb: &SuperBlock<T>) -> &mut Self {
        // SAFETY: A block-device superblock's `s_bdev` lives as long as it does.
        self.raw().bdev = unsafe { bindings::ext2rs_sb_bdev(sb.as_raw()) };
        self
    }

    /// The flags (including those iomap set while using the mapping).
    pub fn flags(&mut self) -> u16 {
        self.raw().flags
    }

    /// Sets the validity cookie (`validity_cookie`): the file's mapping
    /// sequence when the mapping was made (see [`Operations::map_seq`]).
    pub fn set_validity_cookie(&mut self, cookie: u64) -> &mut Self {
        self.raw().validity_cookie = cookie;
        self
    }

    /// Sets the flags. Call it last: like fs/ext2, nothing after it may
    /// assign the flags again and lose one (IOMAP_F_DIRTY, IOMAP_F_NEW).
    pub fn set_flags(&mut self, flags: u16) -> &mut Self {
        self.raw().flags = flags;
        self
    }
}

/// How a filesystem maps file ranges (`iomap_ops`).
#[vtable]
pub trait Operations {
    /// The filesystem type these operations belong to.
    type FileSystem: FileSystem;

    /// Maps the range from `pos` for up to `length` bytes into `map`.
    fn begin(
        inode: &INode<Self::FileSystem>,
        pos: i64,
        length: i64,
        flags: u32,
        map: &mut Map,
        srcmap: &mut Map,
    ) -> Result;

    /// Finishes an operation on a mapping; `written` bytes were done.
    fn end(
        _inode: &INode<Self::FileSystem>,
        _pos: i64,
        _length: i64,
        _written: isize,
        _flags: u32,
        _map: &mut Map,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The file's mapping sequence: it changes before any block of the
    /// file is freed, and `begin` stores it in each map as its validity
    /// cookie. With it, writeback maps whole runs and keeps them across
    /// folios while the sequence is unchanged; without it, each dirty
    /// range is mapped by itself.
    fn map_seq(_inode: &INode<Self::FileSystem>) -> u64 {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The `iomap_ops` table of `U`.
struct Tables<U: Operations>(PhantomData<U>);

impl<U: Operations> Tables<U> {
    const OPS: bindings::iomap_ops = bindings::iomap_ops {
        iomap_begin: Some(Self::begin),
        iomap_end: if U::HAS_END { Some(Self::end) } else { None },
        iomap_next: None,
    };

    const fn ops() -> &'static bindings::iomap_ops {
        &Self::OPS
    }

    /// `iomap_ops::iomap_begin`.
    ///
    /// # Safety
    ///
    /// Called by iomap with a live inode of the filesystem type and two
    /// exclusively borrowed maps.
    unsafe extern "C" fn begin(
        inode: *mut bindings::inode,
        pos: i64,
        length: i64,
        flags: c_uint,
        map: *mut bindings::iomap,
        srcmap: *mut bindings::iomap,
    ) -> c_int {
        from_result(|| {
            // SAFETY: Per the safety contract.
            let (inode, map, srcmap) = unsafe {
                (
                    INode::from_raw(inode),
                    Map::from_raw(map),
                    Map::from_raw(srcmap),
                )
            };
            U::begin(inode, pos, length, flags, map, srcmap)?;
            Ok(0)
        })
    }

    /// The mapping sequence, for the writeback glue.
    ///
    /// # Safety
    ///
    /// Called by the writeback glue with a live inode of the filesystem
    /// type.
    unsafe extern "C" fn map_seq(inode: *mut bindings::inode) -> u64 {
        // SAFETY: Per the safety contract.
        U::map_seq(unsafe { INode::from_raw(inode) })
    }

    /// `iomap_ops::iomap_end`.
    ///
    /// # Safety
    ///
    /// As for `begin`.
    unsafe extern "C" fn end(
        inode: *mut bindings::inode,
        pos: i64,
        length: i64,
        written: isize,
        flags: c_uint,
        map: *mut bindings::iomap,
    ) -> c_int {
        from_result(|| {
            // SAFETY: Per the safety contract.
            let (inode, map) = unsafe { (INode::from_raw(inode), Map::from_raw(map)) };
            U::end(inode, pos, length, written, flags, map)?;
            Ok(0)
        })
    }
}

/// Reads a locked folio through the block layer (`iomap_bio_read_folio`);
/// the folio is unlocked when the reads complete.
pub fn read_folio<U: Operations>(folio: LockedFolio) {
    // SAFETY: The folio is locked and its unlock duty passes to iomap.
    unsafe { bindings::ext2rs_iomap_bio_read_folio(folio.into_raw(), Tables::<U>::ops()) };
}

/// Reads ahead (`iomap_bio_readahead`).
pub fn readahead<U: Operations>(rac: &Readahead) {
    // SAFETY: `rac` is live for the call.
    unsafe { bindings::ext2rs_iomap_bio_readahead(rac.as_raw(), Tables::<U>::ops()) };
}

/// Writes through the page cache (`iomap_file_buffered_write`): blocks
/// are mapped (and allocated) with `U`, folios dirtied, `i_size` grown.
/// The caller holds `i_rwsem` and has done the write checks.
pub fn file_buffered_write<U: Operations>(
    iocb: &mut Kiocb<U::FileSystem>,
    from: &mut IovIter,
) -> Result<usize> {
    // SAFETY: Both are live and ours; iomap does the rest under the caller's locks.
    from_ssize(unsafe {
        bindings::iomap_file_buffered_write(
            iocb.as_raw(),
            from.as_raw(),
            Tables::<U>::ops(),
            core::ptr::null(),
            core::ptr::null_mut(),
        )
    })
}

/// Zeroes `len` bytes from `pos` through the page cache
/// (`iomap_zero_range`); holes are left alone.
pub fn zero_range<U: Operations>(inode: &INode<U::FileSystem>, pos: i64, len: i64) -> Result {
    // SAFETY: The inode is live; callers hold `i_rwsem`.
    to_result(unsafe {
        bindings::iomap_zero_range(
            inode.as_raw(),
            pos,
            len,
            core::ptr::null_mut(),
            Tables::<U>::ops(),
            core::ptr::null(),
            core::ptr::null_mut(),
        )
    })
}

/// Zeroes the block straddling `pos` from `pos` to its end
/// (`iomap_truncate_page`).
pub fn truncate_page<U: Operations>(inode: &INode<U::FileSystem>, pos: i64) -> Result {
    // SAFETY: The inode is live; callers hold `i_rwsem` and the invalidate lock.
    to_result(unsafe {
        bindings::iomap_truncate_page(
            inode.as_raw(),
            pos,
            core::ptr::null_mut(),
            Tables::<U>::ops(),
            core::ptr::null(),
            core::ptr::null_mut(),
        )
    })
}

/// Handles a write fault on a mapped folio (`iomap_page_mkwrite`): maps
/// (allocating) every block of the folio up to EOF with `IOMAP_WRITE |
/// IOMAP_FAULT`, then dirties the folio. Allocation failures become
/// `SIGBUS`.
pub fn page_mkwrite<U: Operations>(vmf: &VmFault<U::FileSystem>) -> VmFaultT {
    // SAFETY: The fault is live; the caller holds the invalidate lock shared and is
    // inside `sb_start_pagefault`.
    unsafe { bindings::iomap_page_mkwrite(vmf.as_raw(), Tables::<U>::ops(), core::ptr::null_mut()) }
}

/// Writes back dirty folios of `mapping` (`iomap_writepages`), mapping
/// them with `U::begin` without `IOMAP_WRITE` (nothing is allocated at
/// writeback).
pub fn writepages<U: Operations>(wb: &Writeback) -> Result {
    let map_seq = if U::HAS_MAP_SEQ {
        Some(Tables::<U>::map_seq as unsafe extern "C" fn(*mut bindings::inode) -> u64)
    } else {
        None
    };
    // SAFETY: Both are live for the `writepages` call; `map_seq` has the glue's contract.
    to_result(unsafe {
        bindings::ext2rs_iomap_writepages(wb.mapping, wb.wbc, Tables::<U>::ops(), map_seq)
    })
}

/// What direct I/O calls back when it completes.
#[vtable]
pub trait DioOperations {
    /// The filesystem type these operations belong to.
    type FileSystem: FileSystem;

    /// `size` bytes were transferred from the request's position with
    /// result `error` (0 or a negative errno).
    fn end_io(iocb: &Kiocb<Self::FileSystem>, size: isize, error: i32, flags: u32) -> Result;
}

/// The `iomap_dio_ops` table of `D`.
struct DioTables<D: DioOperations>(PhantomData<D>);

impl<D: DioOperations> DioTables<D> {
    const OPS: bindings::iomap_dio_ops = bindings::iomap_dio_ops {
        end_io: Some(Self::end_io),
        ..pin_init::zeroed()
    };

    /// `iomap_dio_ops::end_io`.
    ///
    /// # Safety
    ///
    /// Called by iomap with the live request of a direct I/O of a file of
    /// the filesystem type.
    unsafe extern "C" fn end_io(
        iocb: *mut bindings::kiocb,
        size: isize,
        error: c_int,
        flags: c_uint,
    ) -> c_int {
        from_result(|| {
            // SAFETY: Per the safety contract.
            let iocb = unsafe { Kiocb::from_raw(iocb) };
            D::end_io(iocb, size, error, flags)?;
            Ok(0)
        })
    }
}

/// `iomap_dio_rw` flag: wait for completion even for an async request.
pub const IOMAP_DIO_FORCE_WAIT: u32 = bindings::IOMAP_DIO_FORCE_WAIT;

/// Direct I/O (`iomap_dio_rw`) through `U`'s mappings, completing with
/// `D`. `-ENOTBLK` asks the caller to fall back to buffered I/O.
pub fn dio_rw<U: Operations, D: DioOperations<FileSystem = U::FileSystem>>(
    iocb: &mut Kiocb<U::FileSystem>,
    iter: &mut IovIter,
    dio_flags: u32,
) -> Result<usize> {
    raw_dio_rw::<U>(iocb, iter, &DioTables::<D>::OPS, dio_flags)
}

/// Direct I/O without a completion callback (reads).
pub fn dio_read<U: Operations>(
    iocb: &mut Kiocb<U::FileSystem>,
    iter: &mut IovIter,
) -> Result<usize> {
    raw_dio_rw::<U>(iocb, iter, core::ptr::null(), 0)
}

/// `iomap_dio_rw` with `dops` (a `'static` table, or null for none).
fn raw_dio_rw<U: Operations>(
    iocb: &mut Kiocb<U::FileSystem>,
    iter: &mut IovIter,
    dops: *const bindings::iomap_dio_ops,
    dio_flags: u32,
) -> Result<usize> {
    // SAFETY: Both are live and ours; the callers hold `i_rwsem` as iomap requires
    // (exclusive for writes, shared for reads); `dops` is null or a static table.
    from_ssize(unsafe {
        bindings::iomap_dio_rw(
            iocb.as_raw(),
            iter.as_raw(),
            Tables::<U>::ops(),
            dops,
            dio_flags,
            core::ptr::null_mut(),
            0,
        )
    })
}

/// The first hole at or after `offset` (`iomap_seek_hole`).
pub fn seek_hole<U: Operations>(inode: &INode<U::FileSystem>, offset: i64) -> Result<i64> {
    // SAFETY: The inode is live.
    errno::from_loff(unsafe {
        bindings::iomap_seek_hole(inode.as_raw(), offset, Tables::<U>::ops())
    })
}

/// The first data at or after `offset` (`iomap_seek_data`).
pub fn seek_data<U: Operations>(inode: &INode<U::FileSystem>, offset: i64) -> Result<i64> {
    // SAFETY: The inode is live.
    errno::from_loff(unsafe {
        bindings::iomap_seek_data(inode.as_raw(), offset, Tables::<U>::ops())
    })
}

/// The device block holding file block `block`, 0 for a hole (`FIBMAP`,
/// `iomap_bmap`; it writes the file's dirty pages back first).
pub fn bmap<U: Operations>(inode: &INode<U::FileSystem>, block: u64) -> u64 {
    // SAFETY: The inode is live, and so is its mapping.
    unsafe { bindings::iomap_bmap((*inode.as_raw()).i_mapping, block, Tables::<U>::ops()) }
}

/// The extent list being filled for `FS_IOC_FIEMAP`.
///
/// # Invariants
///
/// `inner` is a live `fiemap_extent_info` exclusively borrowed for the call.
#[repr(transparent)]
pub struct FiemapInfo {
    inner: Opaque<bindings::fiemap_extent_info>,
}

impl FiemapInfo {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must be live and exclusively ours for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::fiemap_extent_info) -> &'a mut Self {
        // SAFETY: Transparent wrapper; validity per the caller.
        unsafe { &mut *ptr.cast::<Self>() }
    }
}

/// Fills `info` with the extents of `[start, start + len)` (`iomap_fiemap`).
pub fn fiemap<U: Operations>(
    inode: &INode<U::FileSystem>,
    info: &mut FiemapInfo,
    start: u64,
    len: u64,
) -> Result {
    // SAFETY: The inode is live and `info` is exclusively ours.
    to_result(unsafe {
        bindings::iomap_fiemap(
            inode.as_raw(),
            info.inner.get(),
            start,
            len,
            Tables::<U>::ops(),
        )
    })
}
