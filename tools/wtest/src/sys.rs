// SPDX-License-Identifier: GPL-2.0
//! Thin wrappers over the system calls wtest uses. Every failure comes back
//! as a `String` naming the call, the path or offset and the errno, so a
//! scenario can report it as is.

// O_DIRECT buffers and the page size are fsop's.
#[path = "../../fsop/src/aligned.rs"]
mod aligned;
pub use aligned::{page_size, AlignedBuf};
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr::NonNull;

/// The errno of the last failed call.
pub fn errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// The symbolic name of the errno values the scenarios expect.
pub fn errno_name(e: i32) -> String {
    let name = match e {
        0 => "success",
        libc::ENOENT => "ENOENT",
        libc::EEXIST => "EEXIST",
        libc::ENOTDIR => "ENOTDIR",
        libc::EISDIR => "EISDIR",
        libc::EINVAL => "EINVAL",
        libc::ENOTEMPTY => "ENOTEMPTY",
        libc::ENOSPC => "ENOSPC",
        libc::EIO => "EIO",
        libc::EPERM => "EPERM",
        libc::EFBIG => "EFBIG",
        libc::EUCLEAN => "EUCLEAN",
        libc::EXDEV => "EXDEV",
        libc::EMLINK => "EMLINK",
        libc::ENAMETOOLONG => "ENAMETOOLONG",
        _ => return format!("errno {e} ({})", io::Error::from_raw_os_error(e)),
    };
    name.to_string()
}

/// `path` as a C string (paths with NUL bytes never occur here).
pub fn cpath(path: &Path) -> Result<CString, String> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| format!("{}: path contains a NUL byte", path.display()))
}

/// Converts a -1 return into an error message naming `what`.
fn check(ret: libc::c_int, what: impl FnOnce() -> String) -> Result<libc::c_int, String> {
    if ret < 0 {
        Err(format!("{}: {}", what(), io::Error::last_os_error()))
    } else {
        Ok(ret)
    }
}

/// An open file descriptor, closed on drop.
#[derive(Debug)]
pub struct Fd {
    fd: libc::c_int,
    name: String,
}

impl Fd {
    /// Opens `path` with `flags` (mode 0644 when creating).
    pub fn open(path: &Path, flags: libc::c_int) -> Result<Fd, String> {
        let c = cpath(path)?;
        // SAFETY: `c` is a valid NUL-terminated string; open(2) does not
        // keep the pointer.
        let fd = unsafe { libc::open(c.as_ptr(), flags | libc::O_CLOEXEC, 0o644) };
        let fd = check(fd, || format!("open {}", path.display()))?;
        Ok(Fd {
            fd,
            name: path.display().to_string(),
        })
    }

    /// Opens `path` read-write, created if missing.
    pub fn create(path: &Path) -> Result<Fd, String> {
        Fd::open(path, libc::O_RDWR | libc::O_CREAT)
    }

    /// The raw descriptor.
    pub fn raw(&self) -> libc::c_int {
        self.fd
    }

    /// Reads `len` bytes at `off`, fewer only at EOF.
    pub fn pread(&self, off: u64, len: usize) -> Result<Vec<u8>, String> {
        let mut buf = vec![0u8; len];
        let n = self.pread_into(&mut buf, off)?;
        buf.truncate(n);
        Ok(buf)
    }

    /// Reads at `off` until `buf` is full or EOF; returns the byte count.
    pub fn pread_into(&self, buf: &mut [u8], off: u64) -> Result<usize, String> {
        let mut done = 0;
        while done < buf.len() {
            let at = off + done as u64;
            // SAFETY: `buf[done..]` is valid for writes of its length for
            // the duration of the call.
            let n = unsafe {
                libc::pread(
                    self.fd,
                    buf[done..].as_mut_ptr().cast(),
                    buf.len() - done,
                    at as libc::off_t,
                )
            };
            if n < 0 {
                return Err(format!(
                    "pread {} at {at}: {}",
                    self.name,
                    io::Error::last_os_error()
                ));
            }
            if n == 0 {
                break;
            }
            done += n as usize;
        }
        Ok(done)
    }

    /// One pread(2) call into `buf` (for O_DIRECT: no second call at an
    /// unaligned offset); returns the byte count.
    pub fn pread_once(&self, buf: &mut [u8], off: u64) -> Result<usize, String> {
        // SAFETY: `buf` is valid for writes of its length for the duration
        // of the call.
        let n = unsafe {
            libc::pread(
                self.fd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                off as libc::off_t,
            )
        };
        if n < 0 {
            Err(format!(
                "pread {} at {off}: {}",
                self.name,
                io::Error::last_os_error()
            ))
        } else {
            Ok(n as usize)
        }
    }

    /// One pwrite(2): the byte count, or the errno.
    pub fn pwrite_once(&self, buf: &[u8], off: u64) -> Result<usize, i32> {
        // SAFETY: `buf` is valid for reads for the duration of the call.
        let n =
            unsafe { libc::pwrite(self.fd, buf.as_ptr().cast(), buf.len(), off as libc::off_t) };
        if n < 0 {
            Err(errno())
        } else {
            Ok(n as usize)
        }
    }

    /// Writes all of `buf` at `off`.
    pub fn pwrite(&self, buf: &[u8], off: u64) -> Result<(), String> {
        let mut done = 0;
        while done < buf.len() {
            let at = off + done as u64;
            match self.pwrite_once(&buf[done..], at) {
                Ok(0) => return Err(format!("pwrite {} at {at}: wrote 0 bytes", self.name)),
                Ok(n) => done += n,
                Err(e) => {
                    return Err(format!(
                        "pwrite {} at {at} ({} bytes): {}",
                        self.name,
                        buf.len() - done,
                        io::Error::from_raw_os_error(e)
                    ))
                }
            }
        }
        Ok(())
    }

    /// ftruncate(2).
    pub fn truncate(&self, size: u64) -> Result<(), String> {
        // SAFETY: plain system call on an owned descriptor.
        let r = unsafe { libc::ftruncate(self.fd, size as libc::off_t) };
        check(r, || format!("ftruncate {} to {size}", self.name)).map(drop)
    }

    /// fsync(2).
    pub fn fsync(&self) -> Result<(), String> {
        // SAFETY: plain system call on an owned descriptor.
        let r = unsafe { libc::fsync(self.fd) };
        check(r, || format!("fsync {}", self.name)).map(drop)
    }

    /// fstat(2).
    pub fn stat(&self) -> Result<libc::stat, String> {
        // SAFETY: an all-zero `stat` is a valid value to be overwritten.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `st` is a valid, writable `stat`.
        let r = unsafe { libc::fstat(self.fd, &mut st) };
        check(r, || format!("fstat {}", self.name))?;
        Ok(st)
    }

    /// The file size.
    pub fn size(&self) -> Result<u64, String> {
        Ok(self.stat()?.st_size as u64)
    }

    /// The allocated 512-byte sectors (st_blocks).
    pub fn blocks(&self) -> Result<u64, String> {
        Ok(self.stat()?.st_blocks as u64)
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: the descriptor is owned and closed exactly once.
        unsafe { libc::close(self.fd) };
    }
}

/// A shared mapping of the start of a file, unmapped on drop.
#[derive(Debug)]
pub struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

impl Mapping {
    /// Maps `len` bytes of `fd` from offset 0 (MAP_SHARED), read-write
    /// when `write`.
    pub fn new(fd: &Fd, len: usize, write: bool) -> Result<Mapping, String> {
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
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(format!(
                "mmap {} ({len} bytes): {}",
                fd.name,
                io::Error::last_os_error()
            ));
        }
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or("mmap returned NULL")?;
        Ok(Mapping { ptr, len })
    }

    /// The mapped length rounded up to whole pages.
    fn span(&self) -> usize {
        let page = page_size() as usize;
        self.len.div_ceil(page) * page
    }

    /// Stores `data` at `pos`. Panics (a bug in the scenario, not in the
    /// filesystem) if the range is outside the mapping's pages.
    pub fn store(&mut self, pos: usize, data: &[u8]) {
        assert!(pos + data.len() <= self.span(), "mapped store out of range");
        // SAFETY: the range lies within this mapping's pages (checked
        // above), the mapping is writable and nothing else aliases it.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), self.ptr.as_ptr().add(pos), data.len())
        };
    }

    /// Loads `len` bytes at `pos`, same bounds as [`Mapping::store`].
    pub fn load(&self, pos: usize, len: usize) -> Vec<u8> {
        assert!(pos + len <= self.span(), "mapped load out of range");
        let mut out = vec![0u8; len];
        // SAFETY: as in `store`.
        unsafe { std::ptr::copy_nonoverlapping(self.ptr.as_ptr().add(pos), out.as_mut_ptr(), len) };
        out
    }

    /// msync(MS_SYNC) of the whole mapping.
    pub fn msync(&self) -> Result<(), String> {
        // SAFETY: the range is exactly this mapping.
        let r = unsafe { libc::msync(self.ptr.as_ptr().cast(), self.len, libc::MS_SYNC) };
        check(r, || "msync".to_string()).map(drop)
    }

    /// Stores one byte at `pos` in a forked child and reports how the child
    /// ended: `Ok(None)` if the store succeeded, `Ok(Some(sig))` if a signal
    /// killed it. The parent's view of the mapping is unchanged by a failed
    /// store; a successful one lands in the shared file pages.
    pub fn store_in_child(&mut self, pos: usize, byte: u8) -> Result<Option<i32>, String> {
        assert!(pos < self.span(), "mapped store out of range");
        // SAFETY: wtest is single-threaded, so the child may run anything;
        // it only stores one byte and calls _exit.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(format!("fork: {}", io::Error::last_os_error()));
        }
        if pid == 0 {
            let no_core = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: in range (asserted above), writable, shared mapping;
            // volatile so the store is not optimised away. No core dump:
            // the signal is the expected outcome.
            unsafe {
                libc::setrlimit(libc::RLIMIT_CORE, &no_core);
                std::ptr::write_volatile(self.ptr.as_ptr().add(pos), byte);
                libc::_exit(0);
            }
        }
        let mut status = 0;
        // SAFETY: waits for our own child; `status` is writable.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        check(r, || "waitpid".to_string())?;
        if libc::WIFSIGNALED(status) {
            Ok(Some(libc::WTERMSIG(status)))
        } else if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
            Ok(None)
        } else {
            Err(format!("store child ended with status {status:#x}"))
        }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping created in `new`, once.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// statvfs(3) of the filesystem holding `path`: (block size, free blocks
/// including the reserved ones, total blocks).
pub fn statvfs(path: &Path) -> Result<(u64, u64, u64), String> {
    let c = cpath(path)?;
    // SAFETY: an all-zero statvfs is a valid value to be overwritten.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is NUL-terminated and `st` writable.
    let r = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    check(r, || format!("statvfs {}", path.display()))?;
    Ok((st.f_bsize as u64, st.f_bfree as u64, st.f_blocks as u64))
}

/// Runs a path system call and returns 0 or its errno.
fn errno_of(ret: libc::c_int) -> i32 {
    if ret < 0 {
        errno()
    } else {
        0
    }
}

/// mkdir(2) with mode 0755: 0 or the errno.
pub fn mkdir(p: &CString) -> i32 {
    // SAFETY: `p` is NUL-terminated.
    errno_of(unsafe { libc::mkdir(p.as_ptr(), 0o755) })
}

/// rmdir(2): 0 or the errno.
pub fn rmdir(p: &CString) -> i32 {
    // SAFETY: `p` is NUL-terminated.
    errno_of(unsafe { libc::rmdir(p.as_ptr()) })
}

/// unlink(2): 0 or the errno.
pub fn unlink(p: &CString) -> i32 {
    // SAFETY: `p` is NUL-terminated.
    errno_of(unsafe { libc::unlink(p.as_ptr()) })
}

/// link(2): 0 or the errno.
pub fn link(old: &CString, new: &CString) -> i32 {
    // SAFETY: both are NUL-terminated.
    errno_of(unsafe { libc::link(old.as_ptr(), new.as_ptr()) })
}

/// symlink(2): 0 or the errno.
pub fn symlink(target: &CString, p: &CString) -> i32 {
    // SAFETY: both are NUL-terminated.
    errno_of(unsafe { libc::symlink(target.as_ptr(), p.as_ptr()) })
}

/// mkfifo(3) with mode 0644: 0 or the errno.
pub fn mkfifo(p: &CString) -> i32 {
    // SAFETY: `p` is NUL-terminated.
    errno_of(unsafe { libc::mkfifo(p.as_ptr(), 0o644) })
}

/// renameat2(2) with `flags` (0 or RENAME_NOREPLACE): 0 or the errno.
pub fn rename2(old: &CString, new: &CString, flags: u32) -> i32 {
    // SAFETY: both are NUL-terminated; renameat2 takes them and plain
    // integers.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            old.as_ptr(),
            libc::AT_FDCWD,
            new.as_ptr(),
            flags,
        )
    };
    if r < 0 {
        errno()
    } else {
        0
    }
}

/// Creates `p` exclusively (O_CREAT|O_EXCL) and writes `data` to it.
/// Returns 0 or the errno of the open; a failed write is an error.
pub fn create_file(p: &Path, data: &[u8]) -> Result<i32, String> {
    let c = cpath(p)?;
    // SAFETY: `c` is NUL-terminated.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC,
            0o644,
        )
    };
    if fd < 0 {
        return Ok(errno());
    }
    let f = Fd {
        fd,
        name: p.display().to_string(),
    };
    f.pwrite(data, 0)?;
    Ok(0)
}
