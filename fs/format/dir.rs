// SPDX-License-Identifier: GPL-2.0

//! Directory blocks: the `ext2_dir_entry_2` codec, the block check of
//! `ext2_check_folio`, and the block-level edits of fs/ext2/dir.c
//! (`add_link`, `delete_entry`, `set_link`, `make_empty`, `empty_dir`).
//!
//! Every function works on one directory block (ext2's chunk) and checks
//! the whole block before reading or changing it, so the iterator and the
//! edits never see an entry that crosses the block or loops.

use super::error::{DirEntryError, FormatError, Result};
use super::inode::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK};
use super::le::{le16, le32, put_bytes, put_le16, put_le32, put_u8, u8_at};
use super::superblock::Superblock;

/// Longest name of a directory entry.
pub const EXT2_NAME_LEN: usize = 255;
/// Directory entries are aligned to this.
pub const EXT2_DIR_PAD: usize = 4;
/// Rounding mask for [`EXT2_DIR_PAD`].
pub const EXT2_DIR_ROUND: usize = EXT2_DIR_PAD - 1;
/// Largest rec_len representable on disk; 65535 stands for 65536.
pub const EXT2_MAX_REC_LEN: u32 = (1 << 16) - 1;
/// Size of the fixed header of an entry (inode, rec_len, name_len, type).
const HEADER: usize = 8;

/// Unknown file type.
pub const EXT2_FT_UNKNOWN: u8 = 0;
/// Regular file.
pub const EXT2_FT_REG_FILE: u8 = 1;
/// Directory.
pub const EXT2_FT_DIR: u8 = 2;
/// Character device.
pub const EXT2_FT_CHRDEV: u8 = 3;
/// Block device.
pub const EXT2_FT_BLKDEV: u8 = 4;
/// FIFO.
pub const EXT2_FT_FIFO: u8 = 5;
/// Socket.
pub const EXT2_FT_SOCK: u8 = 6;
/// Symbolic link.
pub const EXT2_FT_SYMLINK: u8 = 7;
/// One past the last valid file type.
pub const EXT2_FT_MAX: u8 = 8;

/// `d_type` values for readdir.
pub const DT_UNKNOWN: u8 = 0;
/// FIFO.
pub const DT_FIFO: u8 = 1;
/// Character device.
pub const DT_CHR: u8 = 2;
/// Directory.
pub const DT_DIR: u8 = 4;
/// Block device.
pub const DT_BLK: u8 = 6;
/// Regular file.
pub const DT_REG: u8 = 8;
/// Symbolic link.
pub const DT_LNK: u8 = 10;
/// Socket.
pub const DT_SOCK: u8 = 12;

/// Bytes an entry with a `name_len`-byte name needs (`EXT2_DIR_REC_LEN`).
pub const fn dir_rec_len(name_len: usize) -> usize {
    name_len.saturating_add(HEADER + EXT2_DIR_ROUND) & !EXT2_DIR_ROUND
}

/// Decodes an on-disk rec_len: 65535 means a 64 KiB block, as ext2 does
/// with 64 KiB pages (and harmless below: such a rec_len fails the checks).
pub fn rec_len_from_disk(dlen: u16) -> usize {
    if u32::from(dlen) == EXT2_MAX_REC_LEN {
        return 1 << 16;
    }
    usize::from(dlen)
}

/// Encodes a rec_len for disk (65536 becomes 65535).
pub fn rec_len_to_disk(len: usize) -> Result<u16> {
    if len == 1 << 16 {
        return Ok(u16::MAX);
    }
    u16::try_from(len).map_err(|_| FormatError::BadRecLen(u32::try_from(len).unwrap_or(u32::MAX)))
}

/// Directory entry file type for an inode mode (`fs_umode_to_ftype`).
pub fn file_type_from_mode(mode: u16) -> u8 {
    match mode & S_IFMT {
        S_IFREG => EXT2_FT_REG_FILE,
        S_IFDIR => EXT2_FT_DIR,
        S_IFCHR => EXT2_FT_CHRDEV,
        S_IFBLK => EXT2_FT_BLKDEV,
        S_IFIFO => EXT2_FT_FIFO,
        S_IFSOCK => EXT2_FT_SOCK,
        S_IFLNK => EXT2_FT_SYMLINK,
        _ => EXT2_FT_UNKNOWN,
    }
}

/// readdir `d_type` for an entry file type (`fs_ftype_to_dtype`).
pub fn ftype_to_dtype(file_type: u8) -> u8 {
    match file_type {
        EXT2_FT_REG_FILE => DT_REG,
        EXT2_FT_DIR => DT_DIR,
        EXT2_FT_CHRDEV => DT_CHR,
        EXT2_FT_BLKDEV => DT_BLK,
        EXT2_FT_FIFO => DT_FIFO,
        EXT2_FT_SOCK => DT_SOCK,
        EXT2_FT_SYMLINK => DT_LNK,
        _ => DT_UNKNOWN,
    }
}

/// What a directory block is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirFormat {
    /// `s_inodes_count`: no entry may name a larger inode.
    pub inodes_count: u32,
    /// Whether INCOMPAT_FILETYPE is set (entries carry a file type).
    pub filetype: bool,
}

impl DirFormat {
    /// The format of the file system described by `sb`.
    pub fn new(sb: &Superblock) -> Self {
        Self {
            inodes_count: sb.s_inodes_count,
            filetype: sb.has_filetype(),
        }
    }

    /// The type to store for an inode of `mode` (0 without FILETYPE, as
    /// ext2_set_de_type).
    pub fn de_type(&self, mode: u16) -> u8 {
        if self.filetype {
            file_type_from_mode(mode)
        } else {
            EXT2_FT_UNKNOWN
        }
    }
}

/// One directory entry of a checked block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirEntry<'a> {
    /// Byte offset of the entry in its block.
    pub offset: usize,
    /// Inode number; 0 for an unused entry.
    pub inode: u32,
    /// Length of the record, up to the next entry.
    pub rec_len: usize,
    /// Name length.
    pub name_len: u8,
    /// `EXT2_FT_*` (0 when the file system has no FILETYPE feature).
    pub file_type: u8,
    /// The name, `name_len` bytes.
    pub name: &'a [u8],
}

impl DirEntry<'_> {
    /// Whether the entry names an inode (readdir skips the others).
    pub fn is_live(&self) -> bool {
        self.inode != 0
    }

    /// Whether this live entry is `name` (`ext2_match`).
    pub fn matches(&self, name: &[u8]) -> bool {
        self.is_live() && self.name == name
    }

    /// Bytes this entry needs; the rest of rec_len is slack.
    pub fn min_rec_len(&self) -> usize {
        dir_rec_len(usize::from(self.name_len))
    }
}

/// Decodes the entry at `offs`, or `None` if fewer than 12 bytes remain or
/// the name does not fit (never for a checked block).
fn entry_at(buf: &[u8], offs: usize, filetype: bool) -> Option<DirEntry<'_>> {
    let rest = buf.get(offs..)?;
    if rest.len() < dir_rec_len(1) {
        return None;
    }
    let name_len = u8_at(rest, 6);
    let name = rest.get(HEADER..HEADER + usize::from(name_len))?;
    Some(DirEntry {
        offset: offs,
        inode: le32(rest, 0),
        rec_len: rec_len_from_disk(le16(rest, 4)),
        name_len,
        file_type: if filetype { u8_at(rest, 7) } else { 0 },
        name,
    })
}

fn bad(offset: usize, reason: DirEntryError) -> FormatError {
    FormatError::BadDirEntry {
        offset: u32::try_from(offset).unwrap_or(u32::MAX),
        reason,
    }
}

/// Checks the entry at `offs` (the tests of ext2_check_folio, plus the
/// file type and empty name) and returns its rec_len.
fn check_entry(buf: &[u8], offs: usize, fmt: DirFormat) -> Result<usize> {
    let rest = buf.len().saturating_sub(offs);
    let rec_len = rec_len_from_disk(le16(buf, offs + 4));
    let name_len = usize::from(u8_at(buf, offs + 6));
    let inode = le32(buf, offs);
    let reason = if rec_len < dir_rec_len(1) {
        DirEntryError::RecLenTooSmall
    } else if rec_len & EXT2_DIR_ROUND != 0 {
        DirEntryError::Unaligned
    } else if rec_len < dir_rec_len(name_len) {
        DirEntryError::NameTooLong
    } else if rec_len > rest {
        DirEntryError::CrossesBlock
    } else if inode > fmt.inodes_count {
        DirEntryError::InodeOutOfRange
    } else if inode != 0 && name_len == 0 {
        DirEntryError::EmptyName
    } else if inode != 0 && fmt.filetype && u8_at(buf, offs + 7) >= EXT2_FT_MAX {
        DirEntryError::BadFileType
    } else {
        return Ok(rec_len);
    };
    Err(bad(offs, reason))
}

/// A directory block is one file system block: a power of two in
/// 1024..=65536 bytes.
fn check_block_len(buf: &[u8]) -> Result<usize> {
    let len = buf.len();
    if !len.is_power_of_two() || !(1024..=1 << 16).contains(&len) {
        return Err(FormatError::BadDirBlockSize(len));
    }
    Ok(len)
}

/// Checks a whole directory block: every entry valid and the entries
/// covering the block exactly.
pub fn check_block(buf: &[u8], fmt: DirFormat) -> Result<()> {
    let len = check_block_len(buf)?;
    let mut offs = 0;
    while len - offs >= dir_rec_len(1) {
        offs += check_entry(buf, offs, fmt)?;
    }
    if offs != len {
        return Err(bad(offs, DirEntryError::BlockNotCovered));
    }
    Ok(())
}

/// A checked directory block.
#[derive(Clone, Copy, Debug)]
pub struct DirBlock<'a> {
    buf: &'a [u8],
    filetype: bool,
}

impl<'a> DirBlock<'a> {
    /// Checks `buf` (one directory block) and wraps it.
    pub fn new(buf: &'a [u8], inodes_count: u32, has_filetype: bool) -> Result<Self> {
        Self::with_format(
            buf,
            DirFormat {
                inodes_count,
                filetype: has_filetype,
            },
        )
    }

    /// Checks `buf` against `fmt` and wraps it.
    pub fn with_format(buf: &'a [u8], fmt: DirFormat) -> Result<Self> {
        check_block(buf, fmt)?;
        Ok(Self {
            buf,
            filetype: fmt.filetype,
        })
    }

    /// All records in order, unused ones (inode 0) included.
    pub fn entries(&self) -> DirEntries<'a> {
        DirEntries {
            buf: self.buf,
            offs: 0,
            filetype: self.filetype,
        }
    }

    /// Records starting at or after byte `offset`: where readdir resumes
    /// when the directory changed under it (`ext2_validate_entry`), so a
    /// stale position never lands inside an entry.
    pub fn entries_from(&self, offset: usize) -> DirEntries<'a> {
        let start = self
            .entries()
            .find(|e| e.offset >= offset)
            .map_or(self.buf.len(), |e| e.offset);
        DirEntries {
            buf: self.buf,
            offs: start,
            filetype: self.filetype,
        }
    }

    /// The live entry called `name` (`ext2_find_entry` within one block).
    pub fn find(&self, name: &[u8]) -> Option<DirEntry<'a>> {
        self.entries().find(|e| e.matches(name))
    }

    /// The entry at byte `offset`, if one starts there.
    pub fn entry_at(&self, offset: usize) -> Option<DirEntry<'a>> {
        self.entries().find(|e| e.offset == offset)
    }

    /// The second entry of a directory's first block (`ext2_dotdot`),
    /// checked to be called "..".
    pub fn dotdot(&self) -> Option<DirEntry<'a>> {
        self.entries().nth(1).filter(|e| e.name == b"..")
    }

    /// Whether the block holds nothing but "." (naming `self_ino`) and ".."
    /// (`ext2_empty_dir` for one block).
    pub fn empty_dir(&self, self_ino: u32) -> bool {
        self.entries()
            .filter(DirEntry::is_live)
            .all(|e| match e.name {
                b"." => e.inode == self_ino,
                b".." => true,
                _ => false,
            })
    }
}

/// Iterator over the records of a [`DirBlock`].
#[derive(Clone, Debug)]
pub struct DirEntries<'a> {
    buf: &'a [u8],
    offs: usize,
    filetype: bool,
}

impl<'a> Iterator for DirEntries<'a> {
    type Item = DirEntry<'a>;

    fn next(&mut self) -> Option<DirEntry<'a>> {
        let e = entry_at(self.buf, self.offs, self.filetype)?;
        // A checked block has no zero rec_len; stop rather than loop.
        self.offs = match e.rec_len {
            0 => self.buf.len(),
            n => self.offs.saturating_add(n),
        };
        Some(e)
    }
}

/// Outcome of [`add_link`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddLink {
    /// The entry was written at `offset`.
    Added {
        /// Offset of the new entry.
        offset: usize,
    },
    /// A live entry of that name exists at `offset` (-EEXIST).
    Exists {
        /// Offset of the existing entry.
        offset: usize,
    },
    /// The block has no room; try the next block or extend the directory.
    NoSpace,
}

/// Checks a name and inode number about to be stored.
fn check_new(name: &[u8], ino: u32, fmt: DirFormat) -> Result<()> {
    if name.is_empty() || name.len() > EXT2_NAME_LEN {
        return Err(FormatError::BadName(name.len()));
    }
    if ino == 0 || ino > fmt.inodes_count {
        return Err(FormatError::BadDirInode(ino));
    }
    Ok(())
}

/// Adds `name` -> `ino` to one directory block as `ext2_add_link` does:
/// reuse an unused entry that is large enough, or split the slack off a
/// live entry. `file_type` is stored only with FILETYPE.
pub fn add_link(
    buf: &mut [u8],
    fmt: DirFormat,
    name: &[u8],
    ino: u32,
    file_type: u8,
) -> Result<AddLink> {
    check_new(name, ino, fmt)?;
    let block = DirBlock::with_format(buf, fmt)?;
    if let Some(e) = block.find(name) {
        return Ok(AddLink::Exists { offset: e.offset });
    }
    let reclen = dir_rec_len(name.len());
    let Some(slot) = block.entries().find_map(|e| Slot::find(&e, reclen)) else {
        return Ok(AddLink::NoSpace);
    };
    if let Some(keep) = slot.shrink_to {
        put_le16(buf, slot.entry + 4, rec_len_to_disk(keep)?);
    }
    let ft = if fmt.filetype { file_type } else { 0 };
    write_entry(buf, slot.offset, slot.rec_len, name, ino, ft)?;
    Ok(AddLink::Added {
        offset: slot.offset,
    })
}

/// Where [`add_link`] puts a new entry.
struct Slot {
    /// The existing entry the space comes from.
    entry: usize,
    /// New rec_len of that entry when its slack is split off.
    shrink_to: Option<usize>,
    /// Offset of the new entry.
    offset: usize,
    /// rec_len of the new entry.
    rec_len: usize,
}

impl Slot {
    /// The room `e` offers for an entry of `reclen` bytes, if any.
    fn find(e: &DirEntry<'_>, reclen: usize) -> Option<Self> {
        if !e.is_live() && e.rec_len >= reclen {
            return Some(Self {
                entry: e.offset,
                shrink_to: None,
                offset: e.offset,
                rec_len: e.rec_len,
            });
        }
        let keep = e.min_rec_len();
        if e.is_live() && e.rec_len >= keep + reclen {
            // The live entry keeps what its name needs; the rest is ours.
            return Some(Self {
                entry: e.offset,
                shrink_to: Some(keep),
                offset: e.offset + keep,
                rec_len: e.rec_len - keep,
            });
        }
        None
    }
}

/// Writes a whole entry header and name, zeroing the name's padding.
fn write_entry(
    buf: &mut [u8],
    offset: usize,
    rec_len: usize,
    name: &[u8],
    ino: u32,
    file_type: u8,
) -> Result<()> {
    let disk_len = rec_len_to_disk(rec_len)?;
    let end = offset + dir_rec_len(name.len());
    if end > buf.len() {
        return Err(FormatError::BadRecLen(
            u32::try_from(end).unwrap_or(u32::MAX),
        ));
    }
    put_le32(buf, offset, ino);
    let name_len = u8::try_from(name.len()).map_err(|_| FormatError::BadName(name.len()))?;
    put_le16(buf, offset + 4, disk_len);
    put_u8(buf, offset + 6, name_len);
    put_u8(buf, offset + 7, file_type);
    if let Some(pad) = buf.get_mut(offset + HEADER..end) {
        pad.fill(0);
    }
    put_bytes(buf, offset + HEADER, name);
    Ok(())
}

/// Removes the entry at `offset` as `ext2_delete_entry` does: the previous
/// entry absorbs its record; the first entry of a block is only marked
/// unused (inode 0).
pub fn delete_entry(buf: &mut [u8], fmt: DirFormat, offset: usize) -> Result<()> {
    let block = DirBlock::with_format(buf, fmt)?;
    let end = block
        .entry_at(offset)
        .map(|e| e.offset + e.rec_len)
        .ok_or(no_entry(offset))?;
    let prev = block
        .entries()
        .take_while(|e| e.offset < offset)
        .last()
        .map(|e| e.offset);
    if let Some(prev) = prev {
        put_le16(buf, prev + 4, rec_len_to_disk(end - prev)?);
    }
    put_le32(buf, offset, 0);
    Ok(())
}

/// Points the live entry at `offset` to `ino` (`ext2_set_link`, for
/// rename and for ".." of a moved directory).
pub fn set_link(
    buf: &mut [u8],
    fmt: DirFormat,
    offset: usize,
    ino: u32,
    file_type: u8,
) -> Result<()> {
    if ino == 0 || ino > fmt.inodes_count {
        return Err(FormatError::BadDirInode(ino));
    }
    let block = DirBlock::with_format(buf, fmt)?;
    if !block.entry_at(offset).is_some_and(|e| e.is_live()) {
        return Err(no_entry(offset));
    }
    put_le32(buf, offset, ino);
    put_u8(buf, offset + 7, if fmt.filetype { file_type } else { 0 });
    Ok(())
}

fn no_entry(offset: usize) -> FormatError {
    FormatError::NoEntryAt(u32::try_from(offset).unwrap_or(u32::MAX))
}

/// Fills a new directory's first block with "." and ".."
/// (`ext2_make_empty`); both carry the directory file type.
pub fn make_empty(buf: &mut [u8], fmt: DirFormat, self_ino: u32, parent_ino: u32) -> Result<()> {
    check_new(b".", self_ino, fmt)?;
    check_new(b"..", parent_ino, fmt)?;
    init_block(buf)?;
    let ft = if fmt.filetype { EXT2_FT_DIR } else { 0 };
    let first = dir_rec_len(1);
    write_entry(buf, 0, first, b".", self_ino, ft)?;
    write_entry(buf, first, buf.len() - first, b"..", parent_ino, ft)
}

/// Formats a block appended to a directory: one unused entry spanning it
/// (what ext2_add_link writes when it reaches i_size).
pub fn init_block(buf: &mut [u8]) -> Result<()> {
    let len = check_block_len(buf)?;
    buf.fill(0);
    put_le16(buf, 4, rec_len_to_disk(len)?);
    Ok(())
}
