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
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::file) -> &'a Self {
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

    /// `fsync` of an inode whose metadata is its list of metadata buffers
    /// and itself (`mmb_fsync`): writes back the byte range `[start, end]`
    /// of the page cache and the buffers on the list, then the inode unless
    /// it is clean (or, with `datasync`, only its times changed), and
    /// flushes the device's cache. Writeback errors are reported once per
    /// file.
    pub fn fsync_metadata_bhs(&self, start: i64, end: i64, datasync: bool) -> Result {
        // SAFETY: The file is live, and so is its inode with its initialised list.
        kernel::error::to_result(unsafe {
            bindings::mmb_fsync(
                self.inner.get(),
                self.inode().metadata_bhs(),
                start,
                end,
                datasync,
            )
        })
    }

    /// Checks and records a write's effect on the file's privileges and
    /// times (`file_modified`: drops setuid bits, updates mtime/ctime).
    pub fn modified(&self) -> Result {
        // SAFETY: The file is live; callers hold `i_rwsem`.
        kernel::error::to_result(unsafe { bindings::file_modified(self.inner.get()) })
    }

    /// Updates the access time for a read (`file_accessed`).
    pub fn accessed(&self) {
        // SAFETY: The file is live.
        unsafe { bindings::ext2rs_file_accessed(self.inner.get()) };
    }

    /// Whether the file was opened for writing (`FMODE_WRITE`).
    pub fn is_writable(&self) -> bool {
        // SAFETY: The file is live; its `FMODE_WRITE` bit is set at open
        // and never changes.
        unsafe { bindings::ext2rs_file_writable(self.inner.get()) }
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

/// An I/O request on an open file (`struct kiocb`).
///
/// # Invariants
///
/// `inner` is live and exclusively borrowed for the `read_iter` or
/// `write_iter` call, on a file of type `T`.
#[repr(transparent)]
pub struct Kiocb<T: FileSystem> {
    inner: Opaque<bindings::kiocb>,
    _p: PhantomData<T>,
}

impl<T: FileSystem> Kiocb<T> {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must be live, on a file of type `T`, and exclusively ours for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::kiocb) -> &'a mut Self {
        // SAFETY: Transparent wrapper; validity per the caller.
        unsafe { &mut *ptr.cast::<Self>() }
    }

    /// The raw request.
    pub(crate) fn as_raw(&self) -> *mut bindings::kiocb {
        self.inner.get()
    }

    /// The file position the I/O starts at.
    pub fn pos(&self) -> i64 {
        // SAFETY: By the type invariant the request is live.
        unsafe { (*self.as_raw()).ki_pos }
    }

    /// The file.
    pub fn file(&self) -> &File<T> {
        // SAFETY: `ki_filp` is a live file of type `T` for the request.
        unsafe { File::from_raw((*self.as_raw()).ki_filp) }
    }

    /// Whether the request asks for direct I/O (`IOCB_DIRECT`).
    pub fn is_direct(&self) -> bool {
        // SAFETY: By the type invariant the request is live.
        unsafe { (*self.as_raw()).ki_flags & bindings::IOCB_DIRECT as i32 != 0 }
    }

    /// Turns a direct request into a buffered one (for the fallback of
    /// direct writes into holes).
    pub fn clear_direct(&mut self) {
        // SAFETY: By the type invariant the request is exclusively ours.
        unsafe { (*self.as_raw()).ki_flags &= !(bindings::IOCB_DIRECT as i32) };
    }

    /// Checks and trims a write (`generic_write_checks`): limits, append
    /// mode (which moves the position), `O_APPEND` on immutable files.
    /// Returns the bytes to write; 0 means nothing to do.
    pub fn generic_write_checks(&mut self, from: &mut IovIter) -> Result<usize> {
        // SAFETY: Both are live and ours; the caller holds `i_rwsem`.
        let ret = unsafe { bindings::generic_write_checks(self.as_raw(), from.as_raw()) };
        from_ssize(ret)
    }

    /// Reads through the page cache (`generic_file_read_iter`).
    pub fn generic_file_read_iter(&mut self, to: &mut IovIter) -> Result<usize> {
        // SAFETY: Both are live and ours.
        from_ssize(unsafe { bindings::generic_file_read_iter(self.as_raw(), to.as_raw()) })
    }

    /// Honours `O_SYNC`/`O_DSYNC` after a write of `count` bytes ending at
    /// the current position (`generic_write_sync`).
    pub fn generic_write_sync(&mut self, count: usize) -> Result<usize> {
        let count = isize::try_from(count)?;
        // SAFETY: The request is live; called without `i_rwsem` held.
        from_ssize(unsafe { bindings::ext2rs_generic_write_sync(self.as_raw(), count) })
    }
}

/// Converts an `ssize_t` result (a count or a negative errno).
pub(crate) fn from_ssize(ret: isize) -> Result<usize> {
    if ret < 0 {
        // CAST: negative returns are errnos, which fit in an int.
        return Err(Error::from_errno(ret as i32));
    }
    // CAST: non-negative here.
    Ok(ret as usize)
}

/// The data source or sink of a read or write (`struct iov_iter`).
///
/// # Invariants
///
/// `inner` is live and exclusively borrowed for the call.
#[repr(transparent)]
pub struct IovIter {
    inner: Opaque<bindings::iov_iter>,
}

impl IovIter {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must be live and exclusively ours for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::iov_iter) -> &'a mut Self {
        // SAFETY: Transparent wrapper; validity per the caller.
        unsafe { &mut *ptr.cast::<Self>() }
    }

    /// The raw iterator.
    pub(crate) fn as_raw(&self) -> *mut bindings::iov_iter {
        self.inner.get()
    }

    /// Bytes left to transfer.
    pub fn count(&self) -> usize {
        // SAFETY: By the type invariant the iterator is live.
        unsafe { bindings::ext2rs_iov_iter_count(self.as_raw()) }
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

    /// Reads from the file position (`read(2)`), direct or buffered.
    fn read_iter(_iocb: &mut Kiocb<Self::FileSystem>, _to: &mut IovIter) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Writes at the file position (`write(2)`), direct or buffered.
    fn write_iter(_iocb: &mut Kiocb<Self::FileSystem>, _from: &mut IovIter) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Makes the byte range `[start, end]` and the metadata needed to read
    /// it back durable (`fsync(2)`); `datasync` skips metadata not needed.
    fn fsync(_file: &File<Self::FileSystem>, _start: i64, _end: i64, _datasync: bool) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Called at each close of the file (the last `fput` of one open).
    fn release(_file: &File<Self::FileSystem>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The page-fault operations of mappings of the file (`mmap(2)`).
    const VM_OPS: Option<&'static crate::vfs::mm::VmOps<Self::FileSystem>> = None;
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
                open: Some(bindings::ext2rs_file_open),
                release: if U::HAS_RELEASE {
                    Some(Self::release::<U>)
                } else {
                    None
                },
                read_iter: if U::HAS_READ_ITER {
                    Some(Self::read_iter::<U>)
                } else {
                    Some(bindings::generic_file_read_iter)
                },
                write_iter: if U::HAS_WRITE_ITER {
                    Some(Self::write_iter::<U>)
                } else {
                    None
                },
                fsync: if U::HAS_FSYNC {
                    Some(Self::fsync::<U>)
                } else {
                    None
                },
                mmap_prepare: if U::VM_OPS.is_some() {
                    Some(Self::mmap_prepare::<U>)
                } else {
                    Some(bindings::generic_file_readonly_mmap_prepare)
                },
                // PMD-aligned, so whole large folios can be mapped at once.
                get_unmapped_area: Some(bindings::ext2rs_get_unmapped_area),
                splice_read: Some(bindings::filemap_splice_read),
                splice_write: if U::HAS_WRITE_ITER {
                    Some(bindings::iter_file_splice_write)
                } else {
                    None
                },
                // Leases are opt-in (`kernel_setlease` refuses without).
                setlease: Some(bindings::generic_setlease),
                ..pin_init::zeroed()
            },
            PhantomData,
        )
    }

    /// The operations of directories: `readdir` and `fsync` through `U`.
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
                fsync: if U::HAS_FSYNC {
                    Some(Self::fsync::<U>)
                } else {
                    None
                },
                setlease: Some(bindings::generic_setlease),
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

    /// `file_operations::read_iter`.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a live request on a file of type `T` and a
    /// live iterator, both ours for the call.
    unsafe extern "C" fn read_iter<U: Operations<FileSystem = T>>(
        iocb: *mut bindings::kiocb,
        to: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: Per the safety contract.
        let (iocb, to) = unsafe { (Kiocb::from_raw(iocb), IovIter::from_raw(to)) };
        match U::read_iter(iocb, to) {
            Ok(n) => isize::try_from(n).unwrap_or(isize::MAX),
            Err(e) => e.to_errno() as isize,
        }
    }

    /// `file_operations::write_iter`.
    ///
    /// # Safety
    ///
    /// As for `read_iter`.
    unsafe extern "C" fn write_iter<U: Operations<FileSystem = T>>(
        iocb: *mut bindings::kiocb,
        from: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: Per the safety contract.
        let (iocb, from) = unsafe { (Kiocb::from_raw(iocb), IovIter::from_raw(from)) };
        match U::write_iter(iocb, from) {
            Ok(n) => isize::try_from(n).unwrap_or(isize::MAX),
            Err(e) => e.to_errno() as isize,
        }
    }

    /// `file_operations::fsync`.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a live file of type `T`.
    unsafe extern "C" fn fsync<U: Operations<FileSystem = T>>(
        file: *mut bindings::file,
        start: i64,
        end: i64,
        datasync: c_int,
    ) -> c_int {
        from_result(|| {
            // SAFETY: The file is live for the call.
            let file = unsafe { File::from_raw(file) };
            U::fsync(file, start, end, datasync != 0)?;
            Ok(0)
        })
    }

    /// `file_operations::release`.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a file of type `T` being closed for the last
    /// time; it stays live for the call.
    unsafe extern "C" fn release<U: Operations<FileSystem = T>>(
        _inode: *mut bindings::inode,
        file: *mut bindings::file,
    ) -> c_int {
        // SAFETY: The file is live for the call.
        let file = unsafe { File::from_raw(file) };
        U::release(file);
        0
    }

    /// `file_operations::mmap_prepare`: installs `U::VM_OPS`.
    ///
    /// # Safety
    ///
    /// Called by the mm with a live descriptor of a mapping being set up.
    unsafe extern "C" fn mmap_prepare<U: Operations<FileSystem = T>>(
        desc: *mut bindings::vm_area_desc,
    ) -> c_int {
        let Some(ops) = U::VM_OPS else {
            return EINVAL.to_errno();
        };
        // SAFETY: The descriptor is live; the table is `'static`.
        unsafe { bindings::ext2rs_mmap_prepare(desc, ops.as_raw()) };
        0
    }
}
