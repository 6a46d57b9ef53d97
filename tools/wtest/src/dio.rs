// SPDX-License-Identifier: GPL-2.0
//! `dio`: O_DIRECT writes and reads (4096-aligned buffers, offsets and
//! lengths multiples of 512 or of 4096) into allocated ranges, into holes
//! inside i_size and past EOF, interleaved with buffered writes and reads
//! and mapped reads of the same file, checked against a byte model after
//! every step:
//!
//! - after a direct or buffered write or a truncate: the size, and the
//!   written range with a sector either side through read();
//! - a direct read returns, in one call, exactly the bytes up to EOF;
//! - a mapped read of the whole file matches, and the bytes from EOF to
//!   the end of its page read zero (no stale data exposed);
//! - every 20 steps and at the end the whole file through read().
//!
//! A fixed prologue covers each class once (allocated, hole inside i_size,
//! past EOF, across EOF); then seeded random steps. The plan depends only on
//! the seed, so `verify` replays the model and checks the file after a
//! remount.

use crate::report::{compare, ensure, Report};
use crate::rng::Rng;
use crate::sys::{self, AlignedBuf, Fd, Mapping};
use crate::{Ctx, Phase};

/// The file never grows beyond this.
pub const MAXLEN: u64 = 1 << 20;
const SECTOR: u64 = 512;

/// One step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// O_DIRECT pwrite of `len` bytes generated from `seed` at `off`.
    DWrite {
        /// Offset.
        off: u64,
        /// Length.
        len: u64,
        /// Data seed.
        seed: u64,
    },
    /// O_DIRECT pread.
    DRead {
        /// Offset.
        off: u64,
        /// Length.
        len: u64,
    },
    /// Buffered pwrite.
    BWrite {
        /// Offset.
        off: u64,
        /// Length.
        len: u64,
        /// Data seed.
        seed: u64,
    },
    /// Buffered pread.
    BRead {
        /// Offset.
        off: u64,
        /// Length.
        len: u64,
    },
    /// Mapped read of the whole file.
    MRead,
    /// ftruncate.
    Truncate(u64),
    /// fsync.
    Fsync,
}

/// The bytes a write step writes.
pub fn data(len: u64, seed: u64) -> Vec<u8> {
    let mut v = vec![0u8; len as usize];
    Rng::new(seed).fill(&mut v);
    v
}

/// The prologue: one of each class, on a file that starts empty.
fn prologue() -> Vec<Op> {
    vec![
        Op::BWrite {
            off: 0,
            len: 65536,
            seed: 1,
        },
        Op::Fsync,
        Op::DWrite {
            off: 8192,
            len: 4096,
            seed: 2,
        }, // allocated
        Op::DRead {
            off: 4096,
            len: 16384,
        },
        Op::Truncate(256 << 10),
        Op::DWrite {
            off: 100 << 10,
            len: 512,
            seed: 3,
        }, // hole, sub-block
        Op::DWrite {
            off: 160 << 10,
            len: 8192,
            seed: 4,
        }, // hole, whole blocks
        Op::BRead {
            off: 99 << 10,
            len: 3000,
        },
        Op::MRead,
        Op::DWrite {
            off: 300 << 10,
            len: 4096,
            seed: 5,
        }, // past EOF, leaves a hole
        Op::DRead {
            off: 296 << 10,
            len: 12288,
        },
        Op::BWrite {
            off: 304 << 10,
            len: 777,
            seed: 6,
        }, // unaligned EOF
        Op::DWrite {
            off: 304 << 10,
            len: 2048,
            seed: 7,
        }, // across that EOF
        Op::MRead,
        Op::DRead {
            off: 0,
            len: 320 << 10,
        },
    ]
}

/// A seeded random step for a file of `size` bytes.
fn random_op(rng: &mut Rng, size: u64) -> Op {
    let sectors = |rng: &mut Rng| rng.between(1, 32) * SECTOR;
    let place = |rng: &mut Rng, len: u64| -> u64 {
        let off = match rng.below(3) {
            0 if size > 0 => rng.below(size),
            1 => (size / SECTOR).saturating_sub(rng.below(4)) * SECTOR + rng.below(3) * SECTOR,
            _ => rng.below(MAXLEN),
        };
        (off / SECTOR * SECTOR).min(MAXLEN - len)
    };
    match rng.below(20) {
        0..=5 => {
            let (len, off) = if rng.chance(1, 3) {
                let len = rng.between(1, 8) * 4096;
                (len, place(rng, len) / 4096 * 4096)
            } else {
                let len = sectors(rng);
                (len, place(rng, len))
            };
            Op::DWrite {
                off,
                len,
                seed: rng.next_u64(),
            }
        }
        6..=9 => {
            let len = sectors(rng);
            Op::DRead {
                off: place(rng, len),
                len,
            }
        }
        10..=11 => {
            let len = rng.between(1, 5000);
            let off = rng.below(MAXLEN - len);
            Op::BWrite {
                off,
                len,
                seed: rng.next_u64(),
            }
        }
        12..=14 => {
            let len = rng.between(1, 9000);
            Op::BRead {
                off: rng.below(size.max(1) + 4096),
                len,
            }
        }
        15..=16 => Op::MRead,
        17..=18 => Op::Truncate(match rng.below(3) {
            0 => rng.below(size + 1),
            1 => rng.below(MAXLEN),
            _ => (size + rng.between(1, 70_000)).min(MAXLEN),
        }),
        _ => Op::Fsync,
    }
}

/// The whole plan for `seed`: prologue, then `count` random steps.
pub fn plan(seed: u64, count: u64) -> Vec<Op> {
    let mut ops = prologue();
    let mut model = Vec::new();
    for op in &ops {
        apply(&mut model, op);
    }
    let mut rng = Rng::new(seed);
    for _ in 0..count {
        let op = random_op(&mut rng, model.len() as u64);
        apply(&mut model, &op);
        ops.push(op);
    }
    ops
}

/// Applies a step to the model.
pub fn apply(model: &mut Vec<u8>, op: &Op) {
    match *op {
        Op::DWrite { off, len, seed } | Op::BWrite { off, len, seed } => {
            let end = (off + len) as usize;
            if model.len() < end {
                model.resize(end, 0);
            }
            model[off as usize..end].copy_from_slice(&data(len, seed));
        }
        Op::Truncate(n) => model.resize(n as usize, 0),
        Op::DRead { .. } | Op::BRead { .. } | Op::MRead | Op::Fsync => {}
    }
}

/// The model's bytes in `off..off+len`, cut at EOF.
fn slice(model: &[u8], off: u64, len: u64) -> &[u8] {
    let lo = (off as usize).min(model.len());
    let hi = ((off + len) as usize).min(model.len());
    &model[lo..hi]
}

struct Files {
    fd: Fd,
    dfd: Fd,
}

/// Checks `off..off+len` widened by a sector each side through read().
fn check_range(f: &Files, model: &[u8], off: u64, len: u64) -> Result<(), String> {
    let size = f.fd.size()?;
    ensure(size == model.len() as u64, || {
        format!("size {size}, expected {}", model.len())
    })?;
    let lo = off.saturating_sub(SECTOR);
    let n = len + 2 * SECTOR;
    compare(
        "read()",
        lo,
        slice(model, lo, n),
        &f.fd.pread(lo, n as usize)?,
    )
}

fn step(f: &Files, model: &mut Vec<u8>, op: &Op, page: u64) -> Result<(), String> {
    apply(model, op);
    match *op {
        Op::DWrite { off, len, seed } => {
            let mut buf = AlignedBuf::new(len as usize);
            buf.as_mut_slice().copy_from_slice(&data(len, seed));
            match f.dfd.pwrite_once(buf.as_slice(), off) {
                Ok(n) if n as u64 == len => {}
                Ok(n) => return Err(format!("O_DIRECT write: {n} of {len} bytes")),
                Err(e) => return Err(format!("O_DIRECT write: {}", sys::errno_name(e))),
            }
            check_range(f, model, off, len)
        }
        Op::BWrite { off, len, seed } => {
            f.fd.pwrite(&data(len, seed), off)?;
            check_range(f, model, off, len)
        }
        Op::Truncate(n) => {
            f.fd.truncate(n)?;
            check_range(f, model, n.saturating_sub(2 * page), 4 * page)
        }
        Op::DRead { off, len } => {
            let mut buf = AlignedBuf::new(len as usize);
            let n = f.dfd.pread_once(buf.as_mut_slice(), off)?;
            compare(
                "O_DIRECT read",
                off,
                slice(model, off, len),
                &buf.as_slice()[..n],
            )
        }
        Op::BRead { off, len } => compare(
            "read()",
            off,
            slice(model, off, len),
            &f.fd.pread(off, len as usize)?,
        ),
        Op::MRead => {
            if model.is_empty() {
                return Ok(());
            }
            let map = Mapping::new(&f.fd, model.len(), false)?;
            compare("mapped read", 0, model, &map.load(0, model.len()))?;
            let tail = (page - model.len() as u64 % page) % page;
            compare(
                "mapped bytes past EOF in its page",
                model.len() as u64,
                &vec![0u8; tail as usize],
                &map.load(model.len(), tail as usize),
            )
        }
        Op::Fsync => f.fd.fsync().and_then(|()| f.dfd.fsync()),
    }
}

fn check_all(fd: &Fd, model: &[u8]) -> Result<(), String> {
    let size = fd.size()?;
    ensure(size == model.len() as u64, || {
        format!("size {size}, expected {}", model.len())
    })?;
    compare("whole file", 0, model, &fd.pread(0, model.len() + 1)?)
}

fn run(ctx: &Ctx, ops: &[Op]) -> Result<(), String> {
    let path = ctx.dir.join("dio");
    let fd = Fd::create(&path)?;
    fd.truncate(0)?;
    let dfd = Fd::open(&path, libc::O_RDWR | libc::O_DIRECT)?;
    let f = Files { fd, dfd };
    let mut model = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        step(&f, &mut model, op, ctx.page)
            .and_then(|()| {
                if i % 20 == 19 {
                    check_all(&f.fd, &model)
                } else {
                    Ok(())
                }
            })
            .map_err(|e| format!("step {i} {op:?} (seed {}): {e}", ctx.seed))?;
    }
    f.fd.fsync()?;
    check_all(&f.fd, &model)
}

/// dio, run or verify.
pub fn dio(ctx: &Ctx, rep: &mut Report) {
    let ops = plan(ctx.seed, ctx.ops.unwrap_or(600));
    let mut model = Vec::new();
    for op in &ops {
        apply(&mut model, op);
    }
    let name = format!("{} steps, seed {}", ops.len(), ctx.seed);
    let r = match ctx.phase {
        Phase::Run => run(ctx, &ops),
        Phase::Verify => {
            Fd::open(&ctx.dir.join("dio"), libc::O_RDONLY).and_then(|fd| check_all(&fd, &model))
        }
    };
    rep.check(&name, r);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_is_deterministic_aligned_and_bounded() {
        let a = plan(3, 2000);
        assert_eq!(a, plan(3, 2000));
        assert_ne!(a, plan(4, 2000));
        let mut model = Vec::new();
        let (mut dw_hole_or_past, mut dw_inside) = (0, 0);
        for op in &a {
            if let Op::DWrite { off, len, .. } | Op::DRead { off, len } = *op {
                assert_eq!(off % SECTOR, 0, "{op:?}");
                assert_eq!(len % SECTOR, 0, "{op:?}");
                assert!(off + len <= MAXLEN, "{op:?}");
            }
            if let Op::DWrite { off, len, .. } = *op {
                if off + len <= model.len() as u64 {
                    dw_inside += 1;
                } else {
                    dw_hole_or_past += 1;
                }
            }
            apply(&mut model, op);
            assert!(model.len() as u64 <= MAXLEN);
        }
        assert!(
            dw_inside > 50 && dw_hole_or_past > 50,
            "{dw_inside} {dw_hole_or_past}"
        );
    }

    #[test]
    fn apply_extends_with_zeros_and_truncates() {
        let mut m = Vec::new();
        apply(
            &mut m,
            &Op::DWrite {
                off: 1024,
                len: 512,
                seed: 1,
            },
        );
        assert_eq!(m.len(), 1536);
        assert!(m[..1024].iter().all(|&b| b == 0));
        assert_eq!(m[1024..], data(512, 1)[..]);
        apply(&mut m, &Op::Truncate(100));
        apply(&mut m, &Op::Truncate(2000));
        assert!(m[100..].iter().all(|&b| b == 0));
        assert_eq!(slice(&m, 1990, 100).len(), 10);
        assert_eq!(slice(&m, 3000, 100).len(), 0);
    }
}
