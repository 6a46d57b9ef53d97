// SPDX-License-Identifier: GPL-2.0

//! Superblocks: the per-mount state and its operations.
//!
//! C headers: [`include/linux/fs/super_types.h`](srctree/include/linux/fs/super_types.h),
//! [`include/linux/statfs.h`](srctree/include/linux/statfs.h)

use crate::vfs::bindings;
use crate::vfs::buffer::BufferHead;
use crate::vfs::fs::FileSystem;
use crate::vfs::inode;
use crate::vfs::inode::INode;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::build_error;
use kernel::error::from_result;
use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::ffi::c_int;
use kernel::prelude::*;
pub use kernel::seq_file::SeqFile;
use kernel::sync::aref::ARef;
use kernel::types::ForeignOwnable;
use kernel::types::Opaque;

/// `SB_RDONLY`: mounted read-only (`BIT(0)`, which bindgen cannot evaluate).
pub const SB_RDONLY: u32 = 1;
/// [`SB_RDONLY`] as the `s_flags` word has it.
const SB_RDONLY_FLAG: usize = 1;

/// `SB_POSIXACL` (`BIT(16)`) as the `s_flags` word has it.
pub(crate) const SB_POSIXACL_FLAG: usize = 1 << 16;

/// Typestate of a superblock: [`New`] while `fill_super` sets it up,
/// [`Ready`] once its data is in `s_fs_info`.
pub trait State {}

/// A superblock being set up by `fill_super`: no per-fs data yet.
pub struct New;
impl State for New {}

/// A superblock with its per-fs data in place.
pub struct Ready;
impl State for Ready {}

/// A mounted (or being mounted) filesystem instance.
///
/// # Invariants
///
/// `inner` is a live `struct super_block` of filesystem type `T` for the
/// lifetime of the reference; in state [`Ready`], `s_fs_info` holds the
/// `KBox<T::Data>` made by `fill_super`.
#[repr(transparent)]
pub struct SuperBlock<T: FileSystem, S: State = Ready> {
    inner: Opaque<bindings::super_block>,
    _p: PhantomData<(T, S)>,
}

impl<T: FileSystem, S: State> SuperBlock<T, S> {
    /// Creates a superblock reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must be a live superblock of type `T` for `'a`, in state `S`
    /// (for [`Ready`]: `s_fs_info` holds `KBox<T::Data>`).
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::super_block) -> &'a Self {
        // SAFETY: Transparent wrapper; validity is guaranteed by the caller.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// The raw `struct super_block`.
    pub(crate) fn as_raw(&self) -> *mut bindings::super_block {
        self.inner.get()
    }

    /// The block size in bytes (`s_blocksize`).
    pub fn block_size(&self) -> u32 {
        // SAFETY: `s_blocksize` is only changed during fill_super, by this type's setters.
        let size = unsafe { (*self.as_raw()).s_blocksize };
        // CAST: block sizes are at most PAGE_SIZE.
        size as u32
    }

    /// log2 of the block size (`s_blocksize_bits`).
    pub fn block_size_bits(&self) -> u32 {
        // SAFETY: As in `block_size`.
        u32::from(unsafe { (*self.as_raw()).s_blocksize_bits })
    }

    /// The size of the block device in bytes.
    pub fn device_bytes(&self) -> u64 {
        // SAFETY: A block-device superblock always has `s_bdev`.
        unsafe { bindings::ext2rs_sb_bdev_nr_bytes(self.as_raw()) }
    }

    /// Whether the filesystem is mounted read-only (`sb_rdonly`).
    pub fn rdonly(&self) -> bool {
        // SAFETY: Reading the flags word is racy only against remount, which the VFS
        // serialises with the callers that care; a torn read is impossible for a word.
        let flags = unsafe { (*self.as_raw()).s_flags };
        flags & SB_RDONLY_FLAG != 0
    }

    /// Whether POSIX ACLs are on (`IS_POSIXACL`).
    pub fn posix_acl(&self) -> bool {
        // SAFETY: The superblock is live; `s_flags` is a word read atomically.
        let flags = unsafe { (*self.as_raw()).s_flags };
        flags & SB_POSIXACL_FLAG != 0
    }

    /// The largest file size (`s_maxbytes`).
    pub fn max_bytes(&self) -> i64 {
        // SAFETY: `s_maxbytes` is only set during fill_super.
        unsafe { (*self.as_raw()).s_maxbytes }
    }

    /// The device name, for messages (`s_id`).
    pub fn id(&self) -> &CStr {
        // SAFETY: `s_id` is a NUL-terminated array set before fill_super and never
        // changed afterwards.
        unsafe { CStr::from_char_ptr((*self.as_raw()).s_id.as_ptr()) }
    }

    /// Panics the kernel over corruption (`errors=panic`), naming the device.
    pub fn panic(&self) -> ! {
        // SAFETY: The format takes one string, and `s_id` is NUL-terminated.
        unsafe {
            bindings::panic(
                c"ext2rs (%s): panic forced after error\n".as_char_ptr(),
                (*self.as_raw()).s_id.as_ptr(),
            )
        }
    }

    /// Makes the filesystem read-only after an error (`errors=remount-ro`),
    /// as ext2_error does: writes already under way finish, new ones fail
    /// with `EROFS` at their permission checks.
    pub fn force_rdonly(&self) {
        // SAFETY: The superblock is live. Setting the flag bit without `s_umount` is what
        // ext2 and ext4 do on errors; readers test single bits of the word.
        unsafe { (*self.as_raw()).s_flags |= SB_RDONLY_FLAG };
    }

    /// Reads block `block` of the device (`sb_bread`) in units of the
    /// current block size.
    pub fn bread(&self, block: u64) -> Result<BufferHead> {
        // SAFETY: The superblock is live and has a block device.
        let bh = unsafe { bindings::ext2rs_sb_bread(self.as_raw(), block) };
        let bh = NonNull::new(bh).ok_or(EIO)?;
        // SAFETY: `sb_bread` returned an up-to-date buffer with a reference we own.
        Ok(unsafe { BufferHead::from_raw(bh) })
    }

    /// Block `block` if the buffer cache holds it up to date, or `None`
    /// without reading it: for a caller that must not wait for a read
    /// where it is (under a lock others need), and reads it elsewhere.
    pub fn bread_cached(&self, block: u64) -> Option<BufferHead> {
        // SAFETY: The superblock is live and has a block device.
        let bh = unsafe { bindings::ext2rs_sb_find_uptodate(self.as_raw(), block) };
        let bh = NonNull::new(bh)?;
        // SAFETY: The helper returned an up-to-date buffer with a reference we own.
        Some(unsafe { BufferHead::from_raw(bh) })
    }
}

impl<T: FileSystem, S: State> SuperBlock<T, S> {
    /// A zero-filled, up-to-date buffer for block `block`, not read from
    /// disk: for a newly allocated metadata block.
    pub fn getblk_zeroed(&self, block: u64) -> Result<BufferHead> {
        // SAFETY: The superblock is live and has a block device.
        let bh = unsafe { bindings::ext2rs_sb_getblk_zeroed(self.as_raw(), block) };
        let bh = NonNull::new(bh).ok_or(ENOMEM)?;
        // SAFETY: The helper returned an up-to-date buffer with a reference we own.
        Ok(unsafe { BufferHead::from_raw(bh) })
    }

    /// Starts reading block `block` into the buffer cache, if it is not
    /// there yet, without waiting (`sb_breadahead`): for a block needed
    /// soon, whose read should not be waited out then.
    pub fn breadahead(&self, block: u64) {
        // SAFETY: The superblock is live and has a block device; `__breadahead` takes and
        // drops its own buffer reference and reports nothing.
        unsafe {
            bindings::__breadahead(
                bindings::ext2rs_sb_bdev(self.as_raw()),
                block,
                self.block_size(),
            )
        };
    }

    /// Drops stale buffer-cache copies of `count` blocks from `block` on
    /// (`clean_bdev_aliases`): the blocks were freed metadata and now hold
    /// file data written around the buffer cache.
    pub fn clean_bdev_aliases(&self, block: u64, count: u64) {
        // SAFETY: The superblock is live and has a block device.
        unsafe {
            bindings::clean_bdev_aliases(bindings::ext2rs_sb_bdev(self.as_raw()), block, count)
        };
    }

    /// Whether unlinked inodes are still open (`s_remove_count`): they are
    /// deleted at their last close, so the disk is not consistent yet.
    pub fn has_pending_removals(&self) -> bool {
        // SAFETY: The superblock is live; the helper reads the counter atomically.
        unsafe { bindings::ext2rs_sb_remove_count(self.as_raw()) != 0 }
    }

    /// Writes every dirty inode, page and buffer of the filesystem and
    /// waits (`sync_filesystem`). The caller must hold `s_umount`, as the
    /// VFS does around `reconfigure`; without it the kernel warns.
    pub fn sync_filesystem(&self) -> Result {
        // SAFETY: The superblock is live. Calling without `s_umount` is a logic
        // error that sync_filesystem reports with a warning, not a memory-safety
        // one; the only caller, reconfigure, runs with it held.
        kernel::error::to_result(unsafe { bindings::sync_filesystem(self.as_raw()) })
    }
}

impl<T: FileSystem> SuperBlock<T, New> {
    /// Installs the superblock operations (before any inode is read).
    pub(crate) fn set_ops(&self, ops: &'static Ops<T>) {
        // SAFETY: The superblock is new and exclusively owned by fill_super.
        unsafe { (*self.as_raw()).s_op = &ops.0 };
    }

    /// Sets the smallest block size the device supports that is at least
    /// `size`, returning it (`sb_min_blocksize`); 0 means none.
    pub fn min_blocksize(&self, size: u32) -> Result<u32> {
        let size = c_int::try_from(size)?;
        // SAFETY: The superblock is new and exclusively owned by fill_super.
        let got = unsafe { bindings::sb_min_blocksize(self.as_raw(), size) };
        u32::try_from(got).ok().filter(|s| *s != 0).ok_or(EINVAL)
    }

    /// Sets the block size (`sb_set_blocksize`); fails if the device cannot
    /// do it.
    pub fn set_blocksize(&self, size: u32) -> Result {
        let size = c_int::try_from(size)?;
        // SAFETY: The superblock is new and exclusively owned by fill_super.
        let got = unsafe { bindings::sb_set_blocksize(self.as_raw(), size) };
        if got == 0 {
            return Err(EINVAL);
        }
        Ok(())
    }

    /// Sets the magic number, the largest file size and the time range and
    /// granularity of timestamps.
    pub fn set_params(&self, magic: usize, max_bytes: i64, time_min: i64, time_max: i64) {
        // SAFETY: The superblock is new and exclusively owned by fill_super.
        unsafe {
            let sb = self.as_raw();
            (*sb).s_magic = magic;
            (*sb).s_maxbytes = max_bytes;
            (*sb).s_time_gran = 1_000_000_000;
            (*sb).s_time_min = time_min;
            (*sb).s_time_max = time_max;
        }
    }

    /// Installs the extended attribute handlers (`s_xattr`), before any
    /// inode is read: inodes get `IOP_XATTR` when they are allocated.
    pub fn set_xattr<const N: usize>(&self, table: &'static crate::vfs::xattr::Table<T, N>) {
        // SAFETY: The superblock is new and exclusively owned by fill_super; the table is
        // `'static` and NULL-terminated by construction.
        unsafe { (*self.as_raw()).s_xattr = table.as_raw() };
    }

    /// Installs the file handle operations (`s_export_op`), so the
    /// filesystem can be exported and `open_by_handle_at` works.
    pub fn set_export_ops(&self, ops: &'static crate::vfs::export::Ops<T>) {
        // SAFETY: The superblock is new and exclusively owned by fill_super; the table is
        // `'static`. kernel::bindings declares `export_operations` opaque, ours is the
        // complete definition of the same C type.
        unsafe { (*self.as_raw()).s_export_op = ops.as_raw().cast() };
    }

    /// Turns POSIX ACLs on (`SB_POSIXACL`): the VFS then leaves the umask
    /// to the filesystem (`posix_acl_create`) and checks ACLs.
    pub fn set_posix_acl(&self) {
        // SAFETY: The superblock is new and exclusively owned by fill_super.
        unsafe { (*self.as_raw()).s_flags |= SB_POSIXACL_FLAG };
    }

    /// Marks the superblock read-only (`SB_RDONLY`).
    pub fn set_rdonly(&self) {
        // SAFETY: The superblock is new and exclusively owned by fill_super.
        unsafe { (*self.as_raw()).s_flags |= SB_RDONLY_FLAG };
    }
}

impl<T: FileSystem> SuperBlock<T> {
    /// The per-filesystem data made by `fill_super`.
    pub fn data(&self) -> &T::Data {
        // SAFETY: By the type invariant (state `Ready`) `s_fs_info` holds a
        // `KBox<T::Data>` that lives until `kill_sb`, after every user of `self`.
        unsafe { <KBox<T::Data>>::borrow((*self.as_raw()).s_fs_info) }
    }

    /// Finds inode `ino` in the inode cache, or allocates a new one for the
    /// caller to fill in (`iget_locked`).
    pub fn iget(&self, ino: u64) -> Result<inode::Get<T>> {
        // SAFETY: The superblock is live; `iget_locked` returns a referenced inode.
        let ptr = unsafe { bindings::iget_locked(self.as_raw(), ino) };
        let ptr = NonNull::new(ptr).ok_or(ENOMEM)?;
        // SAFETY: `ptr` is a referenced inode of this superblock.
        if unsafe { bindings::ext2rs_inode_is_new(ptr.as_ptr()) } {
            // SAFETY: The inode is new (I_NEW, locked) and we own its reference.
            Ok(inode::Get::New(unsafe { inode::New::from_raw(ptr) }))
        } else {
            // SAFETY: The inode is initialised and we own its reference.
            Ok(inode::Get::Cached(unsafe {
                ARef::from_raw(ptr.cast::<INode<T>>())
            }))
        }
    }
}

/// Filesystem statistics for `statfs(2)`.
pub struct Stat {
    /// Magic number of the filesystem type (`f_type`).
    pub magic: u64,
    /// Block size (`f_bsize`, `f_frsize`).
    pub block_size: u32,
    /// Data blocks in the filesystem (`f_blocks`).
    pub blocks: u64,
    /// Free blocks (`f_bfree`).
    pub bfree: u64,
    /// Free blocks available to unprivileged users (`f_bavail`).
    pub bavail: u64,
    /// Inodes (`f_files`).
    pub files: u64,
    /// Free inodes (`f_ffree`).
    pub ffree: u64,
    /// Filesystem id (`f_fsid`).
    pub fsid: u64,
    /// Longest file name (`f_namelen`).
    pub namelen: u32,
}

/// The superblock operations a filesystem implements (`super_operations`).
/// Inode allocation and freeing are provided by the abstraction.
#[vtable]
pub trait Operations {
    /// The filesystem type these operations belong to.
    type FileSystem: FileSystem;

    /// Reports filesystem statistics.
    fn statfs(_sb: &SuperBlock<Self::FileSystem>) -> Result<Stat> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Writes the inode to its place on disk; with `sync`, waits for it.
    fn write_inode(_inode: &INode<Self::FileSystem>, _sync: bool) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The last reference to an inode is gone and it leaves the cache: its
    /// page cache is already dropped; if it has no links left, delete it.
    fn evict_inode(_inode: &INode<Self::FileSystem>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Writes the filesystem's own metadata (`sync_fs`); with `wait`,
    /// waits for it.
    fn sync_fs(_sb: &SuperBlock<Self::FileSystem>, _wait: bool) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The filesystem is being unmounted: write what is left.
    fn put_super(_sb: &SuperBlock<Self::FileSystem>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The filesystem is being frozen (`freeze_fs`): the VFS has stopped
    /// writers and synced it; leave the disk as a clean image would be.
    fn freeze_fs(_sb: &SuperBlock<Self::FileSystem>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The filesystem is being thawed (`unfreeze_fs`), writable again.
    fn unfreeze_fs(_sb: &SuperBlock<Self::FileSystem>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Writes the mount's options, each as ",name[=value]", for
    /// `/proc/mounts` (`show_options`).
    fn show_options(_sb: &SuperBlock<Self::FileSystem>, _m: &SeqFile) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A `super_operations` table for filesystem type `T`.
#[repr(transparent)]
pub struct Ops<T: FileSystem>(bindings::super_operations, PhantomData<T>);

// SAFETY: The table is immutable and only holds function pointers.
unsafe impl<T: FileSystem> Sync for Ops<T> {}

impl<T: FileSystem> Ops<T> {
    /// Builds the table from `U`'s implementation.
    pub const fn new<U: Operations<FileSystem = T>>() -> Self {
        Self(
            bindings::super_operations {
                alloc_inode: Some(inode::alloc_inode::<T>),
                free_inode: Some(inode::free_inode::<T>),
                statfs: if U::HAS_STATFS {
                    Some(Self::statfs::<U>)
                } else {
                    None
                },
                write_inode: if U::HAS_WRITE_INODE {
                    Some(Self::write_inode::<U>)
                } else {
                    None
                },
                evict_inode: if U::HAS_EVICT_INODE {
                    Some(Self::evict_inode::<U>)
                } else {
                    None
                },
                sync_fs: if U::HAS_SYNC_FS {
                    Some(Self::sync_fs::<U>)
                } else {
                    None
                },
                put_super: if U::HAS_PUT_SUPER {
                    Some(Self::put_super::<U>)
                } else {
                    None
                },
                freeze_fs: if U::HAS_FREEZE_FS {
                    Some(Self::freeze_fs::<U>)
                } else {
                    None
                },
                unfreeze_fs: if U::HAS_UNFREEZE_FS {
                    Some(Self::unfreeze_fs::<U>)
                } else {
                    None
                },
                show_options: if U::HAS_SHOW_OPTIONS {
                    Some(Self::show_options::<U>)
                } else {
                    None
                },
                ..pin_init::zeroed()
            },
            PhantomData,
        )
    }

    /// `super_operations::statfs`.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a live dentry of a ready superblock of type `T`
    /// and a writable `buf`.
    unsafe extern "C" fn statfs<U: Operations<FileSystem = T>>(
        dentry: *mut bindings::dentry,
        buf: *mut kernel::bindings::kstatfs,
    ) -> c_int {
        // The C prototype names the type kernel::bindings knows only as opaque.
        let buf = buf.cast::<bindings::kstatfs>();
        from_result(|| {
            // SAFETY: The dentry is live, and its superblock is a ready one of type `T`.
            let sb = unsafe { SuperBlock::<T>::from_raw((*dentry).d_sb) };
            let st = U::statfs(sb)?;
            // SAFETY: `buf` is valid for writes per the safety contract.
            let buf = unsafe { &mut *buf };
            buf.f_type = isize::try_from(st.magic)?;
            buf.f_bsize = isize::try_from(st.block_size)?;
            buf.f_frsize = buf.f_bsize;
            buf.f_blocks = st.blocks;
            buf.f_bfree = st.bfree;
            buf.f_bavail = st.bavail;
            buf.f_files = st.files;
            buf.f_ffree = st.ffree;
            // CAST: the two halves of the id, as u64_to_fsid() splits it.
            buf.f_fsid.val = [st.fsid as c_int, (st.fsid >> 32) as c_int];
            buf.f_namelen = isize::try_from(st.namelen)?;
            Ok(0)
        })
    }

    /// `super_operations::write_inode`.
    ///
    /// # Safety
    ///
    /// Called by writeback with a live, initialised inode of type `T` and a
    /// valid `wbc`.
    unsafe extern "C" fn write_inode<U: Operations<FileSystem = T>>(
        inode: *mut bindings::inode,
        wbc: *mut bindings::writeback_control,
    ) -> c_int {
        from_result(|| {
            // SAFETY: Per the safety contract.
            let (inode, sync) = unsafe {
                (
                    INode::<T>::from_raw(inode),
                    (*wbc).sync_mode == bindings::writeback_sync_modes_WB_SYNC_ALL,
                )
            };
            U::write_inode(inode, sync)?;
            Ok(0)
        })
    }

    /// `super_operations::evict_inode`: drops the page cache, lets the
    /// filesystem delete an unlinked inode (or write the metadata buffers of
    /// a live one), detaches what is left on its metadata buffer list, and
    /// clears it. An inode whose setup failed (bad, without data) is only
    /// detached and cleared.
    ///
    /// # Safety
    ///
    /// Called by the VFS once for an inode of type `T` nobody else uses.
    unsafe extern "C" fn evict_inode<U: Operations<FileSystem = T>>(inode: *mut bindings::inode) {
        // SAFETY: Per the safety contract the inode is ours; its data is initialised when
        // `data_ready` says so, which makes it a valid `INode<T>` for the filesystem.
        unsafe {
            bindings::truncate_inode_pages_final(&mut (*inode).i_data);
            if inode::data_ready::<T>(inode) {
                U::evict_inode(INode::<T>::from_raw(inode));
            }
            inode::invalidate_metadata_bhs::<T>(inode);
            bindings::clear_inode(inode);
        }
    }

    /// `super_operations::sync_fs`.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a live, ready superblock of type `T`.
    unsafe extern "C" fn sync_fs<U: Operations<FileSystem = T>>(
        sb: *mut bindings::super_block,
        wait: c_int,
    ) -> c_int {
        from_result(|| {
            // SAFETY: Per the safety contract.
            let sb = unsafe { SuperBlock::<T>::from_raw(sb) };
            U::sync_fs(sb, wait != 0)?;
            Ok(0)
        })
    }

    /// `super_operations::put_super`.
    ///
    /// # Safety
    ///
    /// Called by the VFS at unmount with a live, ready superblock of type `T`.
    unsafe extern "C" fn put_super<U: Operations<FileSystem = T>>(sb: *mut bindings::super_block) {
        // SAFETY: Per the safety contract.
        U::put_super(unsafe { SuperBlock::<T>::from_raw(sb) });
    }

    /// `super_operations::freeze_fs`.
    ///
    /// # Safety
    ///
    /// Called by the VFS (`freeze_super`, with `s_umount` held) with a live,
    /// ready, writable superblock of type `T`.
    unsafe extern "C" fn freeze_fs<U: Operations<FileSystem = T>>(
        sb: *mut bindings::super_block,
    ) -> c_int {
        from_result(|| {
            // SAFETY: Per the safety contract.
            U::freeze_fs(unsafe { SuperBlock::<T>::from_raw(sb) })?;
            Ok(0)
        })
    }

    /// `super_operations::unfreeze_fs`.
    ///
    /// # Safety
    ///
    /// Called by the VFS (`thaw_super`, with `s_umount` held) with a live,
    /// ready superblock of type `T` that `freeze_fs` froze.
    unsafe extern "C" fn unfreeze_fs<U: Operations<FileSystem = T>>(
        sb: *mut bindings::super_block,
    ) -> c_int {
        from_result(|| {
            // SAFETY: Per the safety contract.
            U::unfreeze_fs(unsafe { SuperBlock::<T>::from_raw(sb) })?;
            Ok(0)
        })
    }

    /// `super_operations::show_options`.
    ///
    /// # Safety
    ///
    /// Called by the VFS (`show_vfsmnt` and friends, with the mount held)
    /// with a `seq_file` being filled by this thread and the live root
    /// dentry of a mount of a ready superblock of type `T`.
    unsafe extern "C" fn show_options<U: Operations<FileSystem = T>>(
        m: *mut bindings::seq_file,
        root: *mut bindings::dentry,
    ) -> c_int {
        from_result(|| {
            // SAFETY: The dentry is live, and its superblock is a ready one of type `T`.
            let sb = unsafe { SuperBlock::<T>::from_raw((*root).d_sb) };
            // SAFETY: Per the safety contract the seq_file is valid and only this thread
            // uses it for the call. CAST: our bindings and the kernel crate's describe the
            // same `struct seq_file`.
            let m = unsafe { SeqFile::from_raw(m.cast()) };
            U::show_options(sb, m)?;
            Ok(0)
        })
    }
}
