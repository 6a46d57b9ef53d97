// SPDX-License-Identifier: GPL-2.0

//! NFS-style file handles (`export_operations`): what `name_to_handle_at`,
//! `open_by_handle_at` and knfsd use to find an inode again without a path.
//!
//! C headers: [`include/linux/exportfs.h`](srctree/include/linux/exportfs.h)

use crate::vfs::bindings;
use crate::vfs::fs::FileSystem;
use crate::vfs::inode::INode;
use crate::vfs::sb::SuperBlock;
use core::marker::PhantomData;
use kernel::build_error;
use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::sync::aref::ARef;

/// How a filesystem finds the inodes that handles name.
#[vtable]
pub trait Operations {
    /// The filesystem type these operations belong to.
    type FileSystem: FileSystem;

    /// The inode numbered `ino`, if `generation` is 0 or its generation
    /// (`nfs_get_inode`); `ESTALE` for any other, for a number the
    /// filesystem never hands out, and for a deleted inode.
    fn nfs_get_inode(
        _sb: &SuperBlock<Self::FileSystem>,
        _ino: u64,
        _generation: u32,
    ) -> Result<ARef<INode<Self::FileSystem>>> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The parent of directory `child`: its `..` (`get_parent`).
    fn get_parent(_child: &INode<Self::FileSystem>) -> Result<ARef<INode<Self::FileSystem>>> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// exportfs's generic handle decoders (`generic_fh_to_dentry`,
/// `generic_fh_to_parent`).
type GenericDecode = unsafe extern "C" fn(
    *mut bindings::super_block,
    *mut bindings::fid,
    c_int,
    c_int,
    Option<unsafe extern "C" fn(*mut bindings::super_block, u64, u32) -> *mut bindings::inode>,
) -> *mut bindings::dentry;

/// An `export_operations` table for filesystem type `T`.
#[repr(transparent)]
pub struct Ops<T: FileSystem>(bindings::export_operations, PhantomData<T>);

// SAFETY: The table is immutable and only holds function pointers.
unsafe impl<T: FileSystem> Sync for Ops<T> {}

impl<T: FileSystem> Ops<T> {
    /// Handles of a 32-bit inode number and generation, and of the
    /// parent's (`generic_encode_ino32_fh`, as ext2's), decoded through
    /// `U`.
    pub const fn ino32<U: Operations<FileSystem = T>>() -> Self {
        Self(
            bindings::export_operations {
                encode_fh: Some(bindings::generic_encode_ino32_fh),
                fh_to_dentry: Some(Self::fh_to_dentry::<U>),
                fh_to_parent: Some(Self::fh_to_parent::<U>),
                get_parent: Some(Self::get_parent::<U>),
                ..pin_init::zeroed()
            },
            PhantomData,
        )
    }

    pub(crate) fn as_raw(&'static self) -> *const bindings::export_operations {
        &self.0
    }

    /// The `get_inode` callback of `generic_fh_to_dentry`/`_parent`: a new
    /// reference to the inode, or an `ERR_PTR`.
    ///
    /// # Safety
    ///
    /// Called by exportfs with a live, mounted superblock of type `T`.
    unsafe extern "C" fn get_inode<U: Operations<FileSystem = T>>(
        sb: *mut bindings::super_block,
        ino: u64,
        generation: u32,
    ) -> *mut bindings::inode {
        // SAFETY: Per the safety contract the superblock is live and its data ready (it is
        // mounted: handles are only decoded on a mount).
        let sb = unsafe { SuperBlock::<T>::from_raw(sb) };
        match U::nfs_get_inode(sb, ino, generation) {
            Ok(inode) => ARef::into_raw(inode).as_ptr().cast::<bindings::inode>(),
            Err(e) => e.to_ptr(),
        }
    }

    /// `export_operations::fh_to_dentry`.
    ///
    /// # Safety
    ///
    /// Called by exportfs with a live, mounted superblock of type `T` and a
    /// handle of `fh_len` words.
    unsafe extern "C" fn fh_to_dentry<U: Operations<FileSystem = T>>(
        sb: *mut bindings::super_block,
        fid: *mut bindings::fid,
        fh_len: c_int,
        fh_type: c_int,
    ) -> *mut bindings::dentry {
        // SAFETY: Per the safety contract; `get_inode::<U>` has the callback's contract.
        unsafe { Self::decode::<U>(bindings::generic_fh_to_dentry, sb, fid, fh_len, fh_type) }
    }

    /// `export_operations::fh_to_parent`.
    ///
    /// # Safety
    ///
    /// As for `fh_to_dentry`.
    unsafe extern "C" fn fh_to_parent<U: Operations<FileSystem = T>>(
        sb: *mut bindings::super_block,
        fid: *mut bindings::fid,
        fh_len: c_int,
        fh_type: c_int,
    ) -> *mut bindings::dentry {
        // SAFETY: Per the safety contract; `get_inode::<U>` has the callback's contract.
        unsafe { Self::decode::<U>(bindings::generic_fh_to_parent, sb, fid, fh_len, fh_type) }
    }

    /// Decodes a handle with exportfs's generic decoder `decode`
    /// (`generic_fh_to_dentry` or `generic_fh_to_parent`) and our inode
    /// lookup.
    ///
    /// # Safety
    ///
    /// As for `fh_to_dentry`.
    unsafe fn decode<U: Operations<FileSystem = T>>(
        decode: GenericDecode,
        sb: *mut bindings::super_block,
        fid: *mut bindings::fid,
        fh_len: c_int,
        fh_type: c_int,
    ) -> *mut bindings::dentry {
        // SAFETY: Per the safety contract; `get_inode::<U>` has the callback's contract.
        unsafe { decode(sb, fid, fh_len, fh_type, Some(Self::get_inode::<U>)) }
    }

    /// `export_operations::get_parent`: a dentry for the parent
    /// (`d_obtain_alias`), or an `ERR_PTR`.
    ///
    /// # Safety
    ///
    /// Called by exportfs with a positive dentry of a directory of type `T`.
    unsafe extern "C" fn get_parent<U: Operations<FileSystem = T>>(
        child: *mut bindings::dentry,
    ) -> *mut bindings::dentry {
        // SAFETY: Per the safety contract the dentry is positive with a live inode of this
        // filesystem.
        let child = unsafe { INode::<T>::from_raw((*child).d_inode) };
        match U::get_parent(child) {
            // SAFETY: `d_obtain_alias` takes over our reference.
            Ok(parent) => unsafe {
                bindings::d_obtain_alias(ARef::into_raw(parent).as_ptr().cast::<bindings::inode>())
            },
            Err(e) => e.to_ptr(),
        }
    }
}
