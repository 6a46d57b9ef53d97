// SPDX-License-Identifier: GPL-2.0

//! Encoding round trips and the small helpers of the superblock, group
//! descriptor and inode modules.

mod common;

use common::*;
use ext2rs_format::format::group::{GroupDesc, GROUP_DESC_SIZE};
use ext2rs_format::format::inode::*;
use ext2rs_format::format::superblock::*;
use ext2rs_format::format::FormatError;

#[test]
fn superblock_write_mutable_touches_only_its_fields() {
    let img = mkfs("sbw", &["-b", "1024", "-L", "ext2rs-vol"], 16, false);
    let orig = img.bytes[1024..2048].to_vec();
    let mut sb = Superblock::parse(&orig).unwrap();
    assert_eq!(&sb.s_volume_name[..10], b"ext2rs-vol");
    assert_eq!(sb.s_magic, EXT2_SUPER_MAGIC);
    assert_ne!(sb.s_uuid, [0; 16]);
    assert_ne!(sb.s_mkfs_time, 0);
    // Unchanged fields write back the same bytes.
    let mut buf = orig.clone();
    sb.write_mutable(&mut buf).unwrap();
    assert_eq!(buf, orig);
    sb.s_free_blocks_count -= 3;
    sb.s_free_inodes_count -= 1;
    sb.s_state &= !EXT2_VALID_FS;
    sb.s_mnt_count += 1;
    sb.s_mtime = 0x1234_5678;
    sb.s_wtime = 0x2345_6789;
    sb.s_errors = EXT2_ERRORS_RO;
    sb.s_feature_ro_compat |= EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
    sb.s_volume_name = [b'z'; 16]; // not a mutable field: not written
    sb.write_mutable(&mut buf).unwrap();
    let back = Superblock::parse(&buf).unwrap();
    assert_eq!(back.s_free_blocks_count, sb.s_free_blocks_count);
    assert_eq!(back.s_free_inodes_count, sb.s_free_inodes_count);
    assert_eq!(back.s_state, sb.s_state);
    assert_eq!(back.s_mnt_count, sb.s_mnt_count);
    assert_eq!((back.s_mtime, back.s_wtime), (0x1234_5678, 0x2345_6789));
    assert_eq!(back.s_errors, EXT2_ERRORS_RO);
    assert_eq!(
        back.s_volume_name,
        Superblock::parse(&orig).unwrap().s_volume_name
    );
    let changed: Vec<usize> = (0..1024).filter(|&i| buf[i] != orig[i]).collect();
    let allowed = [12..20, 44..54, 58..62, 100..104];
    assert!(
        changed
            .iter()
            .all(|i| allowed.iter().any(|r| r.contains(i))),
        "{changed:?}"
    );
    assert_eq!(
        sb.write_mutable(&mut [0u8; 100]),
        Err(FormatError::BufferTooShort {
            need: 1024,
            have: 100
        })
    );
    assert!(Superblock::parse(&orig[..1000]).is_err());
}

#[test]
fn dynamic_rev_update() {
    let img = mkfs("rev0b", &["-b", "1024", "-r", "0"], 8, false);
    let mut sb = img.sb();
    sb.s_first_ino = 0;
    sb.s_inode_size = 0;
    assert_eq!((sb.inode_size(), sb.first_ino()), (128, 11));
    sb.update_dynamic_rev();
    assert_eq!(sb.s_rev_level, EXT2_DYNAMIC_REV);
    assert_eq!((sb.s_inode_size, sb.s_first_ino), (128, 11));
    sb.validate(img.len(), PAGE_SIZE).unwrap();
}

#[test]
fn sparse_groups() {
    let sparse: Vec<u32> = (0..400).filter(|&g| group_sparse(g)).collect();
    assert_eq!(sparse, [0, 1, 3, 5, 7, 9, 25, 27, 49, 81, 125, 243, 343]);
    assert!(group_sparse(3u32.pow(20)));
    assert!(!group_sparse(u32::MAX));
}

#[test]
fn geometry_helpers() {
    let img = mkfs("geo", &["-b", "1024", "-O", "^resize_inode"], 40, false);
    let sb = img.sb();
    assert_eq!(sb.block_size(), 1024);
    assert_eq!(sb.block_size_bits(), 10);
    assert_eq!(sb.desc_per_block(), 32);
    assert_eq!(sb.addr_per_block(), 256);
    assert_eq!(sb.groups_count(), 5);
    assert_eq!(sb.group_first_block(1), 8193);
    assert_eq!(sb.group_last_block(1), 16384);
    assert_eq!(sb.group_last_block(4), u64::from(sb.s_blocks_count) - 1);
    assert_eq!(sb.block_group(1), Some((0, 0)));
    assert_eq!(sb.block_group(8193), Some((1, 0)));
    assert_eq!(sb.block_group(8192), Some((0, 8191)));
    assert_eq!(sb.block_group(0), None);
    assert_eq!(
        sb.block_group(u64::from(sb.s_blocks_count) + 8192 * 2),
        None
    );
    assert_eq!(sb.descriptor_block(3), Ok((2, 96)));
    assert_eq!(sb.descriptor_block(5), Err(FormatError::GroupOutOfRange(5)));
    assert!(sb.group_has_super(3) && !sb.group_has_super(2));
    assert_eq!(sb.num_base_meta_blocks(0), 2);
    assert_eq!(sb.num_base_meta_blocks(2), 0);
    assert_eq!(sb.group_overhead(2), 2 + u64::from(sb.itb_per_group()));
    assert!(
        !sb.data_block_valid(1, 1),
        "first data block holds the superblock"
    );
    assert!(sb.data_block_valid(2, 10));
    assert!(!sb.data_block_valid(2, 0));
    assert!(!sb.data_block_valid(u64::from(sb.s_blocks_count) - 1, 2));
    assert!(!sb.data_block_valid(u64::MAX, 2));
}

#[test]
fn group_desc_round_trip() {
    let img = mkfs("gd", &["-b", "4096"], 16, false);
    let sb = img.sb();
    let block = img.block(sb.descriptor_loc(0));
    let d = GroupDesc::from_block(block, 0).unwrap();
    let mut out = vec![0u8; GROUP_DESC_SIZE];
    d.write(&mut out).unwrap();
    assert_eq!(&out[..], &block[..GROUP_DESC_SIZE]);
    let mut copy = block.to_vec();
    let mut d2 = d;
    d2.bg_free_blocks_count -= 1;
    d2.write_to_block(&mut copy, 0).unwrap();
    assert_eq!(GroupDesc::from_block(&copy, 0).unwrap(), d2);
    assert_eq!(copy[GROUP_DESC_SIZE..], block[GROUP_DESC_SIZE..]);
    assert!(
        GroupDesc::from_block(block, 128).is_err(),
        "beyond the block"
    );
    assert!(GroupDesc::parse(&block[..31]).is_err());
}

#[test]
fn inode_round_trip_on_image() {
    let img = mkfs("ino", &["-b", "1024", "-I", "256"], 16, true);
    for name in ["big", "sub", "link", "longlink", "sparse"] {
        let ino = img.lookup(EXT2_ROOT_INO, name);
        let raw = &img.bytes[img.inode_range(ino)];
        let inode = Inode::parse(raw).unwrap();
        let mut out = raw.to_vec();
        out[..128].fill(0);
        inode.write(&mut out).unwrap();
        assert_eq!(out, raw, "{name}");
    }
}

#[test]
fn inode_fields() {
    let mut i = Inode {
        i_mode: S_IFREG | 0o644,
        ..Inode::default()
    };
    i.set_uid(0x0012_3456);
    i.set_gid(70_000);
    assert_eq!((i.uid(), i.gid()), (0x0012_3456, 70_000));
    assert_eq!((i.i_uid, i.l_i_uid_high), (0x3456, 0x12));
    i.i_dtime = 5;
    i.set_uid(0x0012_3456);
    assert_eq!(i.l_i_uid_high, 0, "deleted inodes drop the high half");
    assert!(i.set_size(5 << 30));
    assert_eq!((i.i_size, i.i_dir_acl), (1 << 30, 1));
    assert_eq!(i.size(), Ok(5 << 30));
    assert!(!i.set_size(0x7fff_ffff));
    i.i_mode = S_IFDIR | 0o755;
    i.i_dir_acl = 99;
    assert_eq!(i.size(), Ok(0x7fff_ffff), "directories ignore i_dir_acl");
    assert_eq!(i.file_type(), S_IFDIR);
    assert_eq!(mask_flags(S_IFDIR, EXT2_DIRSYNC_FL), EXT2_DIRSYNC_FL);
    assert_eq!(
        mask_flags(S_IFREG, EXT2_DIRSYNC_FL | EXT2_APPEND_FL),
        EXT2_APPEND_FL
    );
    assert_eq!(
        mask_flags(S_IFLNK, EXT2_APPEND_FL | EXT2_NODUMP_FL),
        EXT2_NODUMP_FL
    );
}

#[test]
fn fast_symlink_rules() {
    let mut i = Inode {
        i_mode: S_IFLNK | 0o777,
        i_size: 5,
        ..Inode::default()
    };
    i.i_block[0] = u32::from_le_bytes(*b"hell");
    i.i_block[1] = u32::from(b'o');
    assert!(i.is_fast_symlink(1024));
    let mut buf = [0u8; 60];
    assert_eq!(i.fast_symlink_target(&mut buf), 5);
    assert_eq!(&buf[..5], b"hello");
    // An xattr block alone keeps it fast.
    i.i_file_acl = 100;
    i.i_blocks = 2;
    assert!(i.is_fast_symlink(1024));
    assert!(!i.is_fast_symlink(4096));
    i.i_blocks = 4;
    assert!(!i.is_fast_symlink(1024));
    i.i_file_acl = 0;
    i.i_blocks = 0;
    i.i_size = 1000;
    assert_eq!(
        i.fast_symlink_target(&mut buf),
        59,
        "nd_terminate_link bound"
    );
    i.i_mode = S_IFREG;
    assert!(!i.is_fast_symlink(1024));
}

#[test]
fn device_numbers() {
    assert_eq!(old_decode_dev(0x0801), mkdev(8, 1));
    assert_eq!(old_encode_dev(mkdev(8, 1)), 0x0801);
    assert!(old_valid_dev(mkdev(255, 255)));
    assert!(!old_valid_dev(mkdev(256, 0)));
    assert!(!old_valid_dev(mkdev(1, 256)));
    for (ma, mi) in [(0, 0), (8, 1), (259, 0), (4095, 0xfffff), (1, 0x12345)] {
        let dev = mkdev(ma, mi);
        assert_eq!(new_decode_dev(new_encode_dev(dev)), dev);
        assert_eq!((major(dev), minor(dev)), (ma, mi));
        let mut i = Inode {
            i_mode: S_IFBLK,
            ..Inode::default()
        };
        i.i_block = [7; 15];
        i.set_rdev(dev);
        assert_eq!(i.rdev(), dev);
        if old_valid_dev(dev) {
            assert_eq!(i.i_block[..2], [u32::from(old_encode_dev(dev)), 0]);
        } else {
            assert_eq!((i.i_block[0], i.i_block[2]), (0, 0));
        }
    }
    assert_eq!(new_encode_dev(mkdev(259, 0x12345)), 0x1231_0345);
}

#[test]
fn inode_locations() {
    let img = mkfs("loc", &["-b", "1024", "-I", "256"], 16, false);
    let sb = img.sb();
    let loc = inode_loc(&sb, EXT2_ROOT_INO).unwrap();
    assert_eq!(
        (loc.group, loc.index, loc.table_block, loc.offset),
        (0, 1, 0, 256)
    );
    let ipg = sb.s_inodes_per_group;
    let loc = inode_loc(&sb, ipg + 5).unwrap();
    assert_eq!(
        (loc.group, loc.index, loc.table_block, loc.offset),
        (1, 4, 1, 0)
    );
    let loc = inode_loc(&sb, sb.s_inodes_count).unwrap();
    assert_eq!(loc.index, ipg - 1);
    assert_eq!(loc.table_block, sb.itb_per_group() - 1);
    assert_eq!(
        loc.block(&img.group_desc(loc.group)),
        u64::from(img.group_desc(loc.group).bg_inode_table) + u64::from(sb.itb_per_group() - 1)
    );
}

#[test]
fn feature_names_and_messages() {
    assert_eq!(
        feature_name(FeatureKind::Incompat, EXT2_FEATURE_INCOMPAT_FILETYPE),
        "filetype"
    );
    assert_eq!(
        feature_name(FeatureKind::Compat, EXT2_FEATURE_COMPAT_DIR_INDEX),
        "dir_index"
    );
    assert_eq!(
        feature_name(FeatureKind::RoCompat, EXT2_FEATURE_RO_COMPAT_LARGE_FILE),
        "large_file"
    );
    assert_eq!(feature_name(FeatureKind::Incompat, 1 << 31), "unknown");
    let bits: Vec<_> = FeatureBits::new(FeatureKind::Incompat, 0x42).collect();
    assert_eq!(bits, [(2, "filetype"), (0x40, "extents")]);
    let msg = FormatError::UnsupportedIncompat(0xc0).to_string();
    assert!(msg.contains("extents") && msg.contains("0xc0"), "{msg}");
    assert!(FormatError::BadMagic(1).to_string().contains("magic"));
}
