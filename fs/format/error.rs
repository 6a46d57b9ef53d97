// SPDX-License-Identifier: GPL-2.0

//! Errors found while decoding or checking ext2 on-disk structures.

use core::fmt;

use super::superblock::{feature_name, FeatureKind};

/// Result of a format operation.
pub type Result<T> = core::result::Result<T, FormatError>;

/// Which block of a group descriptor was wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupField {
    /// `bg_block_bitmap`.
    BlockBitmap,
    /// `bg_inode_bitmap`.
    InodeBitmap,
    /// `bg_inode_table` (the whole table is checked, not only its start).
    InodeTable,
}

impl GroupField {
    /// Human-readable name, as in ext2_check_descriptors' messages.
    pub fn name(self) -> &'static str {
        match self {
            GroupField::BlockBitmap => "block bitmap",
            GroupField::InodeBitmap => "inode bitmap",
            GroupField::InodeTable => "inode table",
        }
    }
}

/// Which counter of a group descriptor was implausible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupCount {
    /// `bg_free_blocks_count`.
    FreeBlocks,
    /// `bg_free_inodes_count`.
    FreeInodes,
    /// `bg_used_dirs_count`.
    UsedDirs,
}

impl GroupCount {
    /// The C field name.
    pub fn name(self) -> &'static str {
        match self {
            GroupCount::FreeBlocks => "bg_free_blocks_count",
            GroupCount::FreeInodes => "bg_free_inodes_count",
            GroupCount::UsedDirs => "bg_used_dirs_count",
        }
    }
}

/// Why a directory entry was rejected (the reasons of ext2_check_folio, plus
/// the file type and empty-name checks e2fsck makes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirEntryError {
    /// `rec_len` is below the 12 bytes of the smallest entry (includes 0).
    RecLenTooSmall,
    /// `rec_len` is not a multiple of 4.
    Unaligned,
    /// `rec_len` cannot hold `name_len` bytes of name.
    NameTooLong,
    /// The entry runs past the end of the block.
    CrossesBlock,
    /// The inode number is above `s_inodes_count`.
    InodeOutOfRange,
    /// `file_type` is not an `EXT2_FT_*` value although FILETYPE is set.
    BadFileType,
    /// A live entry has `name_len` 0.
    EmptyName,
    /// Fewer than 12 bytes are left at the end of the block.
    BlockNotCovered,
}

impl DirEntryError {
    /// Human-readable reason, worded as in ext2_check_folio.
    pub fn name(self) -> &'static str {
        match self {
            DirEntryError::RecLenTooSmall => "rec_len is smaller than minimal",
            DirEntryError::Unaligned => "unaligned directory entry",
            DirEntryError::NameTooLong => "rec_len is too small for name_len",
            DirEntryError::CrossesBlock => "directory entry across blocks",
            DirEntryError::InodeOutOfRange => "inode out of bounds",
            DirEntryError::BadFileType => "invalid file type",
            DirEntryError::EmptyName => "empty name",
            DirEntryError::BlockNotCovered => "entries do not cover the block",
        }
    }
}

/// Why an extended attribute block was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XattrError {
    /// Bad magic, `h_blocks` not 1, or the block too small.
    Header,
    /// `h_refcount` is 0.
    Refcount,
    /// An entry or the end of the entry table runs past the block.
    EntryOutside,
    /// An entry names a separate value block (`e_value_block`).
    ValueBlock,
    /// A value lies outside the value area.
    ValueOutside,
    /// Two values overlap.
    ValueOverlap,
}

impl XattrError {
    /// Human-readable reason.
    pub fn name(self) -> &'static str {
        match self {
            XattrError::Header => "bad header",
            XattrError::Refcount => "zero reference count",
            XattrError::EntryOutside => "entry outside the block",
            XattrError::ValueBlock => "value in a separate block",
            XattrError::ValueOutside => "value outside the value area",
            XattrError::ValueOverlap => "overlapping values",
        }
    }
}

/// Something on disk (or an argument derived from it) is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// A buffer is shorter than the structure read from or written to it.
    BufferTooShort {
        /// Bytes needed.
        need: usize,
        /// Bytes given.
        have: usize,
    },
    /// `s_magic` is not `EXT2_SUPER_MAGIC`.
    BadMagic(u16),
    /// `s_rev_level` is neither 0 nor 1.
    BadRevision(u32),
    /// `s_log_block_size` is above what any ext2 block size allows.
    BadLogBlockSize(u32),
    /// A valid ext2 block size this driver does not handle (above 4096).
    BlockSizeUnsupported(u32),
    /// The block size is larger than the page size.
    BlockSizeAbovePage {
        /// Block size in bytes.
        block_size: u32,
        /// Page size in bytes.
        page_size: u32,
    },
    /// A block size argument is not a power of two in 1024..=65536.
    BadBlockSize(u32),
    /// `s_log_frag_size` differs from `s_log_block_size`.
    BadFragSize {
        /// `s_log_frag_size`.
        log_frag_size: u32,
        /// `s_log_block_size`.
        log_block_size: u32,
    },
    /// `s_inode_size` is not a power of two in 128..=block size.
    BadInodeSize(u16),
    /// `s_first_ino` is below 11 or above `s_inodes_count`.
    BadFirstIno(u32),
    /// `s_blocks_per_group` is 0, above 8 * block size, or too small for
    /// the group's metadata.
    BadBlocksPerGroup(u32),
    /// `s_frags_per_group` differs from `s_blocks_per_group`.
    BadFragsPerGroup(u32),
    /// `s_inodes_per_group` is out of range or not a whole number of
    /// inode table blocks.
    BadInodesPerGroup(u32),
    /// `s_inodes_count` is not groups * `s_inodes_per_group`.
    BadInodesCount {
        /// `s_inodes_count`.
        inodes_count: u32,
        /// groups * `s_inodes_per_group`.
        expected: u64,
    },
    /// `s_first_data_block` is not 1 for 1 KiB blocks and 0 otherwise.
    BadFirstDataBlock(u32),
    /// `s_blocks_count` leaves no block after `s_first_data_block`.
    BadBlocksCount(u32),
    /// `s_blocks_count` runs past the end of the device.
    BlocksPastDevice {
        /// `s_blocks_count`.
        blocks_count: u32,
        /// Device size in blocks.
        device_blocks: u64,
    },
    /// `s_free_blocks_count` is above `s_blocks_count`.
    BadFreeBlocksCount(u32),
    /// `s_free_inodes_count` is above `s_inodes_count`.
    BadFreeInodesCount(u32),
    /// `s_r_blocks_count` is above `s_blocks_count`.
    BadReservedBlocksCount(u32),
    /// `s_reserved_gdt_blocks` does not fit in a group.
    BadReservedGdtBlocks(u16),
    /// `s_first_meta_bg` is beyond the descriptor blocks (META_BG).
    BadFirstMetaBg(u32),
    /// Incompatible features this driver cannot handle are set (mask).
    UnsupportedIncompat(u32),
    /// A group number is not below the group count.
    GroupOutOfRange(u32),
    /// A group descriptor points outside its group.
    GroupDescOutOfRange {
        /// Group number.
        group: u32,
        /// Which block.
        what: GroupField,
        /// The block number found.
        block: u32,
    },
    /// A group descriptor's metadata blocks overlap each other or the
    /// superblock / descriptor copy of the group.
    GroupDescOverlap {
        /// Group number.
        group: u32,
        /// Which block.
        what: GroupField,
        /// The block number found.
        block: u32,
    },
    /// A group descriptor counter is above what the group holds.
    GroupDescBadCount {
        /// Group number.
        group: u32,
        /// Which counter.
        what: GroupCount,
        /// The value found.
        value: u16,
    },
    /// An inode number is 0, reserved, or above `s_inodes_count`.
    BadInodeNumber(u32),
    /// An inode has no links but a mode and no deletion time.
    UnlinkedLiveInode(u32),
    /// An inode's size does not fit in a signed 64-bit `loff_t`.
    BadFileSize(u64),
    /// A logical block is beyond the triple-indirect tree.
    BlockTooBig(u64),
    /// A directory block has an invalid entry.
    BadDirEntry {
        /// Byte offset of the entry within the block.
        offset: u32,
        /// What was wrong.
        reason: DirEntryError,
    },
    /// A directory block length is not a power of two in 1024..=65536.
    BadDirBlockSize(usize),
    /// A rec_len to store is above 65536 or not a multiple of 4.
    BadRecLen(u32),
    /// A name to store is empty or longer than `EXT2_NAME_LEN`.
    BadName(usize),
    /// An inode number to store in a directory entry is 0 or too large.
    BadDirInode(u32),
    /// No directory entry starts at the given offset.
    NoEntryAt(u32),
    /// An extended attribute block is invalid.
    BadXattr(XattrError),
    /// The attributes do not fit in one block.
    XattrNoSpace,
    /// An ACL attribute value is not a valid ext2 ACL.
    BadAcl,
    /// A bit number is beyond the bitmap.
    BitOutOfRange {
        /// The bit number.
        bit: u32,
        /// The bitmap size in bits.
        size: u32,
    },
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FormatError::BufferTooShort { need, have } => {
                write!(f, "buffer too short: need {need} bytes, have {have}")
            }
            FormatError::BadMagic(m) => write!(f, "bad magic number {m:#06x}"),
            FormatError::BadRevision(r) => write!(f, "unsupported revision level {r}"),
            FormatError::BadLogBlockSize(l) => write!(f, "invalid log block size: {l}"),
            FormatError::BlockSizeUnsupported(b) => write!(f, "unsupported block size {b}"),
            FormatError::BlockSizeAbovePage {
                block_size,
                page_size,
            } => write!(
                f,
                "block size {block_size} larger than page size {page_size}"
            ),
            FormatError::BadBlockSize(b) => write!(f, "bad block size {b}"),
            FormatError::BadFragSize {
                log_frag_size,
                log_block_size,
            } => write!(
                f,
                "fragsize log {log_frag_size} != blocksize log {log_block_size}"
            ),
            FormatError::BadInodeSize(s) => write!(f, "unsupported inode size: {s}"),
            FormatError::BadFirstIno(i) => write!(f, "invalid first inode {i}"),
            FormatError::BadBlocksPerGroup(n) => write!(f, "invalid #blocks per group: {n}"),
            FormatError::BadFragsPerGroup(n) => write!(f, "invalid #fragments per group: {n}"),
            FormatError::BadInodesPerGroup(n) => write!(f, "invalid #inodes per group: {n}"),
            FormatError::BadInodesCount {
                inodes_count,
                expected,
            } => write!(f, "invalid #inodes: {inodes_count} vs computed {expected}"),
            FormatError::BadFirstDataBlock(b) => write!(f, "invalid first data block {b}"),
            FormatError::BadBlocksCount(b) => write!(f, "invalid block count {b}"),
            FormatError::BlocksPastDevice {
                blocks_count,
                device_blocks,
            } => write!(
                f,
                "block count {blocks_count} exceeds size of device ({device_blocks} blocks)"
            ),
            FormatError::BadFreeBlocksCount(n) => write!(f, "free blocks count {n} too large"),
            FormatError::BadFreeInodesCount(n) => write!(f, "free inodes count {n} too large"),
            FormatError::BadReservedBlocksCount(n) => {
                write!(f, "reserved blocks count {n} too large")
            }
            FormatError::BadReservedGdtBlocks(n) => {
                write!(f, "reserved GDT blocks {n} too large")
            }
            FormatError::BadFirstMetaBg(n) => write!(f, "first meta block group {n} too large"),
            FormatError::UnsupportedIncompat(mask) => write!(
                f,
                "unsupported optional features ({mask:#x}): {}",
                first_feature_name(FeatureKind::Incompat, mask)
            ),
            FormatError::GroupOutOfRange(g) => write!(f, "group {g} out of range"),
            FormatError::GroupDescOutOfRange { group, what, block } => write!(
                f,
                "{} for group {group} not in group (block {block})",
                what.name()
            ),
            FormatError::GroupDescOverlap { group, what, block } => write!(
                f,
                "{} for group {group} overlaps other metadata (block {block})",
                what.name()
            ),
            FormatError::GroupDescBadCount { group, what, value } => {
                write!(f, "{} {value} too large in group {group}", what.name())
            }
            FormatError::BadInodeNumber(i) => write!(f, "bad inode number: {i}"),
            FormatError::UnlinkedLiveInode(i) => {
                write!(f, "inode {i} has zero i_nlink but no dtime")
            }
            FormatError::BadFileSize(s) => write!(f, "bad file size {s}"),
            FormatError::BlockTooBig(b) => write!(f, "block {b} is too big"),
            FormatError::BadDirEntry { offset, reason } => {
                write!(
                    f,
                    "bad directory entry at offset {offset}: {}",
                    reason.name()
                )
            }
            FormatError::BadDirBlockSize(s) => write!(f, "bad directory block size {s}"),
            FormatError::BadRecLen(r) => write!(f, "bad rec_len {r}"),
            FormatError::BadName(l) => write!(f, "bad name length {l}"),
            FormatError::BadDirInode(i) => write!(f, "bad inode {i} for directory entry"),
            FormatError::NoEntryAt(o) => write!(f, "no directory entry at offset {o}"),
            FormatError::BadXattr(why) => write!(f, "bad xattr block: {}", why.name()),
            FormatError::XattrNoSpace => write!(f, "no space in xattr block"),
            FormatError::BadAcl => write!(f, "bad ACL"),
            FormatError::BitOutOfRange { bit, size } => {
                write!(f, "bit {bit} beyond bitmap of {size} bits")
            }
        }
    }
}

/// Name of the lowest feature bit set in `mask`, for one-line messages.
fn first_feature_name(kind: FeatureKind, mask: u32) -> &'static str {
    if mask == 0 {
        return "none";
    }
    feature_name(kind, 1 << mask.trailing_zeros())
}
