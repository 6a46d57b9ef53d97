// SPDX-License-Identifier: GPL-2.0

//! Directory block codec and edits on synthetic blocks.

use ext2rs_format::format::dir::*;
use ext2rs_format::format::error::DirEntryError;
use ext2rs_format::format::inode::{S_IFDIR, S_IFLNK, S_IFREG, S_IFSOCK};
use ext2rs_format::format::FormatError;

const FMT: DirFormat = DirFormat {
    inodes_count: 10_000,
    filetype: true,
};

fn names(b: &[u8]) -> Vec<(Vec<u8>, u32)> {
    DirBlock::with_format(b, FMT)
        .unwrap()
        .entries()
        .filter(|e| e.is_live())
        .map(|e| (e.name.to_vec(), e.inode))
        .collect()
}

#[test]
fn rec_len_helpers() {
    assert_eq!(dir_rec_len(1), 12);
    assert_eq!(dir_rec_len(2), 12);
    assert_eq!(dir_rec_len(4), 12);
    assert_eq!(dir_rec_len(5), 16);
    assert_eq!(dir_rec_len(255), 264);
    assert_eq!(rec_len_from_disk(12), 12);
    assert_eq!(rec_len_from_disk(u16::MAX), 65536);
    assert_eq!(rec_len_to_disk(65536), Ok(u16::MAX));
    assert_eq!(rec_len_to_disk(4096), Ok(4096));
    assert_eq!(rec_len_to_disk(65540), Err(FormatError::BadRecLen(65540)));
}

#[test]
fn file_types() {
    assert_eq!(file_type_from_mode(S_IFREG | 0o644), EXT2_FT_REG_FILE);
    assert_eq!(file_type_from_mode(S_IFDIR | 0o755), EXT2_FT_DIR);
    assert_eq!(file_type_from_mode(S_IFLNK | 0o777), EXT2_FT_SYMLINK);
    assert_eq!(file_type_from_mode(S_IFSOCK), EXT2_FT_SOCK);
    assert_eq!(file_type_from_mode(0), EXT2_FT_UNKNOWN);
    assert_eq!(ftype_to_dtype(EXT2_FT_DIR), DT_DIR);
    assert_eq!(ftype_to_dtype(EXT2_FT_SYMLINK), DT_LNK);
    assert_eq!(ftype_to_dtype(200), DT_UNKNOWN);
    let plain = DirFormat {
        filetype: false,
        ..FMT
    };
    assert_eq!(plain.de_type(S_IFDIR), 0);
    assert_eq!(FMT.de_type(S_IFDIR), EXT2_FT_DIR);
}

#[test]
fn make_empty_and_empty_dir() {
    for bs in [1024usize, 2048, 4096, 65536] {
        let mut b = vec![0xaau8; bs];
        make_empty(&mut b, FMT, 12, 2).unwrap();
        let d = DirBlock::with_format(&b, FMT).unwrap();
        let e: Vec<_> = d.entries().collect();
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].name, e[0].inode, e[0].rec_len), (&b"."[..], 12, 12));
        assert_eq!(
            (e[1].name, e[1].inode, e[1].rec_len),
            (&b".."[..], 2, bs - 12)
        );
        assert!(e.iter().all(|e| e.file_type == EXT2_FT_DIR));
        assert_eq!(d.dotdot().unwrap().inode, 2);
        assert!(d.empty_dir(12));
        assert!(!d.empty_dir(13), "\".\" must name the directory itself");
    }
    let mut b = vec![0u8; 1024];
    make_empty(&mut b, FMT, 12, 2).unwrap();
    add_link(&mut b, FMT, b"x", 20, EXT2_FT_REG_FILE).unwrap();
    assert!(!DirBlock::with_format(&b, FMT).unwrap().empty_dir(12));
    // "..." is not "..".
    let mut b2 = vec![0u8; 1024];
    make_empty(&mut b2, FMT, 12, 2).unwrap();
    add_link(&mut b2, FMT, b"...", 20, EXT2_FT_REG_FILE).unwrap();
    assert!(!DirBlock::with_format(&b2, FMT).unwrap().empty_dir(12));
    assert_eq!(
        make_empty(&mut [0u8; 1024], FMT, 0, 2),
        Err(FormatError::BadDirInode(0))
    );
    assert_eq!(
        make_empty(&mut [0u8; 100], FMT, 12, 2),
        Err(FormatError::BadDirBlockSize(100))
    );
}

#[test]
fn add_until_full_then_delete_all() {
    for bs in [1024usize, 2048, 4096] {
        let mut b = vec![0u8; bs];
        make_empty(&mut b, FMT, 12, 2).unwrap();
        let mut added = Vec::new();
        for i in 0u32.. {
            let name = format!("entry-{i}");
            match add_link(&mut b, FMT, name.as_bytes(), 100 + i, EXT2_FT_REG_FILE).unwrap() {
                AddLink::Added { offset } => {
                    let d = DirBlock::with_format(&b, FMT).unwrap();
                    let e = d.entry_at(offset).unwrap();
                    assert_eq!(e.name, name.as_bytes());
                    assert_eq!(e.inode, 100 + i);
                    assert_eq!(e.file_type, EXT2_FT_REG_FILE);
                    added.push((name, offset));
                }
                AddLink::NoSpace => break,
                AddLink::Exists { .. } => panic!("fresh name exists"),
            }
        }
        // Names of 7-9 bytes take 16 or 20 bytes; 12 + 12 used by dot entries.
        let used: usize = added.iter().map(|(n, _)| dir_rec_len(n.len())).sum();
        assert!(bs - 24 - used < dir_rec_len(9), "block left with room");
        assert_eq!(names(&b).len(), added.len() + 2);
        let dup = add_link(&mut b, FMT, added[0].0.as_bytes(), 5, 1).unwrap();
        assert_eq!(dup, AddLink::Exists { offset: added[0].1 });
        // Delete every other entry: the slack merges into the previous one
        // and is reused by the next add.
        for (name, off) in added.iter().step_by(2) {
            delete_entry(&mut b, FMT, *off).unwrap();
            let d = DirBlock::with_format(&b, FMT).unwrap();
            assert!(d.find(name.as_bytes()).is_none());
            assert!(d.entry_at(*off).is_none(), "merged into the previous entry");
        }
        let (first_name, first_off) = &added[0];
        assert_eq!(
            add_link(&mut b, FMT, first_name.as_bytes(), 7, 1).unwrap(),
            AddLink::Added { offset: *first_off }
        );
        for (name, off) in added.iter().skip(1).step_by(2) {
            delete_entry(&mut b, FMT, *off).unwrap();
            assert!(DirBlock::with_format(&b, FMT)
                .unwrap()
                .find(name.as_bytes())
                .is_none());
        }
        let d = DirBlock::with_format(&b, FMT).unwrap();
        let off = d.find(first_name.as_bytes()).unwrap().offset;
        delete_entry(&mut b, FMT, off).unwrap();
        let d = DirBlock::with_format(&b, FMT).unwrap();
        assert!(d.empty_dir(12));
        let e: Vec<_> = d.entries().collect();
        assert_eq!(e.len(), 2, "all merged back into ..");
        assert_eq!(e[1].rec_len, bs - 12);
    }
}

#[test]
fn delete_first_entry_and_reuse() {
    let mut b = vec![0u8; 1024];
    init_block(&mut b).unwrap();
    let d = DirBlock::with_format(&b, FMT).unwrap();
    let e: Vec<_> = d.entries().collect();
    assert_eq!((e.len(), e[0].inode, e[0].rec_len), (1, 0, 1024));
    // The unused spanning entry is reused as is.
    assert_eq!(
        add_link(&mut b, FMT, b"a", 30, 1).unwrap(),
        AddLink::Added { offset: 0 }
    );
    assert_eq!(
        add_link(&mut b, FMT, b"b", 31, 1).unwrap(),
        AddLink::Added { offset: 12 }
    );
    // Deleting the first entry of a block only clears its inode.
    delete_entry(&mut b, FMT, 0).unwrap();
    let d = DirBlock::with_format(&b, FMT).unwrap();
    let first = d.entries().next().unwrap();
    assert_eq!((first.inode, first.rec_len), (0, 12));
    assert_eq!(names(&b), vec![(b"b".to_vec(), 31)]);
    // A name that fits the freed 12 bytes goes there.
    assert_eq!(
        add_link(&mut b, FMT, b"abcd", 32, 1).unwrap(),
        AddLink::Added { offset: 0 }
    );
    // One that does not goes after "b".
    assert_eq!(
        add_link(&mut b, FMT, b"abcde", 33, 1).unwrap(),
        AddLink::Added { offset: 24 }
    );
    assert_eq!(delete_entry(&mut b, FMT, 4), Err(FormatError::NoEntryAt(4)));
}

#[test]
fn set_link_and_arguments() {
    let mut b = vec![0u8; 2048];
    make_empty(&mut b, FMT, 12, 2).unwrap();
    let AddLink::Added { offset } = add_link(&mut b, FMT, b"f", 40, 1).unwrap() else {
        panic!("add");
    };
    set_link(&mut b, FMT, offset, 41, EXT2_FT_DIR).unwrap();
    let d = DirBlock::with_format(&b, FMT).unwrap();
    let e = d.find(b"f").unwrap();
    assert_eq!((e.inode, e.file_type), (41, EXT2_FT_DIR));
    // ".." of a moved directory.
    set_link(&mut b, FMT, 12, 77, EXT2_FT_DIR).unwrap();
    assert_eq!(
        DirBlock::with_format(&b, FMT)
            .unwrap()
            .dotdot()
            .unwrap()
            .inode,
        77
    );
    assert_eq!(
        set_link(&mut b, FMT, 13, 5, 1),
        Err(FormatError::NoEntryAt(13))
    );
    assert_eq!(
        set_link(&mut b, FMT, offset, 0, 1),
        Err(FormatError::BadDirInode(0))
    );
    assert_eq!(
        add_link(&mut b, FMT, b"", 5, 1),
        Err(FormatError::BadName(0))
    );
    assert_eq!(
        add_link(&mut b, FMT, &[b'a'; 256], 5, 1),
        Err(FormatError::BadName(256))
    );
    assert_eq!(
        add_link(&mut b, FMT, b"g", 10_001, 1),
        Err(FormatError::BadDirInode(10_001))
    );
    // Longest name.
    let long = [b'n'; 255];
    assert!(matches!(
        add_link(&mut b, FMT, &long, 42, 1).unwrap(),
        AddLink::Added { .. }
    ));
    assert_eq!(
        DirBlock::with_format(&b, FMT)
            .unwrap()
            .find(&long)
            .unwrap()
            .inode,
        42
    );
}

#[test]
fn no_filetype_ignores_type_byte() {
    let fmt = DirFormat {
        inodes_count: 100,
        filetype: false,
    };
    let mut b = vec![0u8; 1024];
    make_empty(&mut b, fmt, 12, 2).unwrap();
    add_link(&mut b, fmt, b"x", 20, EXT2_FT_REG_FILE).unwrap();
    let d = DirBlock::with_format(&b, fmt).unwrap();
    assert!(d.entries().all(|e| e.file_type == 0));
    assert_eq!(b[7], 0, "type byte stays 0 without FILETYPE");
}

#[test]
fn check_errors_on_synthetic_blocks() {
    let mut b = vec![0u8; 1024];
    make_empty(&mut b, FMT, 12, 2).unwrap();
    let small = DirFormat {
        inodes_count: 11,
        filetype: true,
    };
    assert_eq!(
        DirBlock::with_format(&b, small).err(),
        Some(FormatError::BadDirEntry {
            offset: 0,
            reason: DirEntryError::InodeOutOfRange
        })
    );
    assert!(DirBlock::new(&b, 12, true).is_ok());
}

#[test]
fn entries_from_resyncs() {
    let mut b = vec![0u8; 1024];
    make_empty(&mut b, FMT, 12, 2).unwrap();
    add_link(&mut b, FMT, b"alpha", 20, 1).unwrap();
    add_link(&mut b, FMT, b"beta", 21, 1).unwrap();
    let d = DirBlock::with_format(&b, FMT).unwrap();
    let offs: Vec<usize> = d.entries().map(|e| e.offset).collect();
    assert_eq!(offs, [0, 12, 24, 40]);
    let from = |o| d.entries_from(o).map(|e| e.offset).collect::<Vec<_>>();
    assert_eq!(from(0), [0, 12, 24, 40]);
    assert_eq!(from(13), [24, 40], "inside an entry: resume at the next");
    assert_eq!(from(40), [40]);
    assert!(from(41).is_empty());
    assert!(from(5000).is_empty());
}
