// SPDX-License-Identifier: GPL-2.0

//! Little-endian field access at fixed offsets of on-disk buffers.
//!
//! Callers check the buffer length once (a superblock is 1024 bytes, a group
//! descriptor 32, an inode 128) and then read fields at constant offsets. The
//! helpers never panic: an offset past the end reads as zero and a store past
//! the end is dropped, which can only happen through a wrong constant and is
//! caught by the host tests. The length check itself is [`prefix`] /
//! [`prefix_mut`].

use super::error::{FormatError, Result};

/// The first `need` bytes of `buf`, or `BufferTooShort`.
pub(crate) fn prefix(buf: &[u8], need: usize) -> Result<&[u8]> {
    buf.get(..need).ok_or(FormatError::BufferTooShort {
        need,
        have: buf.len(),
    })
}

/// The first `need` bytes of `buf` for writing, or `BufferTooShort`.
pub(crate) fn prefix_mut(buf: &mut [u8], need: usize) -> Result<&mut [u8]> {
    let have = buf.len();
    buf.get_mut(..need)
        .ok_or(FormatError::BufferTooShort { need, have })
}

/// Reads the byte at `off`.
pub(crate) fn u8_at(buf: &[u8], off: usize) -> u8 {
    buf.get(off).copied().unwrap_or(0)
}

/// Reads the little-endian `u16` at `off`.
pub(crate) fn le16(buf: &[u8], off: usize) -> u16 {
    match buf.get(off..).and_then(|b| b.first_chunk::<2>()) {
        Some(b) => u16::from_le_bytes(*b),
        None => 0,
    }
}

/// Reads the little-endian `u32` at `off`.
pub(crate) fn le32(buf: &[u8], off: usize) -> u32 {
    match buf.get(off..).and_then(|b| b.first_chunk::<4>()) {
        Some(b) => u32::from_le_bytes(*b),
        None => 0,
    }
}

/// Copies `N` bytes starting at `off`.
pub(crate) fn bytes_at<const N: usize>(buf: &[u8], off: usize) -> [u8; N] {
    match buf.get(off..).and_then(|b| b.first_chunk::<N>()) {
        Some(b) => *b,
        None => [0; N],
    }
}

/// Stores `v` at `off`.
pub(crate) fn put_u8(buf: &mut [u8], off: usize, v: u8) {
    if let Some(b) = buf.get_mut(off) {
        *b = v;
    }
}

/// Stores `v` little-endian at `off`.
pub(crate) fn put_le16(buf: &mut [u8], off: usize, v: u16) {
    put_bytes(buf, off, &v.to_le_bytes());
}

/// Stores `v` little-endian at `off`.
pub(crate) fn put_le32(buf: &mut [u8], off: usize, v: u32) {
    put_bytes(buf, off, &v.to_le_bytes());
}

/// Copies `src` to `off`.
pub(crate) fn put_bytes(buf: &mut [u8], off: usize, src: &[u8]) {
    let end = match off.checked_add(src.len()) {
        Some(end) => end,
        None => return,
    };
    if let Some(dst) = buf.get_mut(off..end) {
        dst.copy_from_slice(src);
    }
}
