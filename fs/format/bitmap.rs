// SPDX-License-Identifier: GPL-2.0

//! Little-endian bitmaps as ext2 keeps them (`ext2_set_bit` is
//! `__test_and_set_bit_le`): bit `n` is bit `n % 8` of byte `n / 8`.
//!
//! `size` arguments are in bits and are clamped to the buffer, so a bitmap
//! size taken from disk can never index past the block.

use super::error::{FormatError, Result};
use core::sync::atomic::{AtomicU8, Ordering};

/// Bits in `buf`, saturated to `u32::MAX`.
fn buf_bits(buf: &[u8]) -> u32 {
    bits_in(buf.len())
}

/// Bits in `len` bytes, saturated to `u32::MAX`.
fn bits_in(len: usize) -> u32 {
    u32::try_from(len).map_or(u32::MAX, |n| n.saturating_mul(8))
}

/// `size` limited to the bits `buf` holds.
fn clamp(buf: &[u8], size: u32) -> u32 {
    size.min(buf_bits(buf))
}

/// Byte index and mask of bit `nr`, if it is inside `buf`.
fn locate(buf: &[u8], nr: u32) -> Result<(usize, u8)> {
    let idx = usize::try_from(nr / 8).unwrap_or(usize::MAX);
    if idx >= buf.len() {
        return Err(FormatError::BitOutOfRange {
            bit: nr,
            size: buf_bits(buf),
        });
    }
    Ok((idx, 1 << (nr % 8)))
}

/// Whether bit `nr` is set (`ext2_test_bit`).
pub fn test_bit(buf: &[u8], nr: u32) -> Result<bool> {
    let (idx, mask) = locate(buf, nr)?;
    Ok(buf.get(idx).is_some_and(|b| b & mask != 0))
}

/// Sets bit `nr` and returns its old value (`ext2_set_bit`).
pub fn set_bit(buf: &mut [u8], nr: u32) -> Result<bool> {
    let (idx, mask) = locate(buf, nr)?;
    Ok(buf.get_mut(idx).is_some_and(|b| {
        let old = *b & mask != 0;
        *b |= mask;
        old
    }))
}

/// Clears bit `nr` and returns its old value (`ext2_clear_bit`).
pub fn clear_bit(buf: &mut [u8], nr: u32) -> Result<bool> {
    let (idx, mask) = locate(buf, nr)?;
    Ok(buf.get_mut(idx).is_some_and(|b| {
        let old = *b & mask != 0;
        *b &= !mask;
        old
    }))
}

/// Sets `count` bits from `start`; returns how many were already set (0
/// when the range was free). Nothing changes if the range is out of bounds.
///
/// The bitmap is atomic bytes because ext2rs changes bitmap blocks without
/// the buffer lock, as ext2 does with `ext2_set_bit_atomic`: writeback may
/// be sending the block meanwhile. Callers still serialise changes of one
/// bitmap with their own lock, which orders them; the atomics only keep a
/// change from racing with a change to another bit of the same byte.
pub fn set_bits(buf: &[AtomicU8], start: u32, count: u32) -> Result<u32> {
    update_bits(buf, start, count, |byte, mask| {
        (byte.fetch_or(mask, Ordering::Relaxed) & mask).count_ones()
    })
}

/// Clears `count` bits from `start`; returns how many were already clear
/// (each one is a "bit already cleared" corruption for the caller to
/// report, as ext2_free_blocks does). Atomic as [`set_bits`] is.
pub fn clear_bits(buf: &[AtomicU8], start: u32, count: u32) -> Result<u32> {
    update_bits(buf, start, count, |byte, mask| {
        (!byte.fetch_and(!mask, Ordering::Relaxed) & mask).count_ones()
    })
}

/// Applies `op` to each byte of the range `start..start + count` with the
/// mask of the range's bits in it, and sums what `op` returns.
fn update_bits(
    buf: &[AtomicU8],
    start: u32,
    count: u32,
    op: impl Fn(&AtomicU8, u8) -> u32,
) -> Result<u32> {
    let size = bits_in(buf.len());
    let end = match start.checked_add(count) {
        Some(end) if end <= size => end,
        _ => return Err(FormatError::BitOutOfRange { bit: start, size }),
    };
    let mut total = 0;
    let mut nr = start;
    while nr < end {
        let shift = nr % 8;
        let bits = (8 - shift).min(end - nr);
        // CAST: `bits` is 1..=8 and `shift + bits` at most 8, so the mask
        // fits in a byte.
        let mask = (((1u16 << bits) - 1) << shift) as u8;
        let byte = usize::try_from(nr / 8)
            .ok()
            .and_then(|i| buf.get(i))
            .ok_or(FormatError::BitOutOfRange { bit: nr, size })?;
        total += op(byte, mask);
        nr += bits;
    }
    Ok(total)
}

/// First bit at or after `start` and below `size` whose value is `set`.
fn find_next(buf: &[u8], size: u32, start: u32, set: bool) -> Option<u32> {
    let size = clamp(buf, size);
    let mut bit = start;
    while bit < size {
        let byte = buf.get(usize::try_from(bit / 8).ok()?).copied()?;
        let wanted = (if set { byte } else { !byte }) >> (bit % 8);
        if wanted == 0 {
            // Nothing left in this byte: go to the next byte boundary.
            bit = (bit / 8 + 1).checked_mul(8)?;
            continue;
        }
        let found = bit + wanted.trailing_zeros();
        return (found < size).then_some(found);
    }
    None
}

/// First zero bit in `start..size` (`ext2_find_next_zero_bit`, but `None`
/// instead of `size` when there is none).
pub fn find_next_zero_bit(buf: &[u8], size: u32, start: u32) -> Option<u32> {
    find_next(buf, size, start, false)
}

/// First set bit in `start..size`.
pub fn find_next_set_bit(buf: &[u8], size: u32, start: u32) -> Option<u32> {
    find_next(buf, size, start, true)
}

/// Last zero bit in `start..end` (`end` clamped to the buffer), or `None`.
pub fn find_last_zero_bit(buf: &[u8], start: u32, end: u32) -> Option<u32> {
    let mut bit = clamp(buf, end);
    while bit > start {
        let byte = buf.get(usize::try_from((bit - 1) / 8).ok()?).copied()?;
        // The zero bits of this byte below `bit`, as ones.
        let below = bit - (bit - 1) / 8 * 8;
        let mask = if below >= 8 { 0xff } else { (1u8 << below) - 1 };
        let free = !byte & mask;
        if free == 0 {
            bit = (bit - 1) / 8 * 8;
            continue;
        }
        let found = (bit - 1) / 8 * 8 + 7 - free.leading_zeros();
        return (found >= start).then_some(found);
    }
    None
}

/// First zero byte at or after the byte holding `start` whose first bit is
/// in `start..size` (the memscan step of find_next_usable_block).
fn find_free_byte(buf: &[u8], size: u32, start: u32) -> Option<u32> {
    let size = clamp(buf, size);
    let first = usize::try_from(start / 8).ok()?;
    let last = usize::try_from(size.div_ceil(8)).ok()?;
    let pos = buf.get(first..last)?.iter().position(|&b| b == 0)?;
    let bit = u32::try_from(first + pos).ok()?.checked_mul(8)?;
    (bit >= start && bit < size).then_some(bit)
}

/// Where to allocate when the goal is taken (`find_next_usable_block`):
/// a free bit before the next 64-bit boundary, else the start of a free
/// byte (room for a run), else any free bit.
pub fn find_next_usable_block(buf: &[u8], size: u32, start: u32) -> Option<u32> {
    if start > 0 {
        let end_goal = (start.saturating_add(63) & !63).min(size);
        if let Some(here) = find_next_zero_bit(buf, end_goal, start) {
            return Some(here);
        }
    }
    find_free_byte(buf, size, start).or_else(|| find_next_zero_bit(buf, size, start))
}

/// Finds up to `max` free bits in a row for a multi-block allocation, as
/// ext2_try_to_allocate picks them: the goal if it is free, else the next
/// usable bit moved back over up to 7 free bits before it (not below the
/// goal) so the run starts where the free space does. Returns the first
/// bit and the run length (1..=max); the bits are not changed.
pub fn find_free_run(buf: &[u8], size: u32, goal: u32, max: u32) -> Option<(u32, u32)> {
    let size = clamp(buf, size);
    if max == 0 {
        return None;
    }
    let goal = if goal < size { goal } else { 0 };
    let mut start = goal;
    if test_bit(buf, goal).ok()? {
        start = find_next_usable_block(buf, size, goal)?;
        for _ in 0..7 {
            if start <= goal || test_bit(buf, start - 1).ok()? {
                break;
            }
            start -= 1;
        }
    }
    let end = start.saturating_add(max).min(size);
    let run_end = find_next_set_bit(buf, end, start).unwrap_or(end);
    Some((start, run_end - start))
}

/// Number of zero bits among the first `size` (`ext2_count_free`).
pub fn count_zero_bits(buf: &[u8], size: u32) -> u32 {
    let size = clamp(buf, size);
    size - count_set_bits(buf, size)
}

/// Number of set bits among the first `size`.
pub fn count_set_bits(buf: &[u8], size: u32) -> u32 {
    let size = clamp(buf, size);
    let full = usize::try_from(size / 8).unwrap_or(usize::MAX);
    let whole: u32 = buf.iter().take(full).map(|b| b.count_ones()).sum();
    let tail_bits = size % 8;
    let tail = match buf.get(full) {
        Some(b) if tail_bits != 0 => (b & ((1u8 << tail_bits) - 1)).count_ones(),
        _ => 0,
    };
    whole + tail
}
