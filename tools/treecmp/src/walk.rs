// SPDX-License-Identifier: GPL-2.0
//! The tree comparison: walks A and B together, directory by directory,
//! and compares names, metadata, symlink targets, hard-link groups,
//! contents and data maps.

use crate::content::{self, Mismatch};
use crate::map;
use crate::meta::{self, Kind, Meta};
use crate::options::Options;
use crate::report::Report;
use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Seek};
use std::path::Path;

/// Per-side hard-link bookkeeping: (dev, ino) -> first path seen.
type Links = HashMap<(u64, u64), String>;

/// State of one comparison.
struct Walk<'a> {
    opts: &'a Options,
    report: Report,
    links_a: Links,
    links_b: Links,
}

/// Compares tree `b` with reference tree `a`.
pub fn compare_trees(a: &Path, b: &Path, opts: &Options) -> Report {
    let mut w = Walk {
        opts,
        report: Report::new(opts.quiet),
        links_a: Links::new(),
        links_b: Links::new(),
    };
    w.entry(a, b, Path::new(""));
    w.report
}

/// The displayed form of a relative path: "/" for the root.
fn display(rel: &Path) -> String {
    format!("/{}", rel.display())
}

/// The sorted names in directory `dir`, and how many readdir returned
/// (more than the names if some came twice).
fn names(dir: &Path) -> io::Result<(BTreeSet<OsString>, usize)> {
    let all: Vec<OsString> = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<_>>()?;
    let count = all.len();
    Ok((all.into_iter().collect(), count))
}

/// The path under which an inode with several links was first seen.
fn link_group(links: &mut Links, m: &Meta, shown: &str) -> String {
    if m.kind == Kind::Dir || m.nlink < 2 {
        return shown.to_string();
    }
    links
        .entry(m.id)
        .or_insert_with(|| shown.to_string())
        .clone()
}

impl Walk<'_> {
    /// Compares the entries at `a` and `b` (relative path `rel`).
    fn entry(&mut self, a: &Path, b: &Path, rel: &Path) {
        let shown = display(rel);
        let (ma, mb) = match (Meta::lstat(a), Meta::lstat(b)) {
            (Ok(ma), Ok(mb)) => (ma, mb),
            (Err(e), _) => return self.report.error(&shown, "lstat A", &e),
            (_, Err(e)) => return self.report.error(&shown, "lstat B", &e),
        };
        self.report.entries += 1;
        let is_root = rel.as_os_str().is_empty();
        if !is_root || self.opts.root_meta {
            if !meta::compare(&mut self.report, &shown, &ma, &mb, self.opts) {
                return;
            }
            if self.hard_links(&shown, &ma, &mb) {
                return;
            }
        }
        match ma.kind {
            Kind::Dir => self.directory(a, b, rel),
            Kind::Symlink => self.symlink(a, b, &shown),
            // Empty on both sides: nothing to read or map (opening
            // thousands of empty files is slow on 9p under emulation).
            Kind::File if ma.size == 0 && mb.size == 0 => {}
            Kind::File => self.file(a, b, &shown),
            _ => {}
        }
    }

    /// Checks that both sides group this path with the same hard links;
    /// true if both are links to an inode compared already.
    fn hard_links(&mut self, shown: &str, ma: &Meta, mb: &Meta) -> bool {
        let ga = link_group(&mut self.links_a, ma, shown);
        let gb = link_group(&mut self.links_b, mb, shown);
        if ga != gb {
            self.report.diff(shown, "hard link of", ga, gb);
            return false;
        }
        ga != shown
    }

    /// Compares the names of two directories and recurses into them.
    fn directory(&mut self, a: &Path, b: &Path, rel: &Path) {
        let shown = display(rel);
        let ((na, ca), (nb, cb)) = match (names(a), names(b)) {
            (Ok(na), Ok(nb)) => (na, nb),
            (Err(e), _) => return self.report.error(&shown, "readdir A", &e),
            (_, Err(e)) => return self.report.error(&shown, "readdir B", &e),
        };
        if ca - na.len() != cb - nb.len() {
            let dups = |c: usize, n: usize| format!("{} duplicates", c - n);
            self.report
                .diff(&shown, "readdir", dups(ca, na.len()), dups(cb, nb.len()));
        }
        let ignored = |n: &OsString| self.opts.ignore.contains(&rel.join(n));
        for name in na.union(&nb).filter(|n| !ignored(n)) {
            let child = rel.join(name);
            match (na.contains(name), nb.contains(name)) {
                (true, true) => self.entry(&a.join(name), &b.join(name), &child),
                (true, false) => self
                    .report
                    .diff(&display(&child), "name", "present", "missing"),
                _ => self
                    .report
                    .diff(&display(&child), "name", "missing", "present"),
            }
        }
    }

    /// Compares two symlink targets.
    fn symlink(&mut self, a: &Path, b: &Path, shown: &str) {
        match (fs::read_link(a), fs::read_link(b)) {
            (Ok(ta), Ok(tb)) if ta != tb => {
                self.report
                    .diff(shown, "symlink target", ta.display(), tb.display())
            }
            (Ok(_), Ok(_)) => {}
            (Err(e), _) => self.report.error(shown, "readlink A", &e),
            (_, Err(e)) => self.report.error(shown, "readlink B", &e),
        }
    }

    /// Compares two regular files: contents, then data maps.
    fn file(&mut self, a: &Path, b: &Path, shown: &str) {
        let (fa, fb) = match (File::open(a), File::open(b)) {
            (Ok(fa), Ok(fb)) => (fa, fb),
            (Err(e), _) => return self.report.error(shown, "open A", &e),
            (_, Err(e)) => return self.report.error(shown, "open B", &e),
        };
        if self.opts.holes {
            self.maps(&fa, &fb, shown);
        }
        self.contents(fa, fb, shown);
    }

    /// Streams and compares two files' contents.
    fn contents(&mut self, mut fa: File, mut fb: File, shown: &str) {
        // The map comparison moved the file offsets.
        let result = fa
            .rewind()
            .and_then(|_| fb.rewind())
            .and_then(|_| content::open_source(fb, self.opts.mmap))
            .and_then(|mut sb| content::compare(&mut fa, sb.as_mut()));
        match result {
            Ok(None) => {}
            Ok(Some(Mismatch::Byte(off, x, y))) => {
                let what = format!("content at byte {off}");
                self.report
                    .diff(shown, &what, format!("{x:#04x}"), format!("{y:#04x}"))
            }
            Ok(Some(Mismatch::Length(la, lb))) => self.report.diff(shown, "content length", la, lb),
            Err(e) => self.report.error(shown, "read", &e),
        }
    }

    /// Compares the SEEK_DATA/SEEK_HOLE maps and the fiemap extents.
    fn maps(&mut self, fa: &File, fb: &File, shown: &str) {
        let size = |f: &File| f.metadata().map(|m| m.len()).unwrap_or(0);
        let sa = map::seek_map(fa, size(fa));
        let sb = map::seek_map(fb, size(fb));
        match (sa, sb) {
            (Ok(sa), Ok(sb)) => self.compare_lists(shown, "seek-data", &sa, &sb, |r| {
                map::format_ranges(std::slice::from_ref(r))
            }),
            (Err(e), _) => self.report.error(shown, "SEEK_DATA/SEEK_HOLE A", &e),
            (_, Err(e)) => self.report.error(shown, "SEEK_DATA/SEEK_HOLE B", &e),
        }
        match (map::fiemap(fa), map::fiemap(fb)) {
            (Ok(ea), Ok(eb)) => {
                let (ea, eb) = (map::normalize(&ea), map::normalize(&eb));
                self.compare_lists(shown, "fiemap", &ea, &eb, |e| e.to_string())
            }
            (Err(x), Err(y)) if x.raw_os_error() == y.raw_os_error() => {}
            (Err(e), _) => self.report.diff(shown, "fiemap", e, "ok"),
            (_, Err(e)) => self.report.diff(shown, "fiemap", "ok", e),
        }
    }

    /// Reports the first difference between two lists (and their lengths).
    fn compare_lists<T: PartialEq>(
        &mut self,
        shown: &str,
        what: &str,
        a: &[T],
        b: &[T],
        fmt: impl Fn(&T) -> String,
    ) {
        let item = |l: &[T], i: usize| l.get(i).map_or_else(|| "none".into(), &fmt);
        if let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
            let what = format!("{what} extent #{i} (of {} vs {})", a.len(), b.len());
            self.report.diff(shown, &what, item(a, i), item(b, i));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{set_mtime, TempDir};
    use std::io::Write;
    use std::os::unix::fs::{symlink, PermissionsExt};

    /// Builds the same small tree under `root`, with fixed mtimes.
    fn build(root: &Path) {
        fs::create_dir_all(root.join("d/e")).unwrap();
        let mut f = File::create(root.join("d/file")).unwrap();
        f.write_all(&vec![7u8; 10000]).unwrap();
        File::create(root.join("empty")).unwrap();
        fs::set_permissions(root.join("empty"), fs::Permissions::from_mode(0o644)).unwrap();
        let sparse = File::create(root.join("sparse")).unwrap();
        sparse.set_len(3 << 20).unwrap();
        symlink("d/file", root.join("link")).unwrap();
        fs::hard_link(root.join("d/file"), root.join("d/e/hard")).unwrap();
        for p in [
            "d/file", "d/e/hard", "empty", "sparse", "link", "d/e", "d", "",
        ] {
            set_mtime(&root.join(p), 1_000_000_000);
        }
    }

    fn opts() -> Options {
        // Two trees on one host filesystem: physical addresses differ.
        Options {
            quiet: true,
            atime: false,
            ctime: false,
            holes: false,
            ..Options::default()
        }
    }

    fn trees() -> (TempDir, std::path::PathBuf, std::path::PathBuf) {
        let dir = TempDir::new("walk");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        build(&a);
        build(&b);
        (dir, a, b)
    }

    #[test]
    fn identical_trees_compare_equal() {
        let (_dir, a, b) = trees();
        let r = compare_trees(&a, &b, &opts());
        assert_eq!(r.diffs, 0, "{:?}", r.lines);
        assert_eq!(r.errors, 0);
        assert_eq!(r.entries, 8);
        let r = compare_trees(
            &a,
            &b,
            &Options {
                mmap: true,
                ..opts()
            },
        );
        assert_eq!(r.diffs + r.errors, 0, "{:?}", r.lines);
    }

    #[test]
    fn reports_one_byte() {
        let (_dir, a, b) = trees();
        let f = File::options().write(true).open(b.join("d/file")).unwrap();
        std::os::unix::fs::FileExt::write_all_at(&f, b"x", 4097).unwrap();
        set_mtime(&b.join("d/file"), 1_000_000_000);
        let r = compare_trees(&a, &b, &opts());
        assert_eq!(r.lines, ["/d/e/hard: content at byte 4097: A=0x07 B=0x78"]);
    }

    #[test]
    fn reports_one_mode() {
        let (_dir, a, b) = trees();
        fs::set_permissions(b.join("empty"), fs::Permissions::from_mode(0o4755)).unwrap();
        let r = compare_trees(&a, &b, &opts());
        assert_eq!(r.lines, ["/empty: mode: A=0644 B=4755"]);
    }

    #[test]
    fn reports_one_name() {
        let (_dir, a, b) = trees();
        fs::rename(b.join("empty"), b.join("empty2")).unwrap();
        set_mtime(&b, 1_000_000_000);
        let r = compare_trees(&a, &b, &opts());
        assert_eq!(
            r.lines,
            [
                "/empty: name: A=present B=missing",
                "/empty2: name: A=missing B=present"
            ]
        );
        let ignoring = Options {
            ignore: vec!["empty".into(), "empty2".into()],
            ..opts()
        };
        assert_eq!(compare_trees(&a, &b, &ignoring).diffs, 0);
    }

    #[test]
    fn reports_holes_and_links() {
        let (_dir, a, b) = trees();
        let f = File::options().write(true).open(b.join("sparse")).unwrap();
        std::os::unix::fs::FileExt::write_all_at(&f, &[0u8; 4096], 1 << 20).unwrap();
        f.sync_all().unwrap();
        set_mtime(&b.join("sparse"), 1_000_000_000);
        let holes = Options {
            holes: true,
            blocks: false,
            ..opts()
        };
        let r = compare_trees(&a, &b, &holes);
        let sparse: Vec<&String> = r
            .lines
            .iter()
            .filter(|l| l.starts_with("/sparse"))
            .collect();
        assert_eq!(sparse.len(), 2, "{:?}", r.lines);
        assert!(sparse[0]
            .starts_with("/sparse: seek-data extent #0 (of 0 vs 1): A=none B=1048576-1052672"));
        assert!(sparse[1].starts_with(
            "/sparse: fiemap extent #0 (of 0 vs 1): A=none B=logical 1048576 length 4096"
        ));
        let no_holes = Options {
            blocks: false,
            ..opts()
        };
        assert_eq!(compare_trees(&a, &b, &no_holes).diffs, 0);
        fs::remove_file(b.join("link")).unwrap();
        symlink("d/e/hard", b.join("link")).unwrap();
        set_mtime(&b.join("link"), 1_000_000_000);
        set_mtime(&b, 1_000_000_000);
        let r = compare_trees(&a, &b, &no_holes);
        assert_eq!(
            r.lines,
            [
                "/link: size: A=6 B=8",
                "/link: symlink target: A=d/file B=d/e/hard"
            ]
        );
    }
}
