// SPDX-License-Identifier: GPL-2.0

//! The ext2 on-disk format in plain `core` Rust: decoding, validation and
//! encoding of the superblock, group descriptors, inodes, directory blocks,
//! bitmaps and extended attribute blocks, and the block map arithmetic.
//!
//! Nothing here touches the kernel: the same files build into the module
//! (as `format`) and into the host crate `tools/ext2rs-format`, where
//! `cargo test` checks them against images made by mke2fs. Every value read
//! from disk is untrusted: functions return [`FormatError`] rather than
//! panic, index with `get`, and check arithmetic that disk values feed.

pub mod bitmap;
pub mod blockmap;
pub mod dir;
pub mod error;
pub mod group;
pub mod inode;
mod le;
pub mod superblock;
pub mod xattr;

pub use error::{FormatError, Result};
