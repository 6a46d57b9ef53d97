// SPDX-License-Identifier: GPL-2.0

//! Filesystem types: registration and the mount API (fs_context).
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/fs_context.h`](srctree/include/linux/fs_context.h)

use crate::vfs::bindings;
use crate::vfs::inode;
use crate::vfs::inode::INode;
use crate::vfs::param;
use crate::vfs::sb;
use crate::vfs::sb::SuperBlock;
use core::marker::PhantomData;
use kernel::error::from_result;
use kernel::error::to_result;
use kernel::ffi::c_int;
use kernel::ffi::c_void;
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::types::ForeignOwnable;
use kernel::types::Opaque;
use kernel::ThisModule;

/// A filesystem type: its name, its mount options and how a mount is set up.
///
/// The operations of superblocks, inodes, files and address spaces are
/// separate traits, one per C ops table (see [`sb::Operations`] and the
/// `Operations` traits of the other modules).
pub trait FileSystem: Sized + Send + Sync + 'static {
    /// Per-superblock data, kept in `s_fs_info` until the superblock dies.
    type Data: Send + Sync;

    /// Per-inode data, kept next to each VFS inode in the module's cache.
    type INodeData: Send + Sync;

    /// Mount options, parsed one by one into the context before mounting.
    type Options: Default + Send;

    /// The name under which the type is registered (`mount -t NAME`).
    const NAME: &'static CStr;

    /// The mount options the type accepts; anything else is refused.
    const PARAMS: param::TableRef;

    /// The superblock operations.
    const SUPER_OPS: &'static sb::Ops<Self>;

    /// Stores one parsed mount option (`opt` and `value` from [`Self::PARAMS`]).
    fn parse_param(opts: &mut Self::Options, opt: u8, value: param::Value) -> Result;

    /// Reads and checks the filesystem on the device of `sb` and sets the
    /// superblock up; returns the per-superblock data.
    fn fill_super(
        sb: &SuperBlock<Self, sb::New>,
        opts: &Self::Options,
        fc: &FsContext,
    ) -> Result<Self::Data>;

    /// Returns the root directory's inode, once the data is in place.
    fn root(sb: &SuperBlock<Self>) -> Result<ARef<INode<Self>>>;

    /// Called once the mount is complete (root in place), to start a
    /// read-write mount.
    fn mounted(sb: &SuperBlock<Self>) -> Result;

    /// Applies a remount (`mount -o remount,...`) with `new_flags` (`SB_*`).
    fn reconfigure(
        sb: &SuperBlock<Self>,
        opts: &Self::Options,
        new_flags: u32,
        fc: &FsContext,
    ) -> Result;
}

/// A filesystem context: one mount or reconfiguration being set up.
///
/// # Invariants
///
/// `inner` is a live `struct fs_context` for the duration of the borrow.
#[repr(transparent)]
pub struct FsContext {
    inner: Opaque<bindings::fs_context>,
}

impl FsContext {
    /// Creates a reference to an [`FsContext`] from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a live `struct fs_context` that stays valid for
    /// the lifetime `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::fs_context) -> &'a Self {
        // SAFETY: `FsContext` is a transparent wrapper of `fs_context`, and the caller
        // guarantees the pointer is valid for `'a`.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// Logs a mount error both to the kernel log and to the context's log,
    /// where `fsconfig(2)` users read it (`errorfc`).
    pub fn error(&self, msg: &CStr) {
        // SAFETY: By the type invariant `inner` is a live fs_context, and `msg` is a
        // NUL-terminated string that outlives the call.
        unsafe { bindings::ext2rs_errorfc(self.inner.get(), msg.as_char_ptr()) };
    }

    /// The superblock flags (`SB_*`) asked for.
    pub fn sb_flags(&self) -> u32 {
        // SAFETY: By the type invariant `inner` is live.
        unsafe { (*self.inner.get()).sb_flags }
    }

    /// At a remount, turns POSIX ACLs on or off (`SB_POSIXACL`): the VFS
    /// applies the context's flags under its mask to the superblock once
    /// `reconfigure` has succeeded (`reconfigure_super`), under
    /// `s_umount`, as ext2_reconfigure sets the flag itself.
    pub fn set_posix_acl(&self, on: bool) {
        // CAST: SB_POSIXACL is bit 16, within the context's `unsigned int` flags.
        let flag = sb::SB_POSIXACL_FLAG as u32;
        // SAFETY: By the type invariant `inner` is live; the VFS hands the context to one
        // callback at a time, so nothing else reads or writes it during the call.
        unsafe {
            let fc = self.inner.get();
            (*fc).sb_flags_mask |= flag;
            if on {
                (*fc).sb_flags |= flag;
            } else {
                (*fc).sb_flags &= !flag;
            }
        }
    }

    /// The options parsed so far.
    ///
    /// # Safety
    ///
    /// `fs_private` must hold `KBox<T::Options>` (set by `init_fs_context`
    /// of `T`), and no mutable reference to it may exist during `'a`.
    unsafe fn options<'a, T: FileSystem>(&self) -> &'a T::Options {
        // SAFETY: By the safety contract `fs_private` came from `KBox::into_foreign`.
        unsafe { <KBox<T::Options>>::borrow((*self.inner.get()).fs_private) }
    }
}

/// Registration of a [`FileSystem`] with the VFS; unregistered on drop.
///
/// # Invariants
///
/// `fs` holds a `file_system_type` registered with `register_filesystem`
/// for as long as the registration lives; it is pinned because the VFS keeps
/// pointers to it, and the lockdep keys inside it must not move. Every
/// superblock of the type, and so every inode in `inode_cache`, is gone
/// before the registration is dropped (module unload waits for them).
#[pin_data(PinnedDrop)]
pub struct Registration<T: FileSystem> {
    inode_cache: inode::Cache<T>,
    #[pin]
    fs: Opaque<bindings::file_system_type>,
}

// SAFETY: `unregister_filesystem` may be called from any thread.
unsafe impl<T: FileSystem> Send for Registration<T> {}
// SAFETY: `&Registration` exposes nothing that is unsafe to share.
unsafe impl<T: FileSystem> Sync for Registration<T> {}

impl<T: FileSystem> Registration<T> {
    /// Creates the inode cache and registers the filesystem type `T`,
    /// owned by `module`.
    pub fn new(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            inode_cache: inode::Cache::new(T::NAME)?,
            fs <- Opaque::try_ffi_init(|slot: *mut bindings::file_system_type| {
                // SAFETY: The initialiser may write to `slot`, which is valid and pinned.
                unsafe {
                    slot.write(bindings::file_system_type {
                        owner: module.as_ptr(),
                        name: T::NAME.as_char_ptr(),
                        // CAST: FS_REQUIRES_DEV (1) fits in a C int.
                        fs_flags: bindings::FS_REQUIRES_DEV as c_int,
                        init_fs_context: Some(Tables::<T>::init_fs_context),
                        parameters: T::PARAMS.as_raw().cast(),
                        kill_sb: Some(Tables::<T>::kill_sb),
                        ..pin_init::zeroed()
                    })
                };
                // SAFETY: `slot` now holds a fully initialised file_system_type that stays
                // pinned until `PinnedDrop` unregisters it.
                // INVARIANT: On success the type is registered.
                to_result(unsafe { bindings::register_filesystem(slot) })
            }),
        })
    }

    /// The inode cache of the type whose `file_system_type` is `fs_type`.
    ///
    /// # Safety
    ///
    /// `fs_type` must be the `fs` field of a live `Registration<T>`.
    pub(crate) unsafe fn inode_cache(
        fs_type: *mut bindings::file_system_type,
    ) -> *mut bindings::kmem_cache {
        // SAFETY: Per the safety contract `fs_type` is inside a live `Registration<T>`.
        unsafe {
            let reg = kernel::container_of!(
                fs_type.cast::<Opaque<bindings::file_system_type>>(),
                Self,
                fs
            );
            (*reg).inode_cache.as_raw()
        }
    }
}

#[pinned_drop]
impl<T: FileSystem> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant the filesystem type is registered.
        unsafe { bindings::unregister_filesystem(self.fs.get()) };
    }
}

/// The C callbacks of a [`FileSystem`], one set per filesystem type.
struct Tables<T: FileSystem>(PhantomData<T>);

impl<T: FileSystem> Tables<T> {
    const CONTEXT_OPS: bindings::fs_context_operations = bindings::fs_context_operations {
        free: Some(Self::free),
        parse_param: Some(Self::parse_param),
        get_tree: Some(Self::get_tree),
        reconfigure: Some(Self::reconfigure),
        ..pin_init::zeroed()
    };

    /// `file_system_type::init_fs_context`: attaches default options and
    /// installs the context operations.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a valid, exclusively owned `fc`.
    unsafe extern "C" fn init_fs_context(fc: *mut kernel::bindings::fs_context) -> c_int {
        // The C prototype names the type kernel::bindings knows only as opaque.
        let fc = fc.cast::<bindings::fs_context>();
        from_result(|| {
            let opts = KBox::new(T::Options::default(), GFP_KERNEL)?;
            // SAFETY: `fc` is valid and exclusively ours per the safety contract; the ops
            // table is a constant promoted to static storage.
            unsafe {
                (*fc).fs_private = opts.into_foreign().cast::<c_void>();
                (*fc).ops = &Self::CONTEXT_OPS;
            }
            Ok(0)
        })
    }

    /// `fs_context_operations::free`: drops the options.
    ///
    /// # Safety
    ///
    /// Called by the VFS once, with a valid `fc` set up by `init_fs_context`.
    unsafe extern "C" fn free(fc: *mut bindings::fs_context) {
        // SAFETY: `fc` is valid; `fs_private` is null or came from `into_foreign` in
        // `init_fs_context` and is not used after this call.
        unsafe {
            let private = (*fc).fs_private;
            if !private.is_null() {
                drop(<KBox<T::Options>>::from_foreign(private));
                (*fc).fs_private = core::ptr::null_mut();
            }
        }
    }

    /// `fs_context_operations::parse_param`: one option, through fs_parse().
    ///
    /// # Safety
    ///
    /// Called by the VFS with a valid `fc` and `param`.
    unsafe extern "C" fn parse_param(
        fc: *mut bindings::fs_context,
        param: *mut bindings::fs_parameter,
    ) -> c_int {
        from_result(|| {
            // SAFETY: `fc` and `param` are valid for the call per the safety contract.
            let (opt, value) = unsafe { param::parse(fc, &T::PARAMS, param)? };
            // SAFETY: `fs_private` holds the options (set in `init_fs_context`), and the
            // VFS calls parse_param with the context exclusively held.
            let opts = unsafe { <KBox<T::Options>>::borrow_mut((*fc).fs_private) };
            T::parse_param(opts, opt, value)?;
            Ok(0)
        })
    }

    /// `fs_context_operations::get_tree`: mounts the block device.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a valid `fc`.
    unsafe extern "C" fn get_tree(fc: *mut bindings::fs_context) -> c_int {
        // SAFETY: `fc` is valid, and `fill_super` has the signature get_tree_bdev wants.
        unsafe { bindings::get_tree_bdev(fc, Some(Self::fill_super)) }
    }

    /// `fs_context_operations::reconfigure`: remount.
    ///
    /// # Safety
    ///
    /// Called by the VFS with a valid `fc` whose `root` is the mounted root.
    unsafe extern "C" fn reconfigure(fc: *mut bindings::fs_context) -> c_int {
        from_result(|| {
            // SAFETY: `fc` is valid, and for reconfiguration `root` is a live dentry of a
            // superblock of this type, held active by the VFS for the call.
            let (ctx, sb) = unsafe {
                (
                    FsContext::from_raw(fc),
                    SuperBlock::<T>::from_raw((*(*fc).root).d_sb),
                )
            };
            // SAFETY: `fs_private` holds `T::Options`; only this shared borrow exists.
            let opts = unsafe { ctx.options::<T>() };
            T::reconfigure(sb, opts, ctx.sb_flags(), ctx)?;
            Ok(0)
        })
    }

    /// `get_tree_bdev`'s fill_super: sets up a new superblock.
    ///
    /// # Safety
    ///
    /// Called by `get_tree_bdev` with a new, locked superblock and `fc`.
    unsafe extern "C" fn fill_super(
        sb: *mut bindings::super_block,
        fc: *mut bindings::fs_context,
    ) -> c_int {
        from_result(|| {
            // SAFETY: `sb` is a new superblock of this type, exclusively ours until this
            // returns; `fc` is valid and its options are only read here.
            let (new_sb, ctx) = unsafe {
                (
                    SuperBlock::<T, sb::New>::from_raw(sb),
                    FsContext::from_raw(fc),
                )
            };
            // SAFETY: As above: `fs_private` holds `T::Options`.
            let opts = unsafe { ctx.options::<T>() };
            new_sb.set_ops(T::SUPER_OPS);
            let data = KBox::new(T::fill_super(new_sb, opts, ctx)?, GFP_KERNEL)?;
            // SAFETY: `sb` is ours; `kill_sb` reclaims the data from `s_fs_info`.
            unsafe { (*sb).s_fs_info = data.into_foreign().cast::<c_void>() };
            // SAFETY: `s_fs_info` now holds `T::Data`, so `sb` is a ready superblock.
            let root = T::root(unsafe { SuperBlock::<T>::from_raw(sb) })?;
            // SAFETY: `d_make_root` takes over the inode reference (and drops it on
            // failure), so the `ARef` is consumed without a decrement.
            let dentry = unsafe { bindings::d_make_root(ARef::into_raw(root).as_ptr().cast()) };
            if dentry.is_null() {
                return Err(ENOMEM);
            }
            // SAFETY: `sb` is ours until we return.
            unsafe { (*sb).s_root = dentry };
            // SAFETY: As above, `sb` is ready.
            T::mounted(unsafe { SuperBlock::<T>::from_raw(sb) })?;
            Ok(0)
        })
    }

    /// `file_system_type::kill_sb`: tears the superblock down, then frees
    /// the per-superblock data, which evicting the inodes may still use.
    ///
    /// # Safety
    ///
    /// Called by the VFS once for each superblock of this type.
    unsafe extern "C" fn kill_sb(sb: *mut bindings::super_block) {
        // SAFETY: `sb` is valid; after `kill_block_super` no inode or operation of the
        // superblock remains, so `s_fs_info` (from `fill_super`, or null if it failed
        // early) can be reclaimed.
        unsafe {
            let data = (*sb).s_fs_info;
            bindings::kill_block_super(sb);
            if !data.is_null() {
                drop(<KBox<T::Data>>::from_foreign(data));
            }
        }
    }
}
