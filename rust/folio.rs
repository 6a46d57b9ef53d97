// SPDX-License-Identifier: GPL-2.0

//! Folios of the page cache, with their lock state in the type.
//!
//! C headers: [`include/linux/pagemap.h`](srctree/include/linux/pagemap.h),
//! [`include/linux/mm_types.h`](srctree/include/linux/mm_types.h)

use crate::vfs::bindings;
use core::ptr::NonNull;

/// A locked folio handed to the filesystem to read (`read_folio`): the
/// obligation to unlock it once its contents are settled travels with the
/// value, so it is consumed by the function that takes over the lock.
///
/// # Invariants
///
/// `folio` is live and locked by the caller of `read_folio`, which passed
/// the duty to unlock it (directly or through I/O completion) to us.
pub struct LockedFolio {
    folio: NonNull<bindings::folio>,
}

impl LockedFolio {
    /// Wraps a folio locked for `read_folio`.
    ///
    /// # Safety
    ///
    /// `folio` must be live and locked, and the duty to unlock it must pass
    /// to the returned value.
    pub(crate) unsafe fn from_raw(folio: NonNull<bindings::folio>) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self { folio }
    }

    /// Gives up the lock duty to C code that takes it over (iomap's read
    /// path unlocks the folio when the I/O completes).
    pub(crate) fn into_raw(self) -> *mut bindings::folio {
        core::mem::ManuallyDrop::new(self).folio.as_ptr()
    }
}

impl Drop for LockedFolio {
    /// A folio given up without being read is unlocked, not left locked.
    fn drop(&mut self) {
        // SAFETY: By the type invariant the folio is locked and its unlock is ours.
        unsafe { bindings::folio_unlock(self.folio.as_ptr()) };
    }
}
