// SPDX-License-Identifier: GPL-2.0

//! Safe abstractions over the VFS, the page cache and iomap, local to ext2rs.
//!
//! Mainline `rust/kernel` has no super_block, inode, folio, address_space or
//! iomap abstractions, so ext2rs carries its own here. All of the module's
//! `unsafe` code lives below this module; the filesystem in `fs/` is safe
//! Rust built on what is exported from here. Each C ops table the
//! filesystem installs has its own `#[vtable]` trait and a const table.

pub mod acl;
pub mod address_space;
pub mod bindings;
pub mod blk;
pub mod buffer;
pub mod cred;
pub mod dentry;
pub mod errno;
pub mod export;
pub mod file;
pub mod folio;
pub mod fs;
pub mod inode;
pub mod iomap;
pub mod mm;
pub mod param;
pub mod sb;
pub mod time;
pub mod xattr;
