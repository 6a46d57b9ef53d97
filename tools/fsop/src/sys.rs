// SPDX-License-Identifier: GPL-2.0
//! Thin wrappers over the system calls fsop uses: file descriptors, pread
//! and pwrite loops, ftruncate, fsync, fstat, shared mappings and
//! page-aligned buffers for O_DIRECT.

#[path = "aligned.rs"]
mod aligned;
pub use aligned::{page_size, AlignedBuf};
use std::ffi::CString;
use std::io;
use std::ptr::NonNull;

/// Converts a -1 return into the current `errno`.
fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Converts a -1 byte count into the current `errno`.
fn check_size(ret: libc::ssize_t) -> io::Result<usize> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as usize)
    }
}

/// An open file descriptor, closed on drop.
#[derive(Debug)]
pub struct Fd(libc::c_int);

impl Fd {
    /// Opens `path` with `flags` (mode 0644 when creating).
    pub fn open(path: &CString, flags: libc::c_int) -> io::Result<Fd> {
        // SAFETY: `path` is a valid NUL-terminated string; open(2) does not
        // keep the pointer.
        let fd = check(unsafe { libc::open(path.as_ptr(), flags | libc::O_CLOEXEC, 0o644) })?;
        Ok(Fd(fd))
    }

    /// The raw descriptor.
    pub fn raw(&self) -> libc::c_int {
        self.0
    }

    /// Reads at `off` until `buf` is full or EOF; returns the byte count.
    pub fn pread_full(&self, buf: &mut [u8], off: u64) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            let n = self.pread_once(&mut buf[done..], off + done as u64)?;
            if n == 0 {
                break;
            }
            done += n;
        }
        Ok(done)
    }

    /// One pread(2) call.
    pub fn pread_once(&self, buf: &mut [u8], off: u64) -> io::Result<usize> {
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the
        // duration of the call.
        check_size(unsafe {
            libc::pread(
                self.0,
                buf.as_mut_ptr().cast(),
                buf.len(),
                off as libc::off_t,
            )
        })
    }

    /// Writes all of `buf` at `off` (a zero-byte write is an error).
    pub fn pwrite_full(&self, buf: &[u8], off: u64) -> io::Result<()> {
        let mut done = 0;
        while done < buf.len() {
            // SAFETY: `buf[done..]` is valid for reads for the duration of
            // the call.
            let n = check_size(unsafe {
                libc::pwrite(
                    self.0,
                    buf[done..].as_ptr().cast(),
                    buf.len() - done,
                    (off + done as u64) as libc::off_t,
                )
            })?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    format!("pwrite wrote 0 of {} bytes", buf.len() - done),
                ));
            }
            done += n;
        }
        Ok(())
    }

    /// ftruncate(2).
    pub fn truncate(&self, size: u64) -> io::Result<()> {
        // SAFETY: plain system call on an owned descriptor.
        check(unsafe { libc::ftruncate(self.0, size as libc::off_t) }).map(drop)
    }

    /// fsync(2), or fdatasync(2) when `data_only`.
    pub fn sync(&self, data_only: bool) -> io::Result<()> {
        // SAFETY: plain system calls on an owned descriptor.
        let ret = unsafe {
            if data_only {
                libc::fdatasync(self.0)
            } else {
                libc::fsync(self.0)
            }
        };
        check(ret).map(drop)
    }

    /// The size reported by fstat(2).
    pub fn size(&self) -> io::Result<u64> {
        // SAFETY: an all-zero `stat` is a valid value to be overwritten.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `st` is a valid, writable `stat`.
        check(unsafe { libc::fstat(self.0, &mut st) })?;
        Ok(st.st_size as u64)
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: the descriptor is owned and closed exactly once.
        unsafe { libc::close(self.0) };
    }
}

/// A shared mapping of part of a file, unmapped on drop.
#[derive(Debug)]
pub struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

impl Mapping {
    /// Maps `len` bytes of `fd` from the page-aligned `off` (MAP_SHARED),
    /// read-write when `write`.
    pub fn new(fd: &Fd, off: u64, len: usize, write: bool) -> io::Result<Mapping> {
        let prot = if write {
            libc::PROT_READ | libc::PROT_WRITE
        } else {
            libc::PROT_READ
        };
        // SAFETY: a fresh mapping chosen by the kernel; nothing aliases it.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_SHARED,
                fd.raw(),
                off as libc::off_t,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr =
            NonNull::new(ptr.cast::<u8>()).ok_or_else(|| io::Error::other("mmap returned NULL"))?;
        Ok(Mapping { ptr, len })
    }

    /// Copies `out.len()` bytes at `pos` (relative to the mapping) out.
    /// `pos + out.len()` may exceed the mapped length up to the end of its
    /// last page.
    pub fn read(&self, pos: usize, out: &mut [u8]) {
        assert!(pos + out.len() <= self.span(), "mapped read out of range");
        // SAFETY: the range lies within the pages of this mapping (checked
        // above); a store by another thread is impossible (single-threaded).
        unsafe {
            std::ptr::copy_nonoverlapping(self.ptr.as_ptr().add(pos), out.as_mut_ptr(), out.len())
        };
    }

    /// Stores `data` at `pos` (relative to the mapping), same bounds as
    /// [`Mapping::read`].
    pub fn write(&mut self, pos: usize, data: &[u8]) {
        assert!(pos + data.len() <= self.span(), "mapped write out of range");
        // SAFETY: as in `read`; the mapping is writable (created with `write`).
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), self.ptr.as_ptr().add(pos), data.len())
        };
    }

    /// msync(2) of the whole mapping, MS_SYNC or MS_ASYNC.
    pub fn sync(&self, wait: bool) -> io::Result<()> {
        let flags = if wait { libc::MS_SYNC } else { libc::MS_ASYNC };
        // SAFETY: the range is exactly this mapping.
        check(unsafe { libc::msync(self.ptr.as_ptr().cast(), self.len, flags) }).map(drop)
    }

    /// The mapped length rounded up to whole pages.
    fn span(&self) -> usize {
        let page = page_size() as usize;
        self.len.div_ceil(page) * page
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping created in `new`, once.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// umount2(2) of `target`.
pub fn umount(target: &CString) -> io::Result<()> {
    // SAFETY: `target` is a valid NUL-terminated string.
    check(unsafe { libc::umount2(target.as_ptr(), 0) }).map(drop)
}

/// mount(2) of `source` on `target` as `fstype` with data `opts`.
pub fn mount(
    source: &CString,
    target: &CString,
    fstype: &CString,
    opts: &CString,
) -> io::Result<()> {
    let data = if opts.as_bytes().is_empty() {
        std::ptr::null()
    } else {
        opts.as_ptr().cast::<libc::c_void>()
    };
    // SAFETY: all strings are valid and NUL-terminated; `data` is NULL or
    // a NUL-terminated option string, as mount(2) expects for these types.
    check(unsafe { libc::mount(source.as_ptr(), target.as_ptr(), fstype.as_ptr(), 0, data) })
        .map(drop)
}
