// SPDX-License-Identifier: GPL-2.0

//! Inodes with per-filesystem data, and their operations.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h)
//!
//! Each inode is allocated from the filesystem's own slab cache as an
//! [`INodeWithData`]: the filesystem's `T::INodeData` next to the VFS
//! `struct inode`, found from one another with `container_of`.

use crate::vfs::address_space;
use crate::vfs::bindings;
use crate::vfs::dentry::DEntry;
use crate::vfs::file;
use crate::vfs::fs::FileSystem;
use crate::vfs::fs::Registration;
use crate::vfs::sb::SuperBlock;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::mem::MaybeUninit;
use core::ptr::NonNull;
use kernel::build_error;
use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::ffi::c_int;
use kernel::ffi::c_uint;
use kernel::ffi::c_void;
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::aref::AlwaysRefCounted;
use kernel::types::Opaque;

/// A VFS inode of filesystem type `T`.
///
/// # Invariants
///
/// `inner` is a live inode of type `T`, embedded in an [`INodeWithData<T>`]
/// whose `data` is initialised; it is reference counted with `ihold`/`iput`.
/// It is not `I_NEW`, except while a [`Created`] that owns it is being
/// finished by the filesystem that creates it.
#[repr(transparent)]
pub struct INode<T: FileSystem> {
    inner: Opaque<bindings::inode>,
    _p: PhantomData<T>,
}

/// The slab object: per-filesystem data next to the VFS inode.
#[repr(C)]
pub(crate) struct INodeWithData<T: FileSystem> {
    /// Set (before `unlock_new_inode`) once `data` is initialised.
    data_init: bool,
    data: MaybeUninit<T::INodeData>,
    /// The metadata buffers the inode's data depends on (indirect blocks,
    /// directory blocks), written by its `fsync`: `ext2_inode_info`'s
    /// `i_metadata_bhs`. Initialised by `alloc_inode`, emptied by
    /// `evict_inode` before the object can be freed, because every buffer
    /// on the list points back at it (`b_mmb`).
    mmb: Opaque<bindings::mapping_metadata_bhs>,
    inode: Opaque<bindings::inode>,
}

impl<T: FileSystem> INodeWithData<T> {
    /// The object containing `inode`.
    ///
    /// # Safety
    ///
    /// `inode` must be the `inode` field of an `INodeWithData<T>`.
    unsafe fn from_inode(inode: *mut bindings::inode) -> *mut Self {
        // SAFETY: By the safety contract `inode` is inside an `INodeWithData<T>`, so going
        // back by the field offset stays within that object.
        unsafe { kernel::container_of!(inode.cast::<Opaque<bindings::inode>>(), Self, inode) }
    }

    /// The metadata buffer list beside `inode`.
    ///
    /// # Safety
    ///
    /// `inode` must be the `inode` field of a live `INodeWithData<T>`.
    unsafe fn metadata_bhs(inode: *mut bindings::inode) -> *mut bindings::mapping_metadata_bhs {
        // SAFETY: Per the safety contract the object is live, so its `mmb` field is too.
        unsafe { (*Self::from_inode(inode)).mmb.get() }
    }
}

// SAFETY: Inodes are shared across threads by the VFS; all mutation of the
// VFS part goes through C functions that do their own locking, and
// `T::INodeData` is `Send + Sync`.
unsafe impl<T: FileSystem> Sync for INode<T> {}
// SAFETY: As above; references may be dropped (`iput`) on any thread.
unsafe impl<T: FileSystem> Send for INode<T> {}

impl<T: FileSystem> INode<T> {
    /// Creates an inode reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must be a live, initialised inode of type `T` for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::inode) -> &'a Self {
        // SAFETY: Transparent wrapper; validity is guaranteed by the caller.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// The raw `struct inode`.
    pub(crate) fn as_raw(&self) -> *mut bindings::inode {
        self.inner.get()
    }

    /// The inode number.
    pub fn ino(&self) -> u64 {
        // SAFETY: `i_ino` does not change after the inode is hashed.
        unsafe { (*self.as_raw()).i_ino }
    }

    /// The superblock the inode belongs to.
    pub fn super_block(&self) -> &SuperBlock<T> {
        // SAFETY: `i_sb` is immutable, and a live initialised inode's superblock is ready
        // (inodes are only read after `fill_super` stored the data).
        unsafe { SuperBlock::from_raw((*self.as_raw()).i_sb) }
    }

    /// The filesystem's data of this inode.
    pub fn data(&self) -> &T::INodeData {
        // SAFETY: By the type invariant the inode is in an `INodeWithData<T>` whose data
        // is initialised and lives as long as the inode.
        unsafe {
            (*INodeWithData::<T>::from_inode(self.as_raw()))
                .data
                .assume_init_ref()
        }
    }

    /// The list of metadata buffers associated with the inode.
    pub(crate) fn metadata_bhs(&self) -> *mut bindings::mapping_metadata_bhs {
        // SAFETY: Every inode of type `T` is the `inode` field of an `INodeWithData<T>`
        // (`alloc_inode`), which lives as long as the inode.
        unsafe { INodeWithData::<T>::metadata_bhs(self.as_raw()) }
    }

    /// Writes the metadata buffers associated with the inode (see
    /// [`crate::vfs::buffer::BufferHead::mark_dirty_inode`]) and waits
    /// (`mmb_sync`).
    pub fn sync_metadata_bhs(&self) -> Result {
        // SAFETY: The inode is live, so its list is initialised.
        kernel::error::to_result(unsafe { bindings::mmb_sync(self.metadata_bhs()) })
    }

    /// The file size (`i_size_read`).
    pub fn size(&self) -> i64 {
        // SAFETY: The inode is live; `i_size_read` handles concurrent updates.
        unsafe { bindings::ext2rs_i_size_read(self.as_raw()) }
    }

    /// The file mode, type and permission bits (`i_mode`).
    pub fn mode(&self) -> u16 {
        // SAFETY: The inode is live; the mode is a word written atomically.
        unsafe { (*self.as_raw()).i_mode }
    }

    /// The link count.
    pub fn nlink(&self) -> u32 {
        // SAFETY: The inode is live; the count is a word read atomically.
        unsafe { (*self.as_raw()).__bindgen_anon_1.i_nlink }
    }

    /// Allocated space in 512-byte units (`i_blocks`).
    pub fn blocks(&self) -> u64 {
        // SAFETY: The inode is live; `inode_get_bytes` takes `i_lock`.
        let bytes = unsafe { bindings::inode_get_bytes(self.as_raw()) };
        u64::try_from(bytes).unwrap_or(0) >> 9
    }

    /// Adds `bytes` of allocated space (`inode_add_bytes`).
    pub fn add_bytes(&self, bytes: i64) {
        // SAFETY: The inode is live; the function takes `i_lock`.
        unsafe { bindings::inode_add_bytes(self.as_raw(), bytes) };
    }

    /// Removes `bytes` of allocated space (`inode_sub_bytes`).
    pub fn sub_bytes(&self, bytes: i64) {
        // SAFETY: The inode is live; the function takes `i_lock`.
        unsafe { bindings::inode_sub_bytes(self.as_raw(), bytes) };
    }

    /// The attributes as they go to disk.
    pub fn params(&self) -> Params {
        let ptr = self.as_raw();
        let (mut atime, mut mtime, mut ctime) = (0, 0, 0);
        // SAFETY: The inode is live; the helpers read the fields as the VFS does.
        unsafe {
            bindings::ext2rs_inode_get_times(ptr, &mut atime, &mut mtime, &mut ctime);
            Params {
                mode: (*ptr).i_mode,
                uid: bindings::ext2rs_i_uid_read(ptr),
                gid: bindings::ext2rs_i_gid_read(ptr),
                nlink: self.nlink(),
                size: self.size(),
                blocks: self.blocks(),
                atime,
                mtime,
                ctime,
                generation: (*ptr).i_generation,
                flags: (*ptr).i_flags & FLAGS_MASK,
            }
        }
    }

    /// The generation number (`i_generation`), which file handles carry.
    pub fn generation(&self) -> u32 {
        // SAFETY: The inode is live; the generation is set before it is published.
        unsafe { (*self.as_raw()).i_generation }
    }

    /// The device number of a device node (`i_rdev`).
    pub fn rdev(&self) -> u32 {
        // SAFETY: The inode is live; `i_rdev` is set once at creation.
        unsafe { (*self.as_raw()).i_rdev }
    }

    /// Whether the inode was marked bad after an error.
    pub fn is_bad(&self) -> bool {
        // SAFETY: The inode is live.
        unsafe { bindings::is_bad_inode(self.as_raw()) }
    }

    /// Queues the inode to be written (`mark_inode_dirty`).
    pub fn mark_dirty(&self) {
        // SAFETY: The inode is live.
        unsafe { bindings::ext2rs_mark_inode_dirty(self.as_raw()) };
    }

    /// Sets the size (`i_size_write`). Callers hold `i_rwsem`.
    pub fn set_size(&self, size: i64) {
        // SAFETY: The inode is live; size updates are serialised by `i_rwsem`, which
        // the callers hold.
        unsafe { bindings::ext2rs_i_size_write(self.as_raw(), size) };
    }

    /// Sets the change and modification times to now.
    pub fn touch_cmtime(&self) {
        // SAFETY: The inode is live.
        unsafe { bindings::ext2rs_inode_touch_cmtime(self.as_raw()) };
    }

    /// The inode's page cache.
    pub fn mapping(&self) -> Mapping<'_, T> {
        Mapping { inode: self }
    }

    /// Locks `i_rwsem` exclusively (`inode_lock`).
    pub fn lock(&self) -> RwsemGuard<'_, T> {
        // SAFETY: The inode is live; the guard unlocks.
        unsafe { bindings::ext2rs_inode_lock(self.as_raw()) };
        RwsemGuard {
            inode: self,
            shared: false,
        }
    }

    /// Locks `i_rwsem` shared (`inode_lock_shared`).
    pub fn lock_shared(&self) -> RwsemGuard<'_, T> {
        // SAFETY: The inode is live; the guard unlocks.
        unsafe { bindings::ext2rs_inode_lock_shared(self.as_raw()) };
        RwsemGuard {
            inode: self,
            shared: true,
        }
    }

    /// Writes the inode if it is dirty and waits (`sync_inode_metadata`).
    pub fn sync_metadata(&self) -> Result {
        // SAFETY: The inode is live.
        kernel::error::to_result(unsafe { bindings::sync_inode_metadata(self.as_raw(), 1) })
    }

    /// Waits for direct I/O in flight (`inode_dio_wait`).
    pub fn dio_wait(&self) {
        // SAFETY: The inode is live.
        unsafe { bindings::inode_dio_wait(self.as_raw()) };
    }
}

/// Link counts, times and flags changed by namespace operations, whose
/// callers hold the `i_rwsem` of the directories (and of the inodes whose
/// links change), as the VFS takes them.
impl<T: FileSystem> INode<T> {
    /// Sets the link count (`set_nlink`).
    pub fn set_nlink(&self, nlink: u32) {
        // SAFETY: The inode is live; the VFS serialises link count changes by `i_rwsem`.
        unsafe { bindings::set_nlink(self.as_raw(), nlink) };
    }

    /// Adds a link (`inc_nlink`; from 0 for an `O_TMPFILE` inode being linked).
    pub fn inc_nlink(&self) {
        // SAFETY: As for `set_nlink`.
        unsafe { bindings::inc_nlink(self.as_raw()) };
    }

    /// Drops a link (`drop_nlink`); the count must not be zero.
    pub fn drop_nlink(&self) {
        if self.nlink() == 0 {
            return;
        }
        // SAFETY: As for `set_nlink`; the count is not zero, which `drop_nlink` warns about.
        unsafe { bindings::drop_nlink(self.as_raw()) };
    }

    /// Drops all links (`clear_nlink`).
    pub fn clear_nlink(&self) {
        // SAFETY: As for `set_nlink`.
        unsafe { bindings::clear_nlink(self.as_raw()) };
    }

    /// Sets the permission bits and type (`i_mode`), as an ACL change that
    /// implies a new mode does; the caller holds `i_rwsem`.
    pub fn set_mode(&self, mode: u16) {
        // SAFETY: The inode is live; mode changes are serialised by `i_rwsem`, which the
        // caller holds.
        unsafe { (*self.as_raw()).i_mode = mode };
    }

    /// Sets the change time to now (`inode_set_ctime_current`).
    pub fn touch_ctime(&self) {
        // SAFETY: The inode is live.
        unsafe { bindings::inode_set_ctime_current(self.as_raw()) };
    }

    /// Whether changes to this directory must reach the disk before the
    /// operation returns (`IS_DIRSYNC`: `-o sync`, `-o dirsync`, or the
    /// inode's sync flags).
    pub fn is_dirsync(&self) -> bool {
        // SAFETY: The inode is live; the macro reads flags.
        unsafe { bindings::ext2rs_is_dirsync(self.as_raw()) }
    }

    /// Whether a change to this inode's metadata must reach the disk before
    /// the operation returns (`inode_needs_sync`: `IS_SYNC`, or `IS_DIRSYNC`
    /// for a directory).
    pub fn needs_sync(&self) -> bool {
        // SAFETY: The inode is live; the helper reads flags and the mode.
        unsafe { bindings::ext2rs_inode_needs_sync(self.as_raw()) }
    }

    /// Sets the inode flags the VFS enforces (`S_SYNC`, `S_APPEND`,
    /// `S_IMMUTABLE`, `S_NOATIME`, `S_DIRSYNC`: the bits of [`FLAGS_MASK`])
    /// to `flags`, leaving the VFS's own flags alone (`inode_set_flags`).
    pub fn set_flags(&self, flags: u32) {
        // SAFETY: The inode is live; `inode_set_flags` updates `i_flags` atomically.
        unsafe { bindings::inode_set_flags(self.as_raw(), flags & FLAGS_MASK, FLAGS_MASK) };
    }

    /// Attaches this inode to the negative `dentry` (`d_instantiate`): for a
    /// new link to an existing inode. The reference moves to the dentry.
    pub fn instantiate(this: ARef<Self>, dentry: &DEntry) {
        let ptr = ARef::into_raw(this).as_ptr().cast::<bindings::inode>();
        // SAFETY: The dentry is live and negative (the VFS checked), its parent locked; our
        // reference is handed over to it.
        unsafe { bindings::d_instantiate(dentry.as_raw(), ptr) };
    }
}

// SAFETY: The type invariants guarantee that `INode` is always reference counted.
unsafe impl<T: FileSystem> AlwaysRefCounted for INode<T> {
    fn inc_ref(&self) {
        // SAFETY: The existence of `&self` means the count is non-zero.
        unsafe { bindings::ihold(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a reference to give up.
        unsafe { bindings::iput(obj.as_ref().as_raw()) };
    }
}

/// A held `i_rwsem` (or the mapping's `invalidate_lock`), released on drop.
pub struct RwsemGuard<'a, T: FileSystem> {
    inode: &'a INode<T>,
    shared: bool,
}

impl<T: FileSystem> Drop for RwsemGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: The guard was made by taking the lock in this mode.
        unsafe {
            if self.shared {
                bindings::ext2rs_inode_unlock_shared(self.inode.as_raw());
            } else {
                bindings::ext2rs_inode_unlock(self.inode.as_raw());
            }
        }
    }
}

/// A held `invalidate_lock` of an inode's mapping, released on drop.
pub struct InvalidateGuard<'a, T: FileSystem> {
    inode: &'a INode<T>,
    shared: bool,
}

impl<T: FileSystem> Drop for InvalidateGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: The guard was made by taking the lock in this mode.
        unsafe {
            if self.shared {
                bindings::ext2rs_invalidate_unlock_shared(self.inode.as_raw());
            } else {
                bindings::ext2rs_invalidate_unlock(self.inode.as_raw());
            }
        }
    }
}

/// The page cache of an inode (`inode->i_mapping`).
pub struct Mapping<'a, T: FileSystem> {
    inode: &'a INode<T>,
}

impl<'a, T: FileSystem> Mapping<'a, T> {
    fn raw(&self) -> *mut bindings::address_space {
        // SAFETY: `i_mapping` is set at inode creation and stays.
        unsafe { (*self.inode.as_raw()).i_mapping }
    }

    /// Takes the `invalidate_lock` exclusively: no page fault can map a
    /// folio while it is held (truncate, hole punching).
    pub fn invalidate_lock(&self) -> InvalidateGuard<'a, T> {
        // SAFETY: The inode is live; the guard unlocks.
        unsafe { bindings::ext2rs_invalidate_lock(self.inode.as_raw()) };
        InvalidateGuard {
            inode: self.inode,
            shared: false,
        }
    }

    /// Takes the `invalidate_lock` shared (page faults).
    pub fn invalidate_lock_shared(&self) -> InvalidateGuard<'a, T> {
        // SAFETY: The inode is live; the guard unlocks.
        unsafe { bindings::ext2rs_invalidate_lock_shared(self.inode.as_raw()) };
        InvalidateGuard {
            inode: self.inode,
            shared: true,
        }
    }

    /// Sets `i_size` and drops the page cache past it, zeroing the part of
    /// the folio straddling it, or write-protects the folio straddling the
    /// old size when growing (`truncate_setsize`). Callers hold `i_rwsem`
    /// and the `invalidate_lock`.
    pub fn truncate_setsize(&self, size: i64) {
        // SAFETY: The inode is live; the callers hold the locks it needs.
        unsafe { bindings::truncate_setsize(self.inode.as_raw(), size) };
    }

    /// Drops the page cache of bytes `start..=end`, unmapping them from
    /// every process first, and zeroes the part of a folio that straddles
    /// either end (`truncate_pagecache_range`). Callers hold `i_rwsem` and
    /// the `invalidate_lock`.
    pub fn truncate_pagecache_range(&self, start: i64, end: i64) {
        // SAFETY: The inode is live; the callers hold the locks it needs.
        unsafe { bindings::truncate_pagecache_range(self.inode.as_raw(), start, end) };
    }

    /// After `i_size` grew from `from` to `to`: write-protects the folio
    /// straddling `from` so the next store through a mapping faults (and
    /// allocates), and zeroes its dirty part past `from`
    /// (`pagecache_isize_extended`).
    pub fn isize_extended(&self, from: i64, to: i64) {
        // SAFETY: The inode is live; `i_size` is already `to`.
        unsafe { bindings::pagecache_isize_extended(self.inode.as_raw(), from, to) };
    }

    /// Writes back the byte range `[start, end]` and waits
    /// (`filemap_write_and_wait_range`).
    pub fn write_and_wait_range(&self, start: i64, end: i64) -> Result {
        // SAFETY: The mapping is live.
        kernel::error::to_result(unsafe {
            bindings::filemap_write_and_wait_range(self.raw(), start, end)
        })
    }

    /// Drops clean, unmapped folios with indices `[start, end]` from the
    /// cache (`invalidate_mapping_pages`).
    pub fn invalidate_pages(&self, start: usize, end: usize) {
        // SAFETY: The mapping is live.
        unsafe { bindings::invalidate_mapping_pages(self.raw(), start, end) };
    }
}

/// The result of [`SuperBlock::iget`].
pub enum Get<T: FileSystem> {
    /// The inode was in the cache, initialised.
    Cached(ARef<INode<T>>),
    /// A new inode for the caller to initialise with [`New::init`].
    New(New<T>),
}

/// A new, locked (`I_NEW`) inode; dropping it without [`New::init`] marks
/// it bad and releases it (`iget_failed`).
///
/// # Invariants
///
/// `inode` is an `I_NEW` inode of type `T` on which this object owns a
/// reference, with `data_init` false.
pub struct New<T: FileSystem> {
    inode: NonNull<bindings::inode>,
    _p: PhantomData<T>,
}

/// What kind of inode, with the operations that go with it.
pub enum Type<T: FileSystem> {
    /// A regular file.
    Reg(
        &'static Ops<T>,
        &'static file::Ops<T>,
        &'static address_space::Ops<T>,
    ),
    /// A directory.
    Dir(&'static Ops<T>, &'static file::Ops<T>),
    /// A symlink whose target is read through the page cache; its table
    /// comes from [`Ops::page_symlink`].
    Symlink(&'static Ops<T>, &'static address_space::Ops<T>),
    /// A symlink whose target is held in the inode data, NUL-terminated;
    /// its table comes from [`Ops::simple_symlink`].
    FastSymlink(&'static Ops<T>, fn(&T::INodeData) -> &CStr),
    /// A character device with the given `dev_t`.
    Chr(&'static Ops<T>, u32),
    /// A block device with the given `dev_t`.
    Blk(&'static Ops<T>, u32),
    /// A named pipe.
    Fifo(&'static Ops<T>),
    /// A UNIX domain socket.
    Sock(&'static Ops<T>),
}

/// Synchronous writes (`S_SYNC`).
pub const S_SYNC: u32 = bindings::S_SYNC;
/// No access time updates (`S_NOATIME`).
pub const S_NOATIME: u32 = bindings::S_NOATIME;
/// Writes only at the end, no truncation (`S_APPEND`).
pub const S_APPEND: u32 = bindings::S_APPEND;
/// No changes at all (`S_IMMUTABLE`).
pub const S_IMMUTABLE: u32 = bindings::S_IMMUTABLE;
/// Synchronous directory changes (`S_DIRSYNC`).
pub const S_DIRSYNC: u32 = bindings::S_DIRSYNC;
/// The inode flags a filesystem derives from its on-disk flags.
pub const FLAGS_MASK: u32 = S_SYNC | S_NOATIME | S_APPEND | S_IMMUTABLE | S_DIRSYNC;

/// The attributes of an inode read from disk.
pub struct Params {
    /// Permission bits (the type comes from [`Type`]).
    pub mode: u16,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Link count.
    pub nlink: u32,
    /// Size in bytes.
    pub size: i64,
    /// Allocated space in 512-byte units.
    pub blocks: u64,
    /// Access time, seconds since the epoch.
    pub atime: i64,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// Change time, seconds since the epoch.
    pub ctime: i64,
    /// Generation number (for file handles).
    pub generation: u32,
    /// Inode flags, the bits of [`FLAGS_MASK`] (`S_IMMUTABLE`, ...).
    pub flags: u32,
}

/// The file type bits of `i_mode` (`S_IFMT` and friends).
const S_IFSOCK: u16 = 0o140000;
const S_IFLNK: u16 = 0o120000;
const S_IFREG: u16 = 0o100000;
const S_IFBLK: u16 = 0o060000;
const S_IFDIR: u16 = 0o040000;
const S_IFCHR: u16 = 0o020000;
const S_IFIFO: u16 = 0o010000;

impl<T: FileSystem> New<T> {
    /// Wraps a new inode returned by `iget_locked`.
    ///
    /// # Safety
    ///
    /// `inode` must be an `I_NEW` inode of type `T` whose reference the
    /// caller transfers.
    pub(crate) unsafe fn from_raw(inode: NonNull<bindings::inode>) -> Self {
        // INVARIANT: Guaranteed by the caller; `alloc_inode` cleared `data_init`.
        Self {
            inode,
            _p: PhantomData,
        }
    }

    /// The inode number.
    pub fn ino(&self) -> u64 {
        // SAFETY: By the type invariant the inode is live.
        unsafe { (*self.inode.as_ptr()).i_ino }
    }

    /// Fills in the inode, attaches `data` and unlocks it for everyone.
    pub fn init<E>(
        self,
        typ: Type<T>,
        params: &Params,
        data: impl PinInit<T::INodeData, E>,
    ) -> Result<ARef<INode<T>>>
    where
        Error: From<E>,
    {
        self.attach(data)?;
        // SAFETY: By the type invariant the inode is new and ours; its data is attached.
        unsafe {
            self.set_params(params);
            self.set_type(typ, params.mode);
        }
        Ok(self.into_created().unlock())
    }

    /// Attaches `data` to the inode.
    fn attach<E>(&self, data: impl PinInit<T::INodeData, E>) -> Result
    where
        Error: From<E>,
    {
        // SAFETY: By the type invariant the inode is new, so it is ours to initialise;
        // it sits in an `INodeWithData<T>` allocated by `alloc_inode`.
        let outer = unsafe { INodeWithData::<T>::from_inode(self.inode.as_ptr()) };
        // SAFETY: The data slot is uninitialised (`data_init` is false) and pinned in
        // the slab object; on error it stays uninitialised and `drop` fails the inode.
        unsafe {
            data.__pinned_init((*outer).data.as_mut_ptr())
                .map_err(Error::from)?
        };
        // SAFETY: As above, the inode is ours; `data_init` records the initialisation for
        // `free_inode` and `evict_inode`.
        unsafe { (*outer).data_init = true };
        Ok(())
    }

    /// Hands the inode, data attached, to a [`Created`].
    fn into_created(self) -> Created<T> {
        let this = ManuallyDrop::new(self);
        // INVARIANT: The inode is still `I_NEW`, its data is attached (callers call
        // `attach` first), and our reference moves over (`ManuallyDrop` keeps `drop`
        // from failing the inode).
        Created {
            inode: this.inode.cast::<INode<T>>(),
        }
    }

    /// Copies the attributes into the VFS inode.
    ///
    /// # Safety
    ///
    /// The inode must be new and exclusively owned by the caller.
    unsafe fn set_params(&self, p: &Params) {
        let ptr = self.inode.as_ptr();
        // SAFETY: The inode is new and ours per the safety contract.
        unsafe {
            bindings::set_nlink(ptr, p.nlink);
            bindings::ext2rs_i_uid_write(ptr, p.uid);
            bindings::ext2rs_i_gid_write(ptr, p.gid);
            bindings::ext2rs_i_size_write(ptr, p.size);
            bindings::ext2rs_inode_set_times(ptr, p.atime, p.mtime, p.ctime);
            (*ptr).i_blocks = p.blocks;
            (*ptr).i_generation = p.generation;
            bindings::inode_set_flags(ptr, p.flags & FLAGS_MASK, FLAGS_MASK);
        }
    }

    /// Sets the mode and the operations for the inode's type.
    ///
    /// # Safety
    ///
    /// The inode must be new and exclusively owned by the caller, with its
    /// data initialised.
    unsafe fn set_type(&self, typ: Type<T>, perm: u16) {
        let ptr = self.inode.as_ptr();
        let perm = perm & 0o7777;
        // SAFETY: The inode is new and ours per the safety contract; the tables are
        // `'static`; a fast symlink's target lives in the inode data, which lives as long
        // as the inode.
        unsafe {
            match typ {
                Type::Reg(iops, fops, aops) => {
                    (*ptr).i_mode = S_IFREG | perm;
                    (*ptr).i_op = &iops.0;
                    bindings::ext2rs_inode_set_fop(ptr, fops.as_raw());
                    (*ptr).i_data.a_ops = aops.as_raw();
                    // Not yet active, as `mapping_set_large_folios` requires.
                    if aops.large_folios() {
                        bindings::ext2rs_mapping_set_large_folios(&raw mut (*ptr).i_data);
                    }
                }
                Type::Dir(iops, fops) => {
                    (*ptr).i_mode = S_IFDIR | perm;
                    (*ptr).i_op = &iops.0;
                    bindings::ext2rs_inode_set_fop(ptr, fops.as_raw());
                }
                Type::Symlink(iops, aops) => {
                    (*ptr).i_mode = S_IFLNK | perm;
                    (*ptr).i_op = &iops.0;
                    bindings::inode_nohighmem(ptr);
                    (*ptr).i_data.a_ops = aops.as_raw();
                }
                Type::FastSymlink(iops, target) => {
                    (*ptr).i_mode = S_IFLNK | perm;
                    (*ptr).i_op = &iops.0;
                    let data = (*INodeWithData::<T>::from_inode(ptr))
                        .data
                        .assume_init_ref();
                    bindings::ext2rs_inode_set_link(ptr, target(data).as_char_ptr().cast_mut());
                }
                Type::Chr(iops, dev) => Self::special(ptr, iops, S_IFCHR | perm, dev),
                Type::Blk(iops, dev) => Self::special(ptr, iops, S_IFBLK | perm, dev),
                Type::Fifo(iops) => Self::special(ptr, iops, S_IFIFO | perm, 0),
                Type::Sock(iops) => Self::special(ptr, iops, S_IFSOCK | perm, 0),
            }
        }
    }

    /// `init_special_inode`: device nodes, FIFOs and sockets, with the
    /// filesystem's inode operations (attributes, ACLs).
    ///
    /// # Safety
    ///
    /// `ptr` must be a new inode exclusively owned by the caller.
    unsafe fn special(ptr: *mut bindings::inode, iops: &'static Ops<T>, mode: u16, dev: u32) {
        // SAFETY: Per the safety contract; the table is `'static`.
        unsafe {
            bindings::init_special_inode(ptr, mode, dev);
            (*ptr).i_op = &iops.0;
        }
    }
}

impl<T: FileSystem> Drop for New<T> {
    fn drop(&mut self) {
        // SAFETY: The inode was not initialised, so it must be failed: `iget_failed`
        // marks it bad, unlocks it and drops our reference.
        unsafe { bindings::iget_failed(self.inode.as_ptr()) };
    }
}

/// Creating inodes: the VFS side of `ext2_new_inode` and of the
/// `d_instantiate_new` / `discard_new_inode` endings of fs/ext2/namei.c.
impl<T: FileSystem> New<T> {
    /// A new inode numbered `ino` for a file being created in `dir`: owner
    /// and mode from the caller's credentials and from `dir`
    /// (`inode_init_owner`: a setgid directory passes on its group and, to
    /// directories, its setgid bit), times now, a random generation, and
    /// hashed and locked (`insert_inode_locked`), so a lookup of `ino` waits
    /// until the creator is done.
    ///
    /// Fails with `ENOMEM`, or with `EBUSY` when an inode `ino` is already in
    /// the inode cache: the bitmap handed out a number in use, which is
    /// corruption for the caller to report (the number is not freed).
    pub fn create(dir: &INode<T>, idmap: &MntIdmap, ino: u64, mode: u16) -> Result<Self> {
        // SAFETY: `dir` is live, so its superblock is.
        let ptr = unsafe { bindings::new_inode((*dir.as_raw()).i_sb) };
        let ptr = NonNull::new(ptr).ok_or(ENOMEM)?;
        let raw = ptr.as_ptr();
        // SAFETY: `new_inode` returned an unhashed inode whose only reference is ours, so
        // nobody else sees these stores; `idmap` and `dir` are live.
        unsafe {
            (*raw).i_ino = ino;
            bindings::inode_init_owner(idmap.as_raw(), raw, dir.as_raw(), mode);
            bindings::simple_inode_init_ts(raw);
            (*raw).i_generation = bindings::get_random_u32();
        }
        // SAFETY: As above.
        if unsafe { bindings::insert_inode_locked(raw) } < 0 {
            // SAFETY: The inode is neither hashed nor `I_NEW` and has no data attached, so
            // marked bad it is only cleared when our reference goes.
            unsafe {
                bindings::make_bad_inode(raw);
                bindings::iput(raw);
            }
            return Err(EBUSY);
        }
        // SAFETY: `insert_inode_locked` made the inode `I_NEW`; it comes from this
        // superblock's `alloc_inode::<T>`, which cleared `data_init`; our reference moves.
        Ok(unsafe { Self::from_raw(ptr) })
    }

    /// Attaches `data` to an inode made by [`New::create`] and sets the
    /// operations of `typ`; the caller finishes it through the [`Created`].
    /// (If `data` fails to initialise, the inode is failed as in `iget` and
    /// its number stays allocated: give it data that cannot fail.)
    pub fn init_created<E>(
        self,
        typ: Type<T>,
        data: impl PinInit<T::INodeData, E>,
    ) -> Result<Created<T>>
    where
        Error: From<E>,
    {
        // SAFETY: By the type invariant the inode is live and ours; `create` set the mode.
        let mode = unsafe { (*self.inode.as_ptr()).i_mode };
        self.attach(data)?;
        // SAFETY: The inode is new and ours, with its data attached.
        unsafe { self.set_type(typ, mode) };
        Ok(self.into_created())
    }
}

/// A new inode with its data and operations, still `I_NEW` so that no
/// lookup by number sees it half made. It is published by
/// [`Created::instantiate`], [`Created::tmpfile`] or [`Created::unlock`];
/// dropped instead, it loses its links and is discarded
/// (`discard_new_inode`), so that eviction frees what it holds (blocks,
/// inode number), as the error paths of ext2's namei.c do.
///
/// # Invariants
///
/// `inode` is an `I_NEW` inode of type `T` with its data initialised, on
/// which this object owns a reference.
pub struct Created<T: FileSystem> {
    inode: NonNull<INode<T>>,
}

impl<T: FileSystem> core::ops::Deref for Created<T> {
    type Target = INode<T>;

    fn deref(&self) -> &INode<T> {
        // SAFETY: By the type invariant the inode is live with its data initialised, which
        // `INode`'s invariant allows for an inode owned by a `Created`.
        unsafe { self.inode.as_ref() }
    }
}

impl<T: FileSystem> Created<T> {
    /// Unlocks the inode for everyone (`unlock_new_inode`).
    pub fn unlock(self) -> ARef<INode<T>> {
        let this = ManuallyDrop::new(self);
        // SAFETY: By the type invariant the inode is `I_NEW` and ready.
        unsafe { bindings::unlock_new_inode(this.as_raw()) };
        // SAFETY: The inode is initialised now; our reference moves into the `ARef`.
        unsafe { ARef::from_raw(this.inode) }
    }

    /// Attaches the inode to the negative `dentry` it was created for and
    /// unlocks it (`d_instantiate_new`).
    pub fn instantiate(self, dentry: &DEntry) {
        let this = ManuallyDrop::new(self);
        // SAFETY: The dentry is live and negative (the VFS checked it under the parent's
        // lock, which it holds); the inode is `I_NEW` and ready; our reference moves to
        // the dentry.
        unsafe { bindings::d_instantiate_new(dentry.as_raw(), this.as_raw()) };
    }

    /// Finishes an `O_TMPFILE` open: the inode (with one link, which this
    /// drops) becomes the file's, unlinked (`d_tmpfile`), is unlocked, and
    /// the file is opened (`finish_open_simple`).
    pub fn tmpfile(self, file: &TmpFile) -> Result {
        let this = ManuallyDrop::new(self);
        // SAFETY: `file` is being opened with a negative dentry (`tmpfile`'s contract);
        // the inode is `I_NEW`, ready and has one link; our reference moves to the dentry.
        unsafe {
            bindings::d_tmpfile(file.as_raw(), this.as_raw());
            bindings::unlock_new_inode(this.as_raw());
        }
        // SAFETY: As above; the file's dentry is positive now.
        kernel::error::to_result(unsafe { bindings::ext2rs_finish_open_simple(file.as_raw()) })
    }
}

impl<T: FileSystem> Drop for Created<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the inode is `I_NEW` with data and our reference:
        // with no links, `discard_new_inode` unlocks it and drops the reference, and
        // eviction deletes it.
        unsafe {
            bindings::clear_nlink(self.as_raw());
            bindings::discard_new_inode(self.as_raw());
        }
    }
}

/// The idmapping of the mount a namespace operation came through.
///
/// # Invariants
///
/// `inner` is a live `struct mnt_idmap`.
#[repr(transparent)]
pub struct MntIdmap {
    inner: Opaque<bindings::mnt_idmap>,
}

impl MntIdmap {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must be a live idmapping for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::mnt_idmap) -> &'a Self {
        // SAFETY: Transparent wrapper; validity is guaranteed by the caller.
        unsafe { &*ptr.cast::<Self>() }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::mnt_idmap {
        self.inner.get()
    }
}

/// The file an `O_TMPFILE` open is making (`inode_operations::tmpfile`).
///
/// # Invariants
///
/// `inner` is a `struct file` being opened, whose dentry is negative until
/// [`Created::tmpfile`].
#[repr(transparent)]
pub struct TmpFile {
    inner: Opaque<bindings::file>,
}

impl TmpFile {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must be a file being opened by `tmpfile`, live for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::file) -> &'a Self {
        // SAFETY: Transparent wrapper; validity is guaranteed by the caller.
        unsafe { &*ptr.cast::<Self>() }
    }

    fn as_raw(&self) -> *mut bindings::file {
        self.inner.get()
    }
}

/// `rename` flag: fail if the target exists (checked by the VFS).
pub const RENAME_NOREPLACE: u32 = bindings::RENAME_NOREPLACE;

/// Both sides of a rename (`inode_operations::rename`).
pub struct Rename<'a, T: FileSystem> {
    /// The directory the entry leaves.
    pub old_dir: &'a INode<T>,
    /// The entry's dentry there.
    pub old_dentry: &'a DEntry,
    /// The inode being renamed.
    pub old_inode: &'a INode<T>,
    /// The directory the entry goes to (may be `old_dir`).
    pub new_dir: &'a INode<T>,
    /// The new name's dentry.
    pub new_dentry: &'a DEntry,
    /// The inode the new name replaces, if it exists.
    pub new_inode: Option<&'a INode<T>>,
    /// `RENAME_*` flags.
    pub flags: u32,
}

/// The slab cache for the inodes of filesystem type `T`.
///
/// # Invariants
///
/// `cache` is a live kmem_cache of `INodeWithData<T>` objects.
pub(crate) struct Cache<T: FileSystem> {
    cache: NonNull<bindings::kmem_cache>,
    _p: PhantomData<T>,
}

impl<T: FileSystem> Cache<T> {
    /// Creates the cache, named after the filesystem type.
    pub(crate) fn new(name: &'static CStr) -> Result<Self> {
        let size = c_uint::try_from(size_of::<INodeWithData<T>>())?;
        let align = c_uint::try_from(align_of::<INodeWithData<T>>())?;
        // SAFETY: `name` is static; `init_once` matches the constructor signature.
        let cache = unsafe {
            bindings::ext2rs_inode_cache_create(
                name.as_char_ptr(),
                size,
                align,
                Some(Self::init_once),
            )
        };
        Ok(Self {
            cache: NonNull::new(cache).ok_or(ENOMEM)?,
            _p: PhantomData,
        })
    }

    /// The raw cache.
    pub(crate) fn as_raw(&self) -> *mut bindings::kmem_cache {
        self.cache.as_ptr()
    }

    /// Slab constructor: the VFS part of an inode is set up once per object.
    ///
    /// # Safety
    ///
    /// Called by the slab allocator with a fresh `INodeWithData<T>` object.
    unsafe extern "C" fn init_once(obj: *mut c_void) {
        let outer = obj.cast::<INodeWithData<T>>();
        // SAFETY: `obj` is a valid object of this cache.
        unsafe { bindings::inode_init_once((*outer).inode.get()) };
    }
}

impl<T: FileSystem> Drop for Cache<T> {
    fn drop(&mut self) {
        // SAFETY: Inodes are freed after an RCU grace period (`free_inode`), so wait for
        // those callbacks before the cache goes away; then no object remains.
        unsafe {
            bindings::rcu_barrier();
            bindings::kmem_cache_destroy(self.cache.as_ptr());
        }
    }
}

/// `super_operations::alloc_inode`.
///
/// # Safety
///
/// Called by the VFS with a superblock of type `T`.
pub(crate) unsafe extern "C" fn alloc_inode<T: FileSystem>(
    sb: *mut bindings::super_block,
) -> *mut bindings::inode {
    // SAFETY: `s_type` of a superblock of type `T` is the `file_system_type` inside the
    // `Registration` of `T`, which outlives all its superblocks.
    let cache = unsafe { Registration::<T>::inode_cache((*sb).s_type) };
    // SAFETY: The cache holds `INodeWithData<T>` objects.
    let obj = unsafe { bindings::ext2rs_alloc_inode_sb(sb, cache) };
    if obj.is_null() {
        return core::ptr::null_mut();
    }
    // The cache's objects are `INodeWithData<T>`.
    let outer = obj.cast::<INodeWithData<T>>();
    // SAFETY: `outer` is a fresh object of the cache, ours until returned; `inode_init_once`
    // (the cache's constructor) and `inode_init_always` set up its `i_data`.
    unsafe {
        (*outer).data_init = false;
        let inode = (*outer).inode.get();
        bindings::mmb_init((*outer).mmb.get(), &raw mut (*inode).i_data);
        inode
    }
}

/// Detaches every buffer from the inode's metadata buffer list
/// (`mmb_invalidate`), which must be empty before the inode is freed.
///
/// # Safety
///
/// `inode` must come from `alloc_inode::<T>` and be live.
pub(crate) unsafe fn invalidate_metadata_bhs<T: FileSystem>(inode: *mut bindings::inode) {
    // SAFETY: Per the safety contract the inode is inside a live `INodeWithData<T>`, whose
    // list `alloc_inode` initialised.
    unsafe { bindings::mmb_invalidate(INodeWithData::<T>::metadata_bhs(inode)) };
}

/// Whether the filesystem data of `inode` is initialised (false for an
/// inode whose `iget` failed).
///
/// # Safety
///
/// `inode` must come from `alloc_inode::<T>` and be live.
pub(crate) unsafe fn data_ready<T: FileSystem>(inode: *mut bindings::inode) -> bool {
    // SAFETY: Per the safety contract the inode is inside a live `INodeWithData<T>`.
    unsafe { (*INodeWithData::<T>::from_inode(inode)).data_init }
}

/// `super_operations::free_inode`: drops the data (if it was initialised)
/// and frees the object, after the RCU grace period the VFS waited for.
///
/// Runs from an RCU callback that may come after the superblock itself was
/// freed (the VFS frees it through its own RCU callback, in no fixed order
/// with ours), so neither this function nor the data's `drop` may touch
/// `i_sb`: the object goes back through `kfree`, which finds its cache
/// from the object.
///
/// # Safety
///
/// Called by the VFS once per inode allocated by `alloc_inode::<T>`.
pub(crate) unsafe extern "C" fn free_inode<T: FileSystem>(inode: *mut bindings::inode) {
    // SAFETY: `inode` came from `alloc_inode::<T>`, so it is inside an
    // `INodeWithData<T>`; nobody uses it any more. `kfree` accepts objects from
    // `kmem_cache_alloc` (mm/slub.c), and the cache outlives the object because
    // `Cache::drop` waits for RCU callbacks with `rcu_barrier`.
    unsafe {
        let outer = INodeWithData::<T>::from_inode(inode);
        if (*outer).data_init {
            (*outer).data.assume_init_drop();
        }
        bindings::kfree(outer.cast::<c_void>());
    }
}

/// The inode operations a filesystem implements (`inode_operations`).
#[vtable]
pub trait Operations {
    /// The filesystem type these operations belong to.
    type FileSystem: FileSystem;

    /// Looks `dentry`'s name up in directory `dir`: `Ok(None)` if absent.
    fn lookup(
        _dir: &INode<Self::FileSystem>,
        _dentry: &DEntry,
    ) -> Result<Option<ARef<INode<Self::FileSystem>>>> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Changes attributes (`chmod`, `chown`, `utimes`, `truncate`); the
    /// request passed `setattr_prepare` already.
    fn setattr(_inode: &INode<Self::FileSystem>, _attr: &SetAttr<'_>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Reports the file's extents (`FS_IOC_FIEMAP`).
    fn fiemap(
        _inode: &INode<Self::FileSystem>,
        _info: &mut crate::vfs::iomap::FiemapInfo,
        _start: u64,
        _len: u64,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Creates a regular file for the negative `dentry` in `dir`.
    fn create(
        _idmap: &MntIdmap,
        _dir: &INode<Self::FileSystem>,
        _dentry: &DEntry,
        _mode: u16,
        _excl: bool,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Adds the name `dentry` in `dir` for the existing `inode`.
    fn link(
        _inode: &INode<Self::FileSystem>,
        _dir: &INode<Self::FileSystem>,
        _dentry: &DEntry,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Removes the name `dentry` of the non-directory `inode` from `dir`.
    fn unlink(
        _dir: &INode<Self::FileSystem>,
        _dentry: &DEntry,
        _inode: &INode<Self::FileSystem>,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Creates a symlink to `target` for the negative `dentry` in `dir`.
    fn symlink(
        _idmap: &MntIdmap,
        _dir: &INode<Self::FileSystem>,
        _dentry: &DEntry,
        _target: &CStr,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Creates a directory for the negative `dentry` in `dir`, which it
    /// instantiates.
    fn mkdir(
        _idmap: &MntIdmap,
        _dir: &INode<Self::FileSystem>,
        _dentry: &DEntry,
        _mode: u16,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Removes the empty directory `inode`, named `dentry` in `dir`.
    fn rmdir(
        _dir: &INode<Self::FileSystem>,
        _dentry: &DEntry,
        _inode: &INode<Self::FileSystem>,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Creates a device node, FIFO or socket for the negative `dentry`.
    fn mknod(
        _idmap: &MntIdmap,
        _dir: &INode<Self::FileSystem>,
        _dentry: &DEntry,
        _mode: u16,
        _rdev: u32,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Lists the names of the inode's extended attributes, each with its
    /// namespace prefix and a NUL, into `buf`, returning the bytes used
    /// (`ERANGE` if they do not fit); with no buffer, the bytes needed.
    fn listxattr(_inode: &INode<Self::FileSystem>, _buf: Option<&mut [u8]>) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Reads the inode's ACL of `typ` (`get_inode_acl`, never in RCU
    /// walk mode): `None` if it has none.
    fn get_acl(
        _inode: &INode<Self::FileSystem>,
        _typ: crate::vfs::acl::AclType,
    ) -> Result<Option<crate::vfs::acl::PosixAcl>> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Sets or (with `None`) removes the inode's ACL of `typ` (`set_acl`);
    /// the VFS holds `i_rwsem` and checked the caller's rights.
    fn set_acl(
        _idmap: &MntIdmap,
        _inode: &INode<Self::FileSystem>,
        _acl: Option<&crate::vfs::acl::Acl>,
        _typ: crate::vfs::acl::AclType,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Renames an entry, possibly over an existing one.
    fn rename(_idmap: &MntIdmap, _r: &Rename<'_, Self::FileSystem>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Creates an unnamed regular file in `dir` for an `O_TMPFILE` open.
    fn tmpfile(
        _idmap: &MntIdmap,
        _dir: &INode<Self::FileSystem>,
        _file: &TmpFile,
        _mode: u16,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Adds the filesystem's `statx` attributes to `stat` (`getattr`); the
    /// rest comes from the VFS inode afterwards (`generic_fillattr`).
    fn getattr(_inode: &INode<Self::FileSystem>, _stat: &mut Kstat<'_>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Returns the inode's `FS_IOC_GETFLAGS` flags (`fileattr_get`).
    fn fileattr_get(_inode: &INode<Self::FileSystem>) -> Result<u32> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Changes the inode's flags (`fileattr_set`); the VFS holds `i_rwsem`
    /// and checked the caller's rights (`fileattr_set_prepare`: ownership,
    /// and `CAP_LINUX_IMMUTABLE` for the append-only and immutable flags).
    fn fileattr_set(
        _idmap: &MntIdmap,
        _inode: &INode<Self::FileSystem>,
        _fa: &FileAttr<'_>,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The result of a `stat` being filled in (`struct kstat`).
pub struct Kstat<'a>(&'a mut bindings::kstat);

impl Kstat<'_> {
    /// Reports the `statx` attributes `attrs` (`STATX_ATTR_*`) out of those
    /// the filesystem supports, `mask`.
    pub fn add_attributes(&mut self, attrs: u64, mask: u64) {
        self.0.attributes |= attrs & mask;
        self.0.attributes_mask |= mask;
    }
}

/// `statx` attribute: append only.
pub const STATX_ATTR_APPEND: u64 = bindings::STATX_ATTR_APPEND as u64;
/// `statx` attribute: compressed.
pub const STATX_ATTR_COMPRESSED: u64 = bindings::STATX_ATTR_COMPRESSED as u64;
/// `statx` attribute: encrypted.
pub const STATX_ATTR_ENCRYPTED: u64 = bindings::STATX_ATTR_ENCRYPTED as u64;
/// `statx` attribute: immutable.
pub const STATX_ATTR_IMMUTABLE: u64 = bindings::STATX_ATTR_IMMUTABLE as u64;
/// `statx` attribute: not to be dumped.
pub const STATX_ATTR_NODUMP: u64 = bindings::STATX_ATTR_NODUMP as u64;

/// A requested change of inode flags (`struct file_kattr`).
pub struct FileAttr<'a>(&'a bindings::file_kattr);

impl FileAttr<'_> {
    /// The new `FS_IOC_SETFLAGS` flags.
    pub fn flags(&self) -> u32 {
        // SAFETY: The request is live for the call.
        unsafe { bindings::ext2rs_fileattr_flags(self.0) }
    }

    /// Whether the request carries XFS-style attributes that the flags
    /// cannot express (`fileattr_has_fsx`).
    pub fn has_fsx(&self) -> bool {
        // SAFETY: The request is live for the call.
        unsafe { bindings::ext2rs_fileattr_has_fsx(self.0) }
    }
}

/// An attribute change being applied (`struct iattr` and the mount's id
/// mapping).
pub struct SetAttr<'a> {
    idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    attr: &'a bindings::iattr,
}

impl SetAttr<'_> {
    /// The new size, if the size changes (`ATTR_SIZE`).
    pub fn size(&self) -> Option<i64> {
        // CAST: ATTR_SIZE is a small flag.
        (self.attr.ia_valid & bindings::ATTR_SIZE != 0).then_some(self.attr.ia_size)
    }

    /// After a mode change, rewrites the access ACL to match the new mode
    /// (`posix_acl_chmod`; nothing without ACLs). Call after [`Self::copy`].
    pub fn posix_acl_chmod<T: FileSystem>(&self, inode: &INode<T>) -> Result {
        if self.attr.ia_valid & bindings::ATTR_MODE == 0 {
            return Ok(());
        }
        // SAFETY: The idmap and the dentry (positive, naming `inode`) are live for the
        // setattr call, whose `i_rwsem` the caller holds.
        kernel::error::to_result(unsafe {
            bindings::ext2rs_posix_acl_chmod(self.idmap, self.dentry, inode.mode())
        })
    }

    /// Copies the other changed attributes into the inode (`setattr_copy`).
    pub fn copy<T: FileSystem>(&self, inode: &INode<T>) {
        // SAFETY: The inode is live and the caller holds its `i_rwsem` (setattr).
        unsafe { bindings::setattr_copy(self.idmap, inode.as_raw(), self.attr) };
    }
}

/// An `inode_operations` table for filesystem type `T`.
#[repr(transparent)]
pub struct Ops<T: FileSystem>(bindings::inode_operations, PhantomData<T>);

// SAFETY: The table is immutable and only holds function pointers.
unsafe impl<T: FileSystem> Sync for Ops<T> {}

impl<T: FileSystem> Ops<T> {
    /// Builds the table from `U`'s implementation.
    pub const fn new<U: Operations<FileSystem = T>>() -> Self {
        Self(
            bindings::inode_operations {
                lookup: if U::HAS_LOOKUP {
                    Some(Self::lookup::<U>)
                } else {
                    None
                },
                fiemap: if U::HAS_FIEMAP {
                    Some(Self::fiemap::<U>)
                } else {
                    None
                },
                setattr: if U::HAS_SETATTR {
                    Some(Self::setattr::<U>)
                } else {
                    None
                },
                create: if U::HAS_CREATE {
                    Some(Self::create::<U>)
                } else {
                    None
                },
                link: if U::HAS_LINK {
                    Some(Self::link::<U>)
                } else {
                    None
                },
                unlink: if U::HAS_UNLINK {
                    Some(Self::unlink::<U>)
                } else {
                    None
                },
                symlink: if U::HAS_SYMLINK {
                    Some(Self::symlink::<U>)
                } else {
                    None
                },
                mkdir: if U::HAS_MKDIR {
                    Some(Self::mkdir::<U>)
                } else {
                    None
                },
                rmdir: if U::HAS_RMDIR {
                    Some(Self::rmdir::<U>)
                } else {
                    None
                },
                mknod: if U::HAS_MKNOD {
                    Some(Self::mknod::<U>)
                } else {
                    None
                },
                rename: if U::HAS_RENAME {
                    Some(Self::rename::<U>)
                } else {
                    None
                },
                tmpfile: if U::HAS_TMPFILE {
                    Some(Self::tmpfile::<U>)
                } else {
                    None
                },
                listxattr: if U::HAS_LISTXATTR {
                    Some(Self::listxattr::<U>)
                } else {
                    None
                },
                get_inode_acl: if U::HAS_GET_ACL {
                    Some(Self::get_inode_acl::<U>)
                } else {
                    None
                },
                set_acl: if U::HAS_SET_ACL {
                    Some(Self::set_acl::<U>)
                } else {
                    None
                },
                getattr: if U::HAS_GETATTR {
                    Some(Self::getattr::<U>)
                } else {
                    None
                },
                fileattr_get: if U::HAS_FILEATTR_GET {
                    Some(Self::fileattr_get::<U>)
                } else {
                    None
                },
                fileattr_set: if U::HAS_FILEATTR_SET {
                    Some(Self::fileattr_set::<U>)
                } else {
                    None
                },
                ..pin_init::zeroed()
            },
            PhantomData,
        )
    }

    /// The table with `get_link` reading the target through the page cache
    /// (`page_get_link`), for [`Type::Symlink`].
    pub const fn page_symlink(mut self) -> Self {
        self.0.get_link = Some(bindings::page_get_link);
        self
    }

    /// The table with `get_link` returning `i_link` (`simple_get_link`),
    /// for [`Type::FastSymlink`].
    pub const fn simple_symlink(mut self) -> Self {
        self.0.get_link = Some(bindings::simple_get_link);
        self
    }

    /// `inode_operations::get_inode_acl`: returns a reference the VFS
    /// caches; in RCU walk mode asks to be called again (`-ECHILD`).
    ///
    /// # Safety
    ///
    /// Called by the VFS with a live inode of type `T`.
    unsafe extern "C" fn get_inode_acl<U: Operations<FileSystem = T>>(
        inode: *mut bindings::inode,
        typ: c_int,
        rcu: bool,
    ) -> *mut bindings::posix_acl {
        if rcu {
            return ECHILD.to_ptr();
        }
        let Some(typ) = crate::vfs::acl::AclType::from_raw(typ) else {
            return EINVAL.to_ptr();
        };
        // SAFETY: Per the safety contract the inode is live.
        let inode = unsafe { INode::<T>::from_raw(inode) };
        match U::get_acl(inode, typ) {
            Ok(Some(acl)) => acl.into_raw(),
            Ok(None) => core::ptr::null_mut(),
            Err(e) => e.to_ptr(),
        }
    }

    /// `inode_operations::set_acl`.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a live idmap, a positive dentry of an inode of
    /// type `T` whose `i_rwsem` it holds, and a live ACL or null.
    unsafe extern "C" fn set_acl<U: Operations<FileSystem = T>>(
        idmap: *mut bindings::mnt_idmap,
        dentry: *mut bindings::dentry,
        acl: *mut bindings::posix_acl,
        typ: c_int,
    ) -> c_int {
        kernel::error::from_result(|| {
            let typ = crate::vfs::acl::AclType::from_raw(typ).ok_or(EINVAL)?;
            // SAFETY: Per the safety contract all are live for the call; the ACL is not
            // changed while the VFS hands it to us.
            let (idmap, inode, acl) = unsafe {
                (
                    MntIdmap::from_raw(idmap),
                    INode::<T>::from_raw((*dentry).d_inode),
                    (!acl.is_null()).then(|| crate::vfs::acl::Acl::from_raw(acl)),
                )
            };
            U::set_acl(idmap, inode, acl, typ)?;
            Ok(0)
        })
    }

    /// `inode_operations::getattr`: the filesystem's attributes, then
    /// `generic_fillattr`.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a live idmap, a path to an inode of type `T`
    /// and a `kstat` being filled for this call only.
    unsafe extern "C" fn getattr<U: Operations<FileSystem = T>>(
        idmap: *mut bindings::mnt_idmap,
        path: *const bindings::path,
        stat: *mut bindings::kstat,
        request_mask: u32,
        _query_flags: c_uint,
    ) -> c_int {
        kernel::error::from_result(|| {
            // SAFETY: Per the safety contract the path is positive with a live inode of this
            // filesystem, and `stat` is exclusively ours for the call.
            let (inode, stat) =
                unsafe { (INode::<T>::from_raw((*(*path).dentry).d_inode), &mut *stat) };
            U::getattr(inode, &mut Kstat(&mut *stat))?;
            // SAFETY: As above; `generic_fillattr` only reads the inode.
            unsafe { bindings::generic_fillattr(idmap, request_mask, inode.as_raw(), stat) };
            Ok(0)
        })
    }

    /// `inode_operations::fileattr_get`.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a positive dentry of an inode of type `T` and
    /// a `file_kattr` being filled for this call only.
    unsafe extern "C" fn fileattr_get<U: Operations<FileSystem = T>>(
        dentry: *mut bindings::dentry,
        fa: *mut bindings::file_kattr,
    ) -> c_int {
        kernel::error::from_result(|| {
            // SAFETY: Per the safety contract the dentry names a live inode of this
            // filesystem.
            let inode = unsafe { INode::<T>::from_raw((*dentry).d_inode) };
            let flags = U::fileattr_get(inode)?;
            // SAFETY: Per the safety contract `fa` is ours to fill.
            unsafe { bindings::ext2rs_fileattr_fill_flags(fa, flags) };
            Ok(0)
        })
    }

    /// `inode_operations::fileattr_set`.
    ///
    /// # Safety
    ///
    /// Called by the VFS (`vfs_fileattr_set`, `i_rwsem` held) with a live
    /// idmap, a positive dentry of an inode of type `T` and a live request.
    unsafe extern "C" fn fileattr_set<U: Operations<FileSystem = T>>(
        idmap: *mut bindings::mnt_idmap,
        dentry: *mut bindings::dentry,
        fa: *mut bindings::file_kattr,
    ) -> c_int {
        kernel::error::from_result(|| {
            // SAFETY: Per the safety contract all are live for the call, the dentry is
            // positive with an inode of this filesystem, and nobody changes the request
            // while we read it.
            let (idmap, inode, fa) = unsafe {
                (
                    MntIdmap::from_raw(idmap),
                    INode::<T>::from_raw((*dentry).d_inode),
                    FileAttr(&*fa),
                )
            };
            U::fileattr_set(idmap, inode, &fa)?;
            Ok(0)
        })
    }

    /// `inode_operations::listxattr`.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a positive dentry of an inode of type `T` and
    /// `buffer` null or valid for writing `size` bytes.
    unsafe extern "C" fn listxattr<U: Operations<FileSystem = T>>(
        dentry: *mut bindings::dentry,
        buffer: *mut kernel::ffi::c_char,
        size: usize,
    ) -> isize {
        // SAFETY: Per the safety contract the dentry is positive with a live inode of this
        // filesystem, and the buffer, when there is one, is `size` bytes the VFS allocated
        // for this request.
        let (inode, buf) = unsafe {
            (
                INode::<T>::from_raw((*dentry).d_inode),
                (!buffer.is_null() && size != 0)
                    .then(|| core::slice::from_raw_parts_mut(buffer.cast::<u8>(), size)),
            )
        };
        match U::listxattr(inode, buf) {
            Ok(n) => isize::try_from(n).unwrap_or(isize::MAX),
            // CAST: errnos are small negative numbers.
            Err(e) => e.to_errno() as isize,
        }
    }

    /// `inode_operations::lookup`: finds the inode and splices it into the
    /// dentry (`d_splice_alias`), or leaves the dentry negative.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a live directory of type `T` and a dentry.
    unsafe extern "C" fn lookup<U: Operations<FileSystem = T>>(
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        _flags: c_uint,
    ) -> *mut bindings::dentry {
        // SAFETY: Per the safety contract both are live for the call.
        let (dir_ref, dentry_ref) =
            unsafe { (INode::<T>::from_raw(dir), DEntry::from_raw(dentry)) };
        let inode = match U::lookup(dir_ref, dentry_ref) {
            Ok(Some(inode)) => ARef::into_raw(inode).as_ptr().cast::<bindings::inode>(),
            Ok(None) => core::ptr::null_mut(),
            Err(e) => return e.to_ptr(),
        };
        // SAFETY: `d_splice_alias` takes over our inode reference (or null).
        unsafe { bindings::d_splice_alias(inode, dentry) }
    }

    /// `inode_operations::fiemap`.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a live inode of type `T` and a valid `info`.
    unsafe extern "C" fn fiemap<U: Operations<FileSystem = T>>(
        inode: *mut bindings::inode,
        info: *mut bindings::fiemap_extent_info,
        start: u64,
        len: u64,
    ) -> kernel::ffi::c_int {
        kernel::error::from_result(|| {
            // SAFETY: Per the safety contract both are live and exclusively ours for the
            // duration of the call.
            let (inode, info) = unsafe {
                (
                    INode::<T>::from_raw(inode),
                    crate::vfs::iomap::FiemapInfo::from_raw(info),
                )
            };
            U::fiemap(inode, info, start, len)?;
            Ok(0)
        })
    }

    /// `inode_operations::setattr`: checks the request (`setattr_prepare`)
    /// and hands it to `U`.
    ///
    /// # Safety
    ///
    /// Called by the VFS (`notify_change`) with a live dentry of an inode of
    /// type `T` whose `i_rwsem` is held, and a live request.
    unsafe extern "C" fn setattr<U: Operations<FileSystem = T>>(
        idmap: *mut bindings::mnt_idmap,
        dentry: *mut bindings::dentry,
        attr: *mut bindings::iattr,
    ) -> kernel::ffi::c_int {
        kernel::error::from_result(|| {
            // SAFETY: Per the safety contract all three are live.
            kernel::error::to_result(unsafe { bindings::setattr_prepare(idmap, dentry, attr) })?;
            // SAFETY: The dentry is positive (it names the inode being changed) and the
            // request is ours to read for the call.
            let (inode, attr) = unsafe { (INode::<T>::from_raw((*dentry).d_inode), &*attr) };
            U::setattr(
                inode,
                &SetAttr {
                    idmap,
                    dentry,
                    attr,
                },
            )?;
            Ok(0)
        })
    }

    /// `inode_operations::create`.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a live idmap, a locked directory of type `T`
    /// and a negative dentry in it.
    unsafe extern "C" fn create<U: Operations<FileSystem = T>>(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        mode: bindings::umode_t,
        excl: bool,
    ) -> c_int {
        kernel::error::from_result(|| {
            // SAFETY: Per the safety contract all are live for the call; the dentry's name is
            // stable under the directory's lock.
            let (idmap, dir, dentry) = unsafe {
                (
                    MntIdmap::from_raw(idmap),
                    INode::<T>::from_raw(dir),
                    DEntry::from_raw(dentry),
                )
            };
            U::create(idmap, dir, dentry, mode, excl)?;
            Ok(0)
        })
    }

    /// `inode_operations::link`.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a positive `old` dentry of type `T`, whose
    /// inode it locked, a locked directory and a negative dentry in it.
    unsafe extern "C" fn link<U: Operations<FileSystem = T>>(
        old: *mut bindings::dentry,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
    ) -> c_int {
        kernel::error::from_result(|| {
            // SAFETY: Per the safety contract all are live for the call, and `old` is
            // positive with an inode of this filesystem.
            let (inode, dir, dentry) = unsafe {
                (
                    INode::<T>::from_raw((*old).d_inode),
                    INode::<T>::from_raw(dir),
                    DEntry::from_raw(dentry),
                )
            };
            U::link(inode, dir, dentry)?;
            Ok(0)
        })
    }

    /// `inode_operations::unlink`.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a locked directory of type `T` and a positive
    /// dentry in it whose inode it locked.
    unsafe extern "C" fn unlink<U: Operations<FileSystem = T>>(
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
    ) -> c_int {
        kernel::error::from_result(|| {
            // SAFETY: Per the safety contract all are live for the call, and the dentry is
            // positive with an inode of this filesystem.
            let (dir, dentry, inode) = unsafe {
                (
                    INode::<T>::from_raw(dir),
                    DEntry::from_raw(dentry),
                    INode::<T>::from_raw((*dentry).d_inode),
                )
            };
            U::unlink(dir, dentry, inode)?;
            Ok(0)
        })
    }

    /// `inode_operations::symlink`.
    ///
    /// # Safety
    ///
    /// As for `create`; `target` is a NUL-terminated string.
    unsafe extern "C" fn symlink<U: Operations<FileSystem = T>>(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        target: *const kernel::ffi::c_char,
    ) -> c_int {
        kernel::error::from_result(|| {
            // SAFETY: Per the safety contract all are live for the call and `target` is a C
            // string.
            let (idmap, dir, dentry, target) = unsafe {
                (
                    MntIdmap::from_raw(idmap),
                    INode::<T>::from_raw(dir),
                    DEntry::from_raw(dentry),
                    CStr::from_char_ptr(target),
                )
            };
            U::symlink(idmap, dir, dentry, target)?;
            Ok(0)
        })
    }

    /// `inode_operations::mkdir`: returns null when the new directory was
    /// instantiated in `dentry` itself, as ext2's does.
    ///
    /// # Safety
    ///
    /// As for `create`.
    unsafe extern "C" fn mkdir<U: Operations<FileSystem = T>>(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        mode: bindings::umode_t,
    ) -> *mut bindings::dentry {
        // SAFETY: Per the safety contract all are live for the call.
        let (idmap, dir, dentry) = unsafe {
            (
                MntIdmap::from_raw(idmap),
                INode::<T>::from_raw(dir),
                DEntry::from_raw(dentry),
            )
        };
        match U::mkdir(idmap, dir, dentry, mode) {
            Ok(()) => core::ptr::null_mut(),
            Err(e) => e.to_ptr(),
        }
    }

    /// `inode_operations::rmdir`.
    ///
    /// # Safety
    ///
    /// As for `unlink`.
    unsafe extern "C" fn rmdir<U: Operations<FileSystem = T>>(
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
    ) -> c_int {
        kernel::error::from_result(|| {
            // SAFETY: Per the safety contract all are live for the call, and the dentry is
            // positive with an inode of this filesystem.
            let (dir, dentry, inode) = unsafe {
                (
                    INode::<T>::from_raw(dir),
                    DEntry::from_raw(dentry),
                    INode::<T>::from_raw((*dentry).d_inode),
                )
            };
            U::rmdir(dir, dentry, inode)?;
            Ok(0)
        })
    }

    /// `inode_operations::mknod`.
    ///
    /// # Safety
    ///
    /// As for `create`.
    unsafe extern "C" fn mknod<U: Operations<FileSystem = T>>(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        mode: bindings::umode_t,
        rdev: bindings::dev_t,
    ) -> c_int {
        kernel::error::from_result(|| {
            // SAFETY: Per the safety contract all are live for the call.
            let (idmap, dir, dentry) = unsafe {
                (
                    MntIdmap::from_raw(idmap),
                    INode::<T>::from_raw(dir),
                    DEntry::from_raw(dentry),
                )
            };
            U::mknod(idmap, dir, dentry, mode, rdev)?;
            Ok(0)
        })
    }

    /// `inode_operations::rename`.
    ///
    /// # Safety
    ///
    /// Called by the VFS (`lock_rename` held) with live directories of
    /// type `T`, a positive `old_dentry` in `old_dir` and a `new_dentry` in
    /// `new_dir`, whose inodes, if any, it locked.
    unsafe extern "C" fn rename<U: Operations<FileSystem = T>>(
        idmap: *mut bindings::mnt_idmap,
        old_dir: *mut bindings::inode,
        old_dentry: *mut bindings::dentry,
        new_dir: *mut bindings::inode,
        new_dentry: *mut bindings::dentry,
        flags: c_uint,
    ) -> c_int {
        kernel::error::from_result(|| {
            // SAFETY: Per the safety contract all are live for the call; `old_dentry` is
            // positive, and `new_dentry`'s inode, when there is one, is of this filesystem.
            let (idmap, r) = unsafe {
                let new_inode = (*new_dentry).d_inode;
                (
                    MntIdmap::from_raw(idmap),
                    Rename {
                        old_dir: INode::<T>::from_raw(old_dir),
                        old_dentry: DEntry::from_raw(old_dentry),
                        old_inode: INode::<T>::from_raw((*old_dentry).d_inode),
                        new_dir: INode::<T>::from_raw(new_dir),
                        new_dentry: DEntry::from_raw(new_dentry),
                        new_inode: (!new_inode.is_null()).then(|| INode::<T>::from_raw(new_inode)),
                        flags,
                    },
                )
            };
            U::rename(idmap, &r)?;
            Ok(0)
        })
    }

    /// `inode_operations::tmpfile`.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a live idmap, a directory of type `T` and a
    /// file being opened with a negative dentry.
    unsafe extern "C" fn tmpfile<U: Operations<FileSystem = T>>(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        file: *mut bindings::file,
        mode: bindings::umode_t,
    ) -> c_int {
        kernel::error::from_result(|| {
            // SAFETY: Per the safety contract all are live for the call.
            let (idmap, dir, file) = unsafe {
                (
                    MntIdmap::from_raw(idmap),
                    INode::<T>::from_raw(dir),
                    TmpFile::from_raw(file),
                )
            };
            U::tmpfile(idmap, dir, file, mode)?;
            Ok(0)
        })
    }
}
