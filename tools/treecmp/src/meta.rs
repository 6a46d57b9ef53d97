// SPDX-License-Identifier: GPL-2.0
//! Per-entry metadata as lstat(2) reports it, and its comparison.

use crate::options::Options;
use crate::report::Report;
use std::fmt;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The file type of an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Regular file.
    File,
    /// Directory.
    Dir,
    /// Symbolic link.
    Symlink,
    /// Character device.
    Char,
    /// Block device.
    Block,
    /// Named pipe.
    Fifo,
    /// UNIX socket.
    Socket,
    /// Anything else (a corrupt S_IFMT).
    Unknown,
}

impl Kind {
    /// The type encoded in the S_IFMT bits of `mode`.
    pub fn from_mode(mode: u32) -> Kind {
        match mode & libc::S_IFMT {
            libc::S_IFREG => Kind::File,
            libc::S_IFDIR => Kind::Dir,
            libc::S_IFLNK => Kind::Symlink,
            libc::S_IFCHR => Kind::Char,
            libc::S_IFBLK => Kind::Block,
            libc::S_IFIFO => Kind::Fifo,
            libc::S_IFSOCK => Kind::Socket,
            _ => Kind::Unknown,
        }
    }

    /// True for character and block devices.
    pub fn is_device(self) -> bool {
        matches!(self, Kind::Char | Kind::Block)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Kind::File => "file",
            Kind::Dir => "dir",
            Kind::Symlink => "symlink",
            Kind::Char => "chardev",
            Kind::Block => "blockdev",
            Kind::Fifo => "fifo",
            Kind::Socket => "socket",
            Kind::Unknown => "unknown",
        };
        f.write_str(name)
    }
}

/// A timestamp as seconds and nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Time(pub i64, pub i64);

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.0, self.1)
    }
}

/// The metadata compared for each entry.
#[derive(Clone, Debug)]
pub struct Meta {
    /// File type.
    pub kind: Kind,
    /// The 12 permission bits (including setuid, setgid, sticky).
    pub perm: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Size in bytes.
    pub size: u64,
    /// Link count.
    pub nlink: u64,
    /// Last modification.
    pub mtime: Time,
    /// Last status change.
    pub ctime: Time,
    /// Last access.
    pub atime: Time,
    /// Device number of device nodes.
    pub rdev: u64,
    /// 512-byte blocks allocated.
    pub blocks: u64,
    /// Device and inode number (hard-link identity within one tree).
    pub id: (u64, u64),
}

impl Meta {
    /// lstat(2) of `path`.
    pub fn lstat(path: &Path) -> io::Result<Meta> {
        Ok(Meta::from_metadata(&fs::symlink_metadata(path)?))
    }

    /// Converts std's metadata.
    pub fn from_metadata(m: &fs::Metadata) -> Meta {
        Meta {
            kind: Kind::from_mode(m.mode()),
            perm: m.mode() & 0o7777,
            uid: m.uid(),
            gid: m.gid(),
            size: m.size(),
            nlink: m.nlink(),
            mtime: Time(m.mtime(), m.mtime_nsec()),
            ctime: Time(m.ctime(), m.ctime_nsec()),
            atime: Time(m.atime(), m.atime_nsec()),
            rdev: m.rdev(),
            blocks: m.blocks(),
            id: (m.dev(), m.ino()),
        }
    }
}

/// Formats a device number as major:minor.
fn devno(rdev: u64) -> String {
    format!("{}:{}", libc::major(rdev), libc::minor(rdev))
}

/// Reports `what` if `a != b`.
fn field<T: PartialEq + fmt::Display>(r: &mut Report, path: &str, what: &str, a: T, b: T) {
    if a != b {
        r.diff(path, what, a, b);
    }
}

/// Compares the times selected by `opts`.
fn compare_times(r: &mut Report, path: &str, a: &Meta, b: &Meta, opts: &Options) {
    field(r, path, "mtime", a.mtime, b.mtime);
    if opts.ctime {
        field(r, path, "ctime", a.ctime, b.ctime);
    }
    if opts.atime {
        field(r, path, "atime", a.atime, b.atime);
    }
}

/// Compares two entries of the same path; returns false if their types
/// differ (nothing else is compared then).
pub fn compare(r: &mut Report, path: &str, a: &Meta, b: &Meta, opts: &Options) -> bool {
    if a.kind != b.kind {
        r.diff(path, "type", a.kind, b.kind);
        return false;
    }
    field(
        r,
        path,
        "mode",
        format!("{:04o}", a.perm),
        format!("{:04o}", b.perm),
    );
    field(r, path, "uid", a.uid, b.uid);
    field(r, path, "gid", a.gid, b.gid);
    if a.kind != Kind::Dir || opts.dir_size {
        field(r, path, "size", a.size, b.size);
    }
    field(r, path, "nlink", a.nlink, b.nlink);
    if opts.blocks {
        field(r, path, "blocks", a.blocks, b.blocks);
    }
    compare_times(r, path, a, b, opts);
    if a.kind.is_device() {
        field(r, path, "rdev", devno(a.rdev), devno(b.rdev));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_mode() {
        assert_eq!(Kind::from_mode(0o100644), Kind::File);
        assert_eq!(Kind::from_mode(0o040755), Kind::Dir);
        assert_eq!(Kind::from_mode(0o120777), Kind::Symlink);
        assert_eq!(Kind::from_mode(0o020600), Kind::Char);
        assert!(Kind::from_mode(0o060600).is_device());
        assert_eq!(Kind::from_mode(0o010644), Kind::Fifo);
        assert_eq!(Kind::from_mode(0o140755), Kind::Socket);
        assert_eq!(Kind::from_mode(0o170000), Kind::Unknown);
    }

    #[test]
    fn reports_each_differing_field() {
        let tmp = std::env::temp_dir();
        let a = Meta::lstat(&tmp).unwrap();
        let mut b = a.clone();
        b.perm ^= 0o4000;
        b.uid += 1;
        b.mtime.1 += 1;
        let mut r = Report::new(true);
        assert!(compare(&mut r, "/", &a, &b, &Options::default()));
        assert_eq!(r.diffs, 3, "{:?}", r.lines);
        assert!(r.lines[0].starts_with("/: mode: A="));
        b.kind = Kind::File;
        assert!(!compare(&mut r, "/", &a, &b, &Options::default()));
        assert!(r.lines.last().unwrap().contains("type: A=dir B=file"));
    }
}
