// SPDX-License-Identifier: GPL-2.0

//! Inodes: reading them from the inode table, checking them, and choosing
//! their operations (fs/ext2/inode.c: ext2_iget).

use crate::blockmap::RunCache;
use crate::dir;
use crate::file;
use crate::format::blockmap;
use crate::format::inode as raw;
use crate::format::inode::Inode;
use crate::rsv::Reservation;
use crate::sb::Ext2Fs;
use crate::vfs::acl::Acl;
use crate::vfs::acl::AclType;
use crate::vfs::acl::PosixAcl;
use crate::vfs::errno;
use crate::vfs::inode as vfs_inode;
use crate::vfs::inode::Created;
use crate::vfs::inode::Get;
use crate::vfs::inode::INode;
use crate::vfs::inode::Kstat;
use crate::vfs::inode::MntIdmap;
use crate::vfs::inode::New;
use crate::vfs::inode::Params;
use crate::vfs::inode::SetAttr;
use crate::vfs::inode::Type;
use crate::vfs::sb::SuperBlock;
use core::sync::atomic::AtomicU32;
use core::sync::atomic::AtomicU64;
use core::sync::atomic::Ordering;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::Mutex;

/// What ext2rs keeps of each inode beside the VFS inode.
#[pin_data]
pub(crate) struct InodeInfo {
    /// The on-disk fields the VFS inode does not hold, the block pointers
    /// first among them.
    ///
    /// Locking: this is the per-inode block-map mutex of the lock order
    /// (i_rwsem -> invalidate_lock -> folio lock -> block map -> group):
    /// every walk of the block tree, allocation and truncation holds it, so
    /// a lookup never sees an indirect block being freed or filled in.
    #[pin]
    pub(crate) disk: Mutex<DiskInode>,
    /// The mapping sequence: bumped, under `disk`, before any block of the
    /// file is freed, so writeback can tell a run it mapped earlier is
    /// still the file's (see `Ext2Iomap::map_seq`).
    pub(crate) map_seq: AtomicU64,
    /// The on-disk flags (`i_flags`); `disk.raw.i_flags` is stale and
    /// replaced by this in `write_inode`. Kept outside `disk` so `stat`
    /// and `lsattr` never wait behind a block allocation's I/O.
    ///
    /// Locking: changed only under `i_rwsem` (`fileattr_set`, directory
    /// modification), so read-modify-write sequences never interleave;
    /// readers take no lock.
    pub(crate) flags: AtomicU32,
    /// A fast symlink's target, NUL-terminated (empty for other inodes).
    link: [u8; FAST_LINK_BUF],
}

/// The on-disk inode as ext2rs keeps it in memory.
pub(crate) struct DiskInode {
    /// The on-disk inode; the fields the VFS inode holds (mode, owner,
    /// size, times, links, blocks) are stale here and taken from the VFS
    /// inode when it is written.
    pub(crate) raw: Inode,
    /// Where the next block of the file should go: one past the last
    /// block allocated (0 when unknown).
    pub(crate) goal: u64,
    /// The reservation window of a regular file being written.
    pub(crate) rsv: Reservation,
    /// The last runs of blocks mapped, to map them again without a walk.
    pub(crate) runs: RunCache,
}

/// A fast symlink's target fits in `i_block` (60 bytes) plus its NUL.
const FAST_LINK_BUF: usize = 4 * blockmap::EXT2_N_BLOCKS + 1;

impl InodeInfo {
    /// The data of an inode read from disk, or of a new one whose on-disk
    /// fields are `raw`; a fast symlink's target is in `raw.i_block`, the
    /// first `fast_link_len` bytes of it.
    pub(crate) fn new(raw: Inode, fast_link_len: Option<usize>) -> impl PinInit<Self> {
        let mut link = [0u8; FAST_LINK_BUF];
        if let Some(len) = fast_link_len {
            let bytes = raw.i_block.iter().flat_map(|w| w.to_le_bytes());
            for (dst, src) in link.iter_mut().zip(bytes).take(len) {
                *dst = src;
            }
        }
        pin_init!(Self {
            flags: AtomicU32::new(raw.i_flags),
            disk <- new_mutex!(DiskInode {
                raw,
                goal: 0,
                rsv: Reservation::new(),
                runs: RunCache::default(),
            }),
            map_seq: AtomicU64::new(0),
            link,
        })
    }

    /// The target of a fast symlink.
    pub(crate) fn fast_link(&self) -> &CStr {
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
                flags: crate::ioctl::vfs_flags(disk.i_flags),
            };
            new.init(typ, &params, InodeInfo::new(disk, fast_link_len))
        }
    }
}

/// What a new inode holds from the start, besides its mode.
pub(crate) enum Init<'a> {
    /// Nothing: a regular file, a directory (whose first block the caller
    /// adds), a FIFO or a socket.
    Empty,
    /// A character or block device with this `dev_t`.
    Device(u32),
    /// A fast symlink to this target (shorter than `i_block`'s 60 bytes).
    FastSymlink(&'a [u8]),
    /// A symlink whose target the caller writes into its first block.
    SlowSymlink,
}

/// Creates an inode of `mode` for a new file in `dir` (`ext2_new_inode`):
/// allocates its number, sets its on-disk fields (the directory's
/// inheritable flags, no blocks, the device number or fast symlink
/// target) and its VFS part, and marks it dirty. Dropping the returned
/// inode before publishing it frees everything again (see [`Created`]).
pub(crate) fn new_inode(
    idmap: &MntIdmap,
    dir: &INode<Ext2Fs>,
    mode: u16,
    init: Init<'_>,
) -> Result<Created<Ext2Fs>> {
    let sb = dir.super_block();
    let is_dir = raw::s_isdir(mode);
    // Inherited ACLs (or the umask) decide the mode before anything else.
    let mut mode = mode;
    let (default_acl, access_acl) = crate::vfs::acl::create(dir, &mut mode)?;
    let disk = new_disk_inode(dir, mode, &init);
    let flags = crate::ioctl::vfs_flags(disk.i_flags);
    // Decide the type before taking an inode number, so that nothing after
    // the allocation fails but what releases the number again.
    let (typ, fast_link_len) = match init {
        Init::FastSymlink(target) => (
            Type::FastSymlink(FAST_SYMLINK_IOPS, InodeInfo::fast_link),
            Some(target.len()),
        ),
        Init::SlowSymlink => (Type::Symlink(SYMLINK_IOPS, file::AOPS), None),
        Init::Empty | Init::Device(_) => inode_type(sb, 0, &disk)?,
    };
    let ino = crate::ialloc::new_inode(sb, dir.ino(), is_dir)?;
    let new = match New::create(dir, idmap, u64::from(ino), mode) {
        Ok(new) => new,
        Err(e) if e == EBUSY => {
            return Err(crate::report(
                sb,
                u64::from(ino),
                format_args!("inode number already in use"),
            ))
        }
        Err(e) => {
            crate::ialloc::free_inode(sb, ino, is_dir)?;
            return Err(e);
        }
    };
    let inode = new.init_created(typ, InodeInfo::new(disk, fast_link_len))?;
    inode.set_flags(flags);
    crate::acl::init_acl(&inode, default_acl, access_acl)?;
    inode.mark_dirty();
    Ok(inode)
}

/// The on-disk fields of a new inode that the VFS inode does not hold.
fn new_disk_inode(dir: &INode<Ext2Fs>, mode: u16, init: &Init<'_>) -> Inode {
    let dir_flags = dir.data().flags.load(Ordering::Relaxed);
    let mut disk = Inode {
        i_mode: mode,
        i_flags: raw::mask_flags(mode, dir_flags & raw::EXT2_FL_INHERITED),
        ..Inode::default()
    };
    match *init {
        Init::Device(rdev) => disk.set_rdev(rdev),
        Init::FastSymlink(target) => {
            for (word, chunk) in disk.i_block.iter_mut().zip(target.chunks(4)) {
                let mut bytes = [0u8; 4];
                for (dst, src) in bytes.iter_mut().zip(chunk) {
                    *dst = *src;
                }
                *word = u32::from_le_bytes(bytes);
            }
        }
        Init::Empty | Init::SlowSymlink => {}
    }
    disk
}

/// An on-disk timestamp: seconds as a signed 32-bit number, so times
/// before 1970 survive (ext2 reads `(signed)le32_to_cpu(i_mtime)`).
fn disk_time(raw: u32) -> i64 {
    // CAST: reinterpreting the bits as signed is the on-disk encoding.
    i64::from(raw as i32)
}

/// Reads and decodes the on-disk inode `ino` (`ext2_get_inode`).
fn read_inode(sb: &SuperBlock<Ext2Fs>, ino: u32) -> Result<Inode> {
    let corrupt = |e| crate::report(sb, u64::from(ino), e);
    let (block, offset) = inode_block(sb, ino)?;
    let bh = sb.bread(block)?;
    // The buffer lock keeps a neighbour's write_inode out of these bytes.
    let disk = Inode::parse(bh.lock().data_mut().get(offset..).ok_or(EINVAL)?).map_err(corrupt)?;
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
        raw::S_IFCHR => Type::Chr(SPECIAL_IOPS, disk.rdev()),
        raw::S_IFBLK => Type::Blk(SPECIAL_IOPS, disk.rdev()),
        raw::S_IFIFO => Type::Fifo(SPECIAL_IOPS),
        raw::S_IFSOCK => Type::Sock(SPECIAL_IOPS),
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
        return Ok((
            Type::FastSymlink(FAST_SYMLINK_IOPS, InodeInfo::fast_link),
            Some(size),
        ));
    }
    if size == 0 || size >= usize::try_from(sb.block_size())? {
        return Err(bad_symlink_size(sb, ino, size));
    }
    Ok((Type::Symlink(SYMLINK_IOPS, file::AOPS), None))
}

/// A symlink whose length does not fit where its target is kept.
fn bad_symlink_size(sb: &SuperBlock<Ext2Fs>, ino: u32, size: usize) -> Error {
    crate::report(
        sb,
        u64::from(ino),
        format_args!("bad symlink length {size}"),
    )
}

/// Where inode `ino` lives on disk: its inode-table block and the byte
/// offset in it.
fn inode_block(sb: &SuperBlock<Ext2Fs>, ino: u32) -> Result<(u64, usize)> {
    let sbi = sb.data();
    let loc = raw::inode_loc(&sbi.sb, ino).map_err(|e| crate::report(sb, u64::from(ino), e))?;
    let desc = sbi.lock_group(loc.group)?;
    Ok((loc.block(&desc), loc.offset))
}

/// Copies the VFS inode's attributes into the on-disk inode.
fn fill_raw(sb: &SuperBlock<Ext2Fs>, raw: &mut Inode, p: &Params) -> Result {
    raw.i_mode = p.mode;
    raw.set_uid(p.uid);
    raw.set_gid(p.gid);
    raw.i_links_count = u16::try_from(p.nlink).map_err(|_| EINVAL)?;
    // CAST: on-disk times are the low 32 bits of the seconds (signed).
    (raw.i_atime, raw.i_mtime, raw.i_ctime) = (p.atime as u32, p.mtime as u32, p.ctime as u32);
    raw.i_blocks = u32::try_from(p.blocks).map_err(|_| EFBIG)?;
    raw.i_generation = p.generation;
    if raw.set_size(u64::try_from(p.size)?) {
        set_large_file(sb);
    }
    Ok(())
}

/// Sets the LARGE_FILE feature the first time a file grows past 2 GiB.
fn set_large_file(sb: &SuperBlock<Ext2Fs>) {
    let mut st = sb.data().state.lock();
    if st.has_ro_compat(crate::format::superblock::EXT2_FEATURE_RO_COMPAT_LARGE_FILE) {
        return;
    }
    st.update_dynamic_rev();
    st.s_feature_ro_compat |= crate::format::superblock::EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
}

/// Writes the inode into its inode-table block (`__ext2_write_inode`);
/// with `sync`, waits for the block to reach the disk.
pub(crate) fn write_inode(inode: &INode<Ext2Fs>, sync: bool) -> Result {
    let sb = inode.super_block();
    let ino = u32::try_from(inode.ino())?;
    let params = inode.params();
    let mut raw = inode.data().disk.lock().raw;
    raw.i_flags = inode.data().flags.load(Ordering::Relaxed);
    fill_raw(sb, &mut raw, &params)?;
    let (block, offset) = inode_block(sb, ino)?;
    let bh = sb.bread(block)?;
    {
        let mut locked = bh.lock();
        let bytes = locked.data_mut().get_mut(offset..).ok_or(EINVAL)?;
        raw.write(bytes).map_err(|_| EINVAL)?;
    }
    bh.mark_dirty();
    if sync {
        bh.sync()?;
    }
    Ok(())
}

/// Evicts an inode (`ext2_evict_inode`). One whose last link and last
/// user are gone is deleted: its blocks freed, the deletion time recorded
/// and the inode freed. A live one writes its listed metadata buffers
/// first, since a later `fsync`, of the inode read afresh, cannot find
/// them. Errors are reported; eviction itself cannot fail.
pub(crate) fn evict_inode(inode: &INode<Ext2Fs>) {
    let sb = inode.super_block();
    inode.data().disk.lock().rsv.discard(&sb.data().windows);
    if inode.nlink() != 0 || inode.is_bad() {
        if let Err(e) = inode.sync_metadata_bhs() {
            pr_err!(
                "ext2rs ({}): writing the metadata buffers of inode {} failed: error {}\n",
                sb.id(),
                inode.ino(),
                e.to_errno()
            );
        }
        return;
    }
    if let Err(e) = delete_inode(inode) {
        pr_err!(
            "ext2rs ({}): deleting inode {} failed: error {}\n",
            sb.id(),
            inode.ino(),
            e.to_errno()
        );
    }
}

/// Whether `i_block` holds block pointers: not for device nodes (it holds
/// the device number) nor fast symlinks (the target), as
/// ext2_truncate_blocks checks.
fn has_block_tree(inode: &INode<Ext2Fs>) -> bool {
    let mode = inode.mode();
    if raw::s_islnk(mode) {
        // ext2_inode_is_fast_symlink, on the live block count (the copy in
        // `raw` is only refreshed when the inode is written).
        let ea_blocks = if inode.data().disk.lock().raw.i_file_acl != 0 {
            u64::from(inode.super_block().block_size() >> 9)
        } else {
            0
        };
        return inode.blocks() != ea_blocks;
    }
    raw::s_isreg(mode) || raw::s_isdir(mode)
}

fn delete_inode(inode: &INode<Ext2Fs>) -> Result {
    let sb = inode.super_block();
    let ino = u32::try_from(inode.ino())?;
    {
        let mut disk = inode.data().disk.lock();
        disk.raw.i_dtime = crate::sb::now_u32();
    }
    if has_block_tree(inode) {
        inode.set_size(0);
        crate::blockmap::truncate_blocks(inode, 0)?;
    }
    crate::xattr::delete_inode(inode)?;
    write_inode(inode, false)?;
    crate::ialloc::free_inode(sb, ino, raw::s_isdir(inode.mode()))
}

/// `setattr` of inodes without data blocks of their own to truncate
/// (symlinks, special files) and of directories: the attributes, then
/// the access ACL after a mode change (`ext2_setattr`).
pub(crate) fn setattr_simple(inode: &INode<Ext2Fs>, attr: &SetAttr<'_>) -> Result {
    attr.copy(inode);
    inode.mark_dirty();
    attr.posix_acl_chmod(inode)
}

/// Symlinks (`ext2_symlink_inode_operations`): attributes, no ACLs.
struct SymlinkInodeOps;

#[vtable]
impl vfs_inode::Operations for SymlinkInodeOps {
    type FileSystem = Ext2Fs;

    fn getattr(inode: &INode<Ext2Fs>, stat: &mut Kstat<'_>) -> Result {
        crate::ioctl::getattr(inode, stat)
    }

    fn setattr(inode: &INode<Ext2Fs>, attr: &SetAttr<'_>) -> Result {
        setattr_simple(inode, attr)
    }

    fn listxattr(inode: &INode<Ext2Fs>, buf: Option<&mut [u8]>) -> Result<usize> {
        crate::xattr::list(inode, buf)
    }
}

/// Device nodes, FIFOs and sockets (`ext2_special_inode_operations`).
struct SpecialInodeOps;

#[vtable]
impl vfs_inode::Operations for SpecialInodeOps {
    type FileSystem = Ext2Fs;

    fn getattr(inode: &INode<Ext2Fs>, stat: &mut Kstat<'_>) -> Result {
        crate::ioctl::getattr(inode, stat)
    }

    fn setattr(inode: &INode<Ext2Fs>, attr: &SetAttr<'_>) -> Result {
        setattr_simple(inode, attr)
    }

    fn listxattr(inode: &INode<Ext2Fs>, buf: Option<&mut [u8]>) -> Result<usize> {
        crate::xattr::list(inode, buf)
    }

    fn get_acl(inode: &INode<Ext2Fs>, typ: AclType) -> Result<Option<PosixAcl>> {
        crate::acl::get_acl(inode, typ)
    }

    fn set_acl(idmap: &MntIdmap, inode: &INode<Ext2Fs>, acl: Option<&Acl>, typ: AclType) -> Result {
        crate::acl::set_acl(idmap, inode, acl, typ)
    }
}

/// The inode operations of symlinks whose target is in a block.
const SYMLINK_IOPS: &vfs_inode::Ops<Ext2Fs> =
    &vfs_inode::Ops::new::<SymlinkInodeOps>().page_symlink();
/// The inode operations of symlinks whose target is in the inode.
const FAST_SYMLINK_IOPS: &vfs_inode::Ops<Ext2Fs> =
    &vfs_inode::Ops::new::<SymlinkInodeOps>().simple_symlink();
/// The inode operations of device nodes, FIFOs and sockets.
const SPECIAL_IOPS: &vfs_inode::Ops<Ext2Fs> = &vfs_inode::Ops::new::<SpecialInodeOps>();
