// SPDX-License-Identifier: GPL-2.0
//! Random offsets, lengths and sizes, biased towards the interesting places:
//! EOF, page and block boundaries, tiny and page-sized lengths. Everything
//! here depends only on the PRNG and the model's size, so a seed replays.

use crate::rng::Rng;

/// Limits the generated values respect.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Page size.
    pub page: u64,
    /// O_DIRECT alignment.
    pub align: u64,
    /// Maximum file size.
    pub maxlen: u64,
    /// Maximum length of one read or write.
    pub max_op_len: u64,
}

/// A value near a multiple of 512 (every block size) or of the page size.
fn near_boundary(rng: &mut Rng, lim: &Limits, limit: u64) -> u64 {
    let unit = if rng.chance(1, 2) { 512 } else { lim.page };
    let base = rng.below(limit / unit + 1) * unit;
    let delta = rng.below(17);
    if rng.chance(1, 2) {
        base.saturating_sub(delta)
    } else {
        base + delta
    }
}

/// An offset in `0..limit` (`limit` > 0): uniform, near `size`, or near a
/// boundary.
pub fn offset(rng: &mut Rng, lim: &Limits, size: u64, limit: u64) -> u64 {
    let v = match rng.below(8) {
        0..=3 => rng.below(limit),
        4 | 5 => {
            let d = rng.below(2 * lim.page);
            if rng.chance(1, 2) {
                size.saturating_sub(d)
            } else {
                size + d
            }
        }
        _ => near_boundary(rng, lim, limit),
    };
    v.min(limit.saturating_sub(1))
}

/// A length in `1..=max` (`max` > 0): tiny, up to a page, or up to
/// `max_op_len`.
pub fn length(rng: &mut Rng, lim: &Limits, max: u64) -> u64 {
    let cap = match rng.below(4) {
        0 => 16,
        1 => lim.page,
        _ => lim.max_op_len,
    };
    rng.between(1, cap.min(max).max(1))
}

/// A buffered or mapped read range; may run past EOF for buffered reads.
pub fn read_range(rng: &mut Rng, lim: &Limits, size: u64, past_eof: bool) -> (u64, u64) {
    let limit = if past_eof { size + lim.page } else { size };
    let off = offset(rng, lim, size, limit.max(1));
    let max = if past_eof { lim.max_op_len } else { size - off };
    (off, length(rng, lim, max))
}

/// A write range inside `0..maxlen`: anywhere (holes, extension) or, for
/// mapped writes, inside the file (`inside`, requires size > 0).
pub fn write_range(rng: &mut Rng, lim: &Limits, size: u64, inside: bool) -> (u64, u64) {
    let limit = if inside { size } else { lim.maxlen };
    let off = offset(rng, lim, size, limit);
    (off, length(rng, lim, limit - off))
}

/// A new size: 0, smaller, larger, near a boundary, near EOF, or the same.
pub fn truncate_size(rng: &mut Rng, lim: &Limits, size: u64) -> u64 {
    let v = match rng.below(20) {
        0 => 0,
        1 => size,
        2..=7 => rng.below(size + 1),
        8..=13 => rng.between(size, lim.maxlen),
        14..=16 => near_boundary(rng, lim, lim.maxlen),
        _ => {
            let d = rng.below(lim.page);
            if rng.chance(1, 2) {
                size.saturating_sub(d)
            } else {
                size + d
            }
        }
    };
    v.min(lim.maxlen)
}

/// An aligned O_DIRECT range: offset and length multiples of `align`.
/// Reads may start near or past EOF; writes stay inside `maxlen`.
pub fn direct_range(rng: &mut Rng, lim: &Limits, size: u64, write: bool) -> (u64, u64) {
    let a = lim.align;
    let limit = if write { lim.maxlen } else { size + 2 * a };
    let mut off = offset(rng, lim, size, limit.max(a)) / a * a;
    if write {
        off = off.min((lim.maxlen / a - 1) * a);
    }
    let room = if write {
        lim.maxlen - off
    } else {
        lim.max_op_len
    };
    let max_blocks = (room.min(lim.max_op_len.max(a)) / a).max(1);
    let blocks = if rng.chance(1, 2) {
        rng.between(1, max_blocks.min(4))
    } else {
        rng.between(1, max_blocks)
    };
    (off, blocks * a)
}

#[cfg(test)]
mod tests {
    use super::{direct_range, read_range, truncate_size, write_range, Limits};
    use crate::rng::Rng;

    const LIM: Limits = Limits {
        page: 4096,
        align: 512,
        maxlen: 1 << 20,
        max_op_len: 1 << 16,
    };

    #[test]
    fn ranges_respect_limits() {
        let mut rng = Rng::new(3);
        for i in 0..20_000u64 {
            let size = (i * 7919) % (LIM.maxlen + 1);
            let (o, l) = write_range(&mut rng, &LIM, size, false);
            assert!(l >= 1 && o + l <= LIM.maxlen && l <= LIM.max_op_len);
            if size > 0 {
                let (o, l) = write_range(&mut rng, &LIM, size, true);
                assert!(l >= 1 && o + l <= size);
                let (o, l) = read_range(&mut rng, &LIM, size, false);
                assert!(l >= 1 && o + l <= size);
            }
            let (_, l) = read_range(&mut rng, &LIM, size, true);
            assert!((1..=LIM.max_op_len).contains(&l));
            assert!(truncate_size(&mut rng, &LIM, size) <= LIM.maxlen);
            for write in [false, true] {
                let (o, l) = direct_range(&mut rng, &LIM, size, write);
                assert_eq!(o % 512, 0);
                assert_eq!(l % 512, 0);
                assert!((512..=LIM.max_op_len).contains(&l));
                if write {
                    assert!(o + l <= LIM.maxlen);
                }
            }
        }
    }
}
