// SPDX-License-Identifier: GPL-2.0

//! Block map arithmetic at every level boundary, for every block size.

use ext2rs_format::format::blockmap::*;
use ext2rs_format::format::FormatError;

const SIZES: [u32; 3] = [1024, 2048, 4096];

/// Reference version of ext2_block_to_path written the C way: returns the
/// offsets and the boundary.
fn reference(bs: u32, block: u64) -> Option<(Vec<usize>, u32)> {
    let ptrs = u64::from(bs / 4);
    let bits = ptrs.trailing_zeros();
    let mask = ptrs - 1;
    let done =
        |offsets: Vec<usize>, fin: u64, i: u64| Some((offsets, (fin - 1 - (i & mask)) as u32));
    let mut i = block;
    if i < 12 {
        return done(vec![i as usize], 12, i);
    }
    i -= 12;
    if i < ptrs {
        return done(vec![12, i as usize], ptrs, i);
    }
    i -= ptrs;
    if i < 1 << (2 * bits) {
        return done(vec![13, (i >> bits) as usize, (i & mask) as usize], ptrs, i);
    }
    i -= 1 << (2 * bits);
    if (i >> (2 * bits)) < ptrs {
        let offsets = vec![
            14,
            (i >> (2 * bits)) as usize,
            ((i >> bits) & mask) as usize,
            (i & mask) as usize,
        ];
        return done(offsets, ptrs, i);
    }
    None
}

/// Logical blocks at and around every level boundary.
fn boundaries(bs: u32) -> Vec<u64> {
    let p = u64::from(bs / 4);
    let starts = [0, 12, 12 + p, 12 + p + p * p, 12 + p + p * p + p * p * p];
    let mut v = Vec::new();
    for s in starts {
        for d in [-2i64, -1, 0, 1, 2] {
            if let Some(b) = s.checked_add_signed(d) {
                v.push(b);
            }
        }
    }
    // Inner boundaries of indirect blocks inside the double/triple levels.
    for k in [1u64, 2, p - 1] {
        let dind = 12 + p + k * p;
        let tind = 12 + p + p * p + k * p * p;
        v.extend([dind - 1, dind, tind - 1, tind, tind + p - 1, tind + p]);
    }
    v
}

#[test]
fn level_sizes() {
    assert_eq!(blocks_at_level(1024, 1).unwrap(), 12);
    assert_eq!(blocks_at_level(1024, 2).unwrap(), 256);
    assert_eq!(blocks_at_level(1024, 3).unwrap(), 65536);
    assert_eq!(blocks_at_level(1024, 4).unwrap(), 16_777_216);
    assert_eq!(level_start(1024, 2).unwrap(), 12);
    assert_eq!(level_start(1024, 3).unwrap(), 268);
    assert_eq!(level_start(1024, 4).unwrap(), 65_804);
    assert_eq!(max_blocks(1024).unwrap(), 16_843_020);
    assert_eq!(
        max_blocks(4096).unwrap(),
        12 + 1024 + 1024 * 1024 + 1024 * 1024 * 1024
    );
    assert_eq!(addr_per_block(2048).unwrap(), 512);
    assert_eq!(addr_per_block(3000), Err(FormatError::BadBlockSize(3000)));
    assert_eq!(addr_per_block(512), Err(FormatError::BadBlockSize(512)));
}

#[test]
fn block_to_path_boundaries() {
    for bs in SIZES {
        for b in boundaries(bs) {
            let got = block_to_path(bs, b);
            match reference(bs, b) {
                Some((offsets, boundary)) => {
                    let p = got.unwrap_or_else(|e| panic!("{bs} {b}: {e}"));
                    assert_eq!(p.offsets(), &offsets[..], "bs {bs} block {b}");
                    assert_eq!(p.depth, offsets.len());
                    assert_eq!(p.boundary, boundary, "bs {bs} block {b}");
                    assert_eq!(path_to_block(bs, &p).unwrap(), b);
                }
                None => assert_eq!(got, Err(FormatError::BlockTooBig(b))),
            }
        }
    }
}

#[test]
fn block_to_path_known_values_1k() {
    let p = |b| block_to_path(1024, b).unwrap();
    assert_eq!(p(0).offsets(), &[0]);
    assert_eq!(p(11).offsets(), &[11]);
    assert_eq!(p(11).boundary, 0);
    assert_eq!(p(0).boundary, 11);
    assert_eq!(p(12).offsets(), &[EXT2_IND_BLOCK, 0]);
    assert_eq!(p(12).boundary, 255);
    assert_eq!(p(267).offsets(), &[EXT2_IND_BLOCK, 255]);
    assert_eq!(p(268).offsets(), &[EXT2_DIND_BLOCK, 0, 0]);
    assert_eq!(p(268 + 256).offsets(), &[EXT2_DIND_BLOCK, 1, 0]);
    assert_eq!(p(65_803).offsets(), &[EXT2_DIND_BLOCK, 255, 255]);
    assert_eq!(p(65_804).offsets(), &[EXT2_TIND_BLOCK, 0, 0, 0]);
    assert_eq!(p(16_843_019).offsets(), &[EXT2_TIND_BLOCK, 255, 255, 255]);
    assert_eq!(
        block_to_path(1024, 16_843_020),
        Err(FormatError::BlockTooBig(16_843_020))
    );
    assert_eq!(
        block_to_path(1024, u64::MAX),
        Err(FormatError::BlockTooBig(u64::MAX))
    );
}

#[test]
fn exhaustive_low_range_and_boundaries() {
    // Every block of the direct, indirect and the first double-indirect
    // blocks, plus a stride through the rest, against the reference.
    for bs in SIZES {
        let p = u64::from(bs / 4);
        let dense = 12 + p + 3 * p;
        let max = max_blocks(bs).unwrap();
        let stride = (max / 20_000).max(1);
        let blocks = (0..dense).chain((dense..max).step_by(stride as usize));
        let mut prev_next = 0;
        for b in blocks {
            let (offsets, boundary) = reference(bs, b).unwrap();
            let path = block_to_path(bs, b).unwrap();
            assert_eq!((path.offsets(), path.boundary), (&offsets[..], boundary));
            let next = next_boundary(bs, b).unwrap();
            assert!(next > b);
            // Blocks before the boundary share the last pointer array.
            let last = block_to_path(bs, next - 1).unwrap();
            assert_eq!(
                last.offsets()[..last.depth - 1],
                path.offsets()[..path.depth - 1]
            );
            if next < max {
                let after = block_to_path(bs, next).unwrap();
                assert_ne!(
                    after.offsets()[..after.depth - 1],
                    path.offsets()[..path.depth - 1]
                );
            }
            assert!(next >= prev_next);
            prev_next = next;
        }
    }
}

#[test]
fn next_boundary_values() {
    assert_eq!(next_boundary(1024, 0).unwrap(), 12);
    assert_eq!(next_boundary(1024, 11).unwrap(), 12);
    assert_eq!(next_boundary(1024, 12).unwrap(), 268);
    assert_eq!(next_boundary(1024, 268).unwrap(), 268 + 256);
    assert_eq!(next_boundary(4096, 1036).unwrap(), 1036 + 1024);
}

#[test]
fn path_to_block_rejects_bad_paths() {
    let mut p = block_to_path(1024, 300).unwrap();
    p.offsets[2] = 256;
    assert!(path_to_block(1024, &p).is_err());
    p.depth = 5;
    assert!(path_to_block(1024, &p).is_err());
    p.depth = 0;
    assert!(path_to_block(1024, &p).is_err());
    let mut q = block_to_path(1024, 20).unwrap();
    q.offsets[0] = EXT2_DIND_BLOCK;
    assert!(path_to_block(1024, &q).is_err());
}

#[test]
fn max_size_matches_ext2() {
    // Values of ext2_max_size for 1, 2 and 4 KiB blocks on 64-bit.
    assert_eq!(max_size(10).unwrap(), 17_247_252_480);
    assert_eq!(max_size(11).unwrap(), 275_415_851_008);
    assert_eq!(max_size(12).unwrap(), 2_196_873_666_560);
    assert_eq!(max_size(13).unwrap(), 2_197_948_973_056);
    assert_eq!(max_size(16).unwrap(), 2_198_888_906_752);
    assert!(max_size(16).unwrap() <= MAX_LFS_FILESIZE);
    assert!(max_size(9).is_err());
    assert!(max_size(17).is_err());
    assert!(max_size(64).is_err());
}

#[test]
fn indirect_block_counts() {
    let p = 256u64;
    let f = |n| indirect_blocks_for(1024, n).unwrap();
    assert_eq!(f(0), 0);
    assert_eq!(f(12), 0);
    assert_eq!(f(13), 1);
    assert_eq!(f(12 + p), 1);
    assert_eq!(f(12 + p + 1), 3);
    assert_eq!(f(12 + p + p), 3);
    assert_eq!(f(12 + p + p + 1), 4);
    assert_eq!(f(12 + p + p * p), 2 + p);
    assert_eq!(f(12 + p + p * p + 1), 2 + p + 3);
    assert_eq!(f(max_blocks(1024).unwrap()), 1 + (1 + p) + (1 + p + p * p));
    assert!(indirect_blocks_for(1024, max_blocks(1024).unwrap() + 1).is_err());
}

/// A hole under a missing pointer ends exactly where the pointer's
/// subtree does: the block before the end shares the path down to the
/// pointer, the block at the end does not.
#[test]
fn left_below_ends_at_the_subtree() {
    for bs in SIZES {
        let ptrs = u64::from(bs / 4);
        let starts = [12, 12 + ptrs, 12 + ptrs + ptrs * ptrs];
        for &start in &starts {
            for b in [
                start,
                start + 1,
                start + ptrs - 1,
                start + ptrs,
                start + 3 * ptrs + 7,
            ] {
                let path = block_to_path(bs, b).unwrap();
                let offsets = path.offsets();
                for level in 1..=offsets.len() {
                    let left = left_below(bs, &offsets[level..]).unwrap();
                    assert!(left >= 1, "bs {bs} block {b} level {level}");
                    let last = block_to_path(bs, b + left - 1).unwrap();
                    assert_eq!(
                        last.offsets()[..level],
                        offsets[..level],
                        "bs {bs} block {b}"
                    );
                    if let Ok(after) = block_to_path(bs, b + left) {
                        assert_ne!(after.offsets().get(..level), Some(&offsets[..level]));
                    }
                }
            }
        }
    }
    // Under the leaf's own pointer (no indices) the hole is the block.
    assert_eq!(left_below(1024, &[]).unwrap(), 1);
    // Under a missing single indirect block at 1 KiB, from index 10.
    assert_eq!(left_below(1024, &[10]).unwrap(), 246);
    // Under a missing double indirect block, from (1, 0).
    assert_eq!(left_below(1024, &[1, 0]).unwrap(), 256 * 255);
    assert!(left_below(1024, &[256]).is_err());
}
