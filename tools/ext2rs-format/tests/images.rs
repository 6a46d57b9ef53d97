// SPDX-License-Identifier: GPL-2.0

//! Images made by mke2fs, read with the format library and checked against
//! what was put in and what debugfs reports.

mod common;

use common::*;
use ext2rs_format::format::blockmap::{indirect_blocks_for, max_size};
use ext2rs_format::format::dir::{DirBlock, EXT2_FT_DIR, EXT2_FT_REG_FILE, EXT2_FT_SYMLINK};
use ext2rs_format::format::group::check_descriptors;
use ext2rs_format::format::inode::{s_isdir, s_islnk, s_isreg, EXT2_ROOT_INO};
use ext2rs_format::format::superblock::*;

/// Superblock fields against debugfs `stats`.
fn check_superblock(img: &Image, stats: &str) {
    let sb = img.sb();
    sb.validate(img.len(), PAGE_SIZE).expect("validate");
    let num = |k: &str| stat_field(stats, k).parse::<u64>().expect(k);
    assert_eq!(u64::from(sb.s_inodes_count), num("Inode count"));
    assert_eq!(u64::from(sb.s_blocks_count), num("Block count"));
    assert_eq!(u64::from(sb.s_r_blocks_count), num("Reserved block count"));
    assert_eq!(u64::from(sb.s_free_blocks_count), num("Free blocks"));
    assert_eq!(u64::from(sb.s_free_inodes_count), num("Free inodes"));
    assert_eq!(u64::from(sb.s_first_data_block), num("First block"));
    assert_eq!(u64::from(sb.block_size()), num("Block size"));
    assert_eq!(u64::from(sb.s_blocks_per_group), num("Blocks per group"));
    assert_eq!(u64::from(sb.s_inodes_per_group), num("Inodes per group"));
    assert_eq!(u64::from(sb.itb_per_group()), num("Inode blocks per group"));
    if sb.s_rev_level == EXT2_DYNAMIC_REV {
        assert_eq!(u64::from(sb.inode_size()), num("Inode size"));
        assert_eq!(u64::from(sb.first_ino()), num("First inode"));
    }
    let features = stat_field(stats, "Filesystem features");
    for word in [
        (FeatureKind::Compat, sb.s_feature_compat),
        (FeatureKind::Incompat, sb.s_feature_incompat),
        (FeatureKind::RoCompat, sb.s_feature_ro_compat),
    ]
    .into_iter()
    .flat_map(|(kind, mask)| FeatureBits::new(kind, mask))
    {
        assert!(features.contains(word.1), "{} not in {features}", word.1);
    }
    assert_eq!(sb.unsupported_incompat(), 0);
    assert_eq!(sb.unsupported_ro_compat(), 0);
}

/// Every group descriptor against debugfs, and the descriptor checks.
fn check_groups(img: &Image, stats: &str) {
    let sb = img.sb();
    let expected = stat_groups(stats);
    assert_eq!(expected.len(), sb.groups_count() as usize);
    let mut free_blocks = 0u64;
    for (g, e) in expected.iter().enumerate() {
        let d = img.group_desc(g as u32);
        let got = [
            u64::from(d.bg_block_bitmap),
            u64::from(d.bg_inode_bitmap),
            u64::from(d.bg_inode_table),
            u64::from(d.bg_free_blocks_count),
            u64::from(d.bg_free_inodes_count),
            u64::from(d.bg_used_dirs_count),
        ];
        assert_eq!(&got, e, "group {g}");
        d.check(&sb, g as u32).expect("descriptor check");
        free_blocks += u64::from(d.bg_free_blocks_count);
        check_bitmaps(img, g as u32, &d);
    }
    assert_eq!(free_blocks, u64::from(sb.s_free_blocks_count));
    for nr in 0..sb.gdb_count() {
        check_descriptors(&sb, nr, img.block(sb.descriptor_loc(nr))).expect("check_descriptors");
    }
}

/// Free counts in the descriptor match the bitmaps; metadata is in use.
fn check_bitmaps(img: &Image, group: u32, d: &ext2rs_format::format::group::GroupDesc) {
    use ext2rs_format::format::bitmap::{count_zero_bits, test_bit};
    let sb = img.sb();
    let nblocks = sb.blocks_in_group(group) as u32;
    let bb = img.block(u64::from(d.bg_block_bitmap));
    assert_eq!(
        count_zero_bits(bb, nblocks),
        u32::from(d.bg_free_blocks_count)
    );
    let ib = img.block(u64::from(d.bg_inode_bitmap));
    assert_eq!(
        count_zero_bits(ib, sb.s_inodes_per_group),
        u32::from(d.bg_free_inodes_count)
    );
    let first = sb.group_first_block(group);
    for b in [d.bg_block_bitmap, d.bg_inode_bitmap, d.bg_inode_table] {
        assert!(test_bit(bb, (u64::from(b) - first) as u32).unwrap());
    }
    for b in 0..sb.num_base_meta_blocks(group) {
        assert!(
            test_bit(bb, b as u32).unwrap(),
            "group {group} base block {b}"
        );
    }
}

/// Root directory entries against `debugfs ls -l /`.
fn check_root(img: &Image) {
    let sb = img.sb();
    let root = img.inode(EXT2_ROOT_INO);
    assert!(s_isdir(root.i_mode));
    assert!(root.i_blocks > 0 && root.size().unwrap() > 0);
    let ours = img.list_dir(EXT2_ROOT_INO);
    let listing = debugfs(&img.path, "ls -l /");
    let mut theirs = Vec::new();
    for line in listing.lines().filter(|l| !l.trim().is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let ino: u32 = words[0].parse().expect("ino");
        let ft: u8 = words[2]
            .trim_matches(|c| c == '(' || c == ')')
            .parse()
            .expect("ft");
        theirs.push((words[words.len() - 1].to_string(), ino, ft));
    }
    let mut ours_cmp = ours.clone();
    if !sb.has_filetype() {
        // debugfs shows the type from the inode when entries have none.
        ours_cmp.iter_mut().for_each(|e| e.2 = 0);
        theirs.iter_mut().for_each(|e| e.2 = 0);
    }
    assert_eq!(ours_cmp, theirs);
    let names: Vec<&str> = ours.iter().map(|e| e.0.as_str()).collect();
    for want in [
        ".",
        "..",
        "lost+found",
        "small",
        "big",
        "sub",
        "link",
        "many",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let block = img.file_blocks(&root).0[0];
    let first = DirBlock::with_format(img.block(block), img.dir_format()).unwrap();
    assert_eq!(first.dotdot().unwrap().inode, EXT2_ROOT_INO);
    assert!(!first.empty_dir(EXT2_ROOT_INO));
    if sb.has_filetype() {
        assert_eq!(first.find(b"sub").unwrap().file_type, EXT2_FT_DIR);
        assert_eq!(first.find(b"big").unwrap().file_type, EXT2_FT_REG_FILE);
        assert_eq!(first.find(b"link").unwrap().file_type, EXT2_FT_SYMLINK);
    }
}

/// Files: sizes, contents through the block map, blocks as debugfs lists
/// them, i_blocks.
fn check_files(img: &Image) {
    let sb = img.sb();
    let bs = u64::from(sb.block_size());
    for (name, data) in files() {
        let ino = img.lookup(EXT2_ROOT_INO, name);
        let inode = img.inode(ino);
        assert!(s_isreg(inode.i_mode));
        assert_eq!(inode.size().unwrap(), data.len() as u64, "{name}");
        assert!(img.read_file(&inode) == data, "{name} contents");
        let (blocks, meta) = img.file_blocks(&inode);
        assert!(blocks.iter().all(|&b| b != 0), "{name} has holes");
        let mut ours: Vec<u64> = blocks.iter().copied().chain(meta.iter().copied()).collect();
        ours.sort_unstable();
        let mut theirs: Vec<u64> = debugfs(&img.path, &format!("blocks /{name}"))
            .split_whitespace()
            .map(|w| w.parse().unwrap())
            .collect();
        theirs.sort_unstable();
        assert_eq!(ours, theirs, "{name} blocks");
        let nblocks = blocks.len() as u64;
        assert_eq!(
            meta.len() as u64,
            indirect_blocks_for(sb.block_size(), nblocks).unwrap()
        );
        assert_eq!(
            u64::from(inode.i_blocks),
            (nblocks + meta.len() as u64) * bs / 512
        );
        assert!(inode.size().unwrap() <= max_size(sb.block_size_bits()).unwrap());
    }
    let sparse = img.inode(img.lookup(EXT2_ROOT_INO, "sparse"));
    assert!(img.read_file(&sparse) == sparse_contents());
    let (blocks, _) = img.file_blocks(&sparse);
    assert!(blocks.contains(&0), "sparse file kept its hole");
}

/// Subdirectory, symlinks and the many-entries directory.
fn check_tree(img: &Image) {
    let sb = img.sb();
    let sub = img.lookup(EXT2_ROOT_INO, "sub");
    assert!(s_isdir(img.inode(sub).i_mode));
    assert_eq!(img.lookup(sub, ".."), EXT2_ROOT_INO);
    assert_eq!(img.lookup(sub, "."), sub);
    let inner = img.inode(img.lookup(sub, "inner.txt"));
    assert_eq!(img.read_file(&inner), b"inner\n");

    let link = img.inode(img.lookup(EXT2_ROOT_INO, "link"));
    assert!(s_islnk(link.i_mode) && link.is_fast_symlink(sb.block_size()));
    let mut buf = [0u8; 60];
    let n = link.fast_symlink_target(&mut buf);
    assert_eq!(&buf[..n], b"small");

    let long = img.inode(img.lookup(EXT2_ROOT_INO, "longlink"));
    assert!(s_islnk(long.i_mode) && !long.is_fast_symlink(sb.block_size()));
    assert_eq!(img.read_file(&long), long_target().as_bytes());

    let many = img.lookup(EXT2_ROOT_INO, "many");
    let entries = img.list_dir(many);
    assert_eq!(entries.len(), MANY + 2);
    let dir_inode = img.inode(many);
    assert!(
        dir_inode.size().unwrap() > u64::from(sb.block_size()),
        "several blocks"
    );
    for i in 0..MANY {
        let name = format!("file-with-a-longish-name-{i:04}");
        assert!(entries.iter().any(|e| e.0 == name), "{name}");
    }
}

fn check_image(tag: &str, opts: &[&str], size_mib: u32) -> Image {
    let img = mkfs(tag, opts, size_mib, true);
    let stats = debugfs(&img.path, "stats");
    check_superblock(&img, &stats);
    check_groups(&img, &stats);
    check_root(&img);
    check_files(&img);
    check_tree(&img);
    img
}

#[test]
fn bs1024_no_resize_inode_128() {
    let img = check_image(
        "b1k",
        &["-b", "1024", "-O", "^resize_inode", "-I", "128"],
        64,
    );
    let sb = img.sb();
    assert_eq!(sb.inode_size(), 128);
    assert_eq!(sb.s_first_data_block, 1);
    assert!(!sb.has_compat(EXT2_FEATURE_COMPAT_RESIZE_INO));
}

#[test]
fn bs2048_defaults() {
    let img = check_image("b2k", &["-b", "2048"], 64);
    let sb = img.sb();
    assert!(sb.has_compat(EXT2_FEATURE_COMPAT_RESIZE_INO));
    assert!(sb.s_reserved_gdt_blocks > 0);
    assert!(sb.has_ro_compat(EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER));
}

#[test]
fn bs4096_inode256() {
    let img = check_image("b4k", &["-b", "4096", "-I", "256"], 64);
    assert_eq!(img.sb().inode_size(), 256);
    assert_eq!(img.sb().s_first_data_block, 0);
}

#[test]
fn bs1024_no_sparse_super() {
    let img = check_image(
        "nosparse",
        &["-b", "1024", "-O", "^sparse_super,^resize_inode"],
        64,
    );
    let sb = img.sb();
    assert!(!sb.has_ro_compat(EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER));
    assert!((0..sb.groups_count()).all(|g| sb.group_has_super(g)));
}

#[test]
fn bs4096_meta_bg() {
    let img = check_image("meta4k", &["-b", "4096", "-O", "meta_bg,^resize_inode"], 64);
    assert!(img.sb().has_incompat(EXT2_FEATURE_INCOMPAT_META_BG));
}

#[test]
fn bs1024_meta_bg_many_groups() {
    // 1024 blocks per group: 64 groups, two meta groups of 32 descriptors.
    let img = check_image(
        "meta1k",
        &[
            "-b",
            "1024",
            "-g",
            "1024",
            "-O",
            "meta_bg,^resize_inode",
            "-I",
            "256",
        ],
        64,
    );
    let sb = img.sb();
    assert!(sb.gdb_count() >= 2);
    assert_eq!(sb.s_first_meta_bg, 0);
    // Each meta group's descriptor block starts its first group (after a
    // superblock copy, which group 32 does not have with sparse_super).
    assert!(!sb.group_has_super(32));
    assert_eq!(sb.descriptor_loc(1), sb.group_first_block(32));
    assert_eq!(sb.descriptor_loc(0), 2);
    assert_eq!(sb.bg_num_gdb(32), 1);
    assert_eq!(sb.bg_num_gdb(33), 1);
    assert_eq!(sb.bg_num_gdb(34), 0);
    assert_eq!(sb.bg_num_gdb(63), 1);
}

#[test]
fn bs1024_many_groups_plain() {
    // Several descriptor blocks in the classic layout.
    let img = check_image(
        "grp1k",
        &["-b", "1024", "-g", "1024", "-O", "^resize_inode"],
        64,
    );
    let sb = img.sb();
    assert_eq!(sb.gdb_count(), 2);
    assert_eq!(sb.descriptor_loc(1), 3);
}

#[test]
fn rev0() {
    let img = mkfs("rev0", &["-b", "1024", "-r", "0"], 16, false);
    let sb = img.sb();
    sb.validate(img.len(), PAGE_SIZE).unwrap();
    assert_eq!(sb.s_rev_level, EXT2_GOOD_OLD_REV);
    assert_eq!(sb.inode_size(), 128);
    assert_eq!(sb.first_ino(), 11);
    assert!(!sb.has_filetype());
    let names: Vec<String> = img.list_dir(2).into_iter().map(|e| e.0).collect();
    assert_eq!(names, [".", "..", "lost+found"]);
}

#[test]
fn no_filetype() {
    let img = check_image("noft", &["-b", "2048", "-O", "^filetype"], 32);
    let sb = img.sb();
    assert!(!sb.has_filetype());
    assert!(img.list_dir(EXT2_ROOT_INO).iter().all(|e| e.2 == 0));
}

#[test]
fn lost_and_found_and_reserved_inodes() {
    let img = mkfs("lf", &["-b", "4096"], 16, false);
    let sb = img.sb();
    let lf = img.lookup(EXT2_ROOT_INO, "lost+found");
    assert_eq!(lf, sb.first_ino());
    // Reserved inodes other than the root are refused by inode_loc.
    assert!(ext2rs_format::format::inode::inode_loc(&sb, 7).is_err());
    assert!(ext2rs_format::format::inode::inode_loc_any(&sb, 7).is_ok());
}

#[test]
fn special_files() {
    use ext2rs_format::format::dir::{EXT2_FT_BLKDEV, EXT2_FT_CHRDEV, EXT2_FT_FIFO};
    use ext2rs_format::format::inode::{mkdev, s_isblk, s_ischr, s_isfifo};
    let src = TempDir::new("special");
    let ok = |args: &[&str]| {
        std::process::Command::new(args[0])
            .args(&args[1..])
            .current_dir(src.path())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ok(&["mknod", "chr", "c", "4", "5"]) || !ok(&["mknod", "blk", "b", "259", "74565"]) {
        eprintln!("mknod not permitted; skipping");
        return;
    }
    assert!(ok(&["mkfifo", "fifo"]));
    let img_path = src.path().join("img");
    let status = std::process::Command::new(MKE2FS)
        .args(["-q", "-F", "-t", "ext2", "-b", "1024", "-d"])
        .arg(src.path())
        .arg(&img_path)
        .arg("8M")
        .status()
        .unwrap();
    assert!(status.success());
    let img = Image {
        bytes: std::fs::read(&img_path).unwrap(),
        path: img_path,
        dir: TempDir::new("special-img"),
    };
    let entries = img.list_dir(EXT2_ROOT_INO);
    let find = |n: &str| entries.iter().find(|e| e.0 == n).cloned().unwrap();
    let chr = find("chr");
    let inode = img.inode(chr.1);
    assert!(s_ischr(inode.i_mode));
    assert_eq!(chr.2, EXT2_FT_CHRDEV);
    assert_eq!(inode.rdev(), mkdev(4, 5));
    let blk = find("blk");
    let inode = img.inode(blk.1);
    assert!(s_isblk(inode.i_mode));
    assert_eq!(blk.2, EXT2_FT_BLKDEV);
    assert_eq!(inode.rdev(), mkdev(259, 74565));
    let fifo = find("fifo");
    assert!(s_isfifo(img.inode(fifo.1).i_mode));
    assert_eq!(fifo.2, EXT2_FT_FIFO);
}
