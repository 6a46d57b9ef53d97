// SPDX-License-Identifier: GPL-2.0
//! Test helpers: self-removing temporary directories and setting mtimes
//! without following symlinks.

use std::ffi::CString;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A temporary directory removed (with its contents) on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates a fresh directory named after `tag`, the pid and a counter.
    pub fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("treecmp-{tag}-{}-{n}", std::process::id());
        let path = std::env::temp_dir().join(name);
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Sets the mtime (and atime) of `path`, not following symlinks.
pub fn set_mtime(path: &Path, secs: i64) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    let ts = [libc::timespec {
        tv_sec: secs,
        tv_nsec: 0,
    }; 2];
    // SAFETY: `c` is a valid C string and `ts` two valid timespecs.
    let ret = unsafe {
        libc::utimensat(
            libc::AT_FDCWD,
            c.as_ptr(),
            ts.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    assert_eq!(ret, 0, "utimensat {}", path.display());
}
