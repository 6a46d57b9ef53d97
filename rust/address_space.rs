// SPDX-License-Identifier: GPL-2.0

//! Address spaces: the page cache of a file and its operations.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/pagemap.h`](srctree/include/linux/pagemap.h)

use crate::vfs::bindings;
use crate::vfs::folio::LockedFolio;
use crate::vfs::fs::FileSystem;
use crate::vfs::inode::INode;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::build_error;
use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::types::Opaque;

/// A readahead request (`struct readahead_control`).
///
/// # Invariants
///
/// `inner` is live and exclusively borrowed for the `readahead` call.
#[repr(transparent)]
pub struct Readahead {
    inner: Opaque<bindings::readahead_control>,
}

impl Readahead {
    /// The raw request.
    pub(crate) fn as_raw(&self) -> *mut bindings::readahead_control {
        self.inner.get()
    }
}

/// A writeback request for one address space (`writepages`).
pub struct Writeback {
    pub(crate) mapping: *mut bindings::address_space,
    pub(crate) wbc: *mut bindings::writeback_control,
}

/// The address space operations a filesystem implements.
#[vtable]
pub trait Operations {
    /// The filesystem type these operations belong to.
    type FileSystem: FileSystem;

    /// Reads a locked folio and unlocks it (directly or at I/O completion).
    fn read_folio(folio: LockedFolio) -> Result;

    /// Starts reading the folios of `rac` ahead of use.
    fn readahead(rac: &Readahead);

    /// Writes back dirty folios.
    fn writepages(wb: &Writeback) -> Result;

    /// The device block of file block `block` of `inode`, 0 for a hole
    /// (`bmap`, for `FIBMAP`).
    fn bmap(_inode: &INode<Self::FileSystem>, _block: u64) -> u64 {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Whether the page cache may hold regular files in folios larger
    /// than a page (`mapping_set_large_folios`): only for a data path that
    /// works on any folio size, with the folio state iomap keeps per block.
    const LARGE_FOLIOS: bool = false;
}

/// An `address_space_operations` table for filesystem type `T`, and
/// whether regular files with it get large folios.
pub struct Ops<T: FileSystem>(bindings::address_space_operations, bool, PhantomData<T>);

// SAFETY: The table is immutable and only holds function pointers.
unsafe impl<T: FileSystem> Sync for Ops<T> {}

impl<T: FileSystem> Ops<T> {
    /// The table of a file whose data path is iomap: `U`'s read operations
    /// and iomap's helpers for the folio state iomap keeps in
    /// `folio->private`.
    pub const fn iomap<U: Operations<FileSystem = T>>() -> Self {
        Self(
            bindings::address_space_operations {
                read_folio: Some(Self::read_folio::<U>),
                readahead: Some(Self::readahead::<U>),
                writepages: Some(Self::writepages::<U>),
                dirty_folio: Some(bindings::iomap_dirty_folio),
                is_partially_uptodate: Some(bindings::iomap_is_partially_uptodate),
                release_folio: Some(bindings::iomap_release_folio),
                invalidate_folio: Some(bindings::iomap_invalidate_folio),
                error_remove_folio: Some(bindings::generic_error_remove_folio),
                // Compaction and NUMA balancing move page-cache folios; without
                // this, migration warns, refuses dirty folios (-EBUSY) and drops
                // the folio state of clean ones before moving them.
                // `folio->private` is iomap's folio state, which
                // `filemap_migrate_folio` moves to the new folio (as XFS does).
                #[cfg(CONFIG_MIGRATION)]
                migrate_folio: Some(bindings::filemap_migrate_folio),
                bmap: if U::HAS_BMAP {
                    Some(Self::bmap::<U>)
                } else {
                    None
                },
                ..pin_init::zeroed()
            },
            U::LARGE_FOLIOS,
            PhantomData,
        )
    }

    /// The raw table.
    pub(crate) const fn as_raw(&'static self) -> &'static bindings::address_space_operations {
        &self.0
    }

    /// Whether regular files with this table get large folios.
    pub(crate) const fn large_folios(&self) -> bool {
        self.1
    }

    /// `address_space_operations::read_folio`.
    ///
    /// # Safety
    ///
    /// Called by the page cache with a live, locked folio of a file of type
    /// `T`, whose unlock is our duty.
    unsafe extern "C" fn read_folio<U: Operations<FileSystem = T>>(
        _file: *mut bindings::file,
        folio: *mut bindings::folio,
    ) -> c_int {
        let Some(folio) = NonNull::new(folio) else {
            return EINVAL.to_errno();
        };
        // SAFETY: Per the safety contract, the folio is locked and its unlock is ours.
        let folio = unsafe { LockedFolio::from_raw(folio) };
        match U::read_folio(folio) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// `address_space_operations::readahead`.
    ///
    /// # Safety
    ///
    /// Called by the page cache with a live request for a file of type `T`.
    unsafe extern "C" fn readahead<U: Operations<FileSystem = T>>(
        rac: *mut bindings::readahead_control,
    ) {
        // SAFETY: Transparent wrapper; the request is live and ours for the call.
        let rac = unsafe { &*rac.cast::<Readahead>() };
        U::readahead(rac);
    }

    /// `address_space_operations::bmap`.
    ///
    /// # Safety
    ///
    /// Called by the VFS (`FIBMAP`, `bmap`) with a live mapping of a file of
    /// type `T`.
    unsafe extern "C" fn bmap<U: Operations<FileSystem = T>>(
        mapping: *mut bindings::address_space,
        block: bindings::sector_t,
    ) -> bindings::sector_t {
        // SAFETY: Per the safety contract the mapping, and so its host inode, is live.
        let inode = unsafe { INode::<T>::from_raw((*mapping).host) };
        U::bmap(inode, block)
    }

    /// `address_space_operations::writepages`.
    ///
    /// # Safety
    ///
    /// Called by writeback with a live mapping of a file of type `T` and a
    /// live control structure.
    unsafe extern "C" fn writepages<U: Operations<FileSystem = T>>(
        mapping: *mut bindings::address_space,
        wbc: *mut bindings::writeback_control,
    ) -> c_int {
        match U::writepages(&Writeback { mapping, wbc }) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }
}
