// SPDX-License-Identifier: GPL-2.0

//! Inodes: reading them from the inode table, checking them, and choosing
//! their operations (fs/ext2/inode.c: ext2_iget).

use crate::dir;
use crate::file;
use crate::format::blockmap;
use crate::format::inode as raw;
use crate::format::inode::Inode;
use crate::sb::Ext2Fs;
use crate::vfs::errno;
use crate::vfs::inode::Get;
use crate::vfs::inode::INode;
use crate::vfs::inode::Params;
use crate::vfs::inode::Type;
use crate::vfs::sb::SuperBlock;
use kernel::prelude::*;
use kernel::sync::aref::ARef;

/// What ext2rs keeps of each inode beside the VFS inode.
pub(crate) struct InodeInfo {
    /// The block pointers: 12 direct, then single, double and triple
    /// indirect (`i_data` in fs/ext2).
    pub(crate) i_block: [u32; blockmap::EXT2_N_BLOCKS],
    /// A fast symlink's target, NUL-terminated (empty for other inodes).
    link: [u8; FAST_LINK_BUF],
}

/// A fast symlink's target fits in `i_block` (60 bytes) plus its NUL.
const FAST_LINK_BUF: usize = 4 * blockmap::EXT2_N_BLOCKS + 1;

impl InodeInfo {
    fn new(raw: &Inode, fast_link_len: Option<usize>) -> Self {
        let mut link = [0u8; FAST_LINK_BUF];
        if let Some(len) = fast_link_len {
            let bytes = raw.i_block.iter().flat_map(|w| w.to_le_bytes());
            for (dst, src) in link.iter_mut().zip(bytes).take(len) {
                *dst = src;
            }
        }
        Self {
            i_block: raw.i_block,
            link,
        }
    }

    /// The target of a fast symlink.
    fn fast_link(&self) -> &CStr {
        // The buffer always ends with a NUL (the target is at most 60 bytes).
        CStr::from_bytes_until_nul(&self.link).unwrap_or(c"")
    }
}

/// Returns the inode `ino`, reading it from disk if it is not cached.
pub(crate) fn iget(sb: &SuperBlock<Ext2Fs>, ino: u32) -> Result<ARef<INode<Ext2Fs>>> {
    match sb.iget(u64::from(ino))? {
        Get::Cached(inode) => Ok(inode),
        Get::New(new) => {
            let disk = read_inode(sb, ino)?;
            let (typ, fast_link_len) = inode_type(sb, ino, &disk)?;
            let size = disk
                .size()
                .map_err(|e| crate::report(sb, u64::from(ino), e))?;
            let params = Params {
                mode: disk.i_mode,
                uid: disk.uid(),
                gid: disk.gid(),
                nlink: u32::from(disk.i_links_count),
                size: i64::try_from(size)?,
                blocks: u64::from(disk.i_blocks),
                atime: disk_time(disk.i_atime),
                mtime: disk_time(disk.i_mtime),
                ctime: disk_time(disk.i_ctime),
                generation: disk.i_generation,
            };
            new.init(typ, &params, InodeInfo::new(&disk, fast_link_len))
        }
    }
}

/// An on-disk timestamp: seconds as a signed 32-bit number, so times
/// before 1970 survive (ext2 reads `(signed)le32_to_cpu(i_mtime)`).
fn disk_time(raw: u32) -> i64 {
    // CAST: reinterpreting the bits as signed is the on-disk encoding.
    i64::from(raw as i32)
}

/// Reads and decodes the on-disk inode `ino` (`ext2_get_inode`).
fn read_inode(sb: &SuperBlock<Ext2Fs>, ino: u32) -> Result<Inode> {
    let sbi = sb.data();
    let corrupt = |e| crate::report(sb, u64::from(ino), e);
    let loc = raw::inode_loc(&sbi.sb, ino).map_err(corrupt)?;
    let desc = sbi.groups.get(usize::try_from(loc.group)?).ok_or(EINVAL)?;
    let bh = sb.bread(loc.block(desc))?;
    let bytes = bh.data().get(loc.offset..).ok_or(EINVAL)?;
    let disk = Inode::parse(bytes).map_err(corrupt)?;
    // A deleted inode named by a directory entry is corruption; an NFS
    // handle to one is merely stale (ext2 returns -ESTALE for both and its
    // lookup turns that into an error report).
    if disk.is_deleted(ino).map_err(corrupt)? {
        return Err(errno::estale());
    }
    Ok(disk)
}

/// Picks the inode's type and operations from its mode; for a fast
/// symlink, also the length of its target.
fn inode_type(
    sb: &SuperBlock<Ext2Fs>,
    ino: u32,
    disk: &Inode,
) -> Result<(Type<Ext2Fs>, Option<usize>)> {
    let mode = disk.i_mode;
    let typ = match mode & raw::S_IFMT {
        raw::S_IFREG => Type::Reg(file::FILE_IOPS, file::FILE_FOPS, file::AOPS),
        raw::S_IFDIR => Type::Dir(dir::DIR_IOPS, dir::DIR_FOPS),
        raw::S_IFLNK => return symlink_type(sb, ino, disk),
        raw::S_IFCHR => Type::Chr(disk.rdev()),
        raw::S_IFBLK => Type::Blk(disk.rdev()),
        raw::S_IFIFO => Type::Fifo,
        raw::S_IFSOCK => Type::Sock,
        _ => {
            return Err(crate::report(
                sb,
                u64::from(ino),
                format_args!("bad file mode {mode:o}"),
            ))
        }
    };
    Ok((typ, None))
}

/// Fast symlinks keep their target in `i_block`; slow ones in one block,
/// read through the page cache. Either way the target must be shorter
/// than the space that holds it.
fn symlink_type(
    sb: &SuperBlock<Ext2Fs>,
    ino: u32,
    disk: &Inode,
) -> Result<(Type<Ext2Fs>, Option<usize>)> {
    let size = usize::try_from(
        disk.size()
            .map_err(|e| crate::report(sb, u64::from(ino), e))?,
    )?;
    if disk.is_fast_symlink(sb.block_size()) {
        if size >= FAST_LINK_BUF {
            return Err(bad_symlink_size(sb, ino, size));
        }
        return Ok((Type::FastSymlink(InodeInfo::fast_link), Some(size)));
    }
    if size == 0 || size >= usize::try_from(sb.block_size())? {
        return Err(bad_symlink_size(sb, ino, size));
    }
    Ok((Type::Symlink(file::AOPS), None))
}

/// A symlink whose length does not fit where its target is kept.
fn bad_symlink_size(sb: &SuperBlock<Ext2Fs>, ino: u32, size: usize) -> Error {
    crate::report(
        sb,
        u64::from(ino),
        format_args!("bad symlink length {size}"),
    )
}
