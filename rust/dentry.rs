// SPDX-License-Identifier: GPL-2.0

//! Directory entries of the dcache, as lookup sees them.
//!
//! C headers: [`include/linux/dcache.h`](srctree/include/linux/dcache.h)

use crate::vfs::bindings;
use kernel::types::Opaque;

/// A dentry being looked up, created, linked, removed or renamed.
///
/// # Invariants
///
/// `inner` is a live dentry whose name does not change while borrowed (the
/// VFS holds the parent's `i_rwsem` during lookup and every namespace
/// change, and `lock_rename` for both parents of a rename).
#[repr(transparent)]
pub struct DEntry {
    inner: Opaque<bindings::dentry>,
}

impl DEntry {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must be a live dentry with a stable name for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::dentry) -> &'a Self {
        // SAFETY: Transparent wrapper; validity is guaranteed by the caller.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// The raw `struct dentry`.
    pub(crate) fn as_raw(&self) -> *mut bindings::dentry {
        self.inner.get()
    }

    /// The name (one path component, no NUL).
    pub fn name(&self) -> &[u8] {
        let mut len = 0;
        // SAFETY: By the type invariant the dentry and its name are live and stable; the
        // name has `len` bytes.
        unsafe {
            let name = bindings::ext2rs_dentry_name(self.inner.get(), &mut len);
            // CAST: u32 to usize is lossless on 64-bit.
            core::slice::from_raw_parts(name, len as usize)
        }
    }
}
