// SPDX-License-Identifier: GPL-2.0

//! Extended attributes (fs/ext2/xattr.c): one attribute block per inode,
//! named by `i_file_acl`, possibly shared by several inodes (`h_refcount`).
//!
//! Locking: the inode's block-map mutex (`InodeInfo::disk`) stands for
//! ext2's `xattr_sem`: it guards `i_file_acl` and is held across a whole
//! get, list or set, so one inode's attribute changes are serialised and
//! readers see a block only between changes. Writers hold `i_rwsem` first
//! (the VFS takes it). A block with `h_refcount` 1 belongs to its inode
//! alone and is changed in place; a shared one is never changed but for
//! its reference count, under its buffer lock, and an inode that changes
//! its attributes gets a private copy (copy-on-write). ext2rs makes no new
//! shared blocks (ext2's mbcache), it only reads and releases those other
//! tools made. Lock order: i_rwsem -> block-map mutex -> group lock ->
//! buffer lock; the attribute block's buffer lock is never held while
//! blocks are allocated or freed.

use crate::format::xattr as raw;
use crate::format::xattr::Change;
use crate::format::xattr::XattrBlock;
use crate::format::FormatError;
use crate::inode::DiskInode;
use crate::sb::Ext2Fs;
use crate::vfs::buffer::BufferHead;
use crate::vfs::errno;
use crate::vfs::inode::INode;
use crate::vfs::sb::SuperBlock;
use crate::vfs::xattr;
use crate::vfs::xattr::XATTR_CREATE;
use crate::vfs::xattr::XATTR_REPLACE;
use kernel::prelude::*;

/// Reads the attribute block `block` of `inode`, checking that it lies in
/// the data area.
fn read_block(inode: &INode<Ext2Fs>, block: u64) -> Result<BufferHead> {
    let sb = inode.super_block();
    if !sb.data().sb.data_block_valid(block, 1) {
        return Err(crate::report(
            sb,
            inode.ino(),
            format_args!("invalid xattr block {block}"),
        ));
    }
    sb.bread(block)
}

/// Checks an attribute block, reporting corruption.
fn parse<'a>(inode: &INode<Ext2Fs>, block: u64, data: &'a [u8]) -> Result<XattrBlock<'a>> {
    XattrBlock::parse(data).map_err(|e| {
        crate::report(
            inode.super_block(),
            inode.ino(),
            format_args!("xattr block {block}: {e}"),
        )
    })
}

/// Copies the value of attribute `(index, name)` into `buf` and returns
/// its size, or the size only without a buffer (`ext2_xattr_get`).
pub(crate) fn get(
    inode: &INode<Ext2Fs>,
    index: u8,
    name: &[u8],
    buf: Option<&mut [u8]>,
) -> Result<usize> {
    if name.len() > raw::EXT2_XATTR_NAME_MAX {
        return Err(ERANGE);
    }
    let disk = inode.data().disk.lock();
    let block = u64::from(disk.raw.i_file_acl);
    if block == 0 {
        return Err(errno::enodata());
    }
    let bh = read_block(inode, block)?;
    let mut locked = bh.lock();
    let b = parse(inode, block, locked.data_mut())?;
    let value = b.find(index, name).ok_or(errno::enodata())?.value;
    if let Some(buf) = buf {
        buf.get_mut(..value.len())
            .ok_or(ERANGE)?
            .copy_from_slice(value);
    }
    Ok(value.len())
}

/// The prefix under which attributes of name index `index` are listed for
/// `sb`, if they are listed at all (`ext2_xattr_prefix`).
fn list_prefix(sb: &SuperBlock<Ext2Fs>, index: u8) -> Option<&'static [u8]> {
    match index {
        raw::EXT2_XATTR_INDEX_USER if sb.data().user_xattr() => Some(b"user."),
        raw::EXT2_XATTR_INDEX_POSIX_ACL_ACCESS if sb.posix_acl() => {
            Some(b"system.posix_acl_access")
        }
        raw::EXT2_XATTR_INDEX_POSIX_ACL_DEFAULT if sb.posix_acl() => {
            Some(b"system.posix_acl_default")
        }
        raw::EXT2_XATTR_INDEX_TRUSTED if xattr::capable_sys_admin() => Some(b"trusted."),
        raw::EXT2_XATTR_INDEX_SECURITY => Some(b"security."),
        _ => None,
    }
}

/// Lists the attribute names, each with its prefix and a NUL, into `buf`;
/// returns the bytes used, or needed without a buffer (`ext2_xattr_list`).
pub(crate) fn list(inode: &INode<Ext2Fs>, mut buf: Option<&mut [u8]>) -> Result<usize> {
    let sb = inode.super_block();
    let disk = inode.data().disk.lock();
    let block = u64::from(disk.raw.i_file_acl);
    if block == 0 {
        return Ok(0);
    }
    let bh = read_block(inode, block)?;
    let mut locked = bh.lock();
    let b = parse(inode, block, locked.data_mut())?;
    let mut used = 0usize;
    for e in b.entries() {
        let Some(prefix) = list_prefix(sb, e.index) else {
            continue;
        };
        // At most 24 + 255 + 1 bytes per entry, in a block of 4 KiB.
        let len = prefix.len() + e.name.len() + 1;
        let end = used.checked_add(len).ok_or(EINVAL)?;
        if let Some(buf) = buf.as_deref_mut() {
            let out = buf.get_mut(used..end).ok_or(ERANGE)?;
            let (p, rest) = out.split_at_mut(prefix.len());
            p.copy_from_slice(prefix);
            let (n, nul) = rest.split_at_mut(e.name.len());
            n.copy_from_slice(e.name);
            nul.fill(0);
        }
        used = end;
    }
    Ok(used)
}

/// What a set does to the inode's attribute block.
#[derive(Clone, Copy)]
enum Outcome {
    /// The block was the inode's own and was changed in place.
    InPlace,
    /// The new contents go to a new block (the inode had none, or shared
    /// its block with others).
    NewBlock,
    /// No attribute is left: the inode drops its block.
    Empty,
}

/// Creates, replaces or removes (`value` `None`) the attribute
/// `(index, name)` (`ext2_xattr_set`). `flags`: `XATTR_CREATE` fails with
/// `EEXIST` if it exists, `XATTR_REPLACE` with `errno::enodata()` if it does not.
/// The caller holds `i_rwsem` or owns the inode (a new one).
pub(crate) fn set(
    inode: &INode<Ext2Fs>,
    index: u8,
    name: &[u8],
    value: Option<&[u8]>,
    flags: u32,
) -> Result {
    let sb = inode.super_block();
    let block_size = usize::try_from(sb.block_size())?;
    if name.len() > raw::EXT2_XATTR_NAME_MAX || value.map_or(0, |v| v.len()) > block_size {
        return Err(ERANGE);
    }
    // Allocated before any lock: the new contents are built here.
    let mut new = KVec::from_elem(0u8, block_size, GFP_KERNEL)?;
    let mut disk = inode.data().disk.lock();
    let old_block = u64::from(disk.raw.i_file_acl);
    let old_bh = match old_block {
        0 => None,
        b => Some(read_block(inode, b)?),
    };
    let outcome = match &old_bh {
        Some(bh) => rebuild_from(inode, bh, index, name, value, flags, &mut new)?,
        None => {
            if flags & XATTR_REPLACE != 0 {
                return Err(errno::enodata());
            }
            if value.is_none() {
                // Removing what does not exist, without XATTR_REPLACE.
                return Ok(());
            }
            rebuild(None, index, name, value, &mut new)?;
            Outcome::NewBlock
        }
    };
    match outcome {
        Outcome::InPlace => {
            if let Some(bh) = &old_bh {
                bh.mark_dirty_inode(inode);
            }
        }
        Outcome::NewBlock => {
            let block = write_new_block(inode, &new)?;
            disk.raw.i_file_acl = u32::try_from(block)?;
            set_ext_attr_feature(sb);
        }
        Outcome::Empty => disk.raw.i_file_acl = 0,
    }
    if let (Some(bh), Outcome::NewBlock | Outcome::Empty) = (old_bh, outcome) {
        release_block(inode, &disk, bh)?;
    }
    drop(disk);
    inode.touch_ctime();
    inode.mark_dirty();
    Ok(())
}

/// Builds the new block contents into `new` from the existing block `bh`,
/// and writes them in place if the block is the inode's alone. Checks the
/// flags against the existing attribute; a removal of an absent attribute
/// without `XATTR_REPLACE` changes nothing (`Outcome::InPlace`, unchanged).
fn rebuild_from(
    inode: &INode<Ext2Fs>,
    bh: &BufferHead,
    index: u8,
    name: &[u8],
    value: Option<&[u8]>,
    flags: u32,
    new: &mut [u8],
) -> Result<Outcome> {
    let mut locked = bh.lock();
    let (nonempty, refcount) = {
        let old = parse(inode, bh.block_nr(), locked.data_mut())?;
        let exists = old.find(index, name).is_some();
        if !exists && flags & XATTR_REPLACE != 0 {
            return Err(errno::enodata());
        }
        if exists && flags & XATTR_CREATE != 0 {
            return Err(EEXIST);
        }
        if !exists && value.is_none() {
            return Ok(Outcome::InPlace);
        }
        (
            rebuild(Some(&old), index, name, value, new)?,
            old.refcount(),
        )
    };
    Ok(match (nonempty, refcount) {
        (false, _) => Outcome::Empty,
        (true, 1) => {
            copy_block(locked.data_mut(), new)?;
            Outcome::InPlace
        }
        (true, _) => Outcome::NewBlock,
    })
}

/// Copies a whole block's contents (both slices are one block long).
fn copy_block(dst: &mut [u8], src: &[u8]) -> Result {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
    if dst.len() != src.len() {
        return Err(EINVAL);
    }
    Ok(())
}

/// `raw::rebuild` with its errors as errnos: the block full is `ENOSPC`.
fn rebuild(
    old: Option<&XattrBlock<'_>>,
    index: u8,
    name: &[u8],
    value: Option<&[u8]>,
    new: &mut [u8],
) -> Result<bool> {
    let change = match value {
        Some(v) => Change::Set(v),
        None => Change::Remove,
    };
    raw::rebuild(old, index, name, change, new).map_err(|e| match e {
        FormatError::XattrNoSpace => ENOSPC,
        _ => EINVAL,
    })
}

/// Allocates a block for `contents` near the inode's group (as
/// `ext2_xattr_set2`), writes them into it and charges it to the inode.
fn write_new_block(inode: &INode<Ext2Fs>, contents: &[u8]) -> Result<u64> {
    let sb = inode.super_block();
    let sbi = sb.data();
    let ipg = sbi.sb.s_inodes_per_group;
    let group = u32::try_from(inode.ino().saturating_sub(1))?
        .checked_div(ipg)
        .ok_or(EINVAL)?;
    let goal = sbi.sb.group_first_block(group);
    let (block, _) = crate::balloc::new_blocks(sb, goal, 1)?;
    let bh = match sb.getblk_zeroed(block) {
        Ok(bh) => bh,
        Err(e) => {
            crate::balloc::free_blocks(sb, block, 1)?;
            return Err(e);
        }
    };
    copy_block(bh.lock().data_mut(), contents)?;
    bh.mark_dirty_inode(inode);
    inode.add_bytes(i64::from(sb.block_size()));
    Ok(block)
}

/// Sets the EXT_ATTR compat feature the first time a block is written
/// (`ext2_xattr_update_super_block`).
fn set_ext_attr_feature(sb: &SuperBlock<Ext2Fs>) {
    use crate::format::superblock::EXT2_FEATURE_COMPAT_EXT_ATTR;
    let mut st = sb.data().state.lock();
    if st.has_compat(EXT2_FEATURE_COMPAT_EXT_ATTR) {
        return;
    }
    st.update_dynamic_rev();
    st.s_feature_compat |= EXT2_FEATURE_COMPAT_EXT_ATTR;
}

/// Drops the inode's reference to the attribute block `bh`, which it no
/// longer names (`ext2_xattr_release_block`): the last reference frees
/// the block, others only count down. The inode's block-map mutex is
/// held (`_disk`); the buffer lock is released before the block is freed.
fn release_block(inode: &INode<Ext2Fs>, _disk: &DiskInode, bh: BufferHead) -> Result {
    let sb = inode.super_block();
    let block = bh.block_nr();
    let last = {
        let mut locked = bh.lock();
        let data = locked.data_mut();
        let refcount = parse(inode, block, data)?.refcount();
        if refcount > 1 {
            raw::set_refcount(data, refcount - 1);
        }
        refcount == 1
    };
    inode.sub_bytes(i64::from(sb.block_size()));
    if last {
        bh.forget();
        crate::balloc::free_blocks(sb, block, 1)
    } else {
        bh.mark_dirty();
        Ok(())
    }
}

/// Drops the inode's reference to its attribute block, freeing the block
/// with the last reference (`ext2_xattr_delete_inode`).
pub(crate) fn delete_inode(inode: &INode<Ext2Fs>) -> Result {
    let mut disk = inode.data().disk.lock();
    let block = u64::from(disk.raw.i_file_acl);
    if block == 0 {
        return Ok(());
    }
    let bh = read_block(inode, block)?;
    disk.raw.i_file_acl = 0;
    release_block(inode, &disk, bh)
}

/// `user.` attributes, unless mounted with `nouser_xattr`.
struct UserHandler;

#[vtable]
impl xattr::Handler for UserHandler {
    type FileSystem = Ext2Fs;
    const PREFIX: &'static CStr = c"user.";

    fn list(sb: &SuperBlock<Ext2Fs>) -> bool {
        sb.data().user_xattr()
    }

    fn get(inode: &INode<Ext2Fs>, name: &CStr, buf: Option<&mut [u8]>) -> Result<usize> {
        if !inode.super_block().data().user_xattr() {
            return Err(errno::eopnotsupp());
        }
        get(inode, raw::EXT2_XATTR_INDEX_USER, name.to_bytes(), buf)
    }

    fn set(inode: &INode<Ext2Fs>, name: &CStr, value: Option<&[u8]>, flags: u32) -> Result {
        if !inode.super_block().data().user_xattr() {
            return Err(errno::eopnotsupp());
        }
        set(
            inode,
            raw::EXT2_XATTR_INDEX_USER,
            name.to_bytes(),
            value,
            flags,
        )
    }
}

/// `trusted.` attributes: the VFS lets only `CAP_SYS_ADMIN` get or set
/// them (`xattr_permission`); listing them needs it too.
struct TrustedHandler;

#[vtable]
impl xattr::Handler for TrustedHandler {
    type FileSystem = Ext2Fs;
    const PREFIX: &'static CStr = c"trusted.";

    fn list(_sb: &SuperBlock<Ext2Fs>) -> bool {
        xattr::capable_sys_admin()
    }

    fn get(inode: &INode<Ext2Fs>, name: &CStr, buf: Option<&mut [u8]>) -> Result<usize> {
        get(inode, raw::EXT2_XATTR_INDEX_TRUSTED, name.to_bytes(), buf)
    }

    fn set(inode: &INode<Ext2Fs>, name: &CStr, value: Option<&[u8]>, flags: u32) -> Result {
        set(
            inode,
            raw::EXT2_XATTR_INDEX_TRUSTED,
            name.to_bytes(),
            value,
            flags,
        )
    }
}

/// `security.` attributes (the LSMs' labels).
struct SecurityHandler;

#[vtable]
impl xattr::Handler for SecurityHandler {
    type FileSystem = Ext2Fs;
    const PREFIX: &'static CStr = c"security.";

    fn get(inode: &INode<Ext2Fs>, name: &CStr, buf: Option<&mut [u8]>) -> Result<usize> {
        get(inode, raw::EXT2_XATTR_INDEX_SECURITY, name.to_bytes(), buf)
    }

    fn set(inode: &INode<Ext2Fs>, name: &CStr, value: Option<&[u8]>, flags: u32) -> Result {
        set(
            inode,
            raw::EXT2_XATTR_INDEX_SECURITY,
            name.to_bytes(),
            value,
            flags,
        )
    }
}

const USER: &xattr::Ops<Ext2Fs> = &xattr::Ops::new::<UserHandler>();
const TRUSTED: &xattr::Ops<Ext2Fs> = &xattr::Ops::new::<TrustedHandler>();
const SECURITY: &xattr::Ops<Ext2Fs> = &xattr::Ops::new::<SecurityHandler>();

/// The handlers of `sb->s_xattr` (`ext2_xattr_handlers`).
pub(crate) static HANDLERS: xattr::Table<Ext2Fs, 3> = xattr::Table::new([USER, TRUSTED, SECURITY]);
