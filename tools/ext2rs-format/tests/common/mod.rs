// SPDX-License-Identifier: GPL-2.0

//! Shared helpers for the image tests: temporary directories, mke2fs and
//! debugfs runs, and a tiny read-only ext2 reader built on the format
//! library (block map walk, directory lookup).

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use ext2rs_format::format::blockmap::{block_to_path, EXT2_NDIR_BLOCKS};
use ext2rs_format::format::dir::{DirBlock, DirFormat};
use ext2rs_format::format::group::GroupDesc;
use ext2rs_format::format::inode::{inode_loc, inode_loc_any, Inode};
use ext2rs_format::format::superblock::{Superblock, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE};

pub(crate) const MKE2FS: &str = "/usr/sbin/mke2fs";
pub(crate) const DEBUGFS: &str = "/usr/sbin/debugfs";
pub(crate) const PAGE_SIZE: u32 = 4096;

/// A directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("ext2rs-{tag}-{}-{n}-{nanos}", std::process::id()));
        fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Deterministic file contents so reads through the block map can be
/// checked byte for byte.
pub(crate) fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// What [`populate`] puts in the source tree: (name, contents).
pub(crate) fn files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("empty", Vec::new()),
        ("small", b"x".to_vec()),
        ("medium", pattern(5000, 1)),
        ("ind", pattern(70_000, 2)),
        ("big", pattern(5 * 1024 * 1024 + 123, 3)),
    ]
}

/// Long symlink target (does not fit in i_block).
pub(crate) fn long_target() -> String {
    "t".repeat(100)
}

/// Number of files in the "many" subdirectory (several directory blocks).
pub(crate) const MANY: usize = 150;

/// Fills `dir` with regular files, a sparse file, a subdirectory, a fast and
/// a slow symlink, and a directory with many entries.
pub(crate) fn populate(dir: &Path) {
    for (name, data) in files() {
        fs::write(dir.join(name), data).expect("write file");
    }
    let sparse = fs::File::create(dir.join("sparse")).expect("sparse");
    use std::os::unix::fs::FileExt;
    sparse.write_at(&pattern(4096, 4), 0).expect("sparse head");
    sparse
        .write_at(&pattern(4096, 5), 3 * 1024 * 1024)
        .expect("sparse tail");
    fs::create_dir(dir.join("sub")).expect("sub");
    fs::write(dir.join("sub/inner.txt"), b"inner\n").expect("inner");
    std::os::unix::fs::symlink("small", dir.join("link")).expect("link");
    std::os::unix::fs::symlink(long_target(), dir.join("longlink")).expect("longlink");
    fs::create_dir(dir.join("many")).expect("many");
    for i in 0..MANY {
        fs::write(
            dir.join(format!("many/file-with-a-longish-name-{i:04}")),
            b"",
        )
        .expect("many file");
    }
}

/// Expected contents of the sparse file.
pub(crate) fn sparse_contents() -> Vec<u8> {
    let mut v = vec![0u8; 3 * 1024 * 1024 + 4096];
    v[..4096].copy_from_slice(&pattern(4096, 4));
    v[3 * 1024 * 1024..].copy_from_slice(&pattern(4096, 5));
    v
}

/// An image file made by mke2fs, read into memory.
pub(crate) struct Image {
    pub(crate) dir: TempDir,
    pub(crate) path: PathBuf,
    pub(crate) bytes: Vec<u8>,
}

/// Runs mke2fs with `opts` on a new `size_mib` image, populated with
/// [`populate`] when `with_files`.
pub(crate) fn mkfs(tag: &str, opts: &[&str], size_mib: u32, with_files: bool) -> Image {
    let dir = TempDir::new(tag);
    let path = dir.path().join("img");
    let mut cmd = Command::new(MKE2FS);
    cmd.args(["-q", "-F", "-t", "ext2"]).args(opts);
    if with_files {
        let src = dir.path().join("src");
        fs::create_dir(&src).expect("src");
        populate(&src);
        cmd.arg("-d").arg(&src);
    }
    cmd.arg(&path).arg(format!("{size_mib}M"));
    cmd.env("MKE2FS_CONFIG", "/etc/mke2fs.conf");
    let out = cmd.output().expect("run mke2fs");
    assert!(
        out.status.success(),
        "mke2fs {opts:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = fs::read(&path).expect("read image");
    Image { dir, path, bytes }
}

/// Output of `debugfs -R cmd` on `path`.
pub(crate) fn debugfs(path: &Path, cmd: &str) -> String {
    let out = Command::new(DEBUGFS)
        .arg("-R")
        .arg(cmd)
        .arg(path)
        .output()
        .expect("run debugfs");
    assert!(out.status.success(), "debugfs {cmd} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The value after `key:` in debugfs `stats` output.
pub(crate) fn stat_field<'a>(stats: &'a str, key: &str) -> &'a str {
    stats
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {key} in stats"))
}

/// Group descriptors as debugfs `stats` prints them:
/// (block bitmap, inode bitmap, inode table, free blocks, free inodes, dirs).
pub(crate) fn stat_groups(stats: &str) -> Vec<[u64; 6]> {
    let mut groups = Vec::new();
    let mut lines = stats.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.trim_start().strip_prefix("Group ") else {
            continue;
        };
        let nums = |s: &str| -> Vec<u64> {
            s.split(|c: char| !c.is_ascii_digit())
                .filter(|w| !w.is_empty())
                .map(|w| w.parse().expect("number"))
                .collect()
        };
        let first = nums(rest);
        let second = nums(lines.next().expect("group counts line"));
        groups.push([
            first[1], first[2], first[3], second[0], second[1], second[2],
        ]);
    }
    groups
}

impl Image {
    pub(crate) fn sb(&self) -> Superblock {
        Superblock::parse(&self.bytes[SUPERBLOCK_OFFSET as usize..]).expect("superblock")
    }

    /// Writes the (possibly edited) superblock bytes back.
    pub(crate) fn sb_bytes_mut(&mut self) -> &mut [u8] {
        let off = SUPERBLOCK_OFFSET as usize;
        &mut self.bytes[off..off + SUPERBLOCK_SIZE]
    }

    pub(crate) fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    pub(crate) fn block(&self, nr: u64) -> &[u8] {
        let bs = self.sb().block_size() as usize;
        let off = nr as usize * bs;
        &self.bytes[off..off + bs]
    }

    pub(crate) fn block_mut(&mut self, nr: u64) -> &mut [u8] {
        let bs = self.sb().block_size() as usize;
        let off = nr as usize * bs;
        &mut self.bytes[off..off + bs]
    }

    pub(crate) fn group_desc(&self, group: u32) -> GroupDesc {
        let (block, offset) = self.sb().descriptor_block(group).expect("desc");
        GroupDesc::parse(&self.block(block)[offset..]).expect("group desc")
    }

    /// Byte range of inode `ino` in the image.
    pub(crate) fn inode_range(&self, ino: u32) -> std::ops::Range<usize> {
        let sb = self.sb();
        let loc = inode_loc_any(&sb, ino).expect("inode loc");
        let block = loc.block(&self.group_desc(loc.group));
        let start = block as usize * sb.block_size() as usize + loc.offset;
        start..start + sb.inode_size() as usize
    }

    pub(crate) fn inode(&self, ino: u32) -> Inode {
        let sb = self.sb();
        inode_loc(&sb, ino).expect("inode number");
        Inode::parse(&self.bytes[self.inode_range(ino)]).expect("inode")
    }

    /// Physical block of logical block `iblock` (0 for a hole), walking
    /// `i_block` and the indirect blocks as ext2_get_block does; appends
    /// every indirect block visited to `meta`.
    pub(crate) fn bmap(&self, inode: &Inode, iblock: u64, meta: &mut Vec<u64>) -> u64 {
        let bs = self.sb().block_size();
        let path = block_to_path(bs, iblock).expect("block_to_path");
        let offsets = path.offsets();
        let mut nr = u64::from(inode.i_block[offsets[0]]);
        for &off in &offsets[1..] {
            if nr == 0 {
                return 0;
            }
            meta.push(nr);
            let b = self.block(nr);
            nr = u64::from(u32::from_le_bytes(
                b[off * 4..off * 4 + 4].try_into().unwrap(),
            ));
        }
        nr
    }

    /// Data blocks (holes as 0) and the distinct indirect blocks of a file.
    pub(crate) fn file_blocks(&self, inode: &Inode) -> (Vec<u64>, Vec<u64>) {
        let bs = u64::from(self.sb().block_size());
        let size = inode.size().expect("size");
        let mut meta = Vec::new();
        let data = (0..size.div_ceil(bs))
            .map(|i| self.bmap(inode, i, &mut meta))
            .collect();
        meta.sort_unstable();
        meta.dedup();
        (data, meta)
    }

    /// File contents read through the block map.
    pub(crate) fn read_file(&self, inode: &Inode) -> Vec<u8> {
        let bs = self.sb().block_size() as usize;
        let size = inode.size().expect("size") as usize;
        let (data, _) = self.file_blocks(inode);
        let mut out = Vec::with_capacity(size);
        for nr in data {
            if nr == 0 {
                out.extend(std::iter::repeat_n(0, bs));
            } else {
                out.extend_from_slice(self.block(nr));
            }
        }
        out.truncate(size);
        out
    }

    pub(crate) fn dir_format(&self) -> DirFormat {
        DirFormat::new(&self.sb())
    }

    /// Live entries of directory `ino`: (name, inode, file type), checking
    /// every block.
    pub(crate) fn list_dir(&self, ino: u32) -> Vec<(String, u32, u8)> {
        let inode = self.inode(ino);
        let (data, _) = self.file_blocks(&inode);
        let mut out = Vec::new();
        for nr in data {
            let block =
                DirBlock::with_format(self.block(nr), self.dir_format()).expect("dir block");
            for e in block.entries().filter(|e| e.is_live()) {
                out.push((
                    String::from_utf8_lossy(e.name).into_owned(),
                    e.inode,
                    e.file_type,
                ));
            }
        }
        out
    }

    /// Inode number of `name` in directory `dir`.
    pub(crate) fn lookup(&self, dir: u32, name: &str) -> u32 {
        self.list_dir(dir)
            .into_iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("{name} not found"))
            .1
    }

    /// Number of i_block direct pointers, for tests that poke them.
    pub(crate) fn ndir() -> usize {
        EXT2_NDIR_BLOCKS
    }
}
