// SPDX-License-Identifier: GPL-2.0

//! ext2rs: a read-write ext2 filesystem whose data path runs on iomap.
//!
//! The crate root: module metadata, the filesystem type registration and
//! the few items every part of the filesystem shares. The filesystem lives
//! in the modules below, all `#[forbid(unsafe_code)]`; the safe abstractions
//! it is built on live in `rust/` (module [`vfs`]), the only place with
//! `unsafe`.

use kernel::prelude::*;

#[path = "../rust/mod.rs"]
pub mod vfs;

#[forbid(unsafe_code)]
mod acl;
#[forbid(unsafe_code)]
mod balloc;
#[forbid(unsafe_code)]
mod blockmap;
#[forbid(unsafe_code)]
mod dir;
#[forbid(unsafe_code)]
mod export;
#[forbid(unsafe_code)]
mod file;
#[forbid(unsafe_code)]
pub mod format;
#[forbid(unsafe_code)]
mod ialloc;
#[forbid(unsafe_code)]
mod inode;
#[forbid(unsafe_code)]
mod ioctl;
#[forbid(unsafe_code)]
mod iomap;
#[forbid(unsafe_code)]
mod namei;
#[forbid(unsafe_code)]
mod rsv;
#[forbid(unsafe_code)]
#[path = "super.rs"]
mod sb;
#[forbid(unsafe_code)]
mod xattr;

pub(crate) use inode::InodeInfo;

module! {
    type: Ext2Rs,
    name: "ext2rs",
    authors: ["The ext2rs developers"],
    description: "ext2 filesystem on iomap, in Rust",
    license: "GPL",
}

/// The page size, for checks of on-disk values against it.
// CAST: PAGE_SIZE is 4096 on every architecture ext2rs builds for.
pub(crate) const PAGE_SIZE_U32: u32 = kernel::page::PAGE_SIZE as u32;

/// Reports corruption found at run time, once per occurrence, naming the
/// device, the inode and what was wrong; records the error in the
/// superblock, applies `errors=`, and returns `-EFSCORRUPTED` for the
/// caller to propagate.
pub(crate) fn report(
    sb: &vfs::sb::SuperBlock<sb::Ext2Fs>,
    ino: u64,
    what: impl core::fmt::Display,
) -> Error {
    pr_err!(
        "ext2rs ({}): corrupt filesystem: inode {}: {}\n",
        sb.id(),
        ino,
        format_args!("{what}")
    );
    sb::mark_error(sb);
    match sb.data().errors() {
        sb::Errors::Panic => sb.panic(),
        sb::Errors::RemountRo if !sb.rdonly() => {
            pr_crit!("ext2rs ({}): remounting filesystem read-only\n", sb.id());
            sb.force_rdonly();
        }
        _ => {}
    }
    vfs::errno::efscorrupted()
}

/// The loaded module: holds the filesystem type registration.
#[pin_data]
struct Ext2Rs {
    #[pin]
    fs: vfs::fs::Registration<sb::Ext2Fs>,
}

impl kernel::InPlaceModule for Ext2Rs {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        pr_info!("registering filesystem type ext2rs\n");
        try_pin_init!(Self {
            fs <- vfs::fs::Registration::new(module),
        })
    }
}
