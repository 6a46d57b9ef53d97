// SPDX-License-Identifier: GPL-2.0

//! Mounting: the superblock and group descriptors, checked as
//! fs/ext2/super.c checks them, mount options, statfs and remount.

use crate::format::blockmap;
use crate::format::dir::DirFormat;
use crate::format::group;
use crate::format::group::GroupDesc;
use crate::format::inode::EXT2_ROOT_INO;
use crate::format::superblock;
use crate::format::superblock::FeatureBits;
use crate::format::superblock::FeatureKind;
use crate::format::superblock::Superblock;
use crate::format::superblock::SUPERBLOCK_OFFSET;
use crate::format::superblock::SUPERBLOCK_SIZE;
use crate::inode;
use crate::rsv::Windows;
use crate::vfs::fs::FileSystem;
use crate::vfs::fs::FsContext;
use crate::vfs::inode::INode;
use crate::vfs::param;
use crate::vfs::sb;
use crate::vfs::sb::SuperBlock;
use crate::InodeInfo;
use core::sync::atomic::AtomicBool;
use core::sync::atomic::AtomicU32;
use core::sync::atomic::AtomicU64;
use core::sync::atomic::AtomicU8;
use core::sync::atomic::Ordering;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::lock::mutex::MutexBackend;
use kernel::sync::lock::Guard;
use kernel::sync::Mutex;

/// The ext2rs filesystem type.
pub(crate) struct Ext2Fs;

/// What to do when corruption is found at run time (`errors=`).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Errors {
    /// Report and carry on (the default, as ext2's).
    #[default]
    Continue,
    /// Report and make the filesystem read-only.
    RemountRo,
    /// Report and panic.
    Panic,
}

impl Errors {
    /// The value [`SbInfo`] keeps.
    const fn to_u8(self) -> u8 {
        match self {
            Self::Continue => 0,
            Self::RemountRo => 1,
            Self::Panic => 2,
        }
    }

    /// The policy [`Errors::to_u8`] gave `v`.
    const fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::RemountRo,
            2 => Self::Panic,
            _ => Self::Continue,
        }
    }
}

/// Mount options: each is `None` unless given. At mount the defaults
/// apply to the others, ext2's with CONFIG_EXT2_FS_XATTR and _POSIX_ACL
/// (`errors=`, `user_xattr` and `acl` from the superblock: `s_errors`,
/// `s_default_mount_opts`); at remount they keep their values, as in
/// ext2, whose remount context starts from the mounted options.
#[derive(Default)]
pub(crate) struct Options {
    /// `errors=`; by default the superblock's `s_errors`.
    errors: Option<Errors>,
    /// `user_xattr` / `nouser_xattr`; by default as `s_default_mount_opts`
    /// says (`mke2fs` sets `user_xattr` there).
    user_xattr: Option<bool>,
    /// `acl` / `noacl`; by default as `s_default_mount_opts` says (`mke2fs`
    /// sets `acl` there).
    acl: Option<bool>,
    /// `reservation` (the default) / `noreservation`.
    reservation: Option<bool>,
    /// `resuid=`: the user who may use the reserved blocks; by default the
    /// superblock's `s_def_resuid`.
    resuid: Option<u32>,
    /// `resgid=`: the group that may; by default `s_def_resgid`.
    resgid: Option<u32>,
}

/// Per-mount state.
///
/// Locking: each group descriptor has its own mutex (the "per-group bitmap
/// lock" of the lock order in Documentation/design.md), held while the
/// group's bitmaps and counters change; only the reservation-window list
/// (`windows`) nests inside it (bitmaps change without their buffer lock).
/// `state` guards the superblock fields that change while mounted and is
/// never held with a group lock.
pub(crate) struct SbInfo {
    /// The superblock as read at mount time: its geometry never changes;
    /// the fields that do live in `state`.
    pub(crate) sb: Superblock,
    /// All group descriptors, checked at mount time.
    pub(crate) groups: KVec<Pin<KBox<Mutex<GroupDesc>>>>,
    /// Per group, whether its descriptor changed since it was last written
    /// into its block ([`crate::balloc::mark_group_dirty`]).
    pub(crate) desc_dirty: KVec<AtomicBool>,
    /// Per group, the blocks of its block and inode bitmaps: fixed while
    /// mounted (ext2rs does not resize), so they are read without the
    /// group's lock.
    bitmaps: KVec<(u32, u32)>,
    /// What directory blocks are checked against.
    pub(crate) dir_format: DirFormat,
    /// The mount options a remount may change.
    opts: MountOpts,
    /// The superblock fields changed while mounted (counters, state,
    /// features), written back by [`commit_super`].
    pub(crate) state: Pin<KBox<Mutex<Superblock>>>,
    /// Free blocks over all groups, kept with the group counters so the
    /// reserved-blocks check does not sum every group.
    pub(crate) free_blocks: AtomicU64,
    /// The reservation windows of the files being written.
    pub(crate) windows: Pin<KBox<Mutex<Windows>>>,
}

/// The mount options in effect. Set at mount, changed only by remount
/// (under `s_umount`, which the VFS holds for writing); read without a
/// lock, as ext2 reads `s_mount_opt`, each on its own: an operation that
/// runs across a remount sees the old value or the new one.
struct MountOpts {
    /// `errors=`, as [`Errors::to_u8`].
    errors: AtomicU8,
    /// `user_xattr`.
    user_xattr: AtomicBool,
    /// `reservation`.
    reservation: AtomicBool,
    /// `resuid=`, a kernel uid (`kuid_t`, the initial namespace's uid).
    resuid: AtomicU32,
    /// `resgid=`, a kernel gid.
    resgid: AtomicU32,
}

impl MountOpts {
    /// Takes the options given in `opts`; leaves the others.
    fn apply(&self, opts: &Options) {
        if let Some(errors) = opts.errors {
            self.errors.store(errors.to_u8(), Ordering::Relaxed);
        }
        if let Some(on) = opts.user_xattr {
            self.user_xattr.store(on, Ordering::Relaxed);
        }
        if let Some(on) = opts.reservation {
            self.reservation.store(on, Ordering::Relaxed);
        }
        if let Some(uid) = opts.resuid {
            self.resuid.store(uid, Ordering::Relaxed);
        }
        if let Some(gid) = opts.resgid {
            self.resgid.store(gid, Ordering::Relaxed);
        }
    }
}

impl SbInfo {
    /// What to do about corruption (`errors=`).
    pub(crate) fn errors(&self) -> Errors {
        Errors::from_u8(self.opts.errors.load(Ordering::Relaxed))
    }

    /// Whether `user.` attributes may be used (`user_xattr`).
    pub(crate) fn user_xattr(&self) -> bool {
        self.opts.user_xattr.load(Ordering::Relaxed)
    }

    /// Whether regular files allocate through reservation windows
    /// (`reservation`, the default, / `noreservation`).
    pub(crate) fn reservation(&self) -> bool {
        self.opts.reservation.load(Ordering::Relaxed)
    }

    /// The user and group who may use the blocks reserved for root
    /// (`resuid=`, `resgid=`), as kernel ids.
    pub(crate) fn reserve_owners(&self) -> (u32, u32) {
        (
            self.opts.resuid.load(Ordering::Relaxed),
            self.opts.resgid.load(Ordering::Relaxed),
        )
    }

    /// The descriptor of group `group`, locked.
    pub(crate) fn lock_group(&self, group: u32) -> Result<Guard<'_, GroupDesc, MutexBackend>> {
        let g = self.groups.get(usize::try_from(group)?).ok_or(EINVAL)?;
        Ok(g.lock())
    }

    /// The block of group `group`'s block bitmap.
    pub(crate) fn block_bitmap(&self, group: u32) -> Result<u64> {
        Ok(u64::from(self.bitmaps_of(group)?.0))
    }

    /// The block of group `group`'s inode bitmap.
    pub(crate) fn inode_bitmap(&self, group: u32) -> Result<u64> {
        Ok(u64::from(self.bitmaps_of(group)?.1))
    }

    /// Group `group`'s bitmap blocks: (block bitmap, inode bitmap).
    fn bitmaps_of(&self, group: u32) -> Result<(u32, u32)> {
        let g = self.bitmaps.get(usize::try_from(group)?).ok_or(EINVAL)?;
        Ok(*g)
    }
}

const OPT_ERRORS: u8 = 0;
const OPT_USER_XATTR: u8 = 1;
const OPT_ACL: u8 = 2;
const OPT_NOQUOTA: u8 = 3;
const OPT_RESERVATION: u8 = 4;
const OPT_NORESERVATION: u8 = 5;
const OPT_RESUID: u8 = 6;
const OPT_RESGID: u8 = 7;

static ERRORS_VALUES: param::Constants<3> = param::Constants::new([
    param::Constant::new(c"continue", 0),
    param::Constant::new(c"remount-ro", 1),
    param::Constant::new(c"panic", 2),
]);

// ext2's quota options other than `noquota` are refused ("Unknown
// parameter"): ext2rs keeps no quota, and accepting `usrquota` would
// promise limits nobody enforces. `noquota` asks for what it has.
static PARAMS: param::Table<8> = param::Table::new([
    param::Spec::enumerated(c"errors", OPT_ERRORS, &ERRORS_VALUES),
    param::Spec::flag_no(c"user_xattr", OPT_USER_XATTR),
    param::Spec::flag_no(c"acl", OPT_ACL),
    param::Spec::flag(c"noquota", OPT_NOQUOTA),
    // Two flags, as ext2 has them: `noreservation` is not the negation of
    // a `fsparam_flag_no`.
    param::Spec::flag(c"reservation", OPT_RESERVATION),
    param::Spec::flag(c"noreservation", OPT_NORESERVATION),
    param::Spec::uid(c"resuid", OPT_RESUID),
    param::Spec::gid(c"resgid", OPT_RESGID),
]);

/// The superblock operations.
struct SuperOps;

#[vtable]
impl sb::Operations for SuperOps {
    type FileSystem = Ext2Fs;

    fn statfs(sb: &SuperBlock<Ext2Fs>) -> Result<sb::Stat> {
        statfs(sb.data())
    }

    fn write_inode(inode: &INode<Ext2Fs>, sync: bool) -> Result {
        inode::write_inode(inode, sync)
    }

    fn evict_inode(inode: &INode<Ext2Fs>) {
        inode::evict_inode(inode);
    }

    fn sync_fs(sb: &SuperBlock<Ext2Fs>, wait: bool) -> Result {
        if sb.rdonly() {
            return Ok(());
        }
        commit_super(sb, MountState::Keep, wait)
    }

    /// `ext2_freeze`: a frozen filesystem is marked clean on disk, so that
    /// a snapshot of it needs no fsck, unless unlinked files are still
    /// open (their inodes are deleted only at the last close).
    fn freeze_fs(sb: &SuperBlock<Ext2Fs>) -> Result {
        let state = if sb.has_pending_removals() {
            MountState::Keep
        } else {
            MountState::Clean
        };
        commit_super(sb, state, true)
    }

    /// `ext2_show_options`, for the options ext2rs has: the same text ext2
    /// writes for the same mount.
    fn show_options(sb: &SuperBlock<Ext2Fs>, m: &sb::SeqFile) -> Result {
        show_options(sb, m);
        Ok(())
    }

    /// `ext2_unfreeze`: writable again, so not clean if we crash.
    fn unfreeze_fs(sb: &SuperBlock<Ext2Fs>) -> Result {
        commit_super(sb, MountState::Dirty, true)
    }

    fn put_super(sb: &SuperBlock<Ext2Fs>) {
        let written = if sb.rdonly() {
            // Read-only by now, perhaps forced by an error: the descriptors
            // changed before still go out, as ext2's dirty buffers do. A
            // read-only mount has none.
            crate::balloc::write_group_descs(sb, true)
        } else {
            commit_super(sb, MountState::Clean, true)
        };
        if let Err(e) = written {
            pr_err!(
                "ext2rs ({}): writing the group descriptors or superblock at unmount failed: error {}\n",
                sb.id(),
                e.to_errno()
            );
        }
    }
}

impl FileSystem for Ext2Fs {
    type Data = SbInfo;
    type INodeData = InodeInfo;
    type Options = Options;

    const NAME: &'static CStr = c"ext2rs";
    const PARAMS: param::TableRef = PARAMS.as_ref();
    const SUPER_OPS: &'static sb::Ops<Self> = &sb::Ops::new::<SuperOps>();

    fn parse_param(opts: &mut Options, opt: u8, value: param::Value) -> Result {
        match (opt, value) {
            (OPT_ERRORS, param::Value::Enum(0)) => opts.errors = Some(Errors::Continue),
            (OPT_ERRORS, param::Value::Enum(1)) => opts.errors = Some(Errors::RemountRo),
            (OPT_ERRORS, param::Value::Enum(2)) => opts.errors = Some(Errors::Panic),
            (OPT_USER_XATTR, param::Value::Flag(negated)) => opts.user_xattr = Some(!negated),
            (OPT_ACL, param::Value::Flag(negated)) => opts.acl = Some(!negated),
            (OPT_NOQUOTA, param::Value::Flag(_)) => {}
            (OPT_RESERVATION, param::Value::Flag(_)) => opts.reservation = Some(true),
            (OPT_NORESERVATION, param::Value::Flag(_)) => opts.reservation = Some(false),
            (OPT_RESUID, param::Value::Id(uid)) => opts.resuid = Some(uid),
            (OPT_RESGID, param::Value::Id(gid)) => opts.resgid = Some(gid),
            _ => return Err(EINVAL),
        }
        Ok(())
    }

    fn fill_super(
        sb: &SuperBlock<Self, sb::New>,
        opts: &Options,
        fc: &FsContext,
    ) -> Result<SbInfo> {
        let raw = read_super(sb, fc)?;
        check_features(&raw, fc)?;
        let block_size = raw.block_size();
        if block_size != superblock::EXT2_MIN_BLOCK_SIZE && sb.set_blocksize(block_size).is_err() {
            fc.error(c"the device cannot use the filesystem's block size");
            return Err(EINVAL);
        }
        let groups = read_groups(sb, &raw, fc)?;
        sb.set_xattr(&crate::xattr::HANDLERS);
        sb.set_export_ops(crate::export::EXPORT_OPS);
        // With ACLs the umask is ours to apply (posix_acl_create).
        let defaults = raw.s_default_mount_opts;
        if opts
            .acl
            .unwrap_or(defaults & superblock::EXT2_DEFM_ACL != 0)
        {
            sb.set_posix_acl();
        }
        let max_bytes = blockmap::max_size(raw.block_size_bits()).map_err(|_| EINVAL)?;
        sb.set_params(
            usize::from(superblock::EXT2_SUPER_MAGIC),
            i64::try_from(max_bytes)?,
            i64::from(i32::MIN),
            i64::from(i32::MAX),
        );
        let mut free_blocks = 0u64;
        let mut desc_dirty = KVec::with_capacity(groups.len(), GFP_KERNEL)?;
        let mut bitmaps = KVec::with_capacity(groups.len(), GFP_KERNEL)?;
        for g in groups.iter() {
            let desc = g.lock();
            free_blocks += u64::from(desc.bg_free_blocks_count);
            desc_dirty.push(AtomicBool::new(false), GFP_KERNEL)?;
            bitmaps.push((desc.bg_block_bitmap, desc.bg_inode_bitmap), GFP_KERNEL)?;
        }
        Ok(SbInfo {
            dir_format: DirFormat::new(&raw),
            opts: MountOpts {
                errors: AtomicU8::new(
                    opts.errors
                        .unwrap_or_else(|| errors_from_disk(raw.s_errors))
                        .to_u8(),
                ),
                user_xattr: AtomicBool::new(
                    opts.user_xattr
                        .unwrap_or(defaults & superblock::EXT2_DEFM_XATTR_USER != 0),
                ),
                reservation: AtomicBool::new(opts.reservation.unwrap_or(true)),
                resuid: AtomicU32::new(opts.resuid.unwrap_or(raw.s_def_resuid.into())),
                resgid: AtomicU32::new(opts.resgid.unwrap_or(raw.s_def_resgid.into())),
            },
            state: KBox::pin_init(new_mutex!(raw), GFP_KERNEL)?,
            free_blocks: AtomicU64::new(free_blocks),
            windows: KBox::pin_init(new_mutex!(Windows::new()), GFP_KERNEL)?,
            sb: raw,
            groups,
            desc_dirty,
            bitmaps,
        })
    }

    fn mounted(sb: &SuperBlock<Self>) -> Result {
        if !sb.rdonly() {
            setup_super(sb)?;
        }
        Ok(())
    }

    fn root(sb: &SuperBlock<Self>) -> Result<ARef<INode<Self>>> {
        let root = inode::iget(sb, EXT2_ROOT_INO)?;
        if !crate::format::inode::s_isdir(root.mode()) {
            pr_err!("ext2rs ({}): the root inode is not a directory\n", sb.id());
            return Err(crate::vfs::errno::efscorrupted());
        }
        Ok(root)
    }

    fn reconfigure(
        sb: &SuperBlock<Self>,
        opts: &Options,
        new_flags: u32,
        fc: &FsContext,
    ) -> Result {
        // The VFS does not sync before asking (ext2_reconfigure does it
        // too): going read-only without it would leave dirty inodes and
        // buffers that nothing writes any more, since unmounting a
        // read-only filesystem syncs nothing (xfstests generic/294, 306).
        // On a read-only filesystem it returns at once.
        sb.sync_filesystem()?;
        let to_rdonly = new_flags & sb::SB_RDONLY != 0;
        match (sb.rdonly(), to_rdonly) {
            (true, false) => {
                check_features(&sb.data().sb, fc)?;
                setup_super(sb)?;
            }
            (false, true) => commit_super(sb, MountState::Clean, true)?,
            _ => {}
        }
        // Only once the remount cannot fail any more, as ext2 does.
        sb.data().opts.apply(opts);
        if let Some(acl) = opts.acl {
            fc.set_posix_acl(acl);
        }
        Ok(())
    }
}

/// What [`commit_super`] records in `s_state`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum MountState {
    /// Mounted read-write: not cleanly unmounted if we crash.
    Dirty,
    /// Unmounted or read-only again: as clean as it was at mount.
    Clean,
    /// Leave the state as it is.
    Keep,
}

/// Starts a read-write mount, as ext2_setup_super: counts the mount and
/// marks the filesystem not clean until unmount.
fn setup_super(sb: &SuperBlock<Ext2Fs>) -> Result {
    {
        let st = sb.data().state.lock();
        if st.s_state & superblock::EXT2_VALID_FS == 0 {
            pr_warn!(
                "ext2rs ({}): warning: mounting unchecked fs, running e2fsck is recommended\n",
                sb.id()
            );
        } else if st.s_state & superblock::EXT2_ERROR_FS != 0 {
            pr_warn!(
                "ext2rs ({}): warning: mounting fs with errors, running e2fsck is recommended\n",
                sb.id()
            );
        }
    }
    {
        let mut st = sb.data().state.lock();
        st.s_mnt_count = st.s_mnt_count.wrapping_add(1);
        st.s_mtime = now_u32();
    }
    commit_super(sb, MountState::Dirty, true)
}

/// The current time as an on-disk 32-bit timestamp.
pub(crate) fn now_u32() -> u32 {
    // CAST: ext2 stores the low 32 bits of the seconds, as it does.
    crate::vfs::time::real_seconds() as u32
}

/// Writes the group descriptors that changed, then the superblock fields
/// that change while mounted: free counts summed from the groups, write
/// time, mount state and features (`ext2_sync_super`); with `sync`, waits
/// for the writes.
pub(crate) fn commit_super(sb: &SuperBlock<Ext2Fs>, mount: MountState, sync: bool) -> Result {
    let sbi = sb.data();
    crate::balloc::write_group_descs(sb, sync)?;
    let (mut free_blocks, mut free_inodes) = (0u32, 0u32);
    for g in sbi.groups.iter() {
        let desc = g.lock();
        free_blocks = free_blocks.saturating_add(u32::from(desc.bg_free_blocks_count));
        free_inodes = free_inodes.saturating_add(u32::from(desc.bg_free_inodes_count));
    }
    write_super(sb, sync, |st| {
        st.s_free_blocks_count = free_blocks;
        st.s_free_inodes_count = free_inodes;
        st.s_wtime = now_u32();
        match mount {
            MountState::Dirty => st.s_state &= !superblock::EXT2_VALID_FS,
            MountState::Clean => st.s_state |= sbi.sb.s_state & superblock::EXT2_VALID_FS,
            MountState::Keep => {}
        }
    })
}

/// Records in the superblock that the filesystem has errors
/// (`EXT2_ERROR_FS`), as ext2_error does. Only the state is changed: this
/// runs from error paths that may hold group locks, so the counters are
/// left as last committed.
pub(crate) fn mark_error(sb: &SuperBlock<Ext2Fs>) {
    if sb.rdonly() {
        return;
    }
    // Best effort: the caller reports the error itself.
    let _ = write_super(sb, true, |st| st.s_state |= superblock::EXT2_ERROR_FS);
}

/// Applies `update` to the mounted superblock state and writes its
/// changing fields into the superblock's buffer, under the state mutex
/// (never taken with a group lock held); with `sync`, waits for the write.
fn write_super(
    sb: &SuperBlock<Ext2Fs>,
    sync: bool,
    update: impl FnOnce(&mut Superblock),
) -> Result {
    let bits = sb.block_size_bits();
    let bh = sb.bread(SUPERBLOCK_OFFSET >> bits)?;
    // CAST: the remainder is below the block size.
    let offset = (SUPERBLOCK_OFFSET & ((1 << bits) - 1)) as usize;
    {
        let mut st = sb.data().state.lock();
        update(&mut st);
        let mut locked = bh.lock();
        let bytes = locked.data_mut().get_mut(offset..).ok_or(EINVAL)?;
        st.write_mutable(bytes).map_err(|_| EINVAL)?;
    }
    bh.mark_dirty();
    if sync {
        bh.sync()?;
    }
    Ok(())
}

/// Writes the mount's options as ext2 does (`ext2_show_options`): ids
/// that are not root's or not the superblock's, the `errors=` policy
/// (`remount-ro` only when the superblock says otherwise), the extended
/// attribute and ACL switches, and `noreservation`.
fn show_options(sb: &SuperBlock<Ext2Fs>, m: &sb::SeqFile) {
    let sbi = sb.data();
    let (resuid, resgid) = sbi.reserve_owners();
    if resuid != 0 || sbi.sb.s_def_resuid != 0 {
        kernel::seq_print!(m, ",resuid={resuid}");
    }
    if resgid != 0 || sbi.sb.s_def_resgid != 0 {
        kernel::seq_print!(m, ",resgid={resgid}");
    }
    match sbi.errors() {
        Errors::RemountRo => {
            if matches!(
                sbi.sb.s_errors,
                superblock::EXT2_ERRORS_PANIC | superblock::EXT2_ERRORS_CONTINUE
            ) {
                kernel::seq_print!(m, ",errors=remount-ro");
            }
        }
        Errors::Continue => kernel::seq_print!(m, ",errors=continue"),
        Errors::Panic => kernel::seq_print!(m, ",errors=panic"),
    }
    let defaults = sbi.sb.s_default_mount_opts;
    if sbi.user_xattr() {
        kernel::seq_print!(m, ",user_xattr");
    } else if defaults & superblock::EXT2_DEFM_XATTR_USER != 0 {
        kernel::seq_print!(m, ",nouser_xattr");
    }
    if sb.posix_acl() {
        kernel::seq_print!(m, ",acl");
    } else if defaults & superblock::EXT2_DEFM_ACL != 0 {
        kernel::seq_print!(m, ",noacl");
    }
    if !sbi.reservation() {
        kernel::seq_print!(m, ",noreservation");
    }
}

/// The `errors=` policy of a mount that gives none: the superblock's
/// `s_errors`; any value but "continue" and "panic" means remount-ro, as
/// in ext2_fill_super.
fn errors_from_disk(s_errors: u16) -> Errors {
    match s_errors {
        superblock::EXT2_ERRORS_CONTINUE => Errors::Continue,
        superblock::EXT2_ERRORS_PANIC => Errors::Panic,
        _ => Errors::RemountRo,
    }
}

/// Reads the superblock at byte 1024 and checks it against the device.
fn read_super(sb: &SuperBlock<Ext2Fs, sb::New>, fc: &FsContext) -> Result<Superblock> {
    let Ok(min) = sb.min_blocksize(superblock::EXT2_MIN_BLOCK_SIZE) else {
        fc.error(c"unable to set the block size");
        return Err(EINVAL);
    };
    let min = u64::from(min);
    let bh = sb.bread(SUPERBLOCK_OFFSET / min)?;
    // CAST: the remainder is below the block size (at most PAGE_SIZE).
    let offset = (SUPERBLOCK_OFFSET % min) as usize;
    let bytes = bh
        .data()
        .get(offset..offset + SUPERBLOCK_SIZE)
        .ok_or(EINVAL)?;
    let raw = Superblock::parse(bytes).map_err(|e| refuse(sb, fc, e))?;
    raw.validate(sb.device_bytes(), crate::PAGE_SIZE_U32)
        .map_err(|e| refuse(sb, fc, e))?;
    Ok(raw)
}

/// Refuses the mount for a bad superblock: one line naming the device and
/// what is wrong.
fn refuse(
    sb: &SuperBlock<Ext2Fs, sb::New>,
    fc: &FsContext,
    e: crate::format::FormatError,
) -> Error {
    pr_err!(
        "ext2rs ({}): mount refused: {}\n",
        sb.id(),
        format_args!("{e}")
    );
    fc.error(c"invalid or unsupported superblock (see the kernel log)");
    EINVAL
}

/// Refuses unsupported incompatible features, and writes when unknown
/// read-only-compatible features are present, naming them.
fn check_features(raw: &Superblock, fc: &FsContext) -> Result {
    let incompat = raw.unsupported_incompat();
    if incompat != 0 {
        for (_, name) in FeatureBits::new(FeatureKind::Incompat, incompat) {
            pr_err!("ext2rs: mount refused: unsupported feature '{}'\n", name);
        }
        fc.error(c"unsupported incompatible features (see the kernel log)");
        return Err(EINVAL);
    }
    let ro_compat = raw.unsupported_ro_compat();
    if ro_compat != 0 && fc.sb_flags() & sb::SB_RDONLY == 0 {
        for (_, name) in FeatureBits::new(FeatureKind::RoCompat, ro_compat) {
            pr_err!(
                "ext2rs: read-only mount only: unsupported feature '{}'\n",
                name
            );
        }
        fc.error(c"unsupported read-only-compatible features: mount read-only");
        return Err(EROFS);
    }
    Ok(())
}

/// Reads and checks every group descriptor block (`ext2_check_descriptors`).
fn read_groups(
    sb: &SuperBlock<Ext2Fs, sb::New>,
    raw: &Superblock,
    fc: &FsContext,
) -> Result<KVec<Pin<KBox<Mutex<GroupDesc>>>>> {
    let count = raw.groups_count();
    let per_block = raw.desc_per_block();
    let mut groups = KVec::with_capacity(usize::try_from(count)?, GFP_KERNEL)?;
    for nr in 0..raw.gdb_count() {
        let bh = sb.bread(raw.descriptor_loc(nr))?;
        group::check_descriptors(raw, nr, bh.data()).map_err(|e| refuse(sb, fc, e))?;
        let first = nr * per_block;
        for index in 0..per_block.min(count - first) {
            let desc = GroupDesc::from_block(bh.data(), index).map_err(|e| refuse(sb, fc, e))?;
            groups.push(KBox::pin_init(new_mutex!(desc), GFP_KERNEL)?, GFP_KERNEL)?;
        }
    }
    Ok(groups)
}

/// statfs as ext2_statfs with the default `bsddf`: metadata overhead is
/// not counted as filesystem blocks.
fn statfs(sbi: &SbInfo) -> Result<sb::Stat> {
    let raw = &sbi.sb;
    let mut overhead = u64::from(raw.s_first_data_block);
    let mut bfree: u64 = 0;
    let mut ffree: u64 = 0;
    for (g, desc) in (0u32..).zip(sbi.groups.iter()) {
        let desc = desc.lock();
        overhead += u64::from(raw.group_has_super(g)) + u64::from(raw.bg_num_gdb(g));
        bfree += u64::from(desc.bg_free_blocks_count);
        ffree += u64::from(desc.bg_free_inodes_count);
    }
    overhead += u64::from(raw.groups_count()) * (2 + u64::from(raw.itb_per_group()));
    let reserved = u64::from(raw.s_r_blocks_count);
    let uuid = &raw.s_uuid;
    let lo = u64::from_le_bytes([
        uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5], uuid[6], uuid[7],
    ]);
    let hi = u64::from_le_bytes([
        uuid[8], uuid[9], uuid[10], uuid[11], uuid[12], uuid[13], uuid[14], uuid[15],
    ]);
    Ok(sb::Stat {
        magic: u64::from(superblock::EXT2_SUPER_MAGIC),
        block_size: raw.block_size(),
        blocks: u64::from(raw.s_blocks_count).saturating_sub(overhead),
        bfree,
        bavail: bfree.saturating_sub(reserved),
        files: u64::from(raw.s_inodes_count),
        ffree,
        fsid: lo ^ hi,
        namelen: 255,
    })
}
