// SPDX-License-Identifier: GPL-2.0
//! File contents, streamed in chunks: read(2) for both sides, or mmap(2)
//! for the side under test.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::io::AsRawFd;
use std::ptr::NonNull;

/// Bytes compared per step.
pub const CHUNK: usize = 1 << 20;
/// Bytes mapped at a time when reading through mmap.
const WINDOW: u64 = 64 << 20;

/// Something that fills buffers with a file's successive bytes.
pub trait Source {
    /// Fills `buf` as far as possible; returns the bytes read (short only
    /// at end of file).
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<usize>;
}

impl Source for File {
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match self.read(&mut buf[done..]) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }
}

/// A read-only shared mapping of part of a file.
struct Mapping {
    addr: NonNull<libc::c_void>,
    len: usize,
}

impl Mapping {
    /// Maps `len` bytes of `file` from `offset` (page aligned).
    fn new(file: &File, offset: u64, len: usize) -> io::Result<Mapping> {
        let off = libc::off_t::try_from(offset).map_err(io::Error::other)?;
        // SAFETY: a fresh read-only mapping chosen by the kernel; nothing
        // else refers to that address range.
        let addr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                off,
            )
        };
        if addr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let addr = NonNull::new(addr).ok_or_else(|| io::Error::other("mmap returned NULL"))?;
        Ok(Mapping { addr, len })
    }

    /// The mapped bytes.
    fn bytes(&self) -> &[u8] {
        // SAFETY: `addr` maps `len` readable bytes until `self` is dropped.
        unsafe { std::slice::from_raw_parts(self.addr.as_ptr().cast::<u8>(), self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the range mapped in `new`.
        unsafe { libc::munmap(self.addr.as_ptr(), self.len) };
    }
}

/// Reads a file through windows of mmap, up to the size it had when opened.
pub struct MmapReader {
    file: File,
    size: u64,
    pos: u64,
    window: Option<(u64, Mapping)>,
}

impl MmapReader {
    /// Reads `file` through mmap.
    pub fn new(file: File) -> io::Result<MmapReader> {
        let size = file.metadata()?.len();
        Ok(MmapReader {
            file,
            size,
            pos: 0,
            window: None,
        })
    }

    /// The mapping holding `self.pos`, mapping a new window if needed.
    fn current(&mut self) -> io::Result<&Mapping> {
        let base = self.pos - self.pos % WINDOW;
        if self.window.as_ref().map(|w| w.0) != Some(base) {
            self.window = None;
            let len = (self.size - base).min(WINDOW) as usize;
            self.window = Some((base, Mapping::new(&self.file, base, len)?));
        }
        match &self.window {
            Some((_, m)) => Ok(m),
            None => Err(io::Error::other("no mapping")),
        }
    }
}

impl Source for MmapReader {
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() && self.pos < self.size {
            let in_window = (self.pos % WINDOW) as usize;
            let map = self.current()?.bytes();
            let n = (map.len() - in_window).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&map[in_window..in_window + n]);
            done += n;
            self.pos += n as u64;
        }
        Ok(done)
    }
}

/// Where two streams first differ.
#[derive(Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// Byte at this offset differs: offset, A's byte, B's byte.
    Byte(u64, u8, u8),
    /// One side ended first: A's and B's lengths as far as read.
    Length(u64, u64),
}

/// Compares two streams chunk by chunk; `Ok(None)` if equal.
pub fn compare(a: &mut dyn Source, b: &mut dyn Source) -> io::Result<Option<Mismatch>> {
    let mut buf_a = vec![0u8; CHUNK];
    let mut buf_b = vec![0u8; CHUNK];
    let mut offset = 0u64;
    loop {
        let na = a.fill(&mut buf_a)?;
        let nb = b.fill(&mut buf_b)?;
        let n = na.min(nb);
        if buf_a[..n] != buf_b[..n] {
            let i = (0..n).find(|&i| buf_a[i] != buf_b[i]).unwrap_or(0);
            return Ok(Some(Mismatch::Byte(offset + i as u64, buf_a[i], buf_b[i])));
        }
        if na != nb {
            return Ok(Some(Mismatch::Length(
                offset + na as u64,
                offset + nb as u64,
            )));
        }
        if na < CHUNK {
            return Ok(None);
        }
        offset += na as u64;
    }
}

/// Opens `b` for reading through mmap, or read() when `mmap` is false.
pub fn open_source(file: File, mmap: bool) -> io::Result<Box<dyn Source>> {
    if mmap {
        Ok(Box::new(MmapReader::new(file)?))
    } else {
        Ok(Box::new(file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(path: &std::path::Path, data: &[u8]) {
        File::create(path).unwrap().write_all(data).unwrap();
    }

    #[test]
    fn finds_first_difference_and_length() {
        let dir = crate::testutil::TempDir::new("content");
        let data: Vec<u8> = (0..(CHUNK + 777)).map(|i| (i * 7 % 251) as u8).collect();
        let (pa, pb) = (dir.path().join("a"), dir.path().join("b"));
        write(&pa, &data);
        write(&pb, &data);
        let open = |p: &std::path::Path| File::open(p).unwrap();
        assert_eq!(compare(&mut open(&pa), &mut open(&pb)).unwrap(), None);
        let mut mm = MmapReader::new(open(&pb)).unwrap();
        assert_eq!(compare(&mut open(&pa), &mut mm).unwrap(), None);
        let mut changed = data.clone();
        changed[CHUNK + 5] ^= 1;
        write(&pb, &changed);
        let mut mm = MmapReader::new(open(&pb)).unwrap();
        let want = Mismatch::Byte((CHUNK + 5) as u64, data[CHUNK + 5], changed[CHUNK + 5]);
        assert_eq!(compare(&mut open(&pa), &mut mm).unwrap(), Some(want));
        write(&pb, &data[..100]);
        let got = compare(&mut open(&pa), &mut open(&pb)).unwrap();
        assert_eq!(got, Some(Mismatch::Length(CHUNK as u64, 100)));
    }
}
