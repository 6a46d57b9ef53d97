// SPDX-License-Identifier: GPL-2.0
//! `mmap-holes`: a sparse file (ftruncate to 8 MiB), one shared mapping of
//! all of it, seeded stores into the holes (block-aligned whole blocks,
//! block-aligned short runs, unaligned runs, runs across a block or page
//! boundary, the last byte of the file), munmap, fsync. Checked through
//! read() against the model, and st_blocks must cover at least every block
//! stored to while staying well below the size (the rest is still holes).

use crate::report::{compare, ensure, Report};
use crate::rng::Rng;
use crate::sys::{Fd, Mapping};
use crate::{Ctx, Phase};
use std::collections::BTreeSet;

/// The file size.
pub const SIZE: u64 = 8 << 20;

/// The seeded stores: (offset, bytes).
pub fn stores(seed: u64, bs: u64, count: usize) -> Vec<(u64, Vec<u8>)> {
    let mut rng = Rng::new(seed);
    let nblocks = SIZE / bs;
    let mut out = Vec::with_capacity(count + 1);
    for i in 0..count {
        let (off, len) = match i % 4 {
            0 => (rng.below(nblocks) * bs, bs),
            1 => (rng.below(nblocks) * bs, rng.between(1, 64)),
            2 => (rng.below(SIZE - 600), rng.between(1, 600)),
            _ => {
                // Straddle a block boundary (a page boundary every fourth).
                let b = rng.between(1, nblocks - 1) * bs;
                (b - rng.between(1, 40), rng.between(41, 120))
            }
        };
        let len = len.min(SIZE - off);
        let mut data = vec![0u8; len as usize];
        rng.fill(&mut data);
        for b in &mut data {
            *b |= 0x10; // never zero: a lost store shows
        }
        out.push((off, data));
    }
    out.push((SIZE - 1, vec![0x7f]));
    out
}

/// The file the stores make, and the set of blocks they touch.
pub fn expected(stores: &[(u64, Vec<u8>)], bs: u64) -> (Vec<u8>, BTreeSet<u64>) {
    let mut want = vec![0u8; SIZE as usize];
    let mut blocks = BTreeSet::new();
    for (off, data) in stores {
        let o = *off as usize;
        want[o..o + data.len()].copy_from_slice(data);
        for b in *off / bs..=(*off + data.len() as u64 - 1) / bs {
            blocks.insert(b);
        }
    }
    (want, blocks)
}

fn check(fd: &Fd, want: &[u8], blocks: &BTreeSet<u64>, bs: u64) -> Result<(), String> {
    let size = fd.size()?;
    ensure(size == SIZE, || format!("size {size}, expected {SIZE}"))?;
    let got = fd.pread(0, want.len())?;
    compare("read()", 0, want, &got)?;
    let alloc = fd.blocks()? * 512;
    let min = blocks.len() as u64 * bs;
    ensure(alloc >= min && alloc < SIZE / 2, || {
        format!(
            "st_blocks {} bytes: expected at least the {} stored-to blocks ({min} bytes) and well under {SIZE}",
            alloc,
            blocks.len()
        )
    })
}

fn run(
    ctx: &Ctx,
    st: &[(u64, Vec<u8>)],
    want: &[u8],
    blocks: &BTreeSet<u64>,
) -> Result<(), String> {
    let fd = Fd::create(&ctx.dir.join("sparse"))?;
    fd.truncate(0)?;
    fd.truncate(SIZE)?;
    ensure(fd.blocks()? == 0, || {
        "a fresh sparse file has blocks".into()
    })?;
    {
        let mut map = Mapping::new(&fd, SIZE as usize, true)?;
        for (off, data) in st {
            map.store(*off as usize, data);
        }
        // Read back through the mapping before it goes.
        compare("mapping", 0, want, &map.load(0, SIZE as usize))?;
    }
    fd.fsync()?;
    check(&fd, want, blocks, ctx.bs)
}

/// mmap-holes, run or verify.
pub fn mmap_holes(ctx: &Ctx, rep: &mut Report) {
    let st = stores(ctx.seed, ctx.bs, ctx.ops.unwrap_or(200) as usize);
    let (want, blocks) = expected(&st, ctx.bs);
    let name = format!("{} stores into holes of an 8 MiB file", st.len());
    let r = match ctx.phase {
        Phase::Run => run(ctx, &st, &want, &blocks),
        Phase::Verify => Fd::open(&ctx.dir.join("sparse"), libc::O_RDONLY)
            .and_then(|fd| check(&fd, &want, &blocks, ctx.bs)),
    };
    rep.check(&name, r);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_are_in_range_nonzero_and_deterministic() {
        for bs in [1024, 2048, 4096] {
            let a = stores(7, bs, 200);
            assert_eq!(a, stores(7, bs, 200));
            assert_eq!(a.len(), 201);
            for (off, data) in &a {
                assert!(!data.is_empty());
                assert!(off + data.len() as u64 <= SIZE);
                assert!(data.iter().all(|&b| b != 0));
            }
            assert!(a.iter().any(|(o, d)| o % bs == 0 && d.len() as u64 == bs));
            assert!(a
                .iter()
                .any(|(o, d)| o / bs != (o + d.len() as u64 - 1) / bs));
        }
    }

    #[test]
    fn expected_counts_straddled_blocks() {
        let st = vec![(1020, vec![1u8; 10]), (SIZE - 1, vec![2])];
        let (want, blocks) = expected(&st, 1024);
        assert_eq!(want[1020..1030], [1u8; 10]);
        assert_eq!(want[SIZE as usize - 1], 2);
        assert_eq!(
            blocks.into_iter().collect::<Vec<_>>(),
            vec![0, 1, SIZE / 1024 - 1]
        );
    }
}
