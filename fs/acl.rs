// SPDX-License-Identifier: GPL-2.0

//! POSIX ACLs (fs/ext2/acl.c): stored as the attributes
//! `system.posix_acl_access` (name index 2) and `system.posix_acl_default`
//! (index 3), empty names, in ext2's compact format (format::xattr).
//!
//! Locking: as for the attributes themselves (fs/xattr.rs); `set_acl`
//! runs under the inode's `i_rwsem`, `init_acl` on an inode being created.

use crate::format::xattr as raw;
use crate::sb::Ext2Fs;
use crate::vfs::acl;
use crate::vfs::acl::Acl;
use crate::vfs::acl::AclType;
use crate::vfs::acl::PosixAcl;
use crate::vfs::errno;
use crate::vfs::inode::INode;
use crate::vfs::inode::MntIdmap;
use kernel::prelude::*;

/// The attribute name index of an ACL type.
fn name_index(typ: AclType) -> u8 {
    match typ {
        AclType::Access => raw::EXT2_XATTR_INDEX_POSIX_ACL_ACCESS,
        AclType::Default => raw::EXT2_XATTR_INDEX_POSIX_ACL_DEFAULT,
    }
}

/// Reads the inode's ACL of `typ` (`ext2_get_acl`); a value that is not a
/// valid ext2 ACL is `EINVAL`, as in ext2.
pub(crate) fn get_acl(inode: &INode<Ext2Fs>, typ: AclType) -> Result<Option<PosixAcl>> {
    let mut buf = KVec::from_elem(
        0u8,
        usize::try_from(inode.super_block().block_size())?,
        GFP_KERNEL,
    )?;
    let len = match crate::xattr::get(inode, name_index(typ), b"", Some(&mut buf)) {
        Ok(len) => len,
        Err(e) if e == errno::enodata() => return Ok(None),
        Err(e) => return Err(e),
    };
    let entries = raw::acl_entries(buf.get(..len).ok_or(EINVAL)?).map_err(|_| EINVAL)?;
    let mut list = KVec::new();
    for e in entries {
        list.push(
            acl::Entry {
                tag: e.tag,
                perm: e.perm,
                id: e.id,
            },
            GFP_KERNEL,
        )?;
    }
    if list.is_empty() {
        return Ok(None);
    }
    Ok(Some(PosixAcl::new(&list)?))
}

/// Stores (or with `None` removes) the ACL and caches it
/// (`__ext2_set_acl`). Only directories have default ACLs.
fn store(inode: &INode<Ext2Fs>, acl: Option<&Acl>, typ: AclType) -> Result {
    if typ == AclType::Default && !crate::format::inode::s_isdir(inode.mode()) {
        return if acl.is_some() { Err(EACCES) } else { Ok(()) };
    }
    let value = match acl {
        Some(acl) => Some(to_disk(acl)?),
        None => None,
    };
    crate::xattr::set(inode, name_index(typ), b"", value.as_deref(), 0)?;
    acl::set_cached(inode, typ, acl);
    Ok(())
}

/// The ext2 on-disk value of `acl` (`ext2_acl_to_disk`).
fn to_disk(acl: &Acl) -> Result<KVec<u8>> {
    let mut entries = KVec::new();
    for i in 0..acl.count() {
        let e = acl.entry(i).ok_or(EINVAL)?;
        entries.push(
            raw::AclEntry {
                tag: e.tag,
                perm: e.perm,
                id: e.id,
            },
            GFP_KERNEL,
        )?;
    }
    let len = raw::acl_len(&entries).map_err(|_| EINVAL)?;
    let mut value = KVec::from_elem(0u8, len, GFP_KERNEL)?;
    raw::acl_write(&entries, &mut value).map_err(|_| EINVAL)?;
    Ok(value)
}

/// `set_acl` (`ext2_set_acl`): an access ACL also sets the mode it
/// implies, and is not stored at all when the mode says it all.
pub(crate) fn set_acl(
    idmap: &MntIdmap,
    inode: &INode<Ext2Fs>,
    acl: Option<&Acl>,
    typ: AclType,
) -> Result {
    let mut acl = acl;
    let mode = match (typ, acl) {
        (AclType::Access, Some(_)) => Some(acl::update_mode(idmap, inode, &mut acl)?),
        _ => None,
    };
    store(inode, acl, typ)?;
    if let Some(mode) = mode {
        inode.set_mode(mode);
        inode.touch_ctime();
        inode.mark_dirty();
    }
    Ok(())
}

/// Gives a new inode the ACLs [`acl::create`] chose for it
/// (`ext2_init_acl`).
pub(crate) fn init_acl(
    inode: &INode<Ext2Fs>,
    default: Option<PosixAcl>,
    access: Option<PosixAcl>,
) -> Result {
    if let Some(default) = default {
        store(inode, Some(&default), AclType::Default)?;
    }
    if let Some(access) = access {
        store(inode, Some(&access), AclType::Access)?;
    }
    Ok(())
}
