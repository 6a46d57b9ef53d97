// SPDX-License-Identifier: GPL-2.0
//! Command-line parsing.

use crate::mix::{Mix, OpKind, DEFAULT_REMOUNT_WEIGHT};
use std::path::PathBuf;

/// The usage text printed on `--help` and on usage errors.
pub const USAGE: &str = "\
usage: fsop --file PATH [options]
  --seed N            PRNG seed (default: from the clock; always printed)
  --ops N             number of operations (default 10000)
  --file PATH         file under test (created, truncated to 0)
  --maxlen BYTES      maximum file size (default 1048576)
  --max-op-len BYTES  maximum length of one read/write (default 65536)
  --block-size BS     O_DIRECT offset/length alignment (default 512, the
                      device's logical block size)
  --ops-mix SPEC      weights, e.g. read=10,write=20,mapread=10,mapwrite=10,
                      mapeof=2,truncate=5,dread=5,dwrite=5,fsync=2,reopen=1,
                      remount=0 (the default; unnamed ops keep it; decimals ok)
  --no-direct         no O_DIRECT operations
  --require-direct    fail (instead of skipping direct ops) without O_DIRECT
  --no-mmap           no mapped operations
  --relaxed-eof       fsync before growing the file while a mapeof store may
                      still be dirty beyond EOF (for filesystems that do not
                      zero it on extension: ext2; ext4 and tmpfs in places)
  --remount DEV:MNT:FSTYPE:OPTS
                      enable remount ops (umount MNT, mount DEV there again;
                      weight 0.05 unless --ops-mix names remount)
  --check-every K     verify the whole file every K ops (default 100)
  --log N             operations shown on failure (default 64)
  --progress N        progress line every N ops (default 10000, 0 = none)
  --verbose           print every operation
  --inject-mismatch N self-test: corrupt one file byte behind the model's
                      back after op N (the run must then fail)
exit status: 0 ok, 1 mismatch or I/O error, 2 usage error";

/// Where and how to remount the filesystem under test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemountSpec {
    /// The block device.
    pub dev: String,
    /// The mount point.
    pub mnt: String,
    /// The filesystem type for mount(2).
    pub fstype: String,
    /// The mount data string (may be empty).
    pub opts: String,
}

impl RemountSpec {
    /// Parses `DEV:MNT:FSTYPE:OPTS` (OPTS may be empty or contain colons).
    pub fn parse(s: &str) -> Result<RemountSpec, String> {
        let mut parts = s.splitn(4, ':');
        let mut next = |what: &str| {
            parts
                .next()
                .map(str::to_string)
                .ok_or_else(|| format!("--remount: missing {what} in '{s}' (DEV:MNT:FSTYPE:OPTS)"))
        };
        let spec = RemountSpec {
            dev: next("DEV")?,
            mnt: next("MNT")?,
            fstype: next("FSTYPE")?,
            opts: next("OPTS").unwrap_or_default(),
        };
        if spec.dev.is_empty() || spec.mnt.is_empty() || spec.fstype.is_empty() {
            return Err(format!(
                "--remount: empty field in '{s}' (DEV:MNT:FSTYPE:OPTS)"
            ));
        }
        Ok(spec)
    }
}

/// Everything the command line sets.
#[derive(Clone, Debug)]
pub struct Options {
    /// PRNG seed.
    pub seed: u64,
    /// Number of operations.
    pub ops: u64,
    /// The file under test.
    pub file: PathBuf,
    /// Maximum file size.
    pub maxlen: u64,
    /// Maximum length of one read or write.
    pub max_op_len: u64,
    /// O_DIRECT alignment.
    pub block_size: u64,
    /// Operation weights (direct/mmap/remount already disabled as asked).
    pub mix: Mix,
    /// Direct I/O wanted.
    pub direct: bool,
    /// Missing O_DIRECT support is a failure.
    pub require_direct: bool,
    /// fsync before extending while a store beyond EOF may be dirty.
    pub relaxed_eof: bool,
    /// Remount target.
    pub remount: Option<RemountSpec>,
    /// Full verification period.
    pub check_every: u64,
    /// Operations kept for the failure log.
    pub log_len: usize,
    /// Progress period (0: none).
    pub progress: u64,
    /// Print every operation.
    pub verbose: bool,
    /// Self-test: corrupt the file after this op.
    pub inject_mismatch: Option<u64>,
}

/// What `main` should do.
#[derive(Debug)]
pub enum Command {
    /// Run the test.
    Run(Box<Options>),
    /// Print the usage.
    Help,
}

fn number(flag: &str, value: Option<String>) -> Result<u64, String> {
    let v = value.ok_or_else(|| format!("{flag} needs a value"))?;
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    parsed.map_err(|_| format!("{flag}: '{v}' is not a number"))
}

fn clock_seed() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    (now ^ u64::from(std::process::id())) % 1_000_000_007
}

/// Parses the arguments (without the program name).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter();
    let mut o = Options {
        seed: clock_seed(),
        ops: 10_000,
        file: PathBuf::new(),
        maxlen: 1 << 20,
        max_op_len: 1 << 16,
        block_size: 512,
        mix: Mix::default(),
        direct: true,
        require_direct: false,
        relaxed_eof: false,
        remount: None,
        check_every: 100,
        log_len: 64,
        progress: 10_000,
        verbose: false,
        inject_mismatch: None,
    };
    let mut mmap = true;
    let mut file = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--seed" => o.seed = number(&arg, args.next())?,
            "--ops" => o.ops = number(&arg, args.next())?,
            "--file" => file = Some(args.next().ok_or("--file needs a value")?),
            "--maxlen" => o.maxlen = number(&arg, args.next())?,
            "--max-op-len" => o.max_op_len = number(&arg, args.next())?,
            "--block-size" => o.block_size = number(&arg, args.next())?,
            "--ops-mix" => o.mix = Mix::parse(&args.next().ok_or("--ops-mix needs a value")?)?,
            "--no-direct" => o.direct = false,
            "--require-direct" => o.require_direct = true,
            "--no-mmap" => mmap = false,
            "--relaxed-eof" => o.relaxed_eof = true,
            "--remount" => {
                let spec = args.next().ok_or("--remount needs a value")?;
                o.remount = Some(RemountSpec::parse(&spec)?);
            }
            "--check-every" => o.check_every = number(&arg, args.next())?,
            "--log" => o.log_len = number(&arg, args.next())? as usize,
            "--progress" => o.progress = number(&arg, args.next())?,
            "--verbose" | "-v" => o.verbose = true,
            "--inject-mismatch" => o.inject_mismatch = Some(number(&arg, args.next())?),
            _ => return Err(format!("unknown argument '{arg}'")),
        }
    }
    o.file = PathBuf::from(file.ok_or("--file PATH is required")?);
    validate(&mut o, mmap)?;
    Ok(Command::Run(Box::new(o)))
}

/// Checks the values and applies the switches that turn ops off or on.
fn validate(o: &mut Options, mmap: bool) -> Result<(), String> {
    if !o.block_size.is_power_of_two() || o.block_size < 512 {
        return Err(format!(
            "--block-size {} is not a power of two >= 512",
            o.block_size
        ));
    }
    if o.maxlen < o.block_size || o.maxlen > (1 << 32) {
        return Err(format!("--maxlen {} out of range", o.maxlen));
    }
    if o.max_op_len == 0 {
        return Err("--max-op-len must be > 0".into());
    }
    if o.require_direct && !o.direct {
        return Err("--require-direct contradicts --no-direct".into());
    }
    o.check_every = o.check_every.max(1);
    o.log_len = o.log_len.max(1);
    if !o.direct {
        o.mix.disable(OpKind::DRead);
        o.mix.disable(OpKind::DWrite);
    }
    if !mmap {
        o.mix.disable(OpKind::MapRead);
        o.mix.disable(OpKind::MapWrite);
        o.mix.disable(OpKind::MapEof);
    }
    match o.remount {
        None => o.mix.disable(OpKind::Remount),
        Some(_) if !o.mix.is_named(OpKind::Remount) => {
            o.mix.set(OpKind::Remount, DEFAULT_REMOUNT_WEIGHT)
        }
        Some(_) => {}
    }
    if o.mix.total() == 0 {
        return Err("--ops-mix leaves no operation to run".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{parse, Command, RemountSpec};
    use crate::mix::OpKind;

    fn run(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn remount_spec() {
        let s = RemountSpec::parse("/dev/vda:/mnt:ext2:").expect("valid");
        assert_eq!(s.dev, "/dev/vda");
        assert_eq!(s.mnt, "/mnt");
        assert_eq!(s.fstype, "ext2");
        assert_eq!(s.opts, "");
        let s = RemountSpec::parse("/dev/vda:/mnt:ext4:data=journal,a:b").expect("valid");
        assert_eq!(s.opts, "data=journal,a:b");
        assert!(RemountSpec::parse("/dev/vda:/mnt").is_err());
        assert!(RemountSpec::parse("::ext2:").is_err());
    }

    #[test]
    fn switches_disable_ops() {
        let Ok(Command::Run(o)) = run(&["--file", "f", "--no-direct", "--no-mmap"]) else {
            panic!("expected a run");
        };
        for k in [
            OpKind::DRead,
            OpKind::DWrite,
            OpKind::MapRead,
            OpKind::MapWrite,
            OpKind::MapEof,
            OpKind::Remount,
        ] {
            assert_eq!(o.mix.weight(k), 0, "{}", k.name());
        }
        assert!(o.mix.weight(OpKind::Write) > 0);
    }

    #[test]
    fn remount_enables_remount_op() {
        let Ok(Command::Run(o)) = run(&["--file", "f", "--remount", "d:m:ext2:"]) else {
            panic!("expected a run");
        };
        assert_eq!(o.mix.weight(OpKind::Remount), 50);
    }

    #[test]
    fn usage_errors() {
        assert!(run(&[]).is_err());
        assert!(run(&["--file", "f", "--seed"]).is_err());
        assert!(run(&["--file", "f", "--seed", "x"]).is_err());
        assert!(run(&["--file", "f", "--block-size", "1000"]).is_err());
        assert!(run(&["--file", "f", "--bogus"]).is_err());
        assert!(matches!(run(&["--help"]), Ok(Command::Help)));
    }
}
