// SPDX-License-Identifier: GPL-2.0
//! `--checksum DIR`: a 64-bit FNV-1a digest of every entry's contents and
//! metadata, printed as a sorted `digest  path` list (cheap, no crypto).

use crate::content::{Source, CHUNK};
use crate::meta::{Kind, Meta};
use std::fs::{self, File};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// 64-bit FNV-1a.
#[derive(Clone, Copy, Debug)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        for &byte in data {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// Feeds a number (little endian, 8 bytes).
    pub fn number(&mut self, n: u64) {
        self.update(&n.to_le_bytes());
    }

    /// The digest so far.
    pub fn value(&self) -> u64 {
        self.0
    }
}

/// Feeds the metadata that survives copying a tree into an image: type,
/// permissions, owner, mtime seconds, device numbers; size and link count
/// except for directories (their sizes depend on the filesystem).
fn hash_meta(h: &mut Fnv, m: &Meta) {
    h.update(m.kind.to_string().as_bytes());
    for n in [m.perm, m.uid, m.gid] {
        h.number(u64::from(n));
    }
    h.number(m.mtime.0 as u64);
    if m.kind != Kind::Dir {
        h.number(m.size);
        h.number(m.nlink);
    }
    if m.kind.is_device() {
        h.number(m.rdev);
    }
}

/// The digest of the entry at `path`.
pub fn digest(path: &Path) -> io::Result<u64> {
    let m = Meta::lstat(path)?;
    let mut h = Fnv::default();
    hash_meta(&mut h, &m);
    match m.kind {
        Kind::Symlink => h.update(fs::read_link(path)?.as_os_str().as_bytes()),
        Kind::File => {
            let mut f = File::open(path)?;
            let mut buf = vec![0u8; CHUNK];
            loop {
                let n = f.fill(&mut buf)?;
                h.update(&buf[..n]);
                if n < CHUNK {
                    break;
                }
            }
        }
        _ => {}
    }
    Ok(h.value())
}

/// Collects the relative paths of every entry under `root` (including ".").
fn collect(root: &Path, rel: &Path, out: &mut Vec<std::path::PathBuf>) -> io::Result<()> {
    out.push(rel.to_path_buf());
    let path = root.join(rel);
    if fs::symlink_metadata(&path)?.is_dir() {
        for entry in fs::read_dir(&path)? {
            collect(root, &rel.join(entry?.file_name()), out)?;
        }
    }
    Ok(())
}

/// The sorted `digest  path` lines for the tree at `root`.
pub fn listing(root: &Path) -> io::Result<Vec<String>> {
    let mut paths = Vec::new();
    collect(root, Path::new("."), &mut paths)?;
    paths.sort_by(|a, b| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
    paths
        .iter()
        .map(|rel| {
            Ok(format!(
                "{:016x}  {}",
                digest(&root.join(rel))?,
                rel.display()
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{set_mtime, TempDir};

    #[test]
    fn fnv1a_known_values() {
        let mut h = Fnv::default();
        assert_eq!(h.value(), 0xcbf29ce484222325);
        h.update(b"a");
        assert_eq!(h.value(), 0xaf63dc4c8601ec8c);
        let mut h = Fnv::default();
        h.update(b"foobar");
        assert_eq!(h.value(), 0x85944171f73967e8);
    }

    #[test]
    fn listing_is_sorted_and_content_sensitive() {
        let dir = TempDir::new("checksum");
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join("sub/f"), b"hello").unwrap();
        fs::write(dir.path().join("a"), b"x").unwrap();
        for p in ["sub/f", "a", "sub", ""] {
            set_mtime(&dir.path().join(p), 5);
        }
        let first = listing(dir.path()).unwrap();
        let names: Vec<&str> = first.iter().map(|l| &l[18..]).collect();
        assert_eq!(names, [".", "./a", "./sub", "./sub/f"]);
        fs::write(dir.path().join("sub/f"), b"hellO").unwrap();
        set_mtime(&dir.path().join("sub/f"), 5);
        let second = listing(dir.path()).unwrap();
        assert_eq!(first[..3], second[..3]);
        assert_ne!(first[3], second[3]);
    }
}
