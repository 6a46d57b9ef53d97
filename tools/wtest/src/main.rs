// SPDX-License-Identifier: GPL-2.0
//! wtest: directed write-path scenarios for ext2rs.
//!
//! `wtest SCENARIO PHASE DIR [options]` works in `DIR/SCENARIO/`:
//! `run` creates that directory, performs the scenario and checks each
//! step; `verify` (after an unmount, `e2fsck` and a remount, typically with
//! the in-kernel ext2 read-only) checks that what `run` left there is on
//! disk, recomputing the expected state from the same options. Every case
//! prints `ok - SCENARIO/CASE` or `not ok - SCENARIO/CASE: WHY`; lines
//! starting with `#` are diagnostics. The scenarios are described in their
//! modules: [`extend`] (mmap-extend, mmap-eof-gap), [`holes`], [`fill`],
//! [`dio`], [`levels`] (truncate-levels) and [`storm`].

mod dio;
mod extend;
mod fill;
mod holes;
mod levels;
mod report;
// The seeded generator is fsop's: the same sequences from the same seeds.
#[path = "../../fsop/src/rng.rs"]
mod rng;
mod storm;
mod sys;

use report::Report;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: wtest SCENARIO run|verify DIR [options]
scenarios (each works in DIR/SCENARIO/):
  mmap-extend      mapped stores on a page whose file grows (ftruncate/pwrite)
  mmap-eof-gap     mapped stores beyond EOF, then growth: the gap reads zero
  mmap-holes       mapped stores into the holes of an 8 MiB sparse file
  fill             write() to ENOSPC, SIGBUS on mapped stores into holes,
                   delete; needs a filesystem of its own (fills all of it)
  dio              O_DIRECT writes/reads mixed with buffered and mapped I/O
  truncate-levels  truncation across the direct/indirect/double/triple levels
  storm            rename/link/unlink/rmdir/symlink/mkfifo storm vs. a model
options:
  --seed N         seed of the random scenarios (default 1)
  --ops N          steps: dio (600), storm (3000), mmap-holes stores (200)
  --bs N           filesystem block size (default: statvfs f_bsize)
  --no-triple      truncate-levels: skip the triple indirect range
exit status: 0 every case ok, 1 a case failed, 2 usage or setup error";

/// Run or verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Perform the scenario and check each step.
    Run,
    /// Check the result of an earlier run (after a remount).
    Verify,
}

/// What a scenario needs to know.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The scenario's own directory.
    pub dir: PathBuf,
    /// Run or verify.
    pub phase: Phase,
    /// Seed of the random parts.
    pub seed: u64,
    /// Step count override.
    pub ops: Option<u64>,
    /// Filesystem block size.
    pub bs: u64,
    /// Page size.
    pub page: u64,
    /// truncate-levels: no triple indirect blocks.
    pub no_triple: bool,
}

type Scenario = fn(&Ctx, &mut Report);

/// The scenario called `name`.
fn scenario(name: &str) -> Option<Scenario> {
    Some(match name {
        "mmap-extend" => extend::mmap_extend,
        "mmap-eof-gap" => extend::mmap_eof_gap,
        "mmap-holes" => holes::mmap_holes,
        "fill" => fill::fill,
        "dio" => dio::dio,
        "truncate-levels" => levels::truncate_levels,
        "storm" => storm::storm,
        _ => return None,
    })
}

/// Parsed command line.
#[derive(Debug, PartialEq, Eq)]
struct Args {
    scenario: String,
    phase: Phase,
    dir: PathBuf,
    seed: u64,
    ops: Option<u64>,
    bs: Option<u64>,
    no_triple: bool,
}

fn parse(args: &[String]) -> Result<Option<Args>, String> {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        return Ok(None);
    }
    let mut pos = Vec::new();
    let (mut seed, mut ops, mut bs, mut no_triple) = (1, None, None, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut num = |what: &str| -> Result<u64, String> {
            let v = it.next().ok_or(format!("{what} needs a value"))?;
            v.parse()
                .map_err(|_| format!("{what}: '{v}' is not a number"))
        };
        match a.as_str() {
            "--seed" => seed = num("--seed")?,
            "--ops" => ops = Some(num("--ops")?),
            "--bs" => bs = Some(num("--bs")?),
            "--no-triple" => no_triple = true,
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => pos.push(a.clone()),
        }
    }
    let [scenario, phase, dir] = <[String; 3]>::try_from(pos)
        .map_err(|p| format!("expected SCENARIO PHASE DIR, got {} arguments", p.len()))?;
    if self::scenario(&scenario).is_none() {
        return Err(format!("unknown scenario '{scenario}'"));
    }
    let phase = match phase.as_str() {
        "run" => Phase::Run,
        "verify" => Phase::Verify,
        p => return Err(format!("phase must be run or verify, not '{p}'")),
    };
    if let Some(b) = bs {
        if !b.is_power_of_two() || !(512..=65536).contains(&b) {
            return Err(format!("--bs {b}: not a block size"));
        }
    }
    Ok(Some(Args {
        scenario,
        phase,
        dir: dir.into(),
        seed,
        ops,
        bs,
        no_triple,
    }))
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&argv) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("wtest: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let bs = match args.bs {
        Some(b) => b,
        None => match sys::statvfs(&args.dir) {
            Ok((b, _, _)) => b,
            Err(e) => {
                eprintln!("wtest: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let dir = args.dir.join(&args.scenario);
    if args.phase == Phase::Run {
        if let Err(e) = std::fs::create_dir(&dir) {
            eprintln!(
                "wtest: mkdir {}: {e} (run needs a fresh directory)",
                dir.display()
            );
            return ExitCode::from(2);
        }
    } else if !dir.is_dir() {
        eprintln!("wtest: {} does not exist: nothing to verify", dir.display());
        return ExitCode::from(2);
    }
    let ctx = Ctx {
        dir,
        phase: args.phase,
        seed: args.seed,
        ops: args.ops,
        bs,
        page: sys::page_size(),
        no_triple: args.no_triple,
    };
    let mut rep = Report::new(&args.scenario);
    let run = scenario(&args.scenario).expect("checked by parse");
    println!(
        "# wtest {} {:?} in {}: block size {}, page {}, seed {}",
        args.scenario,
        args.phase,
        ctx.dir.display(),
        ctx.bs,
        ctx.page,
        ctx.seed
    );
    run(&ctx, &mut rep);
    if rep.passed + rep.failed == 0 {
        println!("not ok - {}: no case ran", args.scenario);
        return ExitCode::from(1);
    }
    if rep.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn parses_a_full_command_line() {
        let a = parse(&v(
            "storm verify /mnt --seed 5 --ops 10 --bs 1024 --no-triple",
        ))
        .unwrap()
        .unwrap();
        assert_eq!(a.scenario, "storm");
        assert_eq!(a.phase, Phase::Verify);
        assert_eq!(a.dir, PathBuf::from("/mnt"));
        assert_eq!(
            (a.seed, a.ops, a.bs, a.no_triple),
            (5, Some(10), Some(1024), true)
        );
    }

    #[test]
    fn rejects_bad_command_lines() {
        for bad in [
            "storm run",
            "nosuch run /mnt",
            "dio walk /mnt",
            "dio run /mnt --seed x",
            "dio run /mnt --bs 1000",
            "dio run /mnt --what",
            "dio run /mnt --ops",
        ] {
            assert!(parse(&v(bad)).is_err(), "{bad}");
        }
        assert_eq!(parse(&v("--help")), Ok(None));
    }

    #[test]
    fn every_listed_scenario_exists() {
        for name in [
            "mmap-extend",
            "mmap-eof-gap",
            "mmap-holes",
            "fill",
            "dio",
            "truncate-levels",
            "storm",
        ] {
            assert!(scenario(name).is_some(), "{name}");
            assert!(USAGE.contains(name));
        }
    }
}
