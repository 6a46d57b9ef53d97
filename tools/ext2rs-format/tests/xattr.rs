// SPDX-License-Identifier: GPL-2.0

//! Extended attribute blocks and ACL values: against blocks the in-kernel
//! ext2 wrote (tests/data/xattr-*.bin, made with setfattr/setfacl on
//! Linux 7.2), their hashes, edits, and corrupted copies.

use ext2rs_format::format::error::XattrError;
use ext2rs_format::format::xattr::*;
use ext2rs_format::format::FormatError;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}.bin", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).unwrap()
}

type Attr = (u8, Vec<u8>, Vec<u8>);

fn attrs(b: &XattrBlock<'_>) -> Vec<Attr> {
    b.entries()
        .map(|e| (e.index, e.name.to_vec(), e.value.to_vec()))
        .collect()
}

fn set(old: Option<&[u8]>, size: usize, index: u8, name: &[u8], c: Change<'_>) -> (bool, Vec<u8>) {
    let mut out = vec![0xa5; size];
    let old = old.map(|o| XattrBlock::parse(o).unwrap());
    let nonempty = rebuild(old.as_ref(), index, name, c, &mut out).unwrap();
    (nonempty, out)
}

#[test]
fn kernel_block_reads_back() {
    for name in ["xattr-1k-a", "xattr-4k-a"] {
        let data = fixture(name);
        let b = XattrBlock::parse(&data).unwrap();
        assert_eq!(b.refcount(), 1);
        let want: Vec<Attr> = vec![
            (1, b"b".to_vec(), vec![0, 0xff, 0x80]),
            (1, "é".as_bytes().to_vec(), b"x".to_vec()),
            (1, b"alpha".to_vec(), b"hello".to_vec()),
            (1, b"empty".to_vec(), vec![]),
            (4, b"t1".to_vec(), b"trusted value".to_vec()),
            (6, b"sec".to_vec(), b"s".to_vec()),
        ];
        assert_eq!(attrs(&b), want, "{name}");
        assert_eq!(b.find(1, b"alpha").unwrap().value, b"hello");
        assert!(b.find(1, b"alph").is_none());
        assert!(b.find(4, b"alpha").is_none());
    }
}

#[test]
fn hashes_match_the_kernel() {
    for name in [
        "xattr-1k-a",
        "xattr-1k-c",
        "xattr-1k-dd",
        "xattr-1k-shared",
        "xattr-4k-a",
        "xattr-4k-shared",
    ] {
        let data = fixture(name);
        let b = XattrBlock::parse(&data).unwrap();
        for e in b.entries() {
            assert_eq!(e.hash, hash_entry(e.name, e.value), "{name}: {:?}", e.name);
        }
        assert_eq!(b.hash(), hash_block(b.entries()), "{name}");
        assert_ne!(b.hash(), 0);
    }
}

#[test]
fn shared_block_has_two_references() {
    let data = fixture("xattr-1k-shared");
    let b = XattrBlock::parse(&data).unwrap();
    assert_eq!(b.refcount(), 2);
    assert_eq!(attrs(&b), vec![(1, b"same".to_vec(), b"v".to_vec())]);
}

#[test]
fn rebuild_keeps_entries_and_hash() {
    let data = fixture("xattr-1k-a");
    let old = XattrBlock::parse(&data).unwrap();
    let (nonempty, out) = set(Some(&data), 1024, 1, b"alpha", Change::Set(b"hello"));
    assert!(nonempty);
    let new = XattrBlock::parse(&out).unwrap();
    assert_eq!(attrs(&new), attrs(&old));
    assert_eq!(new.hash(), old.hash());
    assert_eq!(new.refcount(), 1);
    assert_eq!(new.free(), old.free());
}

#[test]
fn insert_sorted_replace_remove() {
    let (_, b1) = set(None, 1024, 1, b"zz", Change::Set(b"1"));
    let (_, b2) = set(Some(&b1), 1024, 1, b"a", Change::Set(b"22"));
    let (_, b3) = set(Some(&b2), 1024, 4, b"a", Change::Set(b"333"));
    let (_, b4) = set(Some(&b3), 1024, 1, b"yyy", Change::Set(b""));
    let (_, b5) = set(Some(&b4), 1024, 1, b"zz", Change::Set(b"longer value"));
    let b = XattrBlock::parse(&b5).unwrap();
    let names: Vec<(u8, &[u8])> = b.entries().map(|e| (e.index, e.name)).collect();
    assert_eq!(
        names,
        vec![(1, &b"a"[..]), (1, b"zz"), (1, b"yyy"), (4, b"a")]
    );
    assert_eq!(b.find(1, b"zz").unwrap().value, b"longer value");
    assert_eq!(b.hash(), hash_block(b.entries()));
    let (_, b6) = set(Some(&b5), 1024, 1, b"zz", Change::Remove);
    let b = XattrBlock::parse(&b6).unwrap();
    assert!(b.find(1, b"zz").is_none());
    assert_eq!(b.entries().count(), 3);
    // Removing the last attribute leaves nothing.
    let (nonempty, _) = set(Some(&b1), 1024, 1, b"zz", Change::Remove);
    assert!(!nonempty);
}

#[test]
fn fills_up_with_no_space() {
    for size in [1024usize, 4096] {
        let mut block = vec![0u8; size];
        rebuild(None, 1, b"first", Change::Set(b"v"), &mut block).unwrap();
        let mut n = 1;
        loop {
            let name = format!("attr{n:04}");
            let mut out = vec![0u8; size];
            let old = XattrBlock::parse(&block).unwrap();
            match rebuild(
                Some(&old),
                1,
                name.as_bytes(),
                Change::Set(b"0123456789"),
                &mut out,
            ) {
                Ok(_) => block = out,
                Err(e) => {
                    assert_eq!(e, FormatError::XattrNoSpace);
                    assert!(old.free() < entry_len(8) + value_len(10));
                    break;
                }
            }
            n += 1;
        }
        // 32 header + 4 end, each: 24 entry + 12 value.
        assert_eq!(n, (size - 36 - 24 - 4) / 36 + 1, "block size {size}");
        // A value as large as the block never fits.
        let mut out = vec![0u8; size];
        let big = vec![7u8; size - 36 - 20];
        assert_eq!(
            rebuild(None, 1, b"big", Change::Set(&big), &mut out),
            Ok(true)
        );
        let bigger = vec![7u8; size - 36 - 20 + 1];
        assert_eq!(
            rebuild(None, 1, b"big", Change::Set(&bigger), &mut out),
            Err(FormatError::XattrNoSpace)
        );
    }
}

fn corrupt(f: impl FnOnce(&mut [u8])) -> FormatError {
    let mut data = fixture("xattr-1k-a");
    f(&mut data);
    XattrBlock::parse(&data).unwrap_err()
}

#[test]
fn corrupted_blocks_are_refused() {
    let bad = FormatError::BadXattr;
    assert_eq!(corrupt(|d| d[3] = 0), bad(XattrError::Header));
    assert_eq!(corrupt(|d| d[8] = 2), bad(XattrError::Header));
    assert_eq!(corrupt(|d| d[4] = 0), bad(XattrError::Refcount));
    assert!(XattrBlock::parse(&[0u8; 20]).is_err());
    // First entry: name_len at 32, value_offs 34, value_block 36, size 40.
    assert_eq!(corrupt(|d| d[36] = 1), bad(XattrError::ValueBlock));
    assert_eq!(
        corrupt(|d| d[34..36].copy_from_slice(&1022u16.to_le_bytes())),
        bad(XattrError::ValueOutside)
    );
    assert_eq!(
        corrupt(|d| d[40..44].copy_from_slice(&u32::MAX.to_le_bytes())),
        bad(XattrError::ValueOutside)
    );
    // Value inside the entry table.
    assert_eq!(
        corrupt(|d| d[34..36].copy_from_slice(&48u16.to_le_bytes())),
        bad(XattrError::ValueOutside)
    );
    // Second entry's value on top of the first one's.
    assert_eq!(
        corrupt(|d| {
            let first = [d[34], d[35]];
            d[54..56].copy_from_slice(&first);
        }),
        bad(XattrError::ValueOverlap)
    );
    // An entry table that never ends.
    let mut data = vec![0xffu8; 1024];
    data[..32].copy_from_slice(&fixture("xattr-1k-a")[..32]);
    data[36..40].fill(0);
    for i in (32..1024).step_by(20) {
        data[i] = 4;
        data[i + 4..i + 8].fill(0);
    }
    assert!(XattrBlock::parse(&data).is_err());
}

#[test]
fn kernel_acls_decode_and_encode() {
    let data = fixture("xattr-1k-c");
    let b = XattrBlock::parse(&data).unwrap();
    let e = b.find(EXT2_XATTR_INDEX_POSIX_ACL_ACCESS, b"").unwrap();
    let acl: Vec<AclEntry> = acl_entries(e.value).unwrap().collect();
    let ent = |tag, perm, id| AclEntry { tag, perm, id };
    assert_eq!(
        acl,
        vec![
            ent(ACL_USER_OBJ, 6, 0),
            ent(ACL_USER, 6, 1234),
            ent(ACL_GROUP_OBJ, 4, 0),
            ent(ACL_GROUP, 4, 55),
            ent(ACL_MASK, 6, 0),
            ent(ACL_OTHER, 4, 0),
        ]
    );
    let mut out = vec![0u8; acl_len(&acl).unwrap()];
    acl_write(&acl, &mut out).unwrap();
    assert_eq!(out, e.value);

    let data = fixture("xattr-1k-dd");
    let b = XattrBlock::parse(&data).unwrap();
    let d = b.find(EXT2_XATTR_INDEX_POSIX_ACL_DEFAULT, b"").unwrap();
    let acl: Vec<AclEntry> = acl_entries(d.value).unwrap().collect();
    assert!(acl.contains(&ent(ACL_USER, 7, 42)));
}

#[test]
fn bad_acls_are_refused() {
    assert_eq!(acl_entries(&[]).err(), Some(FormatError::BadAcl));
    assert_eq!(acl_entries(&[2, 0, 0, 0]).err(), Some(FormatError::BadAcl));
    // Version only: an empty ACL.
    assert_eq!(acl_entries(&[1, 0, 0, 0]).unwrap().count(), 0);
    // Unknown tag.
    assert!(acl_entries(&[1, 0, 0, 0, 0x40, 0, 7, 0]).is_err());
    // ACL_USER cut short.
    assert!(acl_entries(&[1, 0, 0, 0, 2, 0, 7, 0]).is_err());
    // Trailing bytes.
    assert!(acl_entries(&[1, 0, 0, 0, 1, 0, 7, 0, 0]).is_err());
    assert!(acl_len(&[AclEntry {
        tag: 0x40,
        perm: 0,
        id: 0
    }])
    .is_err());
}
