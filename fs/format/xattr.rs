// SPDX-License-Identifier: GPL-2.0

//! Extended attribute blocks (fs/ext2/xattr.h): the header and entry
//! codec, the checks a block must pass before any entry of it is used, the
//! hashes of `ext2_xattr_hash_entry` / `ext2_xattr_rehash`, and the edit
//! of `ext2_xattr_set` as a rebuild of the block.
//!
//! A block holds a 32-byte header, then the entries sorted by name index,
//! name length and name, ended by four zero bytes, and the values packed
//! at the end of the block, each padded to four bytes:
//!
//! ```text
//! | header | entry 1 | entry 2 | ... | 0000 | free | value 2 | value 1 |
//! ```

use core::cmp::Ordering;

use super::error::{FormatError, Result, XattrError};
use super::le::{le16, le32, put_bytes, put_le16, put_le32, put_u8, u8_at};

/// `h_magic` of an attribute block.
pub const EXT2_XATTR_MAGIC: u32 = 0xEA02_0000;
/// Most inodes that may share one attribute block.
pub const EXT2_XATTR_REFCOUNT_MAX: u32 = 1024;
/// Longest attribute name (without its namespace prefix).
pub const EXT2_XATTR_NAME_MAX: usize = 255;

/// Name index of `user.` attributes.
pub const EXT2_XATTR_INDEX_USER: u8 = 1;
/// Name index of `system.posix_acl_access`.
pub const EXT2_XATTR_INDEX_POSIX_ACL_ACCESS: u8 = 2;
/// Name index of `system.posix_acl_default`.
pub const EXT2_XATTR_INDEX_POSIX_ACL_DEFAULT: u8 = 3;
/// Name index of `trusted.` attributes.
pub const EXT2_XATTR_INDEX_TRUSTED: u8 = 4;
/// Name index of `security.` attributes.
pub const EXT2_XATTR_INDEX_SECURITY: u8 = 6;

/// Size of `struct ext2_xattr_header`.
pub const HEADER_LEN: usize = 32;
/// Size of `struct ext2_xattr_entry` without its name.
const ENTRY_LEN: usize = 16;
/// Entries and values are aligned to this (`EXT2_XATTR_PAD`).
const PAD: usize = 4;
/// The zero word that ends the entry table.
const END_LEN: usize = 4;

const H_MAGIC: usize = 0;
const H_REFCOUNT: usize = 4;
const H_BLOCKS: usize = 8;
const H_HASH: usize = 12;

const E_NAME_LEN: usize = 0;
const E_NAME_INDEX: usize = 1;
const E_VALUE_OFFS: usize = 2;
const E_VALUE_BLOCK: usize = 4;
const E_VALUE_SIZE: usize = 8;
const E_HASH: usize = 12;

/// Bytes an entry with a name of `name_len` takes (`EXT2_XATTR_LEN`).
pub const fn entry_len(name_len: usize) -> usize {
    (name_len + ENTRY_LEN + PAD - 1) & !(PAD - 1)
}

/// Bytes a value of `size` takes, padded (`EXT2_XATTR_SIZE`).
pub const fn value_len(size: usize) -> usize {
    (size + PAD - 1) & !(PAD - 1)
}

/// One attribute of a checked block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The name index (namespace), `EXT2_XATTR_INDEX_*`.
    pub index: u8,
    /// The name without its namespace prefix.
    pub name: &'a [u8],
    /// The value.
    pub value: &'a [u8],
    /// `e_hash` as stored.
    pub hash: u32,
}

impl Entry<'_> {
    /// How this entry sorts against the name `(index, name)` (the order of
    /// `ext2_xattr_cmp_entry`: index, then name length, then bytes).
    pub fn cmp_name(&self, index: u8, name: &[u8]) -> Ordering {
        (self.index, self.name.len(), self.name).cmp(&(index, name.len(), name))
    }
}

/// An attribute block whose header, entries and value locations were all
/// checked: entries lie inside the block and end with the zero word,
/// values lie between the entry table and the end of the block and do not
/// overlap each other.
#[derive(Clone, Copy)]
pub struct XattrBlock<'a> {
    data: &'a [u8],
    /// Offset of the zero word ending the entry table.
    table_end: usize,
}

impl core::fmt::Debug for XattrBlock<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.entries()).finish()
    }
}

impl<'a> XattrBlock<'a> {
    /// Checks `data`, one whole attribute block, and wraps it.
    pub fn parse(data: &'a [u8]) -> Result<Self> {
        let bad = |what| Err(FormatError::BadXattr(what));
        if data.len() < HEADER_LEN + END_LEN {
            return bad(XattrError::Header);
        }
        if le32(data, H_MAGIC) != EXT2_XATTR_MAGIC || le32(data, H_BLOCKS) != 1 {
            return bad(XattrError::Header);
        }
        if le32(data, H_REFCOUNT) == 0 {
            return bad(XattrError::Refcount);
        }
        let table_end = entry_table_end(data)?;
        let block = Self { data, table_end };
        block.check_values()?;
        Ok(block)
    }

    /// `h_refcount`: how many inodes use the block.
    pub fn refcount(&self) -> u32 {
        le32(self.data, H_REFCOUNT)
    }

    /// `h_hash`: the hash of all entries, 0 if the block is not to be
    /// shared.
    pub fn hash(&self) -> u32 {
        le32(self.data, H_HASH)
    }

    /// The block's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.data
    }

    /// The entries in block order.
    pub fn entries(&self) -> Entries<'a> {
        Entries {
            data: self.data,
            off: HEADER_LEN,
            end: self.table_end,
        }
    }

    /// The attribute `(index, name)`, if present.
    pub fn find(&self, index: u8, name: &[u8]) -> Option<Entry<'a>> {
        self.entries()
            .find(|e| e.cmp_name(index, name) == Ordering::Equal)
    }

    /// Bytes still free for new entries and values.
    pub fn free(&self) -> usize {
        let used: usize = self.entries().map(|e| value_len(e.value.len())).sum();
        self.data.len() - (self.table_end + END_LEN) - used
    }

    /// Values lie past the entry table and inside the block, one after
    /// another without overlap (e2fsck checks the same).
    fn check_values(&self) -> Result<()> {
        let first_free = self.table_end + END_LEN;
        let mut off = HEADER_LEN;
        while off < self.table_end {
            let (start, end) = value_range(self.data, off);
            if start != end && (start < first_free || end > self.data.len()) {
                return Err(FormatError::BadXattr(XattrError::ValueOutside));
            }
            let mut other = HEADER_LEN;
            while other < off {
                let (s, e) = value_range(self.data, other);
                if start < e && s < end {
                    return Err(FormatError::BadXattr(XattrError::ValueOverlap));
                }
                other += entry_len(usize::from(u8_at(self.data, other + E_NAME_LEN)));
            }
            off += entry_len(usize::from(u8_at(self.data, off + E_NAME_LEN)));
        }
        Ok(())
    }
}

/// The padded value range `[start, end)` of the entry at `off` (empty for
/// a value of size 0); `end` saturates so that an absurd size fails the
/// bounds check instead of wrapping.
fn value_range(data: &[u8], off: usize) -> (usize, usize) {
    let size = le32(data, off + E_VALUE_SIZE) as usize;
    if size == 0 {
        return (0, 0);
    }
    let start = usize::from(le16(data, off + E_VALUE_OFFS));
    (start, start.saturating_add(value_len(size.min(1 << 20))))
}

/// Walks the entry table of `data` and returns the offset of its ending
/// zero word, checking that each entry and that word lie inside the block
/// and that no entry names a separate value block
/// (`ext2_xattr_entry_valid`).
fn entry_table_end(data: &[u8]) -> Result<usize> {
    let mut off = HEADER_LEN;
    loop {
        if off + END_LEN > data.len() {
            return Err(FormatError::BadXattr(XattrError::EntryOutside));
        }
        if le32(data, off) == 0 {
            return Ok(off);
        }
        let next = off + entry_len(usize::from(u8_at(data, off + E_NAME_LEN)));
        if next + END_LEN > data.len() {
            return Err(FormatError::BadXattr(XattrError::EntryOutside));
        }
        if le32(data, off + E_VALUE_BLOCK) != 0 {
            return Err(FormatError::BadXattr(XattrError::ValueBlock));
        }
        let size = le32(data, off + E_VALUE_SIZE) as usize;
        if size > data.len() || usize::from(le16(data, off + E_VALUE_OFFS)) + size > data.len() {
            return Err(FormatError::BadXattr(XattrError::ValueOutside));
        }
        off = next;
    }
}

/// The entries of a checked block.
#[derive(Clone)]
pub struct Entries<'a> {
    data: &'a [u8],
    off: usize,
    end: usize,
}

impl<'a> Iterator for Entries<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        if self.off >= self.end {
            return None;
        }
        let d = self.data;
        let off = self.off;
        let name_len = usize::from(u8_at(d, off + E_NAME_LEN));
        self.off += entry_len(name_len);
        let size = le32(d, off + E_VALUE_SIZE) as usize;
        let value = if size == 0 {
            &[][..]
        } else {
            let start = usize::from(le16(d, off + E_VALUE_OFFS));
            d.get(start..start + size)?
        };
        Some(Entry {
            index: u8_at(d, off + E_NAME_INDEX),
            name: d.get(off + ENTRY_LEN..off + ENTRY_LEN + name_len)?,
            value,
            hash: le32(d, off + E_HASH),
        })
    }
}

/// The hash of one entry (`ext2_xattr_hash_entry`): the name bytes as
/// `char`, which the kernel compiles as unsigned since 6.2 (e2fsck accepts
/// this and the older signed hash), then the value as little-endian
/// words, zero-padded.
pub fn hash_entry(name: &[u8], value: &[u8]) -> u32 {
    let mut hash: u32 = 0;
    for &b in name {
        hash = (hash << 5) ^ (hash >> 27) ^ u32::from(b);
    }
    for word in value.chunks(PAD) {
        let mut bytes = [0u8; PAD];
        bytes[..word.len()].copy_from_slice(word);
        hash = (hash << 16) ^ (hash >> 16) ^ u32::from_le_bytes(bytes);
    }
    hash
}

/// The block hash of `ext2_xattr_rehash` over the entry hashes: 0 if any
/// entry hash is 0 (such a block is never shared).
pub fn hash_block<'a>(entries: impl Iterator<Item = Entry<'a>>) -> u32 {
    let mut hash: u32 = 0;
    for e in entries {
        if e.hash == 0 {
            return 0;
        }
        hash = (hash << 16) ^ (hash >> 16) ^ e.hash;
    }
    hash
}

/// A change of one attribute.
#[derive(Clone, Copy, Debug)]
pub enum Change<'v> {
    /// Create or replace the attribute with this value.
    Set(&'v [u8]),
    /// Remove the attribute.
    Remove,
}

/// Writes into `out` (zeroed first; a whole block) the attribute block
/// `old` (or an empty one) with the attribute `(index, name)` changed,
/// keeping the entries sorted, with fresh entry and block hashes and
/// refcount 1. Returns `false` when no attribute is left (the caller frees
/// the block instead), `XattrNoSpace` when the result does not fit.
pub fn rebuild(
    old: Option<&XattrBlock<'_>>,
    index: u8,
    name: &[u8],
    change: Change<'_>,
    out: &mut [u8],
) -> Result<bool> {
    if name.len() > EXT2_XATTR_NAME_MAX {
        return Err(FormatError::BadName(name.len()));
    }
    let new = match change {
        Change::Set(value) => Some(Entry {
            index,
            name,
            value,
            hash: 0,
        }),
        Change::Remove => None,
    };
    let empty = Entries {
        data: &[],
        off: 0,
        end: 0,
    };
    let kept = old
        .map_or(empty, |b| b.entries())
        .filter(move |e| e.cmp_name(index, name) != Ordering::Equal);
    let need: usize = kept
        .clone()
        .chain(new)
        .map(|e| entry_len(e.name.len()) + value_len(e.value.len()))
        .sum();
    if HEADER_LEN + need + END_LEN > out.len() {
        return Err(FormatError::XattrNoSpace);
    }
    out.fill(0);
    put_le32(out, H_MAGIC, EXT2_XATTR_MAGIC);
    put_le32(out, H_REFCOUNT, 1);
    put_le32(out, H_BLOCKS, 1);
    let mut w = Writer {
        out,
        off: HEADER_LEN,
        min_offs: 0,
    };
    w.min_offs = w.out.len();
    let mut pending = new;
    for e in kept {
        if let Some(n) = pending.filter(|n| e.cmp_name(n.index, n.name) == Ordering::Greater) {
            w.put(&n);
            pending = None;
        }
        w.put(&e);
    }
    if let Some(n) = pending {
        w.put(&n);
    }
    let nonempty = w.off > HEADER_LEN;
    let table_end = w.off;
    let block = XattrBlock {
        data: w.out,
        table_end,
    };
    let hash = hash_block(block.entries());
    put_le32(out, H_HASH, hash);
    Ok(nonempty)
}

/// Appends entries to a block being rebuilt, their values growing down
/// from the end.
struct Writer<'o> {
    out: &'o mut [u8],
    off: usize,
    min_offs: usize,
}

impl Writer<'_> {
    fn put(&mut self, e: &Entry<'_>) {
        let (out, off) = (&mut *self.out, self.off);
        // CAST: `rebuild` checked the name length (255) and that everything
        // fits in the block (at most 64 KiB), so no cast below truncates.
        put_u8(out, off + E_NAME_LEN, e.name.len() as u8);
        put_u8(out, off + E_NAME_INDEX, e.index);
        put_le32(out, off + E_VALUE_SIZE, e.value.len() as u32);
        if !e.value.is_empty() {
            self.min_offs -= value_len(e.value.len());
            put_le16(out, off + E_VALUE_OFFS, self.min_offs as u16);
            put_bytes(out, self.min_offs, e.value);
        }
        put_bytes(out, off + ENTRY_LEN, e.name);
        put_le32(out, off + E_HASH, hash_entry(e.name, e.value));
        self.off += entry_len(e.name.len());
    }
}

/// Sets `h_refcount` of an attribute block.
pub fn set_refcount(data: &mut [u8], refcount: u32) {
    put_le32(data, H_REFCOUNT, refcount);
}

/// `struct ext2_acl_header::a_version`.
pub const EXT2_ACL_VERSION: u32 = 1;
/// `ACL_USER_OBJ`.
pub const ACL_USER_OBJ: u16 = 0x01;
/// `ACL_USER`.
pub const ACL_USER: u16 = 0x02;
/// `ACL_GROUP_OBJ`.
pub const ACL_GROUP_OBJ: u16 = 0x04;
/// `ACL_GROUP`.
pub const ACL_GROUP: u16 = 0x08;
/// `ACL_MASK`.
pub const ACL_MASK: u16 = 0x10;
/// `ACL_OTHER`.
pub const ACL_OTHER: u16 = 0x20;

/// One ACL entry as ext2 stores it (`ext2_acl_entry`, or the short form
/// without `e_id` for the tags that name no user or group).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AclEntry {
    /// `ACL_*` tag.
    pub tag: u16,
    /// Permission bits (`ACL_READ` 4, `ACL_WRITE` 2, `ACL_EXECUTE` 1).
    pub perm: u16,
    /// The user or group id for `ACL_USER` / `ACL_GROUP`, else 0.
    pub id: u32,
}

impl AclEntry {
    /// Bytes the entry takes on disk.
    fn disk_len(&self) -> Option<usize> {
        match self.tag {
            ACL_USER | ACL_GROUP => Some(8),
            ACL_USER_OBJ | ACL_GROUP_OBJ | ACL_MASK | ACL_OTHER => Some(4),
            _ => None,
        }
    }
}

/// The entries of an ext2 ACL attribute value (`ext2_acl_from_disk`):
/// version 1 header, then entries whose sizes add up exactly to the value.
pub fn acl_entries(value: &[u8]) -> Result<AclEntries<'_>> {
    if value.len() < 4 || le32(value, 0) != EXT2_ACL_VERSION {
        return Err(FormatError::BadAcl);
    }
    let entries = AclEntries { value, off: 4 };
    let mut end = 4;
    for e in entries.clone() {
        end += e.disk_len().ok_or(FormatError::BadAcl)?;
    }
    if end != value.len() {
        return Err(FormatError::BadAcl);
    }
    Ok(entries)
}

/// The entries of an ACL value, stopping at the first one that does not
/// fit (which [`acl_entries`] rejects up front).
#[derive(Clone)]
pub struct AclEntries<'a> {
    value: &'a [u8],
    off: usize,
}

impl Iterator for AclEntries<'_> {
    type Item = AclEntry;

    fn next(&mut self) -> Option<AclEntry> {
        let v = self.value;
        let off = self.off;
        if off + 4 > v.len() {
            return None;
        }
        let mut e = AclEntry {
            tag: le16(v, off),
            perm: le16(v, off + 2),
            id: 0,
        };
        let len = e.disk_len().unwrap_or(4);
        if off + len > v.len() {
            // A long entry cut short: end here so `acl_entries` sees the
            // sizes not add up.
            self.off = v.len();
            return Some(AclEntry { tag: 0, ..e });
        }
        if len == 8 {
            e.id = le32(v, off + 4);
        }
        self.off += len;
        Some(e)
    }
}

/// Bytes an ACL of these entries takes on disk (`ext2_acl_size`).
pub fn acl_len(entries: &[AclEntry]) -> Result<usize> {
    entries.iter().try_fold(4, |n, e| {
        e.disk_len().map(|l| n + l).ok_or(FormatError::BadAcl)
    })
}

/// Encodes `entries` into `out`, which is [`acl_len`] bytes long
/// (`ext2_acl_to_disk`).
pub fn acl_write(entries: &[AclEntry], out: &mut [u8]) -> Result<()> {
    if out.len() != acl_len(entries)? {
        return Err(FormatError::BadAcl);
    }
    put_le32(out, 0, EXT2_ACL_VERSION);
    let mut off = 4;
    for e in entries {
        put_le16(out, off, e.tag);
        put_le16(out, off + 2, e.perm);
        if e.disk_len() == Some(8) {
            put_le32(out, off + 4, e.id);
        }
        off += e.disk_len().unwrap_or(4);
    }
    Ok(())
}
