// SPDX-License-Identifier: GPL-2.0
//! `fill`: run the filesystem out of space. Meant for a small filesystem of
//! its own (the whole device fills up).
//!
//! 1. A sparse file (ftruncate to 4 MiB) is made first, with one written
//!    block, and the free block count noted.
//! 2. write() 256 KiB at a time into one file until it fails: it must fail
//!    with ENOSPC (a short write before is fine). Then one-block appends to
//!    new small files until create or write fails, again only with ENOSPC,
//!    so that even single free blocks are used up: statfs must then say 0
//!    free blocks.
//! 3. On the full filesystem: a pwrite into a hole of the sparse file fails
//!    with ENOSPC; reading a hole through a mapping gives zeros; a mapped
//!    store into a hole (a direct block, and one deep in the indirect
//!    range) kills a forked child with SIGBUS and leaves the hole a hole;
//!    a store into the sparse file's written block still works.
//! 4. Everything is deleted: the free block count is back to what it was,
//!    and a 1 MiB write works again.

use crate::report::{compare, ensure, Report};
use crate::sys::{self, Fd, Mapping};
use crate::{Ctx, Phase};
use std::path::Path;

const SPARSE: u64 = 4 << 20;
const CHUNK: usize = 256 << 10;
/// The largest filesystem fill agrees to fill.
const MAX_FS: u64 = 1 << 30;

/// The write() error of a full filesystem, or a message for anything else.
fn expect_enospc(what: &str, e: i32) -> Result<(), String> {
    ensure(e == libc::ENOSPC, || {
        format!("{what} failed with {}, expected ENOSPC", sys::errno_name(e))
    })
}

/// Fills the filesystem under `d`; returns the number of files made.
fn fill_up(d: &Path, bs: u64) -> Result<u32, String> {
    let big = Fd::create(&d.join("big"))?;
    let chunk = vec![0x5au8; CHUNK];
    let mut off = 0u64;
    loop {
        match big.pwrite_once(&chunk, off) {
            Ok(0) => return Err("write() returned 0 on a filling filesystem".into()),
            Ok(n) => off += n as u64,
            Err(e) => {
                expect_enospc(&format!("write() of the big file at {off}"), e)?;
                break;
            }
        }
        ensure(off < 1 << 40, || "the filesystem never filled".into())?;
    }
    let block = vec![0xa5u8; bs as usize];
    let mut files = 1u32;
    'files: loop {
        let p = d.join(format!("small{files}"));
        let e = sys::create_file(&p, &[])?;
        if e != 0 {
            expect_enospc("creating a small file", e)?;
            break;
        }
        files += 1;
        let f = Fd::open(&p, libc::O_WRONLY)?;
        for i in 0..8u64 {
            if let Err(e) = f.pwrite_once(&block, i * bs) {
                expect_enospc("a one-block write", e)?;
                break 'files;
            }
        }
        ensure(files < 100_000, || "the filesystem never filled".into())?;
    }
    Ok(files)
}

fn run(ctx: &Ctx, rep: &mut Report) -> Result<(), String> {
    let d = ctx.dir.join("d");
    let (bsize, free0, total) = sys::statvfs(&ctx.dir)?;
    ensure(bsize * total <= MAX_FS, || {
        format!(
            "refusing to fill a filesystem of {} MiB (at most {} MiB: give fill a small one of its own)",
            (bsize * total) >> 20,
            MAX_FS >> 20
        )
    })?;
    let e = sys::mkdir(&sys::cpath(&d)?);
    ensure(e == 0, || {
        format!("mkdir {}: {}", d.display(), sys::errno_name(e))
    })?;
    let sparse = Fd::create(&d.join("sparse"))?;
    sparse.truncate(SPARSE)?;
    // A whole page: a store through a mapping needs every block of its
    // page allocated (page_mkwrite allocates the page's blocks up to EOF),
    // so with blocks smaller than a page, a page holding holes takes
    // SIGBUS on a full filesystem even where its own block exists.
    let page = usize::try_from(ctx.page).unwrap_or(4096);
    let mark = vec![0x11u8; (ctx.bs as usize).max(page)];
    let marked = SPARSE / 2;
    sparse.pwrite(&mark, marked)?;
    sparse.fsync()?;

    let r = fill_up(&d, ctx.bs);
    let files = r.clone().unwrap_or(0);
    rep.check("write() until ENOSPC, only ENOSPC", r.map(drop));
    let free = sys::statvfs(&ctx.dir)?.1;
    rep.check(
        "no free block left once write() says ENOSPC",
        ensure(free == 0, || {
            format!("statfs still says {free} free blocks")
        }),
    );
    rep.note(&format!(
        "filled with {files} files, {free0} blocks were free"
    ));

    rep.check(
        "pwrite into a hole on the full filesystem: ENOSPC",
        match sparse.pwrite_once(b"x", 0) {
            Ok(n) => Err(format!("wrote {n} bytes")),
            Err(e) => expect_enospc("pwrite into a hole", e),
        },
    );
    {
        let mut map = Mapping::new(&sparse, SPARSE as usize, true)?;
        let holes = [0usize, 123_457, (SPARSE - 1) as usize];
        rep.check(
            "mapped read of holes on the full filesystem: zeros",
            holes
                .iter()
                .try_for_each(|&h| compare("mapped hole", h as u64, &[0], &map.load(h, 1))),
        );
        for h in holes {
            let r = map.store_in_child(h, 0x42).and_then(|sig| match sig {
                Some(libc::SIGBUS) => Ok(()),
                Some(s) => Err(format!("the child died of signal {s}, expected SIGBUS")),
                None => Err("the store succeeded on a full filesystem".into()),
            });
            rep.check(&format!("mapped store into the hole at {h}: SIGBUS"), r);
        }
        let r = map
            .store_in_child(marked as usize + 7, 0x22)
            .and_then(|sig| match sig {
                None => Ok(()),
                Some(s) => Err(format!("signal {s} storing into an allocated block")),
            });
        rep.check(
            "mapped store into an allocated block on the full filesystem",
            r,
        );
    }
    let mut want = mark.clone();
    want[7] = 0x22;
    let r = sparse.fsync().and_then(|()| {
        compare(
            "the allocated block",
            marked,
            &want,
            &sparse.pread(marked, mark.len())?,
        )?;
        compare("the holes", 0, &[0; 1024], &sparse.pread(0, 1024)?)
    });
    rep.check("sparse file intact after the SIGBUSes", r);
    drop(sparse);

    // Clean up: everything made since free0 goes.
    let r = (|| {
        for name in std::fs::read_dir(&d).map_err(|e| format!("readdir: {e}"))? {
            let p = name.map_err(|e| format!("readdir: {e}"))?.path();
            let e = sys::unlink(&sys::cpath(&p)?);
            ensure(e == 0, || {
                format!("unlink {}: {}", p.display(), sys::errno_name(e))
            })?;
        }
        let e = sys::rmdir(&sys::cpath(&d)?);
        ensure(e == 0, || format!("rmdir: {}", sys::errno_name(e)))?;
        let free = sys::statvfs(&ctx.dir)?.1;
        ensure(free == free0, || {
            format!("{free} blocks free after deleting everything, {free0} before")
        })
    })();
    rep.check("deleting everything frees every block", r);
    let r = (|| {
        let p = ctx.dir.join("after");
        let f = Fd::create(&p)?;
        let data = vec![0x33u8; 1 << 20];
        f.pwrite(&data, 0)?;
        f.fsync()?;
        compare("1 MiB after the fill", 0, &data, &f.pread(0, data.len())?)
    })();
    rep.check("a 1 MiB write works again", r);
    Ok(())
}

fn verify(ctx: &Ctx) -> Result<(), String> {
    ensure(!ctx.dir.join("d").exists(), || {
        "the fill directory is still there".into()
    })?;
    let f = Fd::open(&ctx.dir.join("after"), libc::O_RDONLY)?;
    compare(
        "1 MiB after the fill",
        0,
        &vec![0x33u8; 1 << 20],
        &f.pread(0, (1 << 20) + 1)?,
    )
}

/// fill, run or verify.
pub fn fill(ctx: &Ctx, rep: &mut Report) {
    match ctx.phase {
        Phase::Run => {
            if let Err(e) = run(ctx, rep) {
                rep.check("setup", Err(e));
            }
        }
        Phase::Verify => rep.check("state after remount", verify(ctx)),
    }
}
