// SPDX-License-Identifier: GPL-2.0

//! Host build of the ext2rs on-disk format library: `fs/format` compiled as
//! a `no_std` crate so `cargo test` can exercise it outside the kernel.

#![no_std]

#[path = "../../../fs/format/mod.rs"]
pub mod format;
