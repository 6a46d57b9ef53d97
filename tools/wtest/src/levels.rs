// SPDX-License-Identifier: GPL-2.0
//! `truncate-levels`: one sparse file with whole blocks written in every
//! level of the ext2 block map (direct blocks 0..11, the single indirect
//! range, the double and, unless `--no-triple`, the triple indirect range;
//! several per level so second-level indirect blocks exist too), then
//! truncated down step by step across each level boundary (to the boundary
//! and to unaligned sizes just past it), re-extended to the full size after
//! each step and truncated back. Checked at each step:
//!
//! - the size, and every block ever written: its data below the new size,
//!   zeros past the truncation point after re-extension (the partial block
//!   included);
//! - st_blocks: never grows on truncate down, strictly shrinks when whole
//!   written blocks go, does not change on truncate up (no allocation), and
//!   is 0 at size 0;
//! - finally every block is written again (reallocation after the frees)
//!   and st_blocks must equal the first allocation's.

use crate::report::{compare, ensure, Report};
use crate::rng::Rng;
use crate::sys::Fd;
use crate::{Ctx, Phase};
use std::collections::{BTreeMap, BTreeSet};

/// The first logical block of each block-map level for block size `bs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Levels {
    /// Block size.
    pub bs: u64,
    /// Block pointers per indirect block.
    pub per: u64,
    /// First single-indirect block (12).
    pub ind: u64,
    /// First double-indirect block.
    pub dind: u64,
    /// First triple-indirect block.
    pub tind: u64,
}

impl Levels {
    /// The levels for block size `bs`.
    pub fn new(bs: u64) -> Levels {
        let per = bs / 4;
        Levels {
            bs,
            per,
            ind: 12,
            dind: 12 + per,
            tind: 12 + per + per * per,
        }
    }

    /// The data blocks written: several per level, at its edges.
    pub fn data_blocks(&self, triple: bool) -> Vec<u64> {
        let mut v = vec![0, 5, 11, self.ind, self.ind + 1, self.dind - 1];
        v.extend([
            self.dind,
            self.dind + 1,
            self.dind + self.per,
            self.tind - 1,
        ]);
        if triple {
            v.extend([self.tind, self.tind + 1, self.tind + self.per * self.per]);
        }
        v
    }

    /// The truncation targets, descending: (name, size).
    pub fn targets(&self, triple: bool) -> Vec<(String, u64)> {
        let bs = self.bs;
        let mut t = Vec::new();
        if triple {
            t.push(("triple+half-block".to_string(), self.tind * bs + bs / 2));
            t.push(("triple boundary".to_string(), self.tind * bs));
        }
        t.push(("2nd indirect of double".into(), (self.dind + self.per) * bs));
        t.push(("double+100".into(), self.dind * bs + 100));
        t.push(("double boundary".into(), self.dind * bs));
        t.push(("single+block-1".into(), self.ind * bs + bs - 1));
        t.push(("single boundary".into(), self.ind * bs));
        t.push(("direct 6 +3".into(), 6 * bs + 3));
        t.push(("zero".into(), 0));
        t
    }
}

/// The contents of block `b` at generation `g`.
fn block_data(bs: u64, b: u64, g: u64) -> Vec<u8> {
    let mut v = vec![0u8; bs as usize];
    Rng::new(b.wrapping_mul(1000).wrapping_add(g)).fill(&mut v);
    v
}

/// The sparse file model: size and the written blocks' bytes.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// File size.
    pub size: u64,
    /// Contents of written blocks (zeros past a truncation point).
    pub blocks: BTreeMap<u64, Vec<u8>>,
    /// Every block ever written (checked to read zeros once gone).
    pub ever: BTreeSet<u64>,
}

impl Model {
    /// Writes whole block `b` at generation `g`.
    pub fn write(&mut self, bs: u64, b: u64, g: u64) {
        self.blocks.insert(b, block_data(bs, b, g));
        self.ever.insert(b);
        self.size = self.size.max((b + 1) * bs);
    }

    /// Truncates to `size`; returns whether whole written blocks went.
    pub fn truncate(&mut self, bs: u64, size: u64) -> bool {
        let keep = size.div_ceil(bs);
        let before = self.blocks.len();
        self.blocks.retain(|&b, _| b < keep);
        if !size.is_multiple_of(bs) {
            if let Some(v) = self.blocks.get_mut(&(size / bs)) {
                v[(size % bs) as usize..].fill(0);
            }
        }
        self.size = size;
        self.blocks.len() < before
    }

    /// The expected bytes of block `b` (cut at EOF).
    pub fn expect(&self, bs: u64, b: u64) -> Vec<u8> {
        let start = b * bs;
        let n = self.size.saturating_sub(start).min(bs) as usize;
        match self.blocks.get(&b) {
            Some(v) => v[..n].to_vec(),
            None => vec![0; n],
        }
    }
}

fn check(fd: &Fd, m: &Model, bs: u64) -> Result<(), String> {
    let size = fd.size()?;
    ensure(size == m.size, || {
        format!("size {size}, expected {}", m.size)
    })?;
    for &b in &m.ever {
        if b * bs >= m.size {
            continue;
        }
        let got = fd.pread(b * bs, bs as usize)?;
        compare(&format!("block {b}"), b * bs, &m.expect(bs, b), &got)?;
    }
    Ok(())
}

fn run(ctx: &Ctx, lv: &Levels, triple: bool, rep: &mut Report) -> Result<(), String> {
    let bs = lv.bs;
    let fd = Fd::create(&ctx.dir.join("levels"))?;
    fd.truncate(0)?;
    let mut m = Model::default();
    for b in lv.data_blocks(triple) {
        m.write(bs, b, 1);
        fd.pwrite(&block_data(bs, b, 1), b * bs)?;
    }
    fd.fsync()?;
    let full = m.size;
    let blocks0 = fd.blocks()?;
    rep.check("write blocks in every level", check(&fd, &m, bs));
    rep.note(&format!("size {full}, st_blocks {blocks0}"));
    let mut prev = blocks0;
    for (name, size) in lv.targets(triple) {
        let r = (|| {
            let gone = m.truncate(bs, size);
            fd.truncate(size)?;
            check(&fd, &m, bs)?;
            let now = fd.blocks()?;
            ensure(now <= prev, || {
                format!("st_blocks grew from {prev} to {now}")
            })?;
            ensure(!gone || now < prev, || {
                format!("st_blocks stayed {now} though blocks went")
            })?;
            ensure(size > 0 || now == 0, || {
                format!("st_blocks {now} at size 0")
            })?;
            prev = now;
            let mut up = m.clone();
            up.size = full;
            fd.truncate(full)?;
            check(&fd, &up, bs).map_err(|e| format!("re-extended to {full}: {e}"))?;
            let after = fd.blocks()?;
            ensure(after == now, || {
                format!("truncate up changed st_blocks {now} -> {after}")
            })?;
            fd.truncate(size)?;
            ensure(fd.blocks()? == now, || {
                "truncate back down changed st_blocks".into()
            })
        })();
        rep.check(&format!("truncate to {size} ({name}) and back up"), r);
    }
    let r = (|| {
        for b in lv.data_blocks(triple) {
            m.write(bs, b, 2);
            fd.pwrite(&block_data(bs, b, 2), b * bs)?;
        }
        fd.fsync()?;
        check(&fd, &m, bs)?;
        let again = fd.blocks()?;
        ensure(again == blocks0, || {
            format!("st_blocks {again} after rewriting, {blocks0} the first time")
        })
    })();
    rep.check("rewrite every level after the frees", r);
    Ok(())
}

/// The final state of a run: every block at generation 2.
fn final_model(lv: &Levels, triple: bool) -> Model {
    let mut m = Model::default();
    for b in lv.data_blocks(triple) {
        m.write(lv.bs, b, 2);
    }
    m
}

/// truncate-levels, run or verify.
pub fn truncate_levels(ctx: &Ctx, rep: &mut Report) {
    let lv = Levels::new(ctx.bs);
    let triple = !ctx.no_triple;
    match ctx.phase {
        Phase::Run => {
            if let Err(e) = run(ctx, &lv, triple, rep) {
                rep.check("setup", Err(e));
            }
        }
        Phase::Verify => {
            let m = final_model(&lv, triple);
            let r = Fd::open(&ctx.dir.join("levels"), libc::O_RDONLY)
                .and_then(|fd| check(&fd, &m, lv.bs));
            rep.check("every level after remount", r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_boundaries() {
        assert_eq!(Levels::new(1024).dind, 268);
        assert_eq!(Levels::new(1024).tind, 12 + 256 + 65536);
        assert_eq!(Levels::new(4096).tind, 12 + 1024 + 1024 * 1024);
    }

    #[test]
    fn blocks_cover_every_level_and_targets_descend() {
        for bs in [1024, 2048, 4096] {
            let lv = Levels::new(bs);
            let b = lv.data_blocks(true);
            assert!(b.iter().any(|&x| x < lv.ind));
            assert!(b.iter().any(|&x| (lv.ind..lv.dind).contains(&x)));
            assert!(b.iter().any(|&x| (lv.dind..lv.tind).contains(&x)));
            assert!(b.iter().any(|&x| x >= lv.tind));
            let t = lv.targets(true);
            assert!(t.windows(2).all(|w| w[0].1 > w[1].1));
            assert_eq!(t.last().map(|x| x.1), Some(0));
        }
    }

    #[test]
    fn model_truncate_zeroes_partial_block_and_reports_frees() {
        let mut m = Model::default();
        m.write(1024, 0, 1);
        m.write(1024, 3, 1);
        assert_eq!(m.size, 4096);
        assert!(!m.truncate(1024, 3 * 1024 + 10));
        assert!(m.expect(1024, 3)[10..].is_empty());
        m.size = 4096;
        assert!(m.expect(1024, 3)[10..].iter().all(|&x| x == 0));
        assert!(m.truncate(1024, 100));
        m.size = 4096;
        assert!(m.expect(1024, 0)[100..].iter().all(|&x| x == 0));
        assert_eq!(m.expect(1024, 3), vec![0; 1024]);
    }
}
