// SPDX-License-Identifier: GPL-2.0

//! Page faults on mapped files: the `vm_operations_struct` a filesystem
//! installs for `mmap`, and the fault it handles itself (`page_mkwrite`).
//!
//! C headers: [`include/linux/mm.h`](srctree/include/linux/mm.h)

use crate::vfs::bindings;
use crate::vfs::file::File;
use crate::vfs::fs::FileSystem;
use crate::vfs::inode::INode;
use core::marker::PhantomData;
use kernel::prelude::*;
use kernel::types::Opaque;

/// `VM_FAULT_*` result of a fault handler (`vm_fault_t`).
pub type VmFaultT = u32;

/// A page fault being handled (`struct vm_fault`).
///
/// # Invariants
///
/// `inner` is live for the handler's call, on a shared mapping of a file
/// of type `T`.
#[repr(transparent)]
pub struct VmFault<T: FileSystem> {
    inner: Opaque<bindings::vm_fault>,
    _p: PhantomData<T>,
}

impl<T: FileSystem> VmFault<T> {
    /// The raw fault.
    pub(crate) fn as_raw(&self) -> *mut bindings::vm_fault {
        self.inner.get()
    }

    /// The inode of the mapped file.
    pub fn inode(&self) -> &INode<T> {
        // SAFETY: By the type invariant the mapping's file is live and of type `T`.
        unsafe { INode::from_raw(bindings::ext2rs_vmf_inode(self.as_raw())) }
    }

    /// The mapped file.
    pub fn file(&self) -> &File<T> {
        // SAFETY: As above.
        unsafe { File::from_raw(bindings::ext2rs_vmf_file(self.as_raw())) }
    }

    /// Enters a page fault that may dirty the page: waits while the
    /// filesystem is frozen (`sb_start_pagefault`); the guard ends it.
    pub fn start_pagefault(&self) -> PagefaultGuard<'_, T> {
        let inode = self.inode();
        // SAFETY: The superblock is live while its file is mapped.
        unsafe { bindings::ext2rs_sb_start_pagefault((*inode.as_raw()).i_sb) };
        PagefaultGuard { inode }
    }

    /// Updates the file's modification time for a store through the map.
    pub fn file_update_time(&self) {
        // SAFETY: The file is live. Failing to update the time is not an error here, as
        // in every filesystem's page_mkwrite.
        unsafe { bindings::file_update_time(bindings::ext2rs_vmf_file(self.as_raw())) };
    }
}

/// A page fault between `sb_start_pagefault` and `sb_end_pagefault`.
pub struct PagefaultGuard<'a, T: FileSystem> {
    inode: &'a INode<T>,
}

impl<T: FileSystem> Drop for PagefaultGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: Paired with the `sb_start_pagefault` that made the guard.
        unsafe { bindings::ext2rs_sb_end_pagefault((*self.inode.as_raw()).i_sb) };
    }
}

/// Converts an error to the fault result that delivers it (`vmf_fs_error`:
/// `SIGBUS` for most, `VM_FAULT_OOM` for `ENOMEM`).
pub fn vmf_fs_error(e: Error) -> VmFaultT {
    // SAFETY: Pure conversion.
    unsafe { bindings::ext2rs_vmf_fs_error(e.to_errno()) }
}

/// The fault handlers of a filesystem's mapped files.
#[vtable]
pub trait Operations {
    /// The filesystem type these operations belong to.
    type FileSystem: FileSystem;

    /// A read-only mapped page is about to be written: make sure it has
    /// blocks to go to, and dirty it (`page_mkwrite`).
    fn page_mkwrite(vmf: &VmFault<Self::FileSystem>) -> VmFaultT;
}

/// A `vm_operations_struct`: the page cache's fault and fault-around
/// handlers, plus `U::page_mkwrite`.
#[repr(transparent)]
pub struct VmOps<T: FileSystem>(bindings::vm_operations_struct, PhantomData<T>);

// SAFETY: The table is immutable and only holds function pointers.
unsafe impl<T: FileSystem> Sync for VmOps<T> {}

impl<T: FileSystem> VmOps<T> {
    /// Builds the table from `U`'s implementation.
    pub const fn new<U: Operations<FileSystem = T>>() -> Self {
        Self(
            bindings::vm_operations_struct {
                fault: Some(bindings::filemap_fault),
                map_pages: Some(bindings::filemap_map_pages),
                page_mkwrite: Some(Self::page_mkwrite::<U>),
                ..pin_init::zeroed()
            },
            PhantomData,
        )
    }

    /// The raw table.
    pub(crate) const fn as_raw(&'static self) -> &'static bindings::vm_operations_struct {
        &self.0
    }

    /// `vm_operations_struct::page_mkwrite`.
    ///
    /// # Safety
    ///
    /// Called by the mm for a write fault on a shared mapping installed by
    /// `mmap_prepare` of a file of type `T`.
    unsafe extern "C" fn page_mkwrite<U: Operations<FileSystem = T>>(
        vmf: *mut bindings::vm_fault,
    ) -> bindings::vm_fault_t {
        // SAFETY: Transparent wrapper over a fault live for the call.
        let vmf = unsafe { &*vmf.cast::<VmFault<T>>() };
        U::page_mkwrite(vmf)
    }
}
