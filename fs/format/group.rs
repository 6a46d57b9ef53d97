// SPDX-License-Identifier: GPL-2.0

//! Block group descriptors: decoding, encoding and `ext2_check_descriptors`.

use super::error::{FormatError, GroupCount, GroupField, Result};
use super::le::{le16, le32, prefix, prefix_mut, put_le16, put_le32};
use super::superblock::{Superblock, EXT2_DESC_SIZE};

/// Size of `struct ext2_group_desc` in bytes.
pub const GROUP_DESC_SIZE: usize = 32;

/// One block group descriptor (`struct ext2_group_desc`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupDesc {
    /// Block bitmap block.
    pub bg_block_bitmap: u32,
    /// Inode bitmap block.
    pub bg_inode_bitmap: u32,
    /// First inode table block.
    pub bg_inode_table: u32,
    /// Free blocks count.
    pub bg_free_blocks_count: u16,
    /// Free inodes count.
    pub bg_free_inodes_count: u16,
    /// Directories count.
    pub bg_used_dirs_count: u16,
    /// Padding (ext4 flags), preserved.
    pub bg_pad: u16,
    /// Reserved (ext4 fields), preserved.
    pub bg_reserved: [u32; 3],
}

impl GroupDesc {
    /// Decodes the descriptor at the start of `buf`.
    pub fn parse(buf: &[u8]) -> Result<Self> {
        let b = prefix(buf, GROUP_DESC_SIZE)?;
        Ok(Self {
            bg_block_bitmap: le32(b, 0),
            bg_inode_bitmap: le32(b, 4),
            bg_inode_table: le32(b, 8),
            bg_free_blocks_count: le16(b, 12),
            bg_free_inodes_count: le16(b, 14),
            bg_used_dirs_count: le16(b, 16),
            bg_pad: le16(b, 18),
            bg_reserved: [le32(b, 20), le32(b, 24), le32(b, 28)],
        })
    }

    /// Decodes descriptor `index` of a descriptor block.
    pub fn from_block(block: &[u8], index: u32) -> Result<Self> {
        Self::parse(desc_slice(block, index)?)
    }

    /// Encodes the descriptor into the first 32 bytes of `buf`.
    pub fn write(&self, buf: &mut [u8]) -> Result<()> {
        let b = prefix_mut(buf, GROUP_DESC_SIZE)?;
        put_le32(b, 0, self.bg_block_bitmap);
        put_le32(b, 4, self.bg_inode_bitmap);
        put_le32(b, 8, self.bg_inode_table);
        put_le16(b, 12, self.bg_free_blocks_count);
        put_le16(b, 14, self.bg_free_inodes_count);
        put_le16(b, 16, self.bg_used_dirs_count);
        put_le16(b, 18, self.bg_pad);
        put_le32(b, 20, self.bg_reserved[0]);
        put_le32(b, 24, self.bg_reserved[1]);
        put_le32(b, 28, self.bg_reserved[2]);
        Ok(())
    }

    /// Encodes the descriptor as entry `index` of a descriptor block.
    pub fn write_to_block(&self, block: &mut [u8], index: u32) -> Result<()> {
        let off = desc_offset(index)?;
        let have = block.len();
        let b = block.get_mut(off..).ok_or(FormatError::BufferTooShort {
            need: off.saturating_add(GROUP_DESC_SIZE),
            have,
        })?;
        self.write(b)
    }

    /// Checks the descriptor of group `group` against the (validated)
    /// superblock, as ext2_check_descriptors does, and a little more: the
    /// bitmaps and the inode table must lie inside the group, must not
    /// overlap each other or the group's superblock and descriptor copy,
    /// and the counters must not exceed what the group holds.
    pub fn check(&self, sb: &Superblock, group: u32) -> Result<()> {
        let g = GroupRange::new(sb, group)?;
        let itb = u64::from(sb.itb_per_group());
        g.contains(GroupField::BlockBitmap, self.bg_block_bitmap, 1)?;
        g.contains(GroupField::InodeBitmap, self.bg_inode_bitmap, 1)?;
        g.contains(GroupField::InodeTable, self.bg_inode_table, itb)?;
        self.check_overlap(group, itb)?;
        self.check_counts(sb, group)
    }

    /// Bitmaps distinct and outside the inode table.
    fn check_overlap(&self, group: u32, itb: u64) -> Result<()> {
        let table = u64::from(self.bg_inode_table);
        let in_table = |b: u32| (table..table + itb).contains(&u64::from(b));
        if in_table(self.bg_block_bitmap) {
            return Err(overlap(
                group,
                GroupField::BlockBitmap,
                self.bg_block_bitmap,
            ));
        }
        if in_table(self.bg_inode_bitmap) || self.bg_inode_bitmap == self.bg_block_bitmap {
            return Err(overlap(
                group,
                GroupField::InodeBitmap,
                self.bg_inode_bitmap,
            ));
        }
        Ok(())
    }

    /// Free counts and directory count plausible for the group's size.
    fn check_counts(&self, sb: &Superblock, group: u32) -> Result<()> {
        let ipg = u64::from(sb.s_inodes_per_group);
        let checks = [
            (
                GroupCount::FreeBlocks,
                self.bg_free_blocks_count,
                sb.blocks_in_group(group),
            ),
            (GroupCount::FreeInodes, self.bg_free_inodes_count, ipg),
            (GroupCount::UsedDirs, self.bg_used_dirs_count, ipg),
        ];
        for (what, value, max) in checks {
            if u64::from(value) > max {
                return Err(FormatError::GroupDescBadCount { group, what, value });
            }
        }
        Ok(())
    }
}

/// Blocks of one group that its bitmaps and inode table may use: after the
/// superblock copy and descriptors, up to the group's last block.
struct GroupRange {
    group: u32,
    first: u64,
    meta_end: u64,
    last: u64,
}

impl GroupRange {
    fn new(sb: &Superblock, group: u32) -> Result<Self> {
        if group >= sb.groups_count() {
            return Err(FormatError::GroupOutOfRange(group));
        }
        let first = sb.group_first_block(group);
        Ok(Self {
            group,
            first,
            meta_end: first + sb.num_base_meta_blocks(group),
            last: sb.group_last_block(group),
        })
    }

    /// Checks that `count` blocks from `block` are usable metadata blocks.
    fn contains(&self, what: GroupField, block: u32, count: u64) -> Result<()> {
        let start = u64::from(block);
        let end = start + count.saturating_sub(1);
        if start < self.first || end > self.last {
            return Err(FormatError::GroupDescOutOfRange {
                group: self.group,
                what,
                block,
            });
        }
        if start < self.meta_end {
            return Err(overlap(self.group, what, block));
        }
        Ok(())
    }
}

fn overlap(group: u32, what: GroupField, block: u32) -> FormatError {
    FormatError::GroupDescOverlap { group, what, block }
}

/// Byte offset of descriptor `index` in a descriptor block.
fn desc_offset(index: u32) -> Result<usize> {
    let off = u64::from(index) * u64::from(EXT2_DESC_SIZE);
    usize::try_from(off).map_err(|_| FormatError::GroupOutOfRange(index))
}

fn desc_slice(block: &[u8], index: u32) -> Result<&[u8]> {
    let off = desc_offset(index)?;
    block.get(off..).ok_or(FormatError::BufferTooShort {
        need: off.saturating_add(GROUP_DESC_SIZE),
        have: block.len(),
    })
}

/// Checks every descriptor stored in descriptor block `nr` (block contents
/// in `block`): the groups `nr * desc_per_block` up to the group count.
pub fn check_descriptors(sb: &Superblock, nr: u32, block: &[u8]) -> Result<()> {
    let dpb = sb.desc_per_block();
    let first = nr.saturating_mul(dpb);
    let end = first.saturating_add(dpb).min(sb.groups_count());
    for group in first..end {
        GroupDesc::from_block(block, group - first)?.check(sb, group)?;
    }
    Ok(())
}
