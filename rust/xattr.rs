// SPDX-License-Identifier: GPL-2.0

//! Extended attribute handlers (`struct xattr_handler`) and the table of
//! them a superblock carries (`sb->s_xattr`).
//!
//! C headers: [`include/linux/xattr.h`](srctree/include/linux/xattr.h)
//!
//! The VFS picks the handler whose prefix starts the attribute name and
//! calls it with the rest of the name; `system.posix_acl_*` never reach a
//! handler of the filesystem (the VFS turns them into `get_inode_acl` /
//! `set_acl`, see [`crate::vfs::acl`]).

use crate::vfs::bindings;
use crate::vfs::fs::FileSystem;
use crate::vfs::inode::INode;
use crate::vfs::sb::SuperBlock;
use core::marker::PhantomData;
use kernel::build_error;
use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::ffi::c_char;
use kernel::ffi::c_int;
use kernel::ffi::c_void;
use kernel::prelude::*;

/// `XATTR_CREATE`: fail with `EEXIST` if the attribute exists.
pub const XATTR_CREATE: u32 = bindings::XATTR_CREATE;
/// `XATTR_REPLACE`: fail with `ENODATA` if the attribute does not exist.
pub const XATTR_REPLACE: u32 = bindings::XATTR_REPLACE;

/// One namespace of attributes (`struct xattr_handler`).
#[vtable]
pub trait Handler {
    /// The filesystem type the handler belongs to.
    type FileSystem: FileSystem;

    /// The namespace prefix, with its dot (`"user."`).
    const PREFIX: &'static CStr;

    /// Whether names of this namespace show in `listxattr` on this mount
    /// (without `list`, they always do).
    fn list(_sb: &SuperBlock<Self::FileSystem>) -> bool {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Copies the value of `name` (without the prefix) into `buf` and
    /// returns its size; with no buffer, returns the size only.
    fn get(
        _inode: &INode<Self::FileSystem>,
        _name: &CStr,
        _buf: Option<&mut [u8]>,
    ) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Sets `name` to `value`, or removes it when `value` is `None`;
    /// `flags` are [`XATTR_CREATE`] / [`XATTR_REPLACE`]. The VFS holds the
    /// inode's `i_rwsem` and has checked the caller's permission.
    fn set(
        _inode: &INode<Self::FileSystem>,
        _name: &CStr,
        _value: Option<&[u8]>,
        _flags: u32,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A `struct xattr_handler` for filesystem type `T`.
#[repr(transparent)]
pub struct Ops<T: FileSystem>(bindings::xattr_handler, PhantomData<T>);

// SAFETY: The handler is immutable and holds function pointers and a pointer
// to a static string.
unsafe impl<T: FileSystem> Sync for Ops<T> {}

impl<T: FileSystem> Ops<T> {
    /// Builds the handler from `U`'s implementation.
    pub const fn new<U: Handler<FileSystem = T>>() -> Self {
        Self(
            bindings::xattr_handler {
                name: core::ptr::null(),
                prefix: kernel::str::as_char_ptr_in_const_context(U::PREFIX),
                flags: 0,
                list: if U::HAS_LIST {
                    Some(Self::list::<U>)
                } else {
                    None
                },
                get: if U::HAS_GET {
                    Some(Self::get::<U>)
                } else {
                    None
                },
                set: if U::HAS_SET {
                    Some(Self::set::<U>)
                } else {
                    None
                },
            },
            PhantomData,
        )
    }

    /// `xattr_handler::list`.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a live dentry of a superblock of type `T`.
    unsafe extern "C" fn list<U: Handler<FileSystem = T>>(dentry: *mut bindings::dentry) -> bool {
        // SAFETY: Per the safety contract the dentry is live; `d_sb` is immutable and its
        // superblock is ready (a dentry exists).
        let sb = unsafe { SuperBlock::<T>::from_raw((*dentry).d_sb) };
        U::list(sb)
    }

    /// `xattr_handler::get`.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a live inode of type `T`, a NUL-terminated
    /// name, and `buffer` null or valid for writing `size` bytes.
    unsafe extern "C" fn get<U: Handler<FileSystem = T>>(
        _handler: *const bindings::xattr_handler,
        _dentry: *mut bindings::dentry,
        inode: *mut bindings::inode,
        name: *const c_char,
        buffer: *mut c_void,
        size: usize,
    ) -> c_int {
        // SAFETY: Per the safety contract the inode is live and the name a C string; the
        // buffer, when there is one, is `size` writable bytes that nothing else uses
        // during the call (the VFS allocated it for this request).
        let (inode, name, buf) = unsafe {
            (
                INode::<T>::from_raw(inode),
                CStr::from_char_ptr(name),
                (!buffer.is_null() && size != 0)
                    .then(|| core::slice::from_raw_parts_mut(buffer.cast::<u8>(), size)),
            )
        };
        match U::get(inode, name, buf) {
            Ok(n) => c_int::try_from(n).unwrap_or(c_int::MAX),
            Err(e) => e.to_errno(),
        }
    }

    /// `xattr_handler::set`: a null `value` removes the attribute.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a live inode of type `T` whose `i_rwsem` it
    /// holds, a NUL-terminated name, and `value` null or `size` readable
    /// bytes.
    unsafe extern "C" fn set<U: Handler<FileSystem = T>>(
        _handler: *const bindings::xattr_handler,
        _idmap: *mut bindings::mnt_idmap,
        _dentry: *mut bindings::dentry,
        inode: *mut bindings::inode,
        name: *const c_char,
        value: *const c_void,
        size: usize,
        flags: c_int,
    ) -> c_int {
        // SAFETY: Per the safety contract the inode is live and the name a C string; the
        // value, when there is one, is `size` bytes the VFS copied in for this request.
        let (inode, name, value) = unsafe {
            (
                INode::<T>::from_raw(inode),
                CStr::from_char_ptr(name),
                (!value.is_null()).then(|| {
                    if size == 0 {
                        &[][..]
                    } else {
                        core::slice::from_raw_parts(value.cast::<u8>(), size)
                    }
                }),
            )
        };
        // CAST: the flags are a small bit set.
        kernel::error::from_result(|| U::set(inode, name, value, flags as u32).map(|()| 0))
    }
}

/// A NULL-terminated table of handlers for `sb->s_xattr`, laid out as one
/// array.
#[repr(C)]
pub struct Table<T: FileSystem, const N: usize> {
    handlers: [*const bindings::xattr_handler; N],
    end: *const bindings::xattr_handler,
    _p: PhantomData<T>,
}

// SAFETY: The table is immutable and points to immutable `'static` handlers.
unsafe impl<T: FileSystem, const N: usize> Sync for Table<T, N> {}

impl<T: FileSystem, const N: usize> Table<T, N> {
    /// The table of `handlers`.
    pub const fn new(handlers: [&'static Ops<T>; N]) -> Self {
        let mut raw = [core::ptr::null::<bindings::xattr_handler>(); N];
        let mut i = 0;
        while i < N {
            raw[i] = &handlers[i].0;
            i += 1;
        }
        Self {
            handlers: raw,
            end: core::ptr::null(),
            _p: PhantomData,
        }
    }

    /// The table as `s_xattr` wants it.
    pub(crate) fn as_raw(&'static self) -> *const *const bindings::xattr_handler {
        self.handlers.as_ptr()
    }
}

/// Whether the current task may see and change `trusted.` attributes
/// (`capable(CAP_SYS_ADMIN)`).
pub fn capable_sys_admin() -> bool {
    // CAST: capability numbers are small.
    // SAFETY: Checks the current task's credentials; callable in process context.
    unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as i32) }
}
