// SPDX-License-Identifier: GPL-2.0
//! `mmap-extend` and `mmap-eof-gap`: mapped stores around EOF on a page
//! that straddles it, then i_size growth by ftruncate or pwrite.
//!
//! mmap-extend (each variant on its own file): ftruncate(0), pwrite 1024
//! pattern bytes at 0, map the first page, store 'a' at 0, grow the file
//! (ftruncate to 10000, or pwrite one byte at 10000), store 'c' at 3000
//! (in a block that did not exist when the page was first made writable,
//! so the store must fault again and allocate), then fsync (or just munmap
//! and close: umount writes it back). Expected: byte 0 'a', 1..1024 the
//! pattern, 3000 'c', zeros elsewhere up to the size (10000 or 10001 with
//! the pwritten byte last).
//!
//! mmap-eof-gap: a file of EOF bytes, mapped stores of 0xee *beyond* EOF
//! inside the EOF page (not part of the file), then growth; everything
//! between the old EOF and new data must read zero, through read(), through
//! the still-live mapping, and after a remount.

use crate::report::{compare, ensure, Report};
use crate::sys::{Fd, Mapping};
use crate::{Ctx, Phase};

/// The 1024 pattern bytes of mmap-extend (never zero).
fn pattern(len: usize, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(salt) | 1)
        .collect()
}

/// How a scenario grows the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grow {
    /// ftruncate to this size.
    Truncate(u64),
    /// pwrite this many pattern bytes at this offset.
    Pwrite(u64, usize),
}

/// One mmap-extend variant: the growth and whether to fsync.
#[derive(Clone, Copy, Debug)]
struct ExtendCase {
    name: &'static str,
    grow: Grow,
    fsync: bool,
}

const EXTEND_CASES: [ExtendCase; 4] = [
    ExtendCase {
        name: "truncate-fsync",
        grow: Grow::Truncate(10000),
        fsync: true,
    },
    ExtendCase {
        name: "pwrite-fsync",
        grow: Grow::Pwrite(10000, 1),
        fsync: true,
    },
    ExtendCase {
        name: "truncate-nosync",
        grow: Grow::Truncate(10000),
        fsync: false,
    },
    ExtendCase {
        name: "pwrite-nosync",
        grow: Grow::Pwrite(10000, 1),
        fsync: false,
    },
];

/// The expected contents of an mmap-extend file.
fn extend_expected(grow: Grow) -> Vec<u8> {
    let buf = pattern(1024, 3);
    let mut want = match grow {
        Grow::Truncate(n) => vec![0u8; n as usize],
        Grow::Pwrite(off, len) => {
            let mut v = vec![0u8; off as usize + len];
            v[off as usize..].copy_from_slice(&buf[..len]);
            v
        }
    };
    want[..1024].copy_from_slice(&buf);
    want[0] = b'a';
    want[3000] = b'c';
    want
}

/// Applies `grow` to `fd`.
fn do_grow(fd: &Fd, grow: Grow, salt: u8) -> Result<(), String> {
    match grow {
        Grow::Truncate(n) => fd.truncate(n),
        Grow::Pwrite(off, len) => fd.pwrite(&pattern(len, salt)[..len], off),
    }
}

/// The whole file through read() against `want`, size included.
fn check_file(fd: &Fd, want: &[u8]) -> Result<(), String> {
    let size = fd.size()?;
    ensure(size == want.len() as u64, || {
        format!("size {size}, expected {}", want.len())
    })?;
    let got = fd.pread(0, want.len() + 1)?;
    compare("read()", 0, want, &got)
}

fn extend_run(ctx: &Ctx, c: &ExtendCase) -> Result<(), String> {
    let path = ctx.dir.join(c.name);
    let fd = Fd::create(&path)?;
    fd.truncate(0)?;
    fd.pwrite(&pattern(1024, 3), 0)?;
    {
        let mut map = Mapping::new(&fd, 4096, true)?;
        map.store(0, b"a");
        do_grow(&fd, c.grow, 3)?;
        map.store(3000, b"c");
        if c.fsync {
            fd.fsync()?;
        }
        let want = extend_expected(c.grow);
        compare(
            "mapping after the stores",
            0,
            &want[..4096],
            &map.load(0, 4096),
        )?;
    }
    check_file(&fd, &extend_expected(c.grow))
}

/// mmap-extend: every variant, run or verify.
pub fn mmap_extend(ctx: &Ctx, rep: &mut Report) {
    for c in &EXTEND_CASES {
        let r = match ctx.phase {
            Phase::Run => extend_run(ctx, c),
            Phase::Verify => Fd::open(&ctx.dir.join(c.name), libc::O_RDONLY)
                .and_then(|fd| check_file(&fd, &extend_expected(c.grow))),
        };
        rep.check(c.name, r);
    }
}

/// One mmap-eof-gap case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GapCase {
    /// The case name.
    pub name: String,
    /// The file size when the stores happen.
    pub eof: u64,
    /// Mapped stores beyond EOF: (offset, length), all inside EOF's page.
    pub stores: Vec<(u64, u64)>,
    /// How the file grows afterwards.
    pub grow: Grow,
    /// msync before growing (the easy case: writeback zeroes the tail).
    pub msync: bool,
}

/// The cases for block size `bs` and page size `page`: EOF in the middle
/// of a block, at a block end (bs < page only), and in a different block of
/// the page than the stores; each grown by truncate inside the page,
/// truncate beyond it, pwrite inside and pwrite beyond, plus two msync'd
/// variants.
pub fn gap_cases(bs: u64, page: u64) -> Vec<GapCase> {
    let mut eofs = vec![(
        "mid-block",
        bs / 2 + 100,
        vec![(bs / 2 + 100, 50), (page - 20, 20)],
    )];
    if bs < page {
        eofs.push(("block-end", bs, vec![(bs, 100), (page - 10, 10)]));
        eofs.push((
            "other-block",
            100,
            vec![(page - bs + 5, 45), (page - 30, 30)],
        ));
    } else {
        eofs.push(("far-in-block", 100, vec![(page - 30, 30)]));
    }
    let mut cases = Vec::new();
    for (ename, eof, stores) in eofs {
        let grows = [
            ("truncate-in-page", Grow::Truncate(page - 8)),
            ("truncate-beyond", Grow::Truncate(3 * page + 17)),
            ("pwrite-in-page", Grow::Pwrite(eof + 200, 10)),
            ("pwrite-beyond", Grow::Pwrite(2 * page + 300, 100)),
        ];
        for (gname, grow) in grows {
            cases.push(GapCase {
                name: format!("{ename}-{gname}"),
                eof,
                stores: stores.clone(),
                grow,
                msync: false,
            });
        }
        if ename == "mid-block" {
            for (gname, grow) in [
                ("truncate-beyond", Grow::Truncate(3 * page + 17)),
                ("pwrite-beyond", Grow::Pwrite(2 * page + 300, 100)),
            ] {
                cases.push(GapCase {
                    name: format!("{ename}-msync-{gname}"),
                    eof,
                    stores: stores.clone(),
                    grow,
                    msync: true,
                });
            }
        }
    }
    cases
}

/// The expected file after a gap case: the EOF bytes, the in-file store
/// ('A' at 0), zeros, and the pwritten bytes.
pub fn gap_expected(c: &GapCase) -> Vec<u8> {
    let mut want = pattern(c.eof as usize, 5);
    want[0] = b'A';
    match c.grow {
        Grow::Truncate(n) => want.resize(n as usize, 0),
        Grow::Pwrite(off, len) => {
            want.resize(off as usize, 0);
            want.extend_from_slice(&pattern(len, 9));
        }
    }
    want
}

fn gap_run(ctx: &Ctx, c: &GapCase) -> Result<(), String> {
    let fd = Fd::create(&ctx.dir.join(&c.name))?;
    fd.truncate(0)?;
    fd.pwrite(&pattern(c.eof as usize, 5), 0)?;
    fd.fsync()?;
    let want = gap_expected(c);
    {
        let span = c.eof.div_ceil(ctx.page) * ctx.page;
        let mut map = Mapping::new(&fd, span as usize, true)?;
        map.store(0, b"A");
        for &(off, len) in &c.stores {
            map.store(off as usize, &vec![0xee; len as usize]);
        }
        if c.msync {
            map.msync()?;
        }
        do_grow(&fd, c.grow, 9)?;
        let n = (span as usize).min(want.len());
        compare("mapping after growth", 0, &want[..n], &map.load(0, n))?;
        check_file(&fd, &want)?;
        fd.fsync()?;
    }
    check_file(&fd, &want)
}

/// mmap-eof-gap: every case for this block size, run or verify.
pub fn mmap_eof_gap(ctx: &Ctx, rep: &mut Report) {
    for c in gap_cases(ctx.bs, ctx.page) {
        let r = match ctx.phase {
            Phase::Run => gap_run(ctx, &c),
            Phase::Verify => Fd::open(&ctx.dir.join(&c.name), libc::O_RDONLY)
                .and_then(|fd| check_file(&fd, &gap_expected(&c))),
        };
        rep.check(&c.name, r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extend_expected_has_the_stores() {
        let t = extend_expected(Grow::Truncate(10000));
        assert_eq!(t.len(), 10000);
        assert_eq!(t[0], b'a');
        assert_eq!(t[3000], b'c');
        assert!(t[1..1024].iter().all(|&b| b != 0));
        assert!(t[1024..3000].iter().all(|&b| b == 0));
        let p = extend_expected(Grow::Pwrite(10000, 1));
        assert_eq!(p.len(), 10001);
        assert_eq!(p[10000], pattern(1, 3)[0]);
        assert_eq!(p[..10000], t[..]);
    }

    #[test]
    fn gap_cases_keep_stores_beyond_eof_inside_the_page() {
        for bs in [1024, 2048, 4096] {
            let cases = gap_cases(bs, 4096);
            assert_eq!(cases.len(), if bs < 4096 { 14 } else { 10 });
            for c in &cases {
                for &(off, len) in &c.stores {
                    assert!(off >= c.eof, "{}: store below EOF", c.name);
                    assert!(off + len <= 4096, "{}: store past the page", c.name);
                }
                let want = gap_expected(c);
                // Everything between the old EOF and new data is zero.
                let end = match c.grow {
                    Grow::Truncate(n) => n,
                    Grow::Pwrite(off, _) => off,
                };
                assert!(end > c.eof, "{}: does not grow", c.name);
                assert!(want[c.eof as usize..end as usize].iter().all(|&b| b == 0));
            }
        }
    }

    #[test]
    fn block_end_case_puts_eof_on_a_block_boundary() {
        let c = gap_cases(1024, 4096);
        let be = c.iter().find(|c| c.name.starts_with("block-end")).unwrap();
        assert_eq!(be.eof, 1024);
        let ob = c
            .iter()
            .find(|c| c.name.starts_with("other-block"))
            .unwrap();
        assert_eq!(ob.eof / 1024, 0);
        assert!(ob.stores.iter().all(|&(o, _)| o / 1024 == 3));
    }
}
