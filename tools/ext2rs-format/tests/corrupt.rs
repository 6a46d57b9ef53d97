// SPDX-License-Identifier: GPL-2.0

//! Corrupted copies of mke2fs images: every corruption must give its own
//! specific error, and random damage must never panic.

mod common;

use common::*;
use ext2rs_format::format::dir::{self, DirBlock};
use ext2rs_format::format::error::{DirEntryError, GroupCount, GroupField};
use ext2rs_format::format::group::{check_descriptors, GroupDesc};
use ext2rs_format::format::inode::{inode_loc, Inode, EXT2_ROOT_INO};
use ext2rs_format::format::superblock::*;
use ext2rs_format::format::FormatError;

/// A named edit and the error it must cause.
type Case<T> = (&'static str, Box<dyn FnOnce(&mut T)>, FormatError);

fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

fn put16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
}

/// A small 1 KiB-block image with several groups.
fn base() -> Image {
    mkfs("corrupt", &["-b", "1024", "-O", "^resize_inode"], 32, false)
}

/// Validates `img` after `edit` changed its superblock bytes.
fn validate_with(img: &mut Image, edit: impl FnOnce(&mut [u8])) -> Result<(), FormatError> {
    let saved = img.sb_bytes_mut().to_vec();
    edit(img.sb_bytes_mut());
    let r = img.sb().validate(img.len(), PAGE_SIZE);
    img.sb_bytes_mut().copy_from_slice(&saved);
    r
}

#[test]
fn superblock_corruptions() {
    let mut img = base();
    let sb = img.sb();
    sb.validate(img.len(), PAGE_SIZE).unwrap();
    let cases: Vec<Case<[u8]>> = vec![
        (
            "magic",
            Box::new(|b| put16(b, 56, 0x1234)),
            FormatError::BadMagic(0x1234),
        ),
        (
            "rev 2",
            Box::new(|b| put32(b, 76, 2)),
            FormatError::BadRevision(2),
        ),
        (
            "8 KiB blocks",
            Box::new(|b| {
                put32(b, 24, 3);
                put32(b, 28, 3)
            }),
            FormatError::BlockSizeUnsupported(8192),
        ),
        (
            "log 10",
            Box::new(|b| put32(b, 24, 10)),
            FormatError::BadLogBlockSize(10),
        ),
        (
            "log u32::MAX",
            Box::new(|b| put32(b, 24, u32::MAX)),
            FormatError::BadLogBlockSize(u32::MAX),
        ),
        (
            "frag size",
            Box::new(|b| put32(b, 28, 1)),
            FormatError::BadFragSize {
                log_frag_size: 1,
                log_block_size: 0,
            },
        ),
        (
            "blocks per group > 8 * bs",
            Box::new(|b| put32(b, 32, 8193)),
            FormatError::BadBlocksPerGroup(8193),
        ),
        (
            "blocks per group 0",
            Box::new(|b| put32(b, 32, 0)),
            FormatError::BadBlocksPerGroup(0),
        ),
        (
            "frags per group",
            Box::new(|b| put32(b, 36, 100)),
            FormatError::BadFragsPerGroup(100),
        ),
        (
            "inodes per group 0",
            Box::new(|b| put32(b, 40, 0)),
            FormatError::BadInodesPerGroup(0),
        ),
        (
            "inodes per group > 8 * bs",
            Box::new(|b| put32(b, 40, 8200)),
            FormatError::BadInodesPerGroup(8200),
        ),
        (
            "inodes per group not whole blocks",
            Box::new(|b| put32(b, 40, 1001)),
            FormatError::BadInodesPerGroup(1001),
        ),
        (
            "inode size 100",
            Box::new(|b| put16(b, 88, 100)),
            FormatError::BadInodeSize(100),
        ),
        (
            "inode size 129",
            Box::new(|b| put16(b, 88, 129)),
            FormatError::BadInodeSize(129),
        ),
        (
            "inode size 2048",
            Box::new(|b| put16(b, 88, 2048)),
            FormatError::BadInodeSize(2048),
        ),
        (
            "first ino 5",
            Box::new(|b| put32(b, 84, 5)),
            FormatError::BadFirstIno(5),
        ),
        (
            "first data block",
            Box::new(|b| put32(b, 20, 0)),
            FormatError::BadFirstDataBlock(0),
        ),
        (
            "free blocks",
            Box::new(|b| put32(b, 12, u32::MAX)),
            FormatError::BadFreeBlocksCount(u32::MAX),
        ),
        (
            "free inodes",
            Box::new(|b| put32(b, 16, u32::MAX)),
            FormatError::BadFreeInodesCount(u32::MAX),
        ),
        (
            "reserved blocks",
            Box::new(|b| put32(b, 8, u32::MAX)),
            FormatError::BadReservedBlocksCount(u32::MAX),
        ),
    ];
    for (what, edit, want) in cases {
        assert_eq!(validate_with(&mut img, edit), Err(want), "{what}");
    }
}

#[test]
fn geometry_corruptions() {
    let mut img = base();
    let sb = img.sb();
    let blocks = sb.s_blocks_count;
    let device_blocks = img.len() / 1024;
    assert_eq!(
        validate_with(&mut img, |b| put32(b, 4, blocks + 1)),
        Err(FormatError::BlocksPastDevice {
            blocks_count: blocks + 1,
            device_blocks,
        })
    );
    // The device is shorter than the file system.
    assert_eq!(
        sb.validate(img.len() - 4096, PAGE_SIZE),
        Err(FormatError::BlocksPastDevice {
            blocks_count: blocks,
            device_blocks: device_blocks - 4,
        })
    );
    // One block less: the same group count, still valid.
    validate_with(&mut img, |b| put32(b, 4, blocks - 1)).unwrap();
    let count = sb.s_inodes_count;
    assert_eq!(
        validate_with(&mut img, |b| put32(b, 0, count + 8)),
        Err(FormatError::BadInodesCount {
            inodes_count: count + 8,
            expected: u64::from(count),
        })
    );
    assert_eq!(
        validate_with(&mut img, |b| put32(b, 4, 1)),
        Err(FormatError::BadBlocksCount(1))
    );
}

#[test]
fn block_size_above_page() {
    let img = mkfs("bigbs", &["-b", "4096"], 16, false);
    let sb = img.sb();
    sb.validate(img.len(), 4096).unwrap();
    assert_eq!(
        sb.validate(img.len(), 1024),
        Err(FormatError::BlockSizeAbovePage {
            block_size: 4096,
            page_size: 1024,
        })
    );
}

#[test]
fn unsupported_features() {
    let mut img = base();
    let cases = [
        (EXT4_FEATURE_INCOMPAT_EXTENTS, "extents"),
        (EXT4_FEATURE_INCOMPAT_64BIT, "64bit"),
        (EXT3_FEATURE_INCOMPAT_JOURNAL_DEV, "journal_dev"),
        (EXT3_FEATURE_INCOMPAT_RECOVER, "needs_recovery"),
        (EXT2_FEATURE_INCOMPAT_COMPRESSION, "compression"),
        (EXT4_FEATURE_INCOMPAT_FLEX_BG, "flex_bg"),
        (EXT4_FEATURE_INCOMPAT_INLINE_DATA, "inline_data"),
    ];
    let incompat = img.sb().s_feature_incompat;
    for (bit, name) in cases {
        let r = validate_with(&mut img, |b| put32(b, 96, incompat | bit));
        assert_eq!(r, Err(FormatError::UnsupportedIncompat(bit)), "{name}");
        assert_eq!(feature_name(FeatureKind::Incompat, bit), name);
        let msg = r.unwrap_err().to_string();
        assert!(msg.contains(name), "{msg}");
    }
    // Unknown read-only-compatible bits: mountable, but read-only only.
    let ro = img.sb().s_feature_ro_compat;
    for bit in [EXT4_FEATURE_RO_COMPAT_METADATA_CSUM, 1 << 30] {
        put32(img.sb_bytes_mut(), 100, ro | bit);
        let sb = img.sb();
        sb.validate(img.len(), PAGE_SIZE).unwrap();
        assert_eq!(sb.unsupported_ro_compat(), bit);
        assert_eq!(sb.unsupported_incompat(), 0);
    }
    assert_eq!(feature_name(FeatureKind::RoCompat, 1 << 30), "unknown");
    put32(img.sb_bytes_mut(), 100, ro);
    // A clean ext3 journal is a compat feature: fine.
    let compat = img.sb().s_feature_compat;
    put32(
        img.sb_bytes_mut(),
        92,
        compat | EXT3_FEATURE_COMPAT_HAS_JOURNAL,
    );
    let sb = img.sb();
    sb.validate(img.len(), PAGE_SIZE).unwrap();
    assert_eq!(sb.unknown_compat(), 0);
    let names: Vec<&str> = FeatureBits::new(FeatureKind::Compat, sb.s_feature_compat)
        .map(|(_, n)| n)
        .collect();
    assert!(names.contains(&"has_journal"), "{names:?}");
}

/// Edits descriptor `group` in the primary table and runs the checks.
fn check_desc_with(
    img: &mut Image,
    group: u32,
    edit: impl FnOnce(&mut GroupDesc),
) -> Result<(), FormatError> {
    let sb = img.sb();
    let (block, offset) = sb.descriptor_block(group).unwrap();
    let saved = img.block(block).to_vec();
    let mut d = img.group_desc(group);
    edit(&mut d);
    d.write(&mut img.block_mut(block)[offset..]).unwrap();
    let r = check_descriptors(&sb, 0, img.block(block));
    img.block_mut(block).copy_from_slice(&saved);
    r
}

#[test]
fn descriptor_corruptions() {
    let mut img = base();
    let sb = img.sb();
    assert!(sb.groups_count() >= 4);
    check_descriptors(&sb, 0, img.block(sb.descriptor_loc(0))).unwrap();
    let g1 = img.group_desc(1);
    let g2_first = sb.group_first_block(2) as u32;
    let last = sb.s_blocks_count;
    let out = |what, block| FormatError::GroupDescOutOfRange {
        group: 1,
        what,
        block,
    };
    let over = |what, block| FormatError::GroupDescOverlap {
        group: 1,
        what,
        block,
    };
    let itb = sb.itb_per_group();
    let cases: Vec<Case<GroupDesc>> = vec![
        (
            "block bitmap past the device",
            Box::new(move |d| d.bg_block_bitmap = last + 100),
            out(GroupField::BlockBitmap, last + 100),
        ),
        (
            "inode bitmap in the next group",
            Box::new(move |d| d.bg_inode_bitmap = g2_first + 5),
            out(GroupField::InodeBitmap, g2_first + 5),
        ),
        (
            "inode table running out of the group",
            Box::new(move |d| d.bg_inode_table = g2_first - itb + 1),
            out(GroupField::InodeTable, g2_first - itb + 1),
        ),
        (
            "inode table over the bitmaps",
            Box::new(move |d| d.bg_inode_table = g1.bg_block_bitmap),
            over(GroupField::BlockBitmap, g1.bg_block_bitmap),
        ),
        (
            "inode bitmap equal to the block bitmap",
            Box::new(move |d| d.bg_inode_bitmap = g1.bg_block_bitmap),
            over(GroupField::InodeBitmap, g1.bg_block_bitmap),
        ),
        (
            "block bitmap over the superblock backup",
            Box::new(move |d| d.bg_block_bitmap = g1.bg_block_bitmap - 2),
            over(GroupField::BlockBitmap, g1.bg_block_bitmap - 2),
        ),
        (
            "free blocks above group size",
            Box::new(|d| d.bg_free_blocks_count = 9000),
            FormatError::GroupDescBadCount {
                group: 1,
                what: GroupCount::FreeBlocks,
                value: 9000,
            },
        ),
        (
            "free inodes above inodes per group",
            Box::new(|d| d.bg_free_inodes_count = u16::MAX),
            FormatError::GroupDescBadCount {
                group: 1,
                what: GroupCount::FreeInodes,
                value: u16::MAX,
            },
        ),
    ];
    for (what, edit, want) in cases {
        assert_eq!(check_desc_with(&mut img, 1, edit), Err(want), "{what}");
    }
    assert_eq!(
        GroupDesc::default().check(&sb, sb.groups_count()),
        Err(FormatError::GroupOutOfRange(sb.groups_count()))
    );
}

/// The root directory's first block, its block number, and the format.
fn root_block(img: &Image) -> (u64, Vec<u8>) {
    let root = img.inode(EXT2_ROOT_INO);
    let nr = u64::from(root.i_block[0]);
    (nr, img.block(nr).to_vec())
}

#[test]
fn dir_block_corruptions() {
    let img = mkfs("dirc", &["-b", "1024"], 16, true);
    let fmt = img.dir_format();
    let (_, block) = root_block(&img);
    DirBlock::with_format(&block, fmt).unwrap();
    let offsets: Vec<usize> = DirBlock::with_format(&block, fmt)
        .unwrap()
        .entries()
        .map(|e| e.offset)
        .collect();
    let last = *offsets.last().unwrap();
    let bad = |offset: usize, reason| FormatError::BadDirEntry {
        offset: offset as u32,
        reason,
    };
    let cases: Vec<Case<[u8]>> = vec![
        (
            "rec_len 0",
            Box::new(|b| put16(b, 4, 0)),
            bad(0, DirEntryError::RecLenTooSmall),
        ),
        (
            "rec_len 13",
            Box::new(|b| put16(b, 4, 13)),
            bad(0, DirEntryError::Unaligned),
        ),
        (
            "rec_len past the end",
            Box::new(move |b| {
                let r = u16::from_le_bytes([b[last + 4], b[last + 5]]);
                put16(b, last + 4, r + 4)
            }),
            bad(last, DirEntryError::CrossesBlock),
        ),
        (
            "rec_len 65535",
            Box::new(move |b| put16(b, last + 4, u16::MAX)),
            bad(last, DirEntryError::CrossesBlock),
        ),
        (
            "name_len > rec_len - 8",
            Box::new(|b| b[12 + 6] = 5),
            bad(12, DirEntryError::NameTooLong),
        ),
        (
            "inode > s_inodes_count",
            Box::new(|b| put32(b, 12, u32::MAX)),
            bad(12, DirEntryError::InodeOutOfRange),
        ),
        (
            "bad file type",
            Box::new(|b| b[7] = 9),
            bad(0, DirEntryError::BadFileType),
        ),
        (
            "empty name",
            Box::new(|b| b[6] = 0),
            bad(0, DirEntryError::EmptyName),
        ),
        (
            "block not covered",
            Box::new(move |b| {
                let r = u16::from_le_bytes([b[last + 4], b[last + 5]]);
                put16(b, last + 4, r - 4)
            }),
            bad(1020, DirEntryError::BlockNotCovered),
        ),
    ];
    for (what, edit, want) in cases {
        let mut b = block.clone();
        edit(&mut b);
        assert_eq!(DirBlock::with_format(&b, fmt).err(), Some(want), "{what}");
        // The edits refuse a corrupt block too.
        assert_eq!(
            dir::add_link(&mut b.clone(), fmt, b"new", 12, 1).err(),
            Some(want),
            "{what}"
        );
        assert_eq!(dir::delete_entry(&mut b.clone(), fmt, 12).err(), Some(want));
        assert!(!want.to_string().is_empty());
    }
    // An unused (inode 0) first entry is fine.
    let mut b = block.clone();
    put32(&mut b, 0, 0);
    DirBlock::with_format(&b, fmt).unwrap();
    assert_eq!(
        DirBlock::with_format(&block[..1000], fmt).err(),
        Some(FormatError::BadDirBlockSize(1000))
    );
}

#[test]
fn inode_corruptions() {
    let mut img = mkfs("inoc", &["-b", "1024"], 16, true);
    let sb = img.sb();
    for ino in [0, 1, 3, 10, sb.s_inodes_count + 1, u32::MAX] {
        assert_eq!(
            inode_loc(&sb, ino),
            Err(FormatError::BadInodeNumber(ino)),
            "{ino}"
        );
    }
    inode_loc(&sb, sb.s_inodes_count).unwrap();
    let ino = img.lookup(EXT2_ROOT_INO, "big");
    let range = img.inode_range(ino);
    put32(&mut img.bytes[range.start..range.end], 108, 0x8000_0000);
    let inode = img.inode(ino);
    assert!(matches!(inode.size(), Err(FormatError::BadFileSize(_))));
    // A linkless inode with a mode and no dtime is corrupt; with dtime it
    // is deleted.
    let mut raw = Inode::parse(&img.bytes[range.clone()]).unwrap();
    raw.i_links_count = 0;
    assert_eq!(
        raw.is_deleted(ino),
        Err(FormatError::UnlinkedLiveInode(ino))
    );
    raw.i_dtime = 1;
    assert_eq!(raw.is_deleted(ino), Ok(true));
    assert_eq!(
        Inode::parse(&[0u8; 100]),
        Err(FormatError::BufferTooShort {
            need: 128,
            have: 100
        })
    );
}

/// xorshift for the damage tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Random damage to the superblock and descriptors: no panic, and every
/// geometry helper stays total.
#[test]
fn random_superblock_damage() {
    let img = base();
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let sb_bytes = img.bytes[1024..2048].to_vec();
    let gdt = img.block(img.sb().descriptor_loc(0)).to_vec();
    for _ in 0..20_000 {
        let mut b = sb_bytes.clone();
        let mut g = gdt.clone();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(272);
            b[i] = rng.next() as u8;
            let j = rng.below(g.len());
            g[j] = rng.next() as u8;
        }
        let sb = Superblock::parse(&b).unwrap();
        let ok = sb.validate(img.len(), PAGE_SIZE).is_ok();
        let groups = sb.groups_count();
        for group in [0, 1, groups.saturating_sub(1), groups, u32::MAX] {
            let _ = sb.group_first_block(group);
            let _ = sb.group_last_block(group);
            let _ = sb.blocks_in_group(group);
            let _ = sb.group_overhead(group);
            let _ = sb.descriptor_block(group);
            let _ = sb.block_group(u64::from(group) * 1000);
        }
        let _ = sb.descriptor_loc(rng.next() as u32);
        let _ = inode_loc(&sb, rng.next() as u32);
        if ok {
            let _ = check_descriptors(&sb, 0, &g);
        }
        let _ = sb.data_block_valid(rng.next(), rng.next());
    }
}

/// Random damage to a directory block: no panic in the check, the
/// iterator or the edits.
#[test]
fn random_dir_damage() {
    let img = mkfs("dird", &["-b", "1024"], 16, true);
    let fmt = img.dir_format();
    let (_, block) = root_block(&img);
    let mut rng = Rng(0x0dd_ba11_cafe_f00d);
    let mut valid = 0;
    for _ in 0..20_000 {
        let mut b = block.clone();
        for _ in 0..1 + rng.below(3) {
            let i = rng.below(b.len());
            b[i] = rng.next() as u8;
        }
        if let Ok(d) = DirBlock::with_format(&b, fmt) {
            valid += 1;
            let n = d.entries().count();
            assert!(n >= 1 && n <= b.len() / 12);
            let _ = d.find(b"small");
            let _ = d.empty_dir(2);
        }
        let off = rng.below(b.len());
        let _ = dir::delete_entry(&mut b.clone(), fmt, off);
        let _ = dir::set_link(&mut b.clone(), fmt, off, 12, 1);
        let _ = dir::add_link(&mut b, fmt, b"newname", 13, 1);
    }
    assert!(valid > 0);
}
