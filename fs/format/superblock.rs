// SPDX-License-Identifier: GPL-2.0

//! The ext2 superblock: decoding, mount-time checks and group geometry.
//!
//! The checks mirror `ext2_fill_super()` in fs/ext2/super.c, plus the few
//! that ext4 and e2fsck make and ext2 forgot (first data block, free counts,
//! first inode). Geometry helpers are total functions: on a superblock that
//! failed [`Superblock::validate`] they return meaningless but harmless
//! values (often 0) rather than overflowing.

use super::error::{FormatError, Result};
use super::le::{bytes_at, le16, le32, prefix, prefix_mut, put_le16, put_le32, u8_at};

/// Byte offset of the primary superblock on the device.
pub const SUPERBLOCK_OFFSET: u64 = 1024;
/// Size of the on-disk superblock.
pub const SUPERBLOCK_SIZE: usize = 1024;
/// `s_magic`.
pub const EXT2_SUPER_MAGIC: u16 = 0xEF53;
/// Offset of `s_magic` in the superblock.
pub const EXT2_SB_MAGIC_OFFSET: usize = 0x38;

/// The good old (original) format.
pub const EXT2_GOOD_OLD_REV: u32 = 0;
/// V2 format with dynamic inode sizes.
pub const EXT2_DYNAMIC_REV: u32 = 1;
/// Inode size of revision 0 file systems.
pub const EXT2_GOOD_OLD_INODE_SIZE: u16 = 128;
/// First non-reserved inode of revision 0 file systems.
pub const EXT2_GOOD_OLD_FIRST_INO: u32 = 11;

/// Smallest block size.
pub const EXT2_MIN_BLOCK_SIZE: u32 = 1024;
/// Largest block size the format allows.
pub const EXT2_MAX_BLOCK_SIZE: u32 = 65536;
/// log2 of [`EXT2_MIN_BLOCK_SIZE`].
pub const EXT2_MIN_BLOCK_LOG_SIZE: u32 = 10;
/// log2 of [`EXT2_MAX_BLOCK_SIZE`].
pub const EXT2_MAX_BLOCK_LOG_SIZE: u32 = 16;
/// Largest block size this driver mounts (the module's pages are 4 KiB).
pub const EXT2RS_MAX_BLOCK_SIZE: u32 = 4096;

/// Unmounted cleanly.
pub const EXT2_VALID_FS: u16 = 0x0001;
/// Errors detected.
pub const EXT2_ERROR_FS: u16 = 0x0002;
/// `s_errors`: continue execution.
pub const EXT2_ERRORS_CONTINUE: u16 = 1;
/// `s_errors`: remount read-only.
pub const EXT2_ERRORS_RO: u16 = 2;
/// `s_errors`: panic.
pub const EXT2_ERRORS_PANIC: u16 = 3;
/// `s_default_mount_opts`: `user_xattr` by default (`tune2fs -o`).
pub const EXT2_DEFM_XATTR_USER: u32 = 0x0004;
/// `s_default_mount_opts`: `acl` by default.
pub const EXT2_DEFM_ACL: u32 = 0x0008;
/// Default maximal mount count between checks.
pub const EXT2_DFL_MAX_MNT_COUNT: u16 = 20;

/// Size of an on-disk group descriptor.
pub const EXT2_DESC_SIZE: u32 = 32;

/// Directory preallocation.
pub const EXT2_FEATURE_COMPAT_DIR_PREALLOC: u32 = 0x0001;
/// AFS magic inodes.
pub const EXT2_FEATURE_COMPAT_IMAGIC_INODES: u32 = 0x0002;
/// ext3 journal (ignored by ext2, fine when no recovery is needed).
pub const EXT3_FEATURE_COMPAT_HAS_JOURNAL: u32 = 0x0004;
/// Extended attribute blocks.
pub const EXT2_FEATURE_COMPAT_EXT_ATTR: u32 = 0x0008;
/// Resize inode reserving GDT blocks.
pub const EXT2_FEATURE_COMPAT_RESIZE_INO: u32 = 0x0010;
/// Hashed directory index (ext2 clears EXT2_INDEX_FL when it writes a dir).
pub const EXT2_FEATURE_COMPAT_DIR_INDEX: u32 = 0x0020;
/// Lazy block group initialisation.
pub const EXT2_FEATURE_COMPAT_LAZY_BG: u32 = 0x0040;
/// Snapshot exclude bitmap.
pub const EXT2_FEATURE_COMPAT_EXCLUDE_BITMAP: u32 = 0x0100;
/// Only two superblock backups.
pub const EXT4_FEATURE_COMPAT_SPARSE_SUPER2: u32 = 0x0200;
/// ext4 fast commits.
pub const EXT4_FEATURE_COMPAT_FAST_COMMIT: u32 = 0x0400;
/// Inode numbers never change.
pub const EXT4_FEATURE_COMPAT_STABLE_INODES: u32 = 0x0800;
/// Orphan file.
pub const EXT4_FEATURE_COMPAT_ORPHAN_FILE: u32 = 0x1000;

/// Superblock backups only in groups 0, 1 and powers of 3, 5, 7.
pub const EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER: u32 = 0x0001;
/// Files larger than 2 GiB exist.
pub const EXT2_FEATURE_RO_COMPAT_LARGE_FILE: u32 = 0x0002;
/// Never used B-tree directories.
pub const EXT2_FEATURE_RO_COMPAT_BTREE_DIR: u32 = 0x0004;
/// `i_blocks` in file system blocks.
pub const EXT4_FEATURE_RO_COMPAT_HUGE_FILE: u32 = 0x0008;
/// Group descriptor checksums.
pub const EXT4_FEATURE_RO_COMPAT_GDT_CSUM: u32 = 0x0010;
/// More than 65000 subdirectories.
pub const EXT4_FEATURE_RO_COMPAT_DIR_NLINK: u32 = 0x0020;
/// Large inodes with extra fields.
pub const EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE: u32 = 0x0040;
/// Snapshot present.
pub const EXT4_FEATURE_RO_COMPAT_HAS_SNAPSHOT: u32 = 0x0080;
/// Quota inodes.
pub const EXT4_FEATURE_RO_COMPAT_QUOTA: u32 = 0x0100;
/// Clusters of blocks.
pub const EXT4_FEATURE_RO_COMPAT_BIGALLOC: u32 = 0x0200;
/// Metadata checksums.
pub const EXT4_FEATURE_RO_COMPAT_METADATA_CSUM: u32 = 0x0400;
/// Replicas.
pub const EXT4_FEATURE_RO_COMPAT_REPLICA: u32 = 0x0800;
/// Read-only file system image.
pub const EXT4_FEATURE_RO_COMPAT_READONLY: u32 = 0x1000;
/// Project quotas.
pub const EXT4_FEATURE_RO_COMPAT_PROJECT: u32 = 0x2000;
/// Shared blocks.
pub const EXT4_FEATURE_RO_COMPAT_SHARED_BLOCKS: u32 = 0x4000;
/// fs-verity files.
pub const EXT4_FEATURE_RO_COMPAT_VERITY: u32 = 0x8000;
/// Orphan file not empty.
pub const EXT4_FEATURE_RO_COMPAT_ORPHAN_PRESENT: u32 = 0x10000;

/// Compression.
pub const EXT2_FEATURE_INCOMPAT_COMPRESSION: u32 = 0x0001;
/// Directory entries record the file type.
pub const EXT2_FEATURE_INCOMPAT_FILETYPE: u32 = 0x0002;
/// The ext3 journal needs recovery.
pub const EXT3_FEATURE_INCOMPAT_RECOVER: u32 = 0x0004;
/// External journal device.
pub const EXT3_FEATURE_INCOMPAT_JOURNAL_DEV: u32 = 0x0008;
/// Meta block groups.
pub const EXT2_FEATURE_INCOMPAT_META_BG: u32 = 0x0010;
/// Extent-mapped files.
pub const EXT4_FEATURE_INCOMPAT_EXTENTS: u32 = 0x0040;
/// 64-bit block numbers.
pub const EXT4_FEATURE_INCOMPAT_64BIT: u32 = 0x0080;
/// Multiple mount protection.
pub const EXT4_FEATURE_INCOMPAT_MMP: u32 = 0x0100;
/// Flexible block groups.
pub const EXT4_FEATURE_INCOMPAT_FLEX_BG: u32 = 0x0200;
/// Extended attributes in inodes.
pub const EXT4_FEATURE_INCOMPAT_EA_INODE: u32 = 0x0400;
/// Data in directory entries.
pub const EXT4_FEATURE_INCOMPAT_DIRDATA: u32 = 0x1000;
/// Checksum seed in the superblock.
pub const EXT4_FEATURE_INCOMPAT_CSUM_SEED: u32 = 0x2000;
/// Directories larger than 2 GiB or 3-level htree.
pub const EXT4_FEATURE_INCOMPAT_LARGEDIR: u32 = 0x4000;
/// Data in inodes.
pub const EXT4_FEATURE_INCOMPAT_INLINE_DATA: u32 = 0x8000;
/// Encrypted inodes.
pub const EXT4_FEATURE_INCOMPAT_ENCRYPT: u32 = 0x10000;
/// Case-insensitive directories.
pub const EXT4_FEATURE_INCOMPAT_CASEFOLD: u32 = 0x20000;

/// Compatible features ext2rs knows (others are ignored, as ext2 does).
pub const EXT2_FEATURE_COMPAT_SUPP: u32 = EXT2_FEATURE_COMPAT_EXT_ATTR
    | EXT2_FEATURE_COMPAT_RESIZE_INO
    | EXT2_FEATURE_COMPAT_DIR_INDEX
    | EXT2_FEATURE_COMPAT_IMAGIC_INODES
    | EXT3_FEATURE_COMPAT_HAS_JOURNAL;
/// Incompatible features ext2rs mounts.
pub const EXT2_FEATURE_INCOMPAT_SUPP: u32 =
    EXT2_FEATURE_INCOMPAT_FILETYPE | EXT2_FEATURE_INCOMPAT_META_BG;
/// Read-only-compatible features ext2rs writes.
pub const EXT2_FEATURE_RO_COMPAT_SUPP: u32 = EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER
    | EXT2_FEATURE_RO_COMPAT_LARGE_FILE
    | EXT2_FEATURE_RO_COMPAT_BTREE_DIR;

/// The three feature words of the superblock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeatureKind {
    /// `s_feature_compat`.
    Compat,
    /// `s_feature_incompat`.
    Incompat,
    /// `s_feature_ro_compat`.
    RoCompat,
}

/// Name of one feature bit as mke2fs/tune2fs spell it, or "unknown".
pub fn feature_name(kind: FeatureKind, bit: u32) -> &'static str {
    match kind {
        FeatureKind::Compat => compat_name(bit),
        FeatureKind::Incompat => incompat_name(bit),
        FeatureKind::RoCompat => ro_compat_name(bit),
    }
}

fn compat_name(bit: u32) -> &'static str {
    match bit {
        EXT2_FEATURE_COMPAT_DIR_PREALLOC => "dir_prealloc",
        EXT2_FEATURE_COMPAT_IMAGIC_INODES => "imagic_inodes",
        EXT3_FEATURE_COMPAT_HAS_JOURNAL => "has_journal",
        EXT2_FEATURE_COMPAT_EXT_ATTR => "ext_attr",
        EXT2_FEATURE_COMPAT_RESIZE_INO => "resize_inode",
        EXT2_FEATURE_COMPAT_DIR_INDEX => "dir_index",
        EXT2_FEATURE_COMPAT_LAZY_BG => "lazy_bg",
        EXT2_FEATURE_COMPAT_EXCLUDE_BITMAP => "snapshot_bitmap",
        EXT4_FEATURE_COMPAT_SPARSE_SUPER2 => "sparse_super2",
        EXT4_FEATURE_COMPAT_FAST_COMMIT => "fast_commit",
        EXT4_FEATURE_COMPAT_STABLE_INODES => "stable_inodes",
        EXT4_FEATURE_COMPAT_ORPHAN_FILE => "orphan_file",
        _ => "unknown",
    }
}

fn ro_compat_name(bit: u32) -> &'static str {
    match bit {
        EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER => "sparse_super",
        EXT2_FEATURE_RO_COMPAT_LARGE_FILE => "large_file",
        EXT2_FEATURE_RO_COMPAT_BTREE_DIR => "btree_dir",
        EXT4_FEATURE_RO_COMPAT_HUGE_FILE => "huge_file",
        EXT4_FEATURE_RO_COMPAT_GDT_CSUM => "uninit_bg",
        EXT4_FEATURE_RO_COMPAT_DIR_NLINK => "dir_nlink",
        EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE => "extra_isize",
        EXT4_FEATURE_RO_COMPAT_HAS_SNAPSHOT => "snapshot",
        EXT4_FEATURE_RO_COMPAT_QUOTA => "quota",
        EXT4_FEATURE_RO_COMPAT_BIGALLOC => "bigalloc",
        EXT4_FEATURE_RO_COMPAT_METADATA_CSUM => "metadata_csum",
        EXT4_FEATURE_RO_COMPAT_REPLICA => "replica",
        EXT4_FEATURE_RO_COMPAT_READONLY => "read-only",
        EXT4_FEATURE_RO_COMPAT_PROJECT => "project",
        EXT4_FEATURE_RO_COMPAT_SHARED_BLOCKS => "shared_blocks",
        EXT4_FEATURE_RO_COMPAT_VERITY => "verity",
        EXT4_FEATURE_RO_COMPAT_ORPHAN_PRESENT => "orphan_present",
        _ => "unknown",
    }
}

fn incompat_name(bit: u32) -> &'static str {
    match bit {
        EXT2_FEATURE_INCOMPAT_COMPRESSION => "compression",
        EXT2_FEATURE_INCOMPAT_FILETYPE => "filetype",
        EXT3_FEATURE_INCOMPAT_RECOVER => "needs_recovery",
        EXT3_FEATURE_INCOMPAT_JOURNAL_DEV => "journal_dev",
        EXT2_FEATURE_INCOMPAT_META_BG => "meta_bg",
        EXT4_FEATURE_INCOMPAT_EXTENTS => "extents",
        EXT4_FEATURE_INCOMPAT_64BIT => "64bit",
        EXT4_FEATURE_INCOMPAT_MMP => "mmp",
        EXT4_FEATURE_INCOMPAT_FLEX_BG => "flex_bg",
        EXT4_FEATURE_INCOMPAT_EA_INODE => "ea_inode",
        EXT4_FEATURE_INCOMPAT_DIRDATA => "dirdata",
        EXT4_FEATURE_INCOMPAT_CSUM_SEED => "metadata_csum_seed",
        EXT4_FEATURE_INCOMPAT_LARGEDIR => "large_dir",
        EXT4_FEATURE_INCOMPAT_INLINE_DATA => "inline_data",
        EXT4_FEATURE_INCOMPAT_ENCRYPT => "encrypt",
        EXT4_FEATURE_INCOMPAT_CASEFOLD => "casefold",
        _ => "unknown",
    }
}

/// Iterator over the set bits of a feature mask, lowest first, as
/// `(bit, name)` so the kernel can log every offending feature by name.
#[derive(Clone, Copy, Debug)]
pub struct FeatureBits {
    kind: FeatureKind,
    mask: u32,
}

impl FeatureBits {
    /// Iterates over the bits of `mask` in the `kind` feature word.
    pub fn new(kind: FeatureKind, mask: u32) -> Self {
        Self { kind, mask }
    }
}

impl Iterator for FeatureBits {
    type Item = (u32, &'static str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.mask == 0 {
            return None;
        }
        let bit = 1u32 << self.mask.trailing_zeros();
        self.mask &= !bit;
        Some((bit, feature_name(self.kind, bit)))
    }
}

/// The ext2 superblock, every field of `struct ext2_super_block` that ext2
/// or e2fsprogs give a meaning to. Values are raw and untrusted until
/// [`Superblock::validate`] succeeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Superblock {
    /// Inodes count.
    pub s_inodes_count: u32,
    /// Blocks count.
    pub s_blocks_count: u32,
    /// Reserved blocks count.
    pub s_r_blocks_count: u32,
    /// Free blocks count.
    pub s_free_blocks_count: u32,
    /// Free inodes count.
    pub s_free_inodes_count: u32,
    /// First data block (1 for 1 KiB blocks, else 0).
    pub s_first_data_block: u32,
    /// Block size is 1024 << this.
    pub s_log_block_size: u32,
    /// Fragment size (must equal the block size).
    pub s_log_frag_size: u32,
    /// Blocks per group.
    pub s_blocks_per_group: u32,
    /// Fragments per group.
    pub s_frags_per_group: u32,
    /// Inodes per group.
    pub s_inodes_per_group: u32,
    /// Mount time.
    pub s_mtime: u32,
    /// Write time.
    pub s_wtime: u32,
    /// Mount count.
    pub s_mnt_count: u16,
    /// Maximal mount count.
    pub s_max_mnt_count: u16,
    /// Magic signature.
    pub s_magic: u16,
    /// File system state.
    pub s_state: u16,
    /// Behaviour when detecting errors.
    pub s_errors: u16,
    /// Minor revision level.
    pub s_minor_rev_level: u16,
    /// Time of last check.
    pub s_lastcheck: u32,
    /// Maximal time between checks.
    pub s_checkinterval: u32,
    /// Creator OS.
    pub s_creator_os: u32,
    /// Revision level.
    pub s_rev_level: u32,
    /// Default uid for reserved blocks.
    pub s_def_resuid: u16,
    /// Default gid for reserved blocks.
    pub s_def_resgid: u16,
    /// First non-reserved inode (dynamic revision).
    pub s_first_ino: u32,
    /// Size of the inode structure (dynamic revision).
    pub s_inode_size: u16,
    /// Block group number of this superblock copy.
    pub s_block_group_nr: u16,
    /// Compatible feature set.
    pub s_feature_compat: u32,
    /// Incompatible feature set.
    pub s_feature_incompat: u32,
    /// Read-only compatible feature set.
    pub s_feature_ro_compat: u32,
    /// 128-bit volume uuid.
    pub s_uuid: [u8; 16],
    /// Volume name (NUL padded).
    pub s_volume_name: [u8; 16],
    /// Directory where last mounted (NUL padded).
    pub s_last_mounted: [u8; 64],
    /// For compression.
    pub s_algorithm_usage_bitmap: u32,
    /// Number of blocks to try to preallocate.
    pub s_prealloc_blocks: u8,
    /// Number to preallocate for directories.
    pub s_prealloc_dir_blocks: u8,
    /// GDT blocks reserved for growth (resize_inode; `s_padding1` in ext2.h).
    pub s_reserved_gdt_blocks: u16,
    /// uuid of the journal superblock.
    pub s_journal_uuid: [u8; 16],
    /// Inode number of the journal file.
    pub s_journal_inum: u32,
    /// Device number of the journal file.
    pub s_journal_dev: u32,
    /// Start of the list of inodes to delete.
    pub s_last_orphan: u32,
    /// HTREE hash seed.
    pub s_hash_seed: [u32; 4],
    /// Default hash version.
    pub s_def_hash_version: u8,
    /// Default mount options.
    pub s_default_mount_opts: u32,
    /// First metablock block group.
    pub s_first_meta_bg: u32,
    /// When the file system was created.
    pub s_mkfs_time: u32,
}

impl Superblock {
    /// Decodes the 1024-byte superblock at the start of `buf`.
    ///
    /// Nothing is checked but the length; call [`Superblock::validate`].
    pub fn parse(buf: &[u8]) -> Result<Self> {
        let b = prefix(buf, SUPERBLOCK_SIZE)?;
        Ok(Self {
            s_inodes_count: le32(b, 0),
            s_blocks_count: le32(b, 4),
            s_r_blocks_count: le32(b, 8),
            s_free_blocks_count: le32(b, 12),
            s_free_inodes_count: le32(b, 16),
            s_first_data_block: le32(b, 20),
            s_log_block_size: le32(b, 24),
            s_log_frag_size: le32(b, 28),
            s_blocks_per_group: le32(b, 32),
            s_frags_per_group: le32(b, 36),
            s_inodes_per_group: le32(b, 40),
            s_mtime: le32(b, 44),
            s_wtime: le32(b, 48),
            s_mnt_count: le16(b, 52),
            s_max_mnt_count: le16(b, 54),
            s_magic: le16(b, 56),
            s_state: le16(b, 58),
            s_errors: le16(b, 60),
            s_minor_rev_level: le16(b, 62),
            s_lastcheck: le32(b, 64),
            s_checkinterval: le32(b, 68),
            s_creator_os: le32(b, 72),
            s_rev_level: le32(b, 76),
            s_def_resuid: le16(b, 80),
            s_def_resgid: le16(b, 82),
            s_first_ino: le32(b, 84),
            s_inode_size: le16(b, 88),
            s_block_group_nr: le16(b, 90),
            s_feature_compat: le32(b, 92),
            s_feature_incompat: le32(b, 96),
            s_feature_ro_compat: le32(b, 100),
            s_uuid: bytes_at(b, 104),
            s_volume_name: bytes_at(b, 120),
            s_last_mounted: bytes_at(b, 136),
            s_algorithm_usage_bitmap: le32(b, 200),
            s_prealloc_blocks: u8_at(b, 204),
            s_prealloc_dir_blocks: u8_at(b, 205),
            s_reserved_gdt_blocks: le16(b, 206),
            s_journal_uuid: bytes_at(b, 208),
            s_journal_inum: le32(b, 224),
            s_journal_dev: le32(b, 228),
            s_last_orphan: le32(b, 232),
            s_hash_seed: [le32(b, 236), le32(b, 240), le32(b, 244), le32(b, 248)],
            s_def_hash_version: u8_at(b, 252),
            s_default_mount_opts: le32(b, 256),
            s_first_meta_bg: le32(b, 260),
            s_mkfs_time: le32(b, 264),
        })
    }

    /// Stores the fields the driver changes while mounted (counters, state,
    /// times, and what `ext2_update_dynamic_rev` / LARGE_FILE may set) into
    /// `buf`, leaving every other byte as it was read.
    pub fn write_mutable(&self, buf: &mut [u8]) -> Result<()> {
        let b = prefix_mut(buf, SUPERBLOCK_SIZE)?;
        put_le32(b, 12, self.s_free_blocks_count);
        put_le32(b, 16, self.s_free_inodes_count);
        put_le32(b, 44, self.s_mtime);
        put_le32(b, 48, self.s_wtime);
        put_le16(b, 52, self.s_mnt_count);
        put_le16(b, 54, self.s_max_mnt_count);
        put_le16(b, 58, self.s_state);
        put_le16(b, 60, self.s_errors);
        put_le32(b, 64, self.s_lastcheck);
        put_le32(b, 76, self.s_rev_level);
        put_le32(b, 84, self.s_first_ino);
        put_le16(b, 88, self.s_inode_size);
        put_le32(b, 92, self.s_feature_compat);
        put_le32(b, 96, self.s_feature_incompat);
        put_le32(b, 100, self.s_feature_ro_compat);
        Ok(())
    }

    /// Moves a revision 0 superblock to the dynamic revision, as
    /// `ext2_update_dynamic_rev` does before the first feature is set.
    pub fn update_dynamic_rev(&mut self) {
        if self.s_rev_level > EXT2_GOOD_OLD_REV {
            return;
        }
        self.s_rev_level = EXT2_DYNAMIC_REV;
        self.s_first_ino = EXT2_GOOD_OLD_FIRST_INO;
        self.s_inode_size = EXT2_GOOD_OLD_INODE_SIZE;
    }

    /// Whether any bit of `mask` is set in `s_feature_compat`.
    pub fn has_compat(&self, mask: u32) -> bool {
        self.s_feature_compat & mask != 0
    }

    /// Whether any bit of `mask` is set in `s_feature_incompat`.
    pub fn has_incompat(&self, mask: u32) -> bool {
        self.s_feature_incompat & mask != 0
    }

    /// Whether any bit of `mask` is set in `s_feature_ro_compat`.
    pub fn has_ro_compat(&self, mask: u32) -> bool {
        self.s_feature_ro_compat & mask != 0
    }

    /// Incompatible features that forbid mounting at all (0 if none).
    ///
    /// Checked regardless of the revision level, like ext2: old kernels set
    /// flags without bumping the revision.
    pub fn unsupported_incompat(&self) -> u32 {
        self.s_feature_incompat & !EXT2_FEATURE_INCOMPAT_SUPP
    }

    /// Read-only-compatible features that forbid a read-write mount.
    pub fn unsupported_ro_compat(&self) -> u32 {
        self.s_feature_ro_compat & !EXT2_FEATURE_RO_COMPAT_SUPP
    }

    /// Compatible features ext2rs does not know (only worth a message).
    pub fn unknown_compat(&self) -> u32 {
        self.s_feature_compat & !EXT2_FEATURE_COMPAT_SUPP
    }

    /// Whether directory entries carry a file type.
    pub fn has_filetype(&self) -> bool {
        self.has_incompat(EXT2_FEATURE_INCOMPAT_FILETYPE)
    }

    /// log2 of the block size, or 0 if `s_log_block_size` is invalid.
    pub fn block_size_bits(&self) -> u32 {
        if self.s_log_block_size > EXT2_MAX_BLOCK_LOG_SIZE - EXT2_MIN_BLOCK_LOG_SIZE {
            return 0;
        }
        EXT2_MIN_BLOCK_LOG_SIZE + self.s_log_block_size
    }

    /// Block size in bytes, or 0 if `s_log_block_size` is invalid.
    pub fn block_size(&self) -> u32 {
        match self.block_size_bits() {
            0 => 0,
            bits => 1 << bits,
        }
    }

    /// Inode size in bytes (128 on revision 0).
    pub fn inode_size(&self) -> u32 {
        if self.s_rev_level == EXT2_GOOD_OLD_REV {
            return u32::from(EXT2_GOOD_OLD_INODE_SIZE);
        }
        u32::from(self.s_inode_size)
    }

    /// First non-reserved inode (11 on revision 0).
    pub fn first_ino(&self) -> u32 {
        if self.s_rev_level == EXT2_GOOD_OLD_REV {
            return EXT2_GOOD_OLD_FIRST_INO;
        }
        self.s_first_ino
    }

    /// Inodes per inode table block.
    pub fn inodes_per_block(&self) -> u32 {
        self.block_size()
            .checked_div(self.inode_size())
            .unwrap_or(0)
    }

    /// Inode table blocks per group (`s_itb_per_group`).
    pub fn itb_per_group(&self) -> u32 {
        self.s_inodes_per_group
            .checked_div(self.inodes_per_block())
            .unwrap_or(0)
    }

    /// Group descriptors per block.
    pub fn desc_per_block(&self) -> u32 {
        self.block_size() / EXT2_DESC_SIZE
    }

    /// Block pointers per indirect block.
    pub fn addr_per_block(&self) -> u32 {
        self.block_size() / 4
    }

    /// Number of block groups, as ext2_fill_super computes it.
    pub fn groups_count(&self) -> u32 {
        let data = self
            .s_blocks_count
            .checked_sub(self.s_first_data_block)
            .and_then(|n| n.checked_sub(1));
        match data.and_then(|n| n.checked_div(self.s_blocks_per_group)) {
            Some(n) => n.saturating_add(1),
            None => 0,
        }
    }

    /// Number of group descriptor blocks (`s_gdb_count`).
    pub fn gdb_count(&self) -> u32 {
        let dpb = self.desc_per_block();
        if dpb == 0 {
            return 0;
        }
        self.groups_count().div_ceil(dpb)
    }

    /// First block of group `group` (`ext2_group_first_block_no`).
    pub fn group_first_block(&self, group: u32) -> u64 {
        u64::from(group) * u64::from(self.s_blocks_per_group) + u64::from(self.s_first_data_block)
    }

    /// Last block of group `group` (`ext2_group_last_block_no`): the last
    /// group ends at the end of the file system.
    pub fn group_last_block(&self, group: u32) -> u64 {
        if group.checked_add(1) == Some(self.groups_count()) {
            return u64::from(self.s_blocks_count).saturating_sub(1);
        }
        (self.group_first_block(group) + u64::from(self.s_blocks_per_group)).saturating_sub(1)
    }

    /// Number of blocks in group `group` (the last one may be short).
    pub fn blocks_in_group(&self, group: u32) -> u64 {
        (self.group_last_block(group) + 1).saturating_sub(self.group_first_block(group))
    }

    /// Group holding block `block`, and the block's index in that group.
    pub fn block_group(&self, block: u64) -> Option<(u32, u32)> {
        let rel = block.checked_sub(u64::from(self.s_first_data_block))?;
        let bpg = u64::from(self.s_blocks_per_group);
        let group = u32::try_from(rel.checked_div(bpg)?).ok()?;
        let index = u32::try_from(rel % bpg).ok()?;
        (group < self.groups_count()).then_some((group, index))
    }

    /// Whether `count` blocks from `start` may hold file data or xattrs
    /// (`ext2_data_block_valid`): past the first data block, inside the
    /// file system, and not over the primary superblock.
    pub fn data_block_valid(&self, start: u64, count: u64) -> bool {
        let first = u64::from(self.s_first_data_block);
        let end = match start.checked_add(count).and_then(|e| e.checked_sub(1)) {
            Some(end) if end >= start => end,
            _ => return false,
        };
        // The superblock lives in block s_first_data_block, which the first
        // test already excludes; ext2 re-checks s_sb_block for sb= mounts.
        start > first && end < u64::from(self.s_blocks_count)
    }

    /// Whether group `group` holds a superblock and descriptor backup
    /// (`ext2_bg_has_super`).
    pub fn group_has_super(&self, group: u32) -> bool {
        !self.has_ro_compat(EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER) || group_sparse(group)
    }

    /// Descriptor blocks (not counting reserved ones) at the start of group
    /// `group`, meta_bg aware like ext4_bg_num_gdb: plain groups with a
    /// superblock copy hold the old-style table, each meta group keeps its
    /// one descriptor block in its first, second and last group.
    pub fn bg_num_gdb(&self, group: u32) -> u32 {
        let dpb = self.desc_per_block();
        let meta_group = group.checked_div(dpb).unwrap_or(0);
        if !self.is_meta_bg_group(meta_group) {
            if !self.group_has_super(group) {
                return 0;
            }
            if self.has_incompat(EXT2_FEATURE_INCOMPAT_META_BG) {
                return self.s_first_meta_bg;
            }
            return self.gdb_count();
        }
        let first = meta_group * dpb;
        let last = first.saturating_add(dpb.saturating_sub(1));
        u32::from(group == first || Some(group) == first.checked_add(1) || group == last)
    }

    /// Blocks at the start of group `group` used by the superblock copy and
    /// the descriptors, including reserved GDT blocks
    /// (ext4_num_base_meta_blocks).
    pub fn num_base_meta_blocks(&self, group: u32) -> u64 {
        let has_super = u64::from(self.group_has_super(group));
        let meta_group = group.checked_div(self.desc_per_block()).unwrap_or(0);
        if self.is_meta_bg_group(meta_group) {
            return has_super + u64::from(self.bg_num_gdb(group));
        }
        if has_super == 0 {
            return 0;
        }
        1 + u64::from(self.bg_num_gdb(group)) + u64::from(self.s_reserved_gdt_blocks)
    }

    /// Metadata blocks of group `group`: base blocks, two bitmaps and the
    /// inode table (what statfs subtracts).
    pub fn group_overhead(&self, group: u32) -> u64 {
        self.num_base_meta_blocks(group) + 2 + u64::from(self.itb_per_group())
    }

    /// Whether descriptor block `nr` lives in its meta group (META_BG).
    fn is_meta_bg_group(&self, nr: u32) -> bool {
        self.has_incompat(EXT2_FEATURE_INCOMPAT_META_BG) && nr >= self.s_first_meta_bg
    }

    /// Block holding descriptor block `nr` (`descriptor_loc`): right after
    /// the primary superblock, or at the start of its meta group.
    pub fn descriptor_loc(&self, nr: u32) -> u64 {
        if !self.is_meta_bg_group(nr) {
            // The superblock's block is s_first_data_block for every
            // block size (byte 1024 is block 1 of 1 KiB, block 0 above).
            return u64::from(self.s_first_data_block) + u64::from(nr) + 1;
        }
        let bg = self.desc_per_block().saturating_mul(nr);
        self.group_first_block(bg) + u64::from(self.group_has_super(bg))
    }

    /// Block and byte offset of group `group`'s descriptor.
    pub fn descriptor_block(&self, group: u32) -> Result<(u64, usize)> {
        if group >= self.groups_count() {
            return Err(FormatError::GroupOutOfRange(group));
        }
        let dpb = self.desc_per_block();
        let nr = group.checked_div(dpb).unwrap_or(0);
        let index = group.checked_rem(dpb).unwrap_or(0);
        // CAST: index < desc_per_block <= 2048, so the offset is < 65536.
        let offset = (index * EXT2_DESC_SIZE) as usize;
        Ok((self.descriptor_loc(nr), offset))
    }

    /// Checks everything ext2_fill_super checks before trusting the
    /// geometry, for a device of `device_bytes` and pages of `page_size`.
    ///
    /// Unsupported incompatible features fail here; unsupported
    /// read-only-compatible ones are for the caller to weigh against the
    /// mount mode ([`Superblock::unsupported_ro_compat`]).
    pub fn validate(&self, device_bytes: u64, page_size: u32) -> Result<()> {
        self.check_identity()?;
        self.check_block_size(page_size)?;
        self.check_inode_size()?;
        self.check_groups()?;
        self.check_counts(device_bytes)?;
        self.check_descriptor_area()
    }

    /// Magic, revision and incompatible features.
    fn check_identity(&self) -> Result<()> {
        if self.s_magic != EXT2_SUPER_MAGIC {
            return Err(FormatError::BadMagic(self.s_magic));
        }
        if self.s_rev_level > EXT2_DYNAMIC_REV {
            return Err(FormatError::BadRevision(self.s_rev_level));
        }
        match self.unsupported_incompat() {
            0 => Ok(()),
            mask => Err(FormatError::UnsupportedIncompat(mask)),
        }
    }

    /// Block size in range, supported, not above the page size, and equal
    /// to the fragment size.
    fn check_block_size(&self, page_size: u32) -> Result<()> {
        let block_size = self.block_size();
        if block_size == 0 {
            return Err(FormatError::BadLogBlockSize(self.s_log_block_size));
        }
        if block_size > EXT2RS_MAX_BLOCK_SIZE {
            return Err(FormatError::BlockSizeUnsupported(block_size));
        }
        if block_size > page_size {
            return Err(FormatError::BlockSizeAbovePage {
                block_size,
                page_size,
            });
        }
        if self.s_log_frag_size != self.s_log_block_size {
            return Err(FormatError::BadFragSize {
                log_frag_size: self.s_log_frag_size,
                log_block_size: self.s_log_block_size,
            });
        }
        Ok(())
    }

    /// Dynamic revision inode size and first inode.
    fn check_inode_size(&self) -> Result<()> {
        if self.s_rev_level == EXT2_GOOD_OLD_REV {
            return Ok(());
        }
        let size = self.s_inode_size;
        if size < EXT2_GOOD_OLD_INODE_SIZE
            || !size.is_power_of_two()
            || u32::from(size) > self.block_size()
        {
            return Err(FormatError::BadInodeSize(size));
        }
        if self.s_first_ino < EXT2_GOOD_OLD_FIRST_INO {
            return Err(FormatError::BadFirstIno(self.s_first_ino));
        }
        Ok(())
    }

    /// Blocks and inodes per group against the bitmap size and the
    /// metadata one group must hold.
    fn check_groups(&self) -> Result<()> {
        let bits = self.block_size() * 8;
        let bpg = self.s_blocks_per_group;
        if bpg == 0 || bpg > bits {
            return Err(FormatError::BadBlocksPerGroup(bpg));
        }
        // Fragments are blocks (checked above), so there are as many.
        if self.s_frags_per_group != bpg {
            return Err(FormatError::BadFragsPerGroup(self.s_frags_per_group));
        }
        let ipg = self.s_inodes_per_group;
        let ipb = self.inodes_per_block();
        // A partial inode table block would leave the last inodes of the
        // group outside the table ext2 sizes as ipg / ipb blocks.
        if ipg == 0 || ipg < ipb || ipg > bits || ipg.checked_rem(ipb) != Some(0) {
            return Err(FormatError::BadInodesPerGroup(ipg));
        }
        // At least the inode table, the bitmaps and the superblock.
        if u64::from(bpg) <= u64::from(self.itb_per_group()) + 3 {
            return Err(FormatError::BadBlocksPerGroup(bpg));
        }
        Ok(())
    }

    /// Block and inode totals against the device and each other.
    fn check_counts(&self, device_bytes: u64) -> Result<()> {
        let expected_first = u32::from(self.block_size() == EXT2_MIN_BLOCK_SIZE);
        if self.s_first_data_block != expected_first {
            return Err(FormatError::BadFirstDataBlock(self.s_first_data_block));
        }
        if self.s_blocks_count <= self.s_first_data_block {
            return Err(FormatError::BadBlocksCount(self.s_blocks_count));
        }
        let device_blocks = device_bytes >> self.block_size_bits();
        if u64::from(self.s_blocks_count) > device_blocks {
            return Err(FormatError::BlocksPastDevice {
                blocks_count: self.s_blocks_count,
                device_blocks,
            });
        }
        let expected = u64::from(self.groups_count()) * u64::from(self.s_inodes_per_group);
        if u64::from(self.s_inodes_count) != expected {
            return Err(FormatError::BadInodesCount {
                inodes_count: self.s_inodes_count,
                expected,
            });
        }
        self.check_free_counts()
    }

    /// Summary counters no larger than the totals, first inode in range.
    fn check_free_counts(&self) -> Result<()> {
        if self.first_ino() > self.s_inodes_count {
            return Err(FormatError::BadFirstIno(self.first_ino()));
        }
        if self.s_free_blocks_count > self.s_blocks_count {
            return Err(FormatError::BadFreeBlocksCount(self.s_free_blocks_count));
        }
        if self.s_free_inodes_count > self.s_inodes_count {
            return Err(FormatError::BadFreeInodesCount(self.s_free_inodes_count));
        }
        if self.s_r_blocks_count > self.s_blocks_count {
            return Err(FormatError::BadReservedBlocksCount(self.s_r_blocks_count));
        }
        Ok(())
    }

    /// The descriptor table (and reserved GDT blocks) fit in group 0, and
    /// `s_first_meta_bg` is within the table when META_BG is set.
    fn check_descriptor_area(&self) -> Result<()> {
        if u32::from(self.s_reserved_gdt_blocks) > self.addr_per_block() {
            return Err(FormatError::BadReservedGdtBlocks(
                self.s_reserved_gdt_blocks,
            ));
        }
        if self.has_incompat(EXT2_FEATURE_INCOMPAT_META_BG)
            && self.s_first_meta_bg > self.gdb_count()
        {
            return Err(FormatError::BadFirstMetaBg(self.s_first_meta_bg));
        }
        if self.group_overhead(0) >= self.blocks_in_group(0) {
            return Err(FormatError::BadBlocksCount(self.s_blocks_count));
        }
        Ok(())
    }
}

/// Whether `group` is 0, 1 or a power of 3, 5 or 7 (`ext2_group_sparse`).
pub fn group_sparse(group: u32) -> bool {
    group <= 1 || test_root(group, 3) || test_root(group, 5) || test_root(group, 7)
}

/// Whether `a` is a power of `b` (`test_root`), in u64 so it cannot wrap.
fn test_root(a: u32, b: u32) -> bool {
    let a = u64::from(a);
    let mut num = u64::from(b);
    while a > num {
        num *= u64::from(b);
    }
    num == a
}
