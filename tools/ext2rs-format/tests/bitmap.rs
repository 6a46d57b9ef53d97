// SPDX-License-Identifier: GPL-2.0

//! Little-endian bitmap operations and the allocation run search.

use ext2rs_format::format::bitmap::*;
use ext2rs_format::format::FormatError;
use std::sync::atomic::{AtomicU8, Ordering};

/// A bitmap with the given bits set.
fn with_bits(len: usize, set: &[u32]) -> Vec<u8> {
    let mut b = vec![0u8; len];
    for &n in set {
        set_bit(&mut b, n).unwrap();
    }
    b
}

#[test]
fn bit_layout_is_little_endian() {
    let mut b = vec![0u8; 4];
    assert!(!set_bit(&mut b, 0).unwrap());
    assert!(set_bit(&mut b, 0).unwrap(), "returns the old value");
    set_bit(&mut b, 9).unwrap();
    set_bit(&mut b, 31).unwrap();
    assert_eq!(b, [0x01, 0x02, 0x00, 0x80]);
    assert!(test_bit(&b, 9).unwrap());
    assert!(!test_bit(&b, 10).unwrap());
    assert!(clear_bit(&mut b, 9).unwrap());
    assert!(!clear_bit(&mut b, 9).unwrap());
    assert_eq!(
        test_bit(&b, 32),
        Err(FormatError::BitOutOfRange { bit: 32, size: 32 })
    );
    assert!(set_bit(&mut b, u32::MAX).is_err());
    assert!(clear_bit(&mut [], 0).is_err());
}

#[test]
fn find_next() {
    let b = with_bits(8, &[0, 1, 2, 5, 8, 9, 63]);
    assert_eq!(find_next_zero_bit(&b, 64, 0), Some(3));
    assert_eq!(find_next_zero_bit(&b, 64, 5), Some(6));
    assert_eq!(find_next_zero_bit(&b, 64, 8), Some(10));
    assert_eq!(find_next_zero_bit(&b, 3, 0), None, "size limits the search");
    assert_eq!(find_next_set_bit(&b, 64, 3), Some(5));
    assert_eq!(find_next_set_bit(&b, 64, 10), Some(63));
    assert_eq!(find_next_set_bit(&b, 63, 10), None);
    assert_eq!(
        find_next_set_bit(&b, 1000, 64),
        None,
        "size clamped to buffer"
    );
    let full = vec![0xffu8; 16];
    assert_eq!(find_next_zero_bit(&full, 128, 0), None);
    assert_eq!(find_next_zero_bit(&full, u32::MAX, 5), None);
    let empty = vec![0u8; 16];
    assert_eq!(find_next_set_bit(&empty, 128, 0), None);
    assert_eq!(find_next_zero_bit(&empty, 128, 127), Some(127));
    assert_eq!(find_next_zero_bit(&empty, 128, 128), None);
}

/// 64 pseudo-random bytes (xorshift from `seed`), about half of them with
/// the bits of `runs` set too, so that runs of set and clear bits occur.
fn random_bitmap(seed: u32, runs: u8) -> Vec<u8> {
    let mut x = seed;
    let mut b = vec![0u8; 64];
    for byte in b.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *byte = (x & 0xff) as u8 | if x & 0x100 != 0 { runs } else { 0 };
    }
    b
}

#[test]
fn find_next_matches_naive() {
    let b = random_bitmap(0x9e37_79b9, 0xf0);
    for size in [0u32, 1, 7, 8, 9, 100, 511, 512, 600] {
        for start in 0..520 {
            let naive_zero = (start..size.min(512)).find(|&n| !test_bit(&b, n).unwrap());
            let naive_set = (start..size.min(512)).find(|&n| test_bit(&b, n).unwrap());
            assert_eq!(
                find_next_zero_bit(&b, size, start),
                naive_zero,
                "{size} {start}"
            );
            assert_eq!(
                find_next_set_bit(&b, size, start),
                naive_set,
                "{size} {start}"
            );
        }
    }
}

#[test]
fn find_last_zero() {
    let b = with_bits(4, &[0, 1, 2, 5, 8, 9, 31]);
    assert_eq!(find_last_zero_bit(&b, 0, 32), Some(30));
    assert_eq!(find_last_zero_bit(&b, 0, 31), Some(30), "end is exclusive");
    assert_eq!(find_last_zero_bit(&b, 0, 10), Some(7));
    assert_eq!(find_last_zero_bit(&b, 0, 6), Some(4));
    assert_eq!(find_last_zero_bit(&b, 5, 6), None, "only bit 5, set");
    assert_eq!(find_last_zero_bit(&b, 0, 3), None);
    assert_eq!(find_last_zero_bit(&b, 3, 3), None, "empty range");
    assert_eq!(find_last_zero_bit(&b, 20, 1000), Some(30), "end clamped");
    assert_eq!(find_last_zero_bit(&[0xff; 8], 0, 64), None);
    assert_eq!(find_last_zero_bit(&[], 0, 8), None);
}

#[test]
fn find_last_zero_matches_naive() {
    let b = random_bitmap(0x2545_f491, 0x0f);
    for end in [0u32, 1, 7, 8, 9, 100, 511, 512, 600] {
        for start in 0..520 {
            let naive = (start..end.min(512))
                .rev()
                .find(|&n| !test_bit(&b, n).unwrap());
            assert_eq!(find_last_zero_bit(&b, start, end), naive, "{start} {end}");
        }
    }
}

#[test]
fn counts() {
    let b = with_bits(4, &[0, 3, 8, 30]);
    assert_eq!(count_set_bits(&b, 32), 4);
    assert_eq!(count_zero_bits(&b, 32), 28);
    assert_eq!(count_set_bits(&b, 4), 2);
    assert_eq!(count_zero_bits(&b, 4), 2);
    assert_eq!(count_set_bits(&b, 9), 3);
    assert_eq!(count_zero_bits(&b, 1000), 28, "clamped");
    assert_eq!(count_zero_bits(&[], 10), 0);
}

/// A bitmap of atomic bytes, as the module changes bitmap blocks.
fn atomic(bytes: &[u8]) -> Vec<AtomicU8> {
    bytes.iter().map(|&b| AtomicU8::new(b)).collect()
}

/// The bytes of an atomic bitmap.
fn plain(bits: &[AtomicU8]) -> Vec<u8> {
    bits.iter().map(|b| b.load(Ordering::Relaxed)).collect()
}

#[test]
fn set_and_clear_ranges() {
    let b = atomic(&[0; 4]);
    assert_eq!(set_bits(&b, 3, 10).unwrap(), 0);
    assert_eq!(count_set_bits(&plain(&b), 32), 10);
    assert_eq!(plain(&b), [0xf8, 0x1f, 0x00, 0x00]);
    assert_eq!(set_bits(&b, 10, 5).unwrap(), 3);
    assert_eq!(clear_bits(&b, 0, 8).unwrap(), 3);
    assert_eq!(
        set_bits(&b, 30, 3),
        Err(FormatError::BitOutOfRange { bit: 30, size: 32 })
    );
    assert!(clear_bits(&b, u32::MAX, 2).is_err());
    assert_eq!(
        count_set_bits(&plain(&b), 32),
        7,
        "failed calls change nothing"
    );
    assert_eq!(set_bits(&b, 0, 0).unwrap(), 0, "an empty range");
    assert_eq!(set_bits(&b, 32, 0).unwrap(), 0, "empty at the end");
    assert!(set_bits(&[], 0, 1).is_err());
}

/// The range operations against bit-by-bit `set_bit`/`clear_bit` on every
/// range of a 5-byte bitmap, from several starting patterns.
#[test]
fn ranges_match_single_bits() {
    for pattern in [[0u8; 5], [0xff; 5], [0xa5, 0x3c, 0x00, 0xff, 0x81]] {
        for start in 0..40u32 {
            for count in 0..=40 - start {
                let range = start..start + count;
                let mut want = pattern.to_vec();
                let b = atomic(&pattern);
                let set_before = range
                    .clone()
                    .map(|nr| u32::from(set_bit(&mut want, nr).unwrap()));
                assert_eq!(set_bits(&b, start, count).unwrap(), set_before.sum::<u32>());
                assert_eq!(plain(&b), want, "set {start}+{count}");
                let mut want = pattern.to_vec();
                let b = atomic(&pattern);
                let clear_before = range.map(|nr| u32::from(!clear_bit(&mut want, nr).unwrap()));
                assert_eq!(
                    clear_bits(&b, start, count).unwrap(),
                    clear_before.sum::<u32>()
                );
                assert_eq!(plain(&b), want, "clear {start}+{count}");
            }
        }
    }
}

#[test]
fn free_run_takes_free_goal() {
    let b = with_bits(16, &[10, 20]);
    assert_eq!(find_free_run(&b, 128, 5, 3), Some((5, 3)));
    assert_eq!(find_free_run(&b, 128, 5, 100), Some((5, 5)), "stops at 10");
    assert_eq!(find_free_run(&b, 128, 11, 100), Some((11, 9)));
    assert_eq!(
        find_free_run(&b, 25, 21, 100),
        Some((21, 4)),
        "stops at size"
    );
    assert_eq!(find_free_run(&b, 128, 5, 0), None);
}

#[test]
fn free_run_after_taken_goal() {
    // Goal taken, a free bit before the next 64-bit boundary: take it.
    let b = with_bits(16, &[0, 1, 2, 3, 4, 6]);
    assert_eq!(find_free_run(&b, 128, 2, 4), Some((5, 1)));
    // Goal inside a full 64-bit word: the next free byte, backed up over
    // the free bits just before it (but not before the goal).
    let mut b = vec![0xffu8; 16];
    b[8] = 0b0000_0001;
    b[9] = 0x00;
    b[10] = 0b1111_1100;
    assert_eq!(find_free_run(&b, 128, 3, 10), Some((65, 10)));
    assert_eq!(find_free_run(&b, 128, 3, 20), Some((65, 17)));
    assert_eq!(find_free_run(&b, 128, 66, 20), Some((66, 16)));
    // The free byte itself when the bits before it are taken.
    b[8] = 0b1000_0000;
    assert_eq!(find_free_run(&b, 128, 3, 20), Some((72, 10)));
    // No free byte: any free bit.
    let mut d = vec![0xffu8; 16];
    d[12] = 0b1110_1111;
    assert_eq!(find_free_run(&d, 128, 3, 8), Some((100, 1)));
    // Nothing free after the goal.
    let mut e = vec![0xffu8; 16];
    e[0] = 0xfe;
    assert_eq!(find_free_run(&e, 128, 5, 8), None);
    // Goal beyond size: search from 0.
    assert_eq!(find_free_run(&e, 128, 500, 8), Some((0, 1)));
    assert_eq!(find_free_run(&[], 0, 0, 8), None);
}

#[test]
fn find_next_usable() {
    let mut b = vec![0xffu8; 32];
    b[20] = 0;
    b[2] = 0b1111_0111;
    // Near the goal (before bit 64): bit 19.
    assert_eq!(find_next_usable_block(&b, 256, 1), Some(19));
    // From 20 on, the free byte at bit 160.
    assert_eq!(find_next_usable_block(&b, 256, 20), Some(160));
    assert_eq!(find_next_usable_block(&b, 150, 20), None);
}
