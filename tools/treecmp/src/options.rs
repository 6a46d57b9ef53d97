// SPDX-License-Identifier: GPL-2.0
//! Command-line parsing: the comparison switches and the debug modes.

use std::ffi::OsString;
use std::path::PathBuf;

/// The usage text printed on `--help` and on usage errors.
pub const USAGE: &str = "\
usage: treecmp [options] A B      compare tree B (under test) with A (reference)
       treecmp --map FILE         print FILE's SEEK_DATA/SEEK_HOLE map and fiemap
       treecmp --checksum DIR     print a sorted 'digest  path' list of DIR
       treecmp --mmap-read FILE   compare FILE read through mmap with read()
options:
  --no-holes      do not compare SEEK_DATA/SEEK_HOLE maps and fiemap extents
  --no-atime      do not compare access times
  --no-ctime      do not compare change times
  --no-dir-size   do not compare the sizes of directories
  --no-blocks     do not compare st_blocks
  --no-root-meta  do not compare the metadata of the two roots themselves
  --ignore PATH   skip PATH (relative to the roots) on both sides; repeatable
  --mmap          read B's file contents through mmap instead of read()
  --quiet         print nothing, only set the exit status
exit status: 0 identical, 1 differences, 2 usage or I/O errors";

/// What to compare in tree mode.
#[derive(Clone, Debug)]
pub struct Options {
    /// Compare SEEK_DATA/SEEK_HOLE maps and fiemap extents.
    pub holes: bool,
    /// Compare access times.
    pub atime: bool,
    /// Compare change times.
    pub ctime: bool,
    /// Compare directory sizes.
    pub dir_size: bool,
    /// Compare st_blocks.
    pub blocks: bool,
    /// Compare the metadata of the roots.
    pub root_meta: bool,
    /// Read B's contents through mmap.
    pub mmap: bool,
    /// Print nothing.
    pub quiet: bool,
    /// Paths relative to the roots that are skipped on both sides.
    pub ignore: Vec<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            holes: true,
            atime: true,
            ctime: true,
            dir_size: true,
            blocks: true,
            root_meta: true,
            mmap: false,
            quiet: false,
            ignore: Vec::new(),
        }
    }
}

/// One invocation of the program.
#[derive(Debug)]
pub enum Command {
    /// Compare tree B with reference tree A.
    Compare {
        a: PathBuf,
        b: PathBuf,
        opts: Options,
    },
    /// Print the hole map and fiemap of one file.
    Map(PathBuf),
    /// Print digests of every entry of a tree.
    Checksum(PathBuf),
    /// Compare a file read through mmap with read().
    MmapRead(PathBuf),
    /// Print the usage text.
    Help,
}

/// Applies a boolean switch to `opts`; false if `arg` is not one.
fn apply_switch(opts: &mut Options, arg: &str) -> bool {
    match arg {
        "--no-holes" => opts.holes = false,
        "--no-atime" => opts.atime = false,
        "--no-ctime" => opts.ctime = false,
        "--no-dir-size" => opts.dir_size = false,
        "--no-blocks" => opts.blocks = false,
        "--no-root-meta" => opts.root_meta = false,
        "--mmap" => opts.mmap = true,
        "--quiet" | "-q" => opts.quiet = true,
        _ => return false,
    }
    true
}

/// Parses a single-operand mode (`--map FILE` and friends).
fn single(rest: &[OsString], make: fn(PathBuf) -> Command) -> Result<Command, String> {
    match rest {
        [path] => Ok(make(PathBuf::from(path))),
        _ => Err("expected exactly one operand".into()),
    }
}

/// Parses the arguments after the program name.
pub fn parse(args: &[OsString]) -> Result<Command, String> {
    if let Some(first) = args.first().and_then(|a| a.to_str()) {
        let rest = &args[1..];
        match first {
            "--map" => return single(rest, Command::Map),
            "--checksum" => return single(rest, Command::Checksum),
            "--mmap-read" => return single(rest, Command::MmapRead),
            "--help" | "-h" => return Ok(Command::Help),
            _ => {}
        }
    }
    let mut opts = Options::default();
    let mut operands = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.to_str() {
            Some("--ignore") => {
                let path = iter.next().ok_or("--ignore needs a path")?;
                opts.ignore.push(PathBuf::from(path));
            }
            Some("--") => operands.extend(iter.by_ref().cloned()),
            Some(s) if s.starts_with('-') && s.len() > 1 => {
                if !apply_switch(&mut opts, s) {
                    return Err(format!("unknown option {s}"));
                }
            }
            _ => operands.push(arg.clone()),
        }
    }
    match <[OsString; 2]>::try_from(operands) {
        Ok([a, b]) => Ok(Command::Compare {
            a: a.into(),
            b: b.into(),
            opts,
        }),
        Err(_) => Err("expected two trees A and B".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn parses_compare_with_switches() {
        let cmd = parse(&args(&["--no-holes", "x", "--ignore", "lost+found", "y"])).unwrap();
        match cmd {
            Command::Compare { a, b, opts } => {
                assert_eq!(a, PathBuf::from("x"));
                assert_eq!(b, PathBuf::from("y"));
                assert!(!opts.holes && opts.atime);
                assert_eq!(opts.ignore, vec![PathBuf::from("lost+found")]);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn rejects_bad_usage() {
        assert!(parse(&args(&["only-one"])).is_err());
        assert!(parse(&args(&["--bogus", "a", "b"])).is_err());
        assert!(parse(&args(&["--map"])).is_err());
        assert!(matches!(parse(&args(&["--map", "f"])), Ok(Command::Map(_))));
    }
}
