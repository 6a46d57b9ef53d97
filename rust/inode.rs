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
/// `inner` is a live, initialised (not `I_NEW`) inode of type `T`, embedded
/// in an [`INodeWithData<T>`] whose `data` is initialised; it is reference
/// counted with `ihold`/`iput`.
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
            }
        }
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
    /// A symlink whose target is read through the page cache (`page_get_link`).
    Symlink(&'static address_space::Ops<T>),
    /// A symlink whose target is held in the inode data, NUL-terminated.
    FastSymlink(fn(&T::INodeData) -> &CStr),
    /// A character device with the given `dev_t`.
    Chr(u32),
    /// A block device with the given `dev_t`.
    Blk(u32),
    /// A named pipe.
    Fifo,
    /// A UNIX domain socket.
    Sock,
}

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
        let ptr = self.inode.as_ptr();
        // SAFETY: By the type invariant the inode is new, so it is ours to initialise;
        // it sits in an `INodeWithData<T>` allocated by `alloc_inode`.
        let outer = unsafe { INodeWithData::<T>::from_inode(ptr) };
        // SAFETY: The data slot is uninitialised (`data_init` is false) and pinned in
        // the slab object; on error it stays uninitialised and `drop` fails the inode.
        unsafe {
            data.__pinned_init((*outer).data.as_mut_ptr())
                .map_err(Error::from)?
        };
        // SAFETY: As above, the inode is ours; `data_init` records the initialisation for
        // `free_inode`.
        unsafe {
            (*outer).data_init = true;
            self.set_params(params);
            self.set_type(typ, params.mode);
            bindings::unlock_new_inode(ptr);
        }
        let this = ManuallyDrop::new(self);
        // SAFETY: The inode is initialised now; our reference moves into the `ARef`
        // (`ManuallyDrop` keeps `drop` from failing the inode).
        Ok(unsafe { ARef::from_raw(this.inode.cast::<INode<T>>()) })
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
                }
                Type::Dir(iops, fops) => {
                    (*ptr).i_mode = S_IFDIR | perm;
                    (*ptr).i_op = &iops.0;
                    bindings::ext2rs_inode_set_fop(ptr, fops.as_raw());
                }
                Type::Symlink(aops) => {
                    (*ptr).i_mode = S_IFLNK | perm;
                    (*ptr).i_op = &bindings::page_symlink_inode_operations;
                    bindings::inode_nohighmem(ptr);
                    (*ptr).i_data.a_ops = aops.as_raw();
                }
                Type::FastSymlink(target) => {
                    (*ptr).i_mode = S_IFLNK | perm;
                    (*ptr).i_op = &bindings::simple_symlink_inode_operations;
                    let data = (*INodeWithData::<T>::from_inode(ptr))
                        .data
                        .assume_init_ref();
                    bindings::ext2rs_inode_set_link(ptr, target(data).as_char_ptr().cast_mut());
                }
                Type::Chr(dev) => Self::special(ptr, S_IFCHR | perm, dev),
                Type::Blk(dev) => Self::special(ptr, S_IFBLK | perm, dev),
                Type::Fifo => Self::special(ptr, S_IFIFO | perm, 0),
                Type::Sock => Self::special(ptr, S_IFSOCK | perm, 0),
            }
        }
    }

    /// `init_special_inode`: device nodes, FIFOs and sockets.
    ///
    /// # Safety
    ///
    /// `ptr` must be a new inode exclusively owned by the caller.
    unsafe fn special(ptr: *mut bindings::inode, mode: u16, dev: u32) {
        // SAFETY: Per the safety contract.
        unsafe { bindings::init_special_inode(ptr, mode, dev) };
    }
}

impl<T: FileSystem> Drop for New<T> {
    fn drop(&mut self) {
        // SAFETY: The inode was not initialised, so it must be failed: `iget_failed`
        // marks it bad, unlocks it and drops our reference.
        unsafe { bindings::iget_failed(self.inode.as_ptr()) };
    }
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
    // SAFETY: `outer` is a fresh object of the cache, ours until returned.
    unsafe {
        (*outer).data_init = false;
        (*outer).inode.get()
    }
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
/// # Safety
///
/// Called by the VFS once per inode allocated by `alloc_inode::<T>`.
pub(crate) unsafe extern "C" fn free_inode<T: FileSystem>(inode: *mut bindings::inode) {
    // SAFETY: `inode` came from `alloc_inode::<T>`, so it is inside an
    // `INodeWithData<T>`; nobody uses it any more.
    unsafe {
        let outer = INodeWithData::<T>::from_inode(inode);
        if (*outer).data_init {
            (*outer).data.assume_init_drop();
        }
        let cache = Registration::<T>::inode_cache((*(*inode).i_sb).s_type);
        bindings::kmem_cache_free(cache, outer.cast::<c_void>());
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
}

/// An attribute change being applied (`struct iattr` and the mount's id
/// mapping).
pub struct SetAttr<'a> {
    idmap: *mut bindings::mnt_idmap,
    attr: &'a bindings::iattr,
}

impl SetAttr<'_> {
    /// The new size, if the size changes (`ATTR_SIZE`).
    pub fn size(&self) -> Option<i64> {
        // CAST: ATTR_SIZE is a small flag.
        (self.attr.ia_valid & bindings::ATTR_SIZE != 0).then_some(self.attr.ia_size)
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
                ..pin_init::zeroed()
            },
            PhantomData,
        )
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
            U::setattr(inode, &SetAttr { idmap, attr })?;
            Ok(0)
        })
    }
}
