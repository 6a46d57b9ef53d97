// SPDX-License-Identifier: GPL-2.0

//! The 128-byte base inode, mode and device number helpers, and where inode
//! N lives on disk.

use super::blockmap::{EXT2_N_BLOCKS, MAX_LFS_FILESIZE};
use super::error::{FormatError, Result};
use super::group::GroupDesc;
use super::le::{le16, le32, prefix, prefix_mut, put_le16, put_le32, put_u8, u8_at};
use super::superblock::Superblock;

/// Size of the base inode every revision has; larger inodes carry extra
/// fields after it, which ext2 ignores and preserves.
pub const EXT2_GOOD_OLD_INODE_SIZE: usize = 128;

/// Bad blocks inode.
pub const EXT2_BAD_INO: u32 = 1;
/// Root directory inode.
pub const EXT2_ROOT_INO: u32 = 2;
/// Boot loader inode.
pub const EXT2_BOOT_LOADER_INO: u32 = 5;
/// Undelete directory inode.
pub const EXT2_UNDEL_DIR_INO: u32 = 6;
/// Resize inode (resize_inode feature).
pub const EXT2_RESIZE_INO: u32 = 7;
/// ext3 journal inode.
pub const EXT3_JOURNAL_INO: u32 = 8;
/// Maximal link count.
pub const EXT2_LINK_MAX: u32 = 32000;

/// File type mask of `i_mode`.
pub const S_IFMT: u16 = 0o170000;
/// Socket.
pub const S_IFSOCK: u16 = 0o140000;
/// Symbolic link.
pub const S_IFLNK: u16 = 0o120000;
/// Regular file.
pub const S_IFREG: u16 = 0o100000;
/// Block device.
pub const S_IFBLK: u16 = 0o060000;
/// Directory.
pub const S_IFDIR: u16 = 0o040000;
/// Character device.
pub const S_IFCHR: u16 = 0o020000;
/// FIFO.
pub const S_IFIFO: u16 = 0o010000;

/// Secure deletion.
pub const EXT2_SECRM_FL: u32 = 0x0000_0001;
/// Undelete.
pub const EXT2_UNRM_FL: u32 = 0x0000_0002;
/// Compress file.
pub const EXT2_COMPR_FL: u32 = 0x0000_0004;
/// Synchronous updates.
pub const EXT2_SYNC_FL: u32 = 0x0000_0008;
/// Immutable file.
pub const EXT2_IMMUTABLE_FL: u32 = 0x0000_0010;
/// Writes may only append.
pub const EXT2_APPEND_FL: u32 = 0x0000_0020;
/// Do not dump file.
pub const EXT2_NODUMP_FL: u32 = 0x0000_0040;
/// Do not update atime.
pub const EXT2_NOATIME_FL: u32 = 0x0000_0080;
/// Compression: dirty.
pub const EXT2_DIRTY_FL: u32 = 0x0000_0100;
/// Compression: compressed clusters.
pub const EXT2_COMPRBLK_FL: u32 = 0x0000_0200;
/// Compression: do not compress.
pub const EXT2_NOCOMP_FL: u32 = 0x0000_0400;
/// Compression error.
pub const EXT2_ECOMPR_FL: u32 = 0x0000_0800;
/// B-tree format directory.
pub const EXT2_BTREE_FL: u32 = 0x0000_1000;
/// Hash-indexed directory (same bit as [`EXT2_BTREE_FL`]).
pub const EXT2_INDEX_FL: u32 = 0x0000_1000;
/// AFS directory.
pub const EXT2_IMAGIC_FL: u32 = 0x0000_2000;
/// Reserved for ext3.
pub const EXT2_JOURNAL_DATA_FL: u32 = 0x0000_4000;
/// File tail should not be merged.
pub const EXT2_NOTAIL_FL: u32 = 0x0000_8000;
/// Synchronous directory updates.
pub const EXT2_DIRSYNC_FL: u32 = 0x0001_0000;
/// Top of directory hierarchies.
pub const EXT2_TOPDIR_FL: u32 = 0x0002_0000;
/// Reserved for the ext2 library.
pub const EXT2_RESERVED_FL: u32 = 0x8000_0000;
/// User visible flags (`FS_FL_USER_VISIBLE`).
pub const EXT2_FL_USER_VISIBLE: u32 = 0x0003_DFFF;
/// User modifiable flags (`FS_FL_USER_MODIFIABLE`).
pub const EXT2_FL_USER_MODIFIABLE: u32 = 0x0003_80FF;
/// Flags new inodes inherit from their parent directory.
pub const EXT2_FL_INHERITED: u32 = EXT2_SECRM_FL
    | EXT2_UNRM_FL
    | EXT2_COMPR_FL
    | EXT2_SYNC_FL
    | EXT2_NODUMP_FL
    | EXT2_NOATIME_FL
    | EXT2_COMPRBLK_FL
    | EXT2_NOCOMP_FL
    | EXT2_JOURNAL_DATA_FL
    | EXT2_NOTAIL_FL
    | EXT2_DIRSYNC_FL;
/// Flags appropriate for regular files.
pub const EXT2_REG_FLMASK: u32 = !(EXT2_DIRSYNC_FL | EXT2_TOPDIR_FL);
/// Flags appropriate for other non-directories.
pub const EXT2_OTHER_FLMASK: u32 = EXT2_NODUMP_FL | EXT2_NOATIME_FL;

/// Masks out flags inappropriate for the inode type (`ext2_mask_flags`).
pub fn mask_flags(mode: u16, flags: u32) -> u32 {
    if s_isdir(mode) {
        flags
    } else if s_isreg(mode) {
        flags & EXT2_REG_FLMASK
    } else {
        flags & EXT2_OTHER_FLMASK
    }
}

/// Whether `mode` is a regular file.
pub fn s_isreg(mode: u16) -> bool {
    mode & S_IFMT == S_IFREG
}

/// Whether `mode` is a directory.
pub fn s_isdir(mode: u16) -> bool {
    mode & S_IFMT == S_IFDIR
}

/// Whether `mode` is a symbolic link.
pub fn s_islnk(mode: u16) -> bool {
    mode & S_IFMT == S_IFLNK
}

/// Whether `mode` is a character device.
pub fn s_ischr(mode: u16) -> bool {
    mode & S_IFMT == S_IFCHR
}

/// Whether `mode` is a block device.
pub fn s_isblk(mode: u16) -> bool {
    mode & S_IFMT == S_IFBLK
}

/// Whether `mode` is a FIFO.
pub fn s_isfifo(mode: u16) -> bool {
    mode & S_IFMT == S_IFIFO
}

/// Whether `mode` is a socket.
pub fn s_issock(mode: u16) -> bool {
    mode & S_IFMT == S_IFSOCK
}

/// Bits of the minor number in a kernel `dev_t`.
pub const MINORBITS: u32 = 20;
/// Mask of the minor number in a kernel `dev_t`.
pub const MINORMASK: u32 = (1 << MINORBITS) - 1;

/// Kernel `dev_t` from major and minor (`MKDEV`).
pub fn mkdev(major: u32, minor: u32) -> u32 {
    (major << MINORBITS) | (minor & MINORMASK)
}

/// Major number of a kernel `dev_t` (`MAJOR`).
pub fn major(dev: u32) -> u32 {
    dev >> MINORBITS
}

/// Minor number of a kernel `dev_t` (`MINOR`).
pub fn minor(dev: u32) -> u32 {
    dev & MINORMASK
}

/// Whether `dev` fits the old 8:8 encoding (`old_valid_dev`).
pub fn old_valid_dev(dev: u32) -> bool {
    major(dev) < 256 && minor(dev) < 256
}

/// 8:8 encoding of `dev` (`old_encode_dev`); only for `old_valid_dev`.
pub fn old_encode_dev(dev: u32) -> u16 {
    // CAST: truncation intended; callers check old_valid_dev first, as C.
    ((major(dev) << 8) | minor(dev)) as u16
}

/// Kernel `dev_t` from the 8:8 encoding (`old_decode_dev`).
pub fn old_decode_dev(val: u16) -> u32 {
    mkdev(u32::from(val >> 8) & 255, u32::from(val) & 255)
}

/// 12:20 encoding of `dev` (`new_encode_dev`).
pub fn new_encode_dev(dev: u32) -> u32 {
    let (major, minor) = (major(dev), minor(dev));
    (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)
}

/// Kernel `dev_t` from the 12:20 encoding (`new_decode_dev`).
pub fn new_decode_dev(dev: u32) -> u32 {
    let major = (dev & 0xfff00) >> 8;
    let minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    mkdev(major, minor)
}

/// The base 128 bytes of `struct ext2_inode` (Linux osd fields).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Inode {
    /// File mode.
    pub i_mode: u16,
    /// Low 16 bits of the owner uid.
    pub i_uid: u16,
    /// Size in bytes (low 32 bits for regular files).
    pub i_size: u32,
    /// Access time.
    pub i_atime: u32,
    /// Inode change time.
    pub i_ctime: u32,
    /// Modification time.
    pub i_mtime: u32,
    /// Deletion time.
    pub i_dtime: u32,
    /// Low 16 bits of the group id.
    pub i_gid: u16,
    /// Links count.
    pub i_links_count: u16,
    /// Blocks count in 512-byte units, indirect and xattr blocks included.
    pub i_blocks: u32,
    /// File flags (`EXT2_*_FL`).
    pub i_flags: u32,
    /// OS dependent 1 (`l_i_reserved1`).
    pub l_i_reserved1: u32,
    /// Block pointers (or fast symlink target, or device number).
    pub i_block: [u32; EXT2_N_BLOCKS],
    /// File version (for NFS).
    pub i_generation: u32,
    /// Extended attribute block.
    pub i_file_acl: u32,
    /// Directory ACL, or `i_size_high` for regular files.
    pub i_dir_acl: u32,
    /// Fragment address.
    pub i_faddr: u32,
    /// Fragment number.
    pub l_i_frag: u8,
    /// Fragment size.
    pub l_i_fsize: u8,
    /// Padding.
    pub i_pad1: u16,
    /// High 16 bits of the owner uid.
    pub l_i_uid_high: u16,
    /// High 16 bits of the group id.
    pub l_i_gid_high: u16,
    /// Reserved.
    pub l_i_reserved2: u32,
}

impl Inode {
    /// Decodes the base inode at the start of `buf` (at least 128 bytes;
    /// the rest of a larger on-disk inode is ignored).
    pub fn parse(buf: &[u8]) -> Result<Self> {
        let b = prefix(buf, EXT2_GOOD_OLD_INODE_SIZE)?;
        let mut i_block = [0u32; EXT2_N_BLOCKS];
        for (n, slot) in i_block.iter_mut().enumerate() {
            *slot = le32(b, 40 + 4 * n);
        }
        Ok(Self {
            i_mode: le16(b, 0),
            i_uid: le16(b, 2),
            i_size: le32(b, 4),
            i_atime: le32(b, 8),
            i_ctime: le32(b, 12),
            i_mtime: le32(b, 16),
            i_dtime: le32(b, 20),
            i_gid: le16(b, 24),
            i_links_count: le16(b, 26),
            i_blocks: le32(b, 28),
            i_flags: le32(b, 32),
            l_i_reserved1: le32(b, 36),
            i_block,
            i_generation: le32(b, 100),
            i_file_acl: le32(b, 104),
            i_dir_acl: le32(b, 108),
            i_faddr: le32(b, 112),
            l_i_frag: u8_at(b, 116),
            l_i_fsize: u8_at(b, 117),
            i_pad1: le16(b, 118),
            l_i_uid_high: le16(b, 120),
            l_i_gid_high: le16(b, 122),
            l_i_reserved2: le32(b, 124),
        })
    }

    /// Encodes the base inode into the first 128 bytes of `buf`; bytes past
    /// 128 (extra inode fields) are left untouched.
    pub fn write(&self, buf: &mut [u8]) -> Result<()> {
        let b = prefix_mut(buf, EXT2_GOOD_OLD_INODE_SIZE)?;
        put_le16(b, 0, self.i_mode);
        put_le16(b, 2, self.i_uid);
        put_le32(b, 4, self.i_size);
        put_le32(b, 8, self.i_atime);
        put_le32(b, 12, self.i_ctime);
        put_le32(b, 16, self.i_mtime);
        put_le32(b, 20, self.i_dtime);
        put_le16(b, 24, self.i_gid);
        put_le16(b, 26, self.i_links_count);
        put_le32(b, 28, self.i_blocks);
        put_le32(b, 32, self.i_flags);
        put_le32(b, 36, self.l_i_reserved1);
        for (n, v) in self.i_block.iter().enumerate() {
            put_le32(b, 40 + 4 * n, *v);
        }
        self.write_tail(b);
        Ok(())
    }

    /// Encodes the fields after `i_block[]`.
    fn write_tail(&self, b: &mut [u8]) {
        put_le32(b, 100, self.i_generation);
        put_le32(b, 104, self.i_file_acl);
        put_le32(b, 108, self.i_dir_acl);
        put_le32(b, 112, self.i_faddr);
        put_u8(b, 116, self.l_i_frag);
        put_u8(b, 117, self.l_i_fsize);
        put_le16(b, 118, self.i_pad1);
        put_le16(b, 120, self.l_i_uid_high);
        put_le16(b, 122, self.l_i_gid_high);
        put_le32(b, 124, self.l_i_reserved2);
    }

    /// 32-bit owner uid.
    pub fn uid(&self) -> u32 {
        u32::from(self.i_uid) | (u32::from(self.l_i_uid_high) << 16)
    }

    /// 32-bit group id.
    pub fn gid(&self) -> u32 {
        u32::from(self.i_gid) | (u32::from(self.l_i_gid_high) << 16)
    }

    /// Stores a 32-bit uid; the high half is cleared for deleted inodes so
    /// old kernels reusing them do not inherit it (as __ext2_write_inode).
    pub fn set_uid(&mut self, uid: u32) {
        // CAST: truncation intended: the low and high halves are split.
        self.i_uid = uid as u16;
        // CAST: uid >> 16 < 2^16.
        self.l_i_uid_high = if self.i_dtime == 0 {
            (uid >> 16) as u16
        } else {
            0
        };
    }

    /// Stores a 32-bit gid (see [`Inode::set_uid`]).
    pub fn set_gid(&mut self, gid: u32) {
        // CAST: truncation intended: the low and high halves are split.
        self.i_gid = gid as u16;
        // CAST: gid >> 16 < 2^16.
        self.l_i_gid_high = if self.i_dtime == 0 {
            (gid >> 16) as u16
        } else {
            0
        };
    }

    /// The file type bits of `i_mode`.
    pub fn file_type(&self) -> u16 {
        self.i_mode & S_IFMT
    }

    /// File size: regular files use `i_size_high` (`i_dir_acl`) as the
    /// high half, as ext2_iget does. Sizes that would be a negative loff_t
    /// are corrupt.
    pub fn size(&self) -> Result<u64> {
        let mut size = u64::from(self.i_size);
        if s_isreg(self.i_mode) {
            size |= u64::from(self.i_dir_acl) << 32;
        }
        if size > MAX_LFS_FILESIZE {
            return Err(FormatError::BadFileSize(size));
        }
        Ok(size)
    }

    /// Stores `size`; regular files get the high half in `i_size_high`.
    /// Returns whether the size needs the LARGE_FILE feature (above 2 GiB
    /// - 1), which the caller must then set in the superblock.
    pub fn set_size(&mut self, size: u64) -> bool {
        // CAST: truncation intended: the low half goes to i_size.
        self.i_size = size as u32;
        if s_isreg(self.i_mode) {
            // CAST: size >> 32 < 2^32.
            self.i_dir_acl = (size >> 32) as u32;
        }
        size > 0x7fff_ffff
    }

    /// Whether this is a symlink whose target is stored in `i_block`
    /// (`ext2_inode_is_fast_symlink`): no blocks besides an xattr block.
    pub fn is_fast_symlink(&self, block_size: u32) -> bool {
        let ea_blocks = if self.i_file_acl != 0 {
            block_size >> 9
        } else {
            0
        };
        s_islnk(self.i_mode) && self.i_blocks.checked_sub(ea_blocks) == Some(0)
    }

    /// Target of a fast symlink: `i_block` bytes up to the size (at most
    /// 59 bytes, as nd_terminate_link limits it), copied into `out`.
    /// Returns the length.
    pub fn fast_symlink_target(&self, out: &mut [u8; 60]) -> usize {
        for (n, v) in self.i_block.iter().enumerate() {
            if let Some(dst) = out.get_mut(4 * n..4 * n + 4) {
                dst.copy_from_slice(&v.to_le_bytes());
            }
        }
        let len = usize::try_from(self.i_size).unwrap_or(usize::MAX);
        len.min(out.len() - 1)
    }

    /// Device number of a character or block device inode, as ext2_iget
    /// decodes it: old 8:8 in `i_block[0]`, else new 12:20 in `i_block[1]`.
    pub fn rdev(&self) -> u32 {
        match self.i_block {
            // CAST: old_decode_dev takes a u16 in C too: the truncation of
            // the 32-bit slot is what ext2 does.
            [old, ..] if old != 0 => old_decode_dev(old as u16),
            [_, new, ..] => new_decode_dev(new),
        }
    }

    /// Stores a device number as __ext2_write_inode does.
    pub fn set_rdev(&mut self, dev: u32) {
        if old_valid_dev(dev) {
            self.i_block[0] = u32::from(old_encode_dev(dev));
            self.i_block[1] = 0;
        } else {
            self.i_block[0] = 0;
            self.i_block[1] = new_encode_dev(dev);
            self.i_block[2] = 0;
        }
    }

    /// Whether the inode is free: no links and either no mode or a
    /// deletion time (the test ext2_iget shares with e2fsck).
    /// `Ok(false)` for live inodes; a linkless inode that looks live is
    /// corrupt.
    pub fn is_deleted(&self, ino: u32) -> Result<bool> {
        if self.i_links_count != 0 {
            return Ok(false);
        }
        if self.i_mode == 0 || self.i_dtime != 0 {
            return Ok(true);
        }
        Err(FormatError::UnlinkedLiveInode(ino))
    }
}

/// Where an inode lives: group, index in the group and position in the
/// group's inode table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InodeLoc {
    /// Block group.
    pub group: u32,
    /// Index within the group (also the inode bitmap bit).
    pub index: u32,
    /// Block within the group's inode table.
    pub table_block: u32,
    /// Byte offset of the inode within that block.
    pub offset: usize,
}

impl InodeLoc {
    /// Absolute block holding the inode, given the group's descriptor.
    pub fn block(&self, desc: &GroupDesc) -> u64 {
        u64::from(desc.bg_inode_table) + u64::from(self.table_block)
    }
}

/// Locates inode `ino` as ext2_get_inode does: the root or a non-reserved
/// inode, at most `s_inodes_count`.
pub fn inode_loc(sb: &Superblock, ino: u32) -> Result<InodeLoc> {
    if ino != EXT2_ROOT_INO && ino < sb.first_ino() {
        return Err(FormatError::BadInodeNumber(ino));
    }
    inode_loc_any(sb, ino)
}

/// Locates any inode 1..=`s_inodes_count`, reserved ones included (for
/// tools reading the resize or bad blocks inode).
pub fn inode_loc_any(sb: &Superblock, ino: u32) -> Result<InodeLoc> {
    let ipg = sb.s_inodes_per_group;
    let block_size = u64::from(sb.block_size());
    if ino == 0 || ino > sb.s_inodes_count || ipg == 0 || block_size == 0 {
        return Err(FormatError::BadInodeNumber(ino));
    }
    let index = (ino - 1) % ipg;
    let byte = u64::from(index) * u64::from(sb.inode_size());
    let table_block = u32::try_from(byte / block_size);
    let offset = usize::try_from(byte % block_size);
    match (table_block, offset) {
        (Ok(table_block), Ok(offset)) => Ok(InodeLoc {
            group: (ino - 1) / ipg,
            index,
            table_block,
            offset,
        }),
        _ => Err(FormatError::BadInodeNumber(ino)),
    }
}
