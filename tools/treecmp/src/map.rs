// SPDX-License-Identifier: GPL-2.0
//! A file's data map, two ways: the data ranges found by alternating
//! lseek(SEEK_DATA) and lseek(SEEK_HOLE), and the FS_IOC_FIEMAP extents.

use std::fmt;
use std::fs::File;
use std::io;
use std::os::unix::io::AsRawFd;

/// A data range `[start, end)` in bytes.
pub type Range = (u64, u64);

/// The data ranges of `file` (of `size` bytes) per SEEK_DATA/SEEK_HOLE.
pub fn seek_map(file: &File, size: u64) -> io::Result<Vec<Range>> {
    let mut ranges = Vec::new();
    let mut pos = 0u64;
    while pos < size {
        let start = match lseek(file, pos, libc::SEEK_DATA) {
            Ok(start) => start,
            Err(e) if e.raw_os_error() == Some(libc::ENXIO) => break,
            Err(e) => return Err(e),
        };
        let end = lseek(file, start, libc::SEEK_HOLE)?;
        if end <= start {
            return Err(io::Error::other(format!(
                "SEEK_HOLE from {start} returned {end}"
            )));
        }
        ranges.push((start, end));
        pos = end;
    }
    Ok(ranges)
}

/// lseek(2) with a u64 offset.
fn lseek(file: &File, pos: u64, whence: libc::c_int) -> io::Result<u64> {
    let off = libc::off_t::try_from(pos).map_err(io::Error::other)?;
    // SAFETY: lseek on a valid open descriptor has no memory effects.
    let ret = unsafe { libc::lseek(file.as_raw_fd(), off, whence) };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as u64)
    }
}

/// Formats data ranges as `start-end` pairs.
pub fn format_ranges(ranges: &[Range]) -> String {
    let parts: Vec<String> = ranges.iter().map(|(s, e)| format!("{s}-{e}")).collect();
    if parts.is_empty() {
        "(no data)".into()
    } else {
        parts.join(" ")
    }
}

/// FIEMAP_FLAG_SYNC: write dirty data back before mapping.
const FIEMAP_FLAG_SYNC: u32 = 0x1;
/// The last extent of the file.
pub const FIEMAP_EXTENT_LAST: u32 = 0x1;
/// The extent is made of several merged (e.g. block-mapped) pieces.
pub const FIEMAP_EXTENT_MERGED: u32 = 0x1000;
/// Flags that say how an extent was reported, not what it maps.
pub const IGNORED_FLAGS: u32 = FIEMAP_EXTENT_LAST | FIEMAP_EXTENT_MERGED;
/// Extents asked for per ioctl.
const BATCH: usize = 64;

/// struct fiemap_extent from include/uapi/linux/fiemap.h.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct RawExtent {
    logical: u64,
    physical: u64,
    length: u64,
    reserved64: [u64; 2],
    flags: u32,
    reserved: [u32; 3],
}

/// struct fiemap followed by room for [`BATCH`] extents.
#[repr(C)]
struct RawFiemap {
    start: u64,
    length: u64,
    flags: u32,
    mapped_extents: u32,
    extent_count: u32,
    reserved: u32,
    extents: [RawExtent; BATCH],
}

/// _IOWR('f', 11, struct fiemap): the header is 32 bytes.
const FS_IOC_FIEMAP: libc::c_ulong = 0xC020_660B;

/// One extent as FIEMAP reports it (bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extent {
    /// File offset.
    pub logical: u64,
    /// Disk address.
    pub physical: u64,
    /// Length.
    pub length: u64,
    /// FIEMAP_EXTENT_* flags.
    pub flags: u32,
}

impl fmt::Display for Extent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "logical {} length {} physical {} flags {:#x}",
            self.logical, self.length, self.physical, self.flags
        )
    }
}

/// One FS_IOC_FIEMAP call from `start`; returns the extents it mapped.
fn fiemap_batch(file: &File, start: u64) -> io::Result<Vec<Extent>> {
    let mut fm = RawFiemap {
        start,
        length: u64::MAX - start,
        flags: FIEMAP_FLAG_SYNC,
        mapped_extents: 0,
        extent_count: BATCH as u32,
        reserved: 0,
        extents: [RawExtent::default(); BATCH],
    };
    // SAFETY: `fm` is a properly laid out struct fiemap with room for
    // `extent_count` extents, live for the duration of the call.
    let ret = unsafe { libc::ioctl(file.as_raw_fd(), FS_IOC_FIEMAP, &mut fm as *mut RawFiemap) };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    let n = (fm.mapped_extents as usize).min(BATCH);
    Ok(fm.extents[..n]
        .iter()
        .map(|e| Extent {
            logical: e.logical,
            physical: e.physical,
            length: e.length,
            flags: e.flags,
        })
        .collect())
}

/// All FIEMAP extents of `file`, as reported.
pub fn fiemap(file: &File) -> io::Result<Vec<Extent>> {
    let mut all: Vec<Extent> = Vec::new();
    let mut start = 0u64;
    loop {
        let batch = fiemap_batch(file, start)?;
        let Some(last) = batch.last().copied() else {
            break;
        };
        all.extend_from_slice(&batch);
        let next = last.logical.saturating_add(last.length);
        if last.flags & FIEMAP_EXTENT_LAST != 0 || next <= start {
            break;
        }
        start = next;
    }
    Ok(all)
}

/// Canonical form for comparison: flags without [`IGNORED_FLAGS`], and
/// extents that continue each other logically and physically with equal
/// flags merged, so that a driver reporting one extent per indirect block
/// and one reporting whole runs compare equal when they map the same blocks.
pub fn normalize(extents: &[Extent]) -> Vec<Extent> {
    let mut out: Vec<Extent> = Vec::with_capacity(extents.len());
    for e in extents {
        let e = Extent {
            flags: e.flags & !IGNORED_FLAGS,
            ..*e
        };
        match out.last_mut() {
            Some(p)
                if p.logical + p.length == e.logical
                    && p.physical + p.length == e.physical
                    && p.flags == e.flags =>
            {
                p.length += e.length;
            }
            _ => out.push(e),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Seek, SeekFrom, Write};
    use std::os::unix::fs::FileExt;

    /// A sparse file: 1 MiB with 4 KiB of data at 0 and at 512 KiB.
    fn sparse_file(dir: &std::path::Path) -> File {
        let path = dir.join("sparse");
        let mut f = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .unwrap();
        f.set_len(1 << 20).unwrap();
        f.write_all_at(&[0xa5; 4096], 0).unwrap();
        f.seek(SeekFrom::Start(512 << 10)).unwrap();
        f.write_all(&[0x5a; 4096]).unwrap();
        f.sync_all().unwrap();
        f
    }

    #[test]
    fn seek_map_of_sparse_file() {
        let dir = crate::testutil::TempDir::new("map");
        let f = sparse_file(dir.path());
        let map = seek_map(&f, 1 << 20).unwrap();
        assert_eq!(map, vec![(0, 4096), (512 << 10, (512 << 10) + 4096)]);
        assert_eq!(format_ranges(&map), "0-4096 524288-528384");
        assert_eq!(seek_map(&f, 0).unwrap(), vec![]);
    }

    #[test]
    fn fiemap_agrees_with_seek_map() {
        let dir = crate::testutil::TempDir::new("fiemap");
        let f = sparse_file(dir.path());
        let extents = match fiemap(&f) {
            Ok(e) => normalize(&e),
            Err(e) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => return,
            Err(e) => panic!("fiemap: {e}"),
        };
        let ranges: Vec<Range> = extents
            .iter()
            .map(|e| (e.logical, e.logical + e.length))
            .collect();
        assert_eq!(ranges, seek_map(&f, 1 << 20).unwrap());
    }

    #[test]
    fn normalize_merges_contiguous_runs_only() {
        let ext = |logical, physical, length, flags| Extent {
            logical,
            physical,
            length,
            flags,
        };
        let raw = [
            ext(0, 1000, 10, FIEMAP_EXTENT_MERGED),
            ext(10, 1010, 10, 0),
            ext(20, 5000, 10, 0),
            ext(40, 5020, 10, FIEMAP_EXTENT_LAST),
        ];
        assert_eq!(
            normalize(&raw),
            vec![
                ext(0, 1000, 20, 0),
                ext(20, 5000, 10, 0),
                ext(40, 5020, 10, 0)
            ]
        );
    }
}
