// SPDX-License-Identifier: GPL-2.0

//! Open files of regular files and directories, and their operations.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h)

use crate::vfs::bindings;
use crate::vfs::errno;
use crate::vfs::fs::FileSystem;
use crate::vfs::inode::INode;
use core::marker::PhantomData;
use kernel::build_error;
use kernel::error::from_result;
use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::types::Opaque;

/// `SEEK_DATA`: the next offset at or after the given one holding data.
pub const SEEK_DATA: i32 = 3;
/// `SEEK_HOLE`: the next offset at or after the given one in a hole.
pub const SEEK_HOLE: i32 = 4;

/// An open file of filesystem type `T`.
///
/// # Invariants
///
/// `inner` is a live `struct file` whose inode is of type `T`.
#[repr(transparent)]
pub struct File<T: FileSystem> {
    inner: Opaque<bindings::file>,
    _p: PhantomData<T>,
}

impl<T: FileSystem> File<T> {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must be a live file of type `T` for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::file) -> &'a Self {
        // SAFETY: Transparent wrapper; validity is guaranteed by the caller.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// The inode the file is open on.
    pub fn inode(&self) -> &INode<T> {
        // SAFETY: `f_inode` is immutable and live as long as the file.
        unsafe { INode::from_raw((*self.inner.get()).f_inode) }
    }

    /// Seeks with the standard semantics for `whence` other than
    /// `SEEK_DATA`/`SEEK_HOLE` (`generic_file_llseek_size`).
    pub fn generic_llseek(&self, offset: i64, whence: i32, max: i64, eof: i64) -> Result<i64> {
        // SAFETY: The file is live; the function does its own locking.
        errno::from_loff(unsafe {
            bindings::generic_file_llseek_size(self.inner.get(), offset, whence, max, eof)
        })
    }

    /// Sets the file position after a successful seek (`vfs_setpos`).
    pub fn setpos(&self, offset: i64, max: i64) -> Result<i64> {
        // SAFETY: The file is live; `vfs_setpos` validates the offset.
        errno::from_loff(unsafe { bindings::vfs_setpos(self.inner.get(), offset, max) })
    }
}

/// The sink of `readdir`: emits directory entries into the caller's buffer.
///
/// # Invariants
///
/// `ctx` is a live `dir_context` exclusively borrowed for the call.
pub struct DirEmitter<'a> {
    ctx: &'a mut bindings::dir_context,
}

impl DirEmitter<'_> {
    /// The position to continue from.
    pub fn pos(&self) -> i64 {
        self.ctx.pos
    }

    /// Sets the position to continue from next time.
    pub fn set_pos(&mut self, pos: i64) {
        self.ctx.pos = pos;
    }

    /// Emits one entry; returns false when the caller's buffer is full (the
    /// entry was not emitted and the position must not move past it).
    pub fn emit(&mut self, name: &[u8], ino: u64, dtype: u32) -> bool {
        let Ok(len) = c_int::try_from(name.len()) else {
            return false;
        };
        // SAFETY: `ctx` is live per the type invariant and `name` holds `len` bytes.
        unsafe { bindings::ext2rs_dir_emit(self.ctx, name.as_ptr().cast(), len, ino, dtype) }
    }
}

/// The file operations a filesystem implements (`file_operations`).
#[vtable]
pub trait Operations {
    /// The filesystem type these operations belong to.
    type FileSystem: FileSystem;

    /// Repositions the file offset (`lseek(2)`).
    fn llseek(_file: &File<Self::FileSystem>, _offset: i64, _whence: i32) -> Result<i64> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Reads directory entries from [`DirEmitter::pos`] on.
    fn iterate_shared(_file: &File<Self::FileSystem>, _emitter: &mut DirEmitter<'_>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A `file_operations` table for filesystem type `T`.
#[repr(transparent)]
pub struct Ops<T: FileSystem>(bindings::file_operations, PhantomData<T>);

// SAFETY: The table is immutable and only holds function pointers.
unsafe impl<T: FileSystem> Sync for Ops<T> {}

impl<T: FileSystem> Ops<T> {
    /// The operations of regular files: page-cache reads, `mmap` and
    /// splice through the generic helpers, plus `U`'s.
    pub const fn regular<U: Operations<FileSystem = T>>() -> Self {
        Self(
            bindings::file_operations {
                llseek: Self::llseek_op::<U>(),
                read_iter: Some(bindings::generic_file_read_iter),
                mmap_prepare: Some(bindings::generic_file_mmap_prepare),
                splice_read: Some(bindings::filemap_splice_read),
                ..pin_init::zeroed()
            },
            PhantomData,
        )
    }

    /// The operations of directories: `readdir` through `U`.
    pub const fn dir<U: Operations<FileSystem = T>>() -> Self {
        Self(
            bindings::file_operations {
                llseek: Self::llseek_op::<U>(),
                read: Some(bindings::generic_read_dir),
                iterate_shared: if U::HAS_ITERATE_SHARED {
                    Some(Self::iterate_shared::<U>)
                } else {
                    None
                },
                ..pin_init::zeroed()
            },
            PhantomData,
        )
    }

    /// `U`'s llseek, or the generic one.
    const fn llseek_op<U: Operations<FileSystem = T>>(
    ) -> Option<unsafe extern "C" fn(*mut bindings::file, i64, c_int) -> i64> {
        if U::HAS_LLSEEK {
            Some(Self::llseek::<U>)
        } else {
            Some(bindings::generic_file_llseek)
        }
    }

    /// The raw table.
    pub(crate) const fn as_raw(&'static self) -> &'static bindings::file_operations {
        &self.0
    }

    /// `file_operations::llseek`.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a live file of type `T`.
    unsafe extern "C" fn llseek<U: Operations<FileSystem = T>>(
        file: *mut bindings::file,
        offset: i64,
        whence: c_int,
    ) -> i64 {
        // SAFETY: The file is live for the call.
        let file = unsafe { File::from_raw(file) };
        match U::llseek(file, offset, whence) {
            Ok(pos) => pos,
            Err(e) => e.to_errno().into(),
        }
    }

    /// `file_operations::iterate_shared`.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a live directory file of type `T` (its inode's
    /// `i_rwsem` held shared) and an exclusively borrowed `ctx`.
    unsafe extern "C" fn iterate_shared<U: Operations<FileSystem = T>>(
        file: *mut bindings::file,
        ctx: *mut bindings::dir_context,
    ) -> c_int {
        from_result(|| {
            // SAFETY: Both are live and `ctx` is ours for the call.
            let (file, ctx) = unsafe { (File::from_raw(file), &mut *ctx) };
            // INVARIANT: `ctx` is exclusively borrowed for the emitter's lifetime.
            U::iterate_shared(file, &mut DirEmitter { ctx })?;
            Ok(0)
        })
    }
}
