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
use crate::vfs::fs::FileSystem;
use crate::vfs::fs::FsContext;
use crate::vfs::inode::INode;
use crate::vfs::param;
use crate::vfs::sb;
use crate::vfs::sb::SuperBlock;
use crate::InodeInfo;
use kernel::prelude::*;
use kernel::sync::aref::ARef;

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

/// Mount options.
#[derive(Default)]
pub(crate) struct Options {
    /// `errors=`, if given; else the superblock's `s_errors` applies.
    errors: Option<Errors>,
}

/// Per-mount state.
pub(crate) struct SbInfo {
    /// The superblock as read at mount time.
    pub(crate) sb: Superblock,
    /// All group descriptors, checked at mount time.
    pub(crate) groups: KVec<GroupDesc>,
    /// What directory blocks are checked against.
    pub(crate) dir_format: DirFormat,
    /// What to do about corruption.
    pub(crate) errors: Errors,
}

const OPT_ERRORS: u8 = 0;

static ERRORS_VALUES: param::Constants<3> = param::Constants::new([
    param::Constant::new(c"continue", 0),
    param::Constant::new(c"remount-ro", 1),
    param::Constant::new(c"panic", 2),
]);

static PARAMS: param::Table<1> = param::Table::new([param::Spec::enumerated(
    c"errors",
    OPT_ERRORS,
    &ERRORS_VALUES,
)]);

/// The superblock operations.
struct SuperOps;

#[vtable]
impl sb::Operations for SuperOps {
    type FileSystem = Ext2Fs;

    fn statfs(sb: &SuperBlock<Ext2Fs>) -> Result<sb::Stat> {
        statfs(sb.data())
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
        if fc.sb_flags() & sb::SB_RDONLY == 0 {
            // The write path is not there yet: say so rather than fail later.
            fc.error(c"read-write mounts are not supported yet; mount with -o ro");
            return Err(EROFS);
        }
        let block_size = raw.block_size();
        if block_size != superblock::EXT2_MIN_BLOCK_SIZE && sb.set_blocksize(block_size).is_err() {
            fc.error(c"the device cannot use the filesystem's block size");
            return Err(EINVAL);
        }
        let groups = read_groups(sb, &raw, fc)?;
        let max_bytes = blockmap::max_size(raw.block_size_bits()).map_err(|_| EINVAL)?;
        sb.set_params(
            usize::from(superblock::EXT2_SUPER_MAGIC),
            i64::try_from(max_bytes)?,
            i64::from(i32::MIN),
            i64::from(i32::MAX),
        );
        Ok(SbInfo {
            dir_format: DirFormat::new(&raw),
            errors: opts
                .errors
                .unwrap_or_else(|| errors_from_disk(raw.s_errors)),
            sb: raw,
            groups,
        })
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
        _opts: &Options,
        new_flags: u32,
        fc: &FsContext,
    ) -> Result {
        if new_flags & sb::SB_RDONLY == 0 && sb.rdonly() {
            fc.error(c"read-write mounts are not supported yet");
            return Err(EROFS);
        }
        Ok(())
    }
}

/// The default `errors=` behaviour recorded by mke2fs/tune2fs.
fn errors_from_disk(s_errors: u16) -> Errors {
    match s_errors {
        superblock::EXT2_ERRORS_RO => Errors::RemountRo,
        superblock::EXT2_ERRORS_PANIC => Errors::Panic,
        _ => Errors::Continue,
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
) -> Result<KVec<GroupDesc>> {
    let count = raw.groups_count();
    let per_block = raw.desc_per_block();
    let mut groups = KVec::with_capacity(usize::try_from(count)?, GFP_KERNEL)?;
    for nr in 0..raw.gdb_count() {
        let bh = sb.bread(raw.descriptor_loc(nr))?;
        group::check_descriptors(raw, nr, bh.data()).map_err(|e| refuse(sb, fc, e))?;
        let first = nr * per_block;
        for index in 0..per_block.min(count - first) {
            let desc = GroupDesc::from_block(bh.data(), index).map_err(|e| refuse(sb, fc, e))?;
            groups.push(desc, GFP_KERNEL)?;
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
