// SPDX-License-Identifier: GPL-2.0

//! POSIX ACLs (`struct posix_acl`) and the VFS helpers around them.
//!
//! C headers: [`include/linux/posix_acl.h`](srctree/include/linux/posix_acl.h)
//!
//! The VFS serves `system.posix_acl_*` itself through the inode operations
//! `get_inode_acl` and `set_acl` and caches the result in the inode; the
//! filesystem converts between [`Acl`] and its on-disk form.

use crate::vfs::bindings;
use crate::vfs::fs::FileSystem;
use crate::vfs::inode::INode;
use crate::vfs::inode::MntIdmap;
use core::ptr::NonNull;
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::types::Opaque;

/// Which ACL of an inode.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum AclType {
    /// `ACL_TYPE_ACCESS`: checked on access.
    Access,
    /// `ACL_TYPE_DEFAULT`: a directory's ACL inherited by new entries.
    Default,
}

impl AclType {
    /// `ACL_TYPE_ACCESS` / `ACL_TYPE_DEFAULT` of include/uapi/linux/posix_acl.h.
    pub(crate) fn from_raw(t: c_int) -> Option<Self> {
        match t {
            0x8000 => Some(Self::Access),
            0x4000 => Some(Self::Default),
            _ => None,
        }
    }

    fn as_raw(self) -> c_int {
        match self {
            Self::Access => 0x8000,
            Self::Default => 0x4000,
        }
    }
}

/// One ACL entry: tag (`ACL_USER_OBJ`, ...), permissions, and the user or
/// group id in the initial user namespace for `ACL_USER` / `ACL_GROUP`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// `e_tag`.
    pub tag: u16,
    /// `e_perm`.
    pub perm: u16,
    /// The id of a named user or group, else 0.
    pub id: u32,
}

/// A borrowed ACL.
///
/// # Invariants
///
/// `inner` is a live `struct posix_acl`, not changed while borrowed.
#[repr(transparent)]
pub struct Acl {
    inner: Opaque<bindings::posix_acl>,
}

impl Acl {
    /// Borrows an ACL.
    ///
    /// # Safety
    ///
    /// `ptr` must be a live ACL, unchanged for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::posix_acl) -> &'a Self {
        // SAFETY: Transparent wrapper; validity is guaranteed by the caller.
        unsafe { &*ptr.cast::<Self>() }
    }

    fn as_raw(&self) -> *mut bindings::posix_acl {
        self.inner.get()
    }

    /// The number of entries.
    pub fn count(&self) -> u32 {
        // SAFETY: By the type invariant the ACL is live.
        unsafe { bindings::ext2rs_posix_acl_count(self.as_raw()) }
    }

    /// Entry `i`, `i` below [`Acl::count`].
    pub fn entry(&self, i: u32) -> Option<Entry> {
        if i >= self.count() {
            return None;
        }
        let mut e = Entry {
            tag: 0,
            perm: 0,
            id: 0,
        };
        // SAFETY: The ACL is live and `i` is below its count.
        unsafe {
            bindings::ext2rs_posix_acl_entry(self.as_raw(), i, &mut e.tag, &mut e.perm, &mut e.id)
        };
        Some(e)
    }
}

/// An owned reference to an ACL, released on drop.
///
/// # Invariants
///
/// `ptr` is a live ACL on which this object owns one reference.
pub struct PosixAcl {
    ptr: NonNull<bindings::posix_acl>,
}

// SAFETY: ACLs are reference counted atomically and immutable once shared.
unsafe impl Send for PosixAcl {}
// SAFETY: As above.
unsafe impl Sync for PosixAcl {}

impl PosixAcl {
    /// A new ACL of `entries` (`posix_acl_alloc`).
    pub fn new(entries: &[Entry]) -> Result<Self> {
        let count = u32::try_from(entries.len())?;
        // SAFETY: Allocates a fresh ACL with `count` entries.
        let ptr = NonNull::new(unsafe { bindings::ext2rs_posix_acl_alloc(count) }).ok_or(ENOMEM)?;
        for (i, e) in (0u32..).zip(entries) {
            // SAFETY: The ACL is ours alone and `i` is below its count.
            unsafe { bindings::ext2rs_posix_acl_set_entry(ptr.as_ptr(), i, e.tag, e.perm, e.id) };
        }
        // INVARIANT: `posix_acl_alloc` returned one reference.
        Ok(Self { ptr })
    }

    /// Takes over a reference returned by a C function, if not null.
    ///
    /// # Safety
    ///
    /// `ptr` must be null or a live ACL whose reference the caller owns.
    unsafe fn from_owned(ptr: *mut bindings::posix_acl) -> Option<Self> {
        // INVARIANT: Guaranteed by the caller.
        NonNull::new(ptr).map(|ptr| Self { ptr })
    }

    /// Hands the reference to C.
    pub(crate) fn into_raw(self) -> *mut bindings::posix_acl {
        let this = core::mem::ManuallyDrop::new(self);
        this.ptr.as_ptr()
    }
}

impl core::ops::Deref for PosixAcl {
    type Target = Acl;

    fn deref(&self) -> &Acl {
        // SAFETY: By the type invariant the ACL is live while we hold our reference.
        unsafe { Acl::from_raw(self.ptr.as_ptr()) }
    }
}

impl Drop for PosixAcl {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own one reference.
        unsafe { bindings::ext2rs_posix_acl_release(self.ptr.as_ptr()) };
    }
}

/// The ACLs a new inode in `dir` gets and its mode (`posix_acl_create`):
/// with a default ACL on `dir`, the new inode inherits it (a directory as
/// its default ACL too) and `mode` is masked by it; without, the umask
/// applies. Returns `(default, access)`.
pub fn create<T: FileSystem>(
    dir: &INode<T>,
    mode: &mut u16,
) -> Result<(Option<PosixAcl>, Option<PosixAcl>)> {
    let (mut default, mut access) = (core::ptr::null_mut(), core::ptr::null_mut());
    // SAFETY: `dir` is live and locked by the caller (namespace operation); the
    // outputs are set to null or to references we then own.
    kernel::error::to_result(unsafe {
        bindings::ext2rs_posix_acl_create(dir.as_raw(), mode, &mut default, &mut access)
    })?;
    // SAFETY: As above, each is null or an owned reference.
    Ok(unsafe { (PosixAcl::from_owned(default), PosixAcl::from_owned(access)) })
}

/// The mode an access ACL being set implies, and whether the ACL is still
/// needed (`posix_acl_update_mode`): an ACL equivalent to the mode bits is
/// dropped (`*acl` becomes `None`); the setgid bit is cleared as for chmod.
pub fn update_mode<T: FileSystem>(
    idmap: &MntIdmap,
    inode: &INode<T>,
    acl: &mut Option<&Acl>,
) -> Result<u16> {
    let mut mode = inode.mode();
    let mut ptr = acl.map_or(core::ptr::null_mut(), |a| a.as_raw());
    // SAFETY: All are live; the function only reads the ACL and may set `ptr` to null.
    kernel::error::to_result(unsafe {
        bindings::ext2rs_posix_acl_update_mode(idmap.as_raw(), inode.as_raw(), &mut mode, &mut ptr)
    })?;
    if ptr.is_null() {
        *acl = None;
    }
    Ok(mode)
}

/// Caches `acl` as the inode's ACL of `typ` (`set_cached_acl`).
pub fn set_cached<T: FileSystem>(inode: &INode<T>, typ: AclType, acl: Option<&Acl>) {
    let ptr = acl.map_or(core::ptr::null_mut(), |a| a.as_raw());
    // SAFETY: The inode and the ACL are live; the cache takes its own reference.
    unsafe { bindings::ext2rs_set_cached_acl(inode.as_raw(), typ.as_raw(), ptr) };
}
