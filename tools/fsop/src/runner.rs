// SPDX-License-Identifier: GPL-2.0
//! The operation loop: choose an operation, run it on the file and on the
//! model, verify, and report the first disagreement with enough context to
//! replay it.

use crate::gen::{self, Limits};
use crate::mix::{OpKind, ALL};
use crate::model::Model;
use crate::options::Options;
use crate::report::{self, Diff, Entry};
use crate::rng::Rng;
use crate::sys::{self, AlignedBuf, Fd, Mapping};
use std::ffi::CString;
use std::fmt::Display;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

/// Why a run failed.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong, with the operation's context.
    pub msg: String,
    /// The data difference, for mismatches.
    pub diff: Option<Diff>,
}

impl Failure {
    fn new(msg: impl Into<String>) -> Failure {
        Failure {
            msg: msg.into(),
            diff: None,
        }
    }
}

/// A system call error with what was being done.
fn io_fail(what: impl Display, e: io::Error) -> Failure {
    Failure::new(format!("{what}: {e}"))
}

type Res<T> = Result<T, Failure>;

/// Chunk size of whole-file verification reads.
const CHUNK: u64 = 1 << 20;

/// What a finished run reports.
#[derive(Debug)]
pub struct Summary {
    /// Operations run (including skipped ones).
    pub ops: u64,
    /// Bytes written by write, mapwrite and dwrite.
    pub bytes_written: u64,
    /// Per-kind counts, in [`ALL`] order.
    pub counts: [u64; 11],
    /// Operations that could not run (empty file, no O_DIRECT, ...).
    pub skipped: u64,
    /// Wall-clock time.
    pub elapsed: Duration,
}

/// The state of one run.
pub struct Runner {
    opts: Options,
    rng: Rng,
    lim: Limits,
    model: Model,
    path: CString,
    fd: Option<Fd>,
    dfd: Option<Fd>,
    direct: bool,
    direct_seen: bool,
    op_no: u64,
    summary: Summary,
}

impl Runner {
    /// A runner for `opts`; nothing is opened yet.
    pub fn new(opts: Options) -> Result<Runner, String> {
        let path = CString::new(opts.file.as_os_str().as_bytes())
            .map_err(|_| "--file contains a NUL byte".to_string())?;
        let page = sys::page_size();
        let lim = Limits {
            page,
            align: opts.block_size,
            maxlen: opts.maxlen,
            max_op_len: opts.max_op_len,
        };
        Ok(Runner {
            rng: Rng::new(opts.seed),
            model: Model::new(page),
            direct: opts.direct,
            direct_seen: false,
            lim,
            path,
            fd: None,
            dfd: None,
            op_no: 0,
            summary: Summary {
                ops: 0,
                bytes_written: 0,
                counts: [0; 11],
                skipped: 0,
                elapsed: Duration::ZERO,
            },
            opts,
        })
    }

    /// Runs all operations; on failure writes the post-mortem files.
    pub fn run(&mut self) -> Result<&Summary, Failure> {
        report::init(self.opts.log_len, self.opts.seed);
        report::install_signal_handlers();
        self.print_header();
        let start = Instant::now();
        if let Err(f) = self.run_ops(start) {
            self.post_mortem(&f);
            return Err(f);
        }
        self.summary.elapsed = start.elapsed();
        Ok(&self.summary)
    }

    fn print_header(&self) {
        let o = &self.opts;
        println!(
            "fsop: seed {}, {} ops on {}, maxlen {}, max op len {}, page {}, direct {} (align {}),{} mix {}",
            o.seed,
            o.ops,
            o.file.display(),
            o.maxlen,
            o.max_op_len,
            self.lim.page,
            if o.direct { "on" } else { "off" },
            o.block_size,
            if o.relaxed_eof { " relaxed-eof," } else { "" },
            o.mix.describe()
        );
    }

    fn run_ops(&mut self, start: Instant) -> Res<()> {
        self.open(true)?;
        for no in 1..=self.opts.ops {
            self.op_no = no;
            let Some(kind) = self.opts.mix.choose(&mut self.rng) else {
                return Err(Failure::new("empty operation mix"));
            };
            self.summary.counts[kind.index()] += 1;
            self.summary.ops = no;
            self.step(kind)?;
            self.check_size()?;
            if self.opts.inject_mismatch == Some(no) {
                self.inject_mismatch()?;
            }
            if no.is_multiple_of(self.opts.check_every) {
                self.check_all()?;
            }
            self.progress(no, start);
        }
        self.check_all()?;
        self.fd = None;
        self.dfd = None;
        Ok(())
    }

    fn progress(&self, no: u64, start: Instant) {
        let every = self.opts.progress;
        if every == 0 || !no.is_multiple_of(every) {
            return;
        }
        let secs = start.elapsed().as_secs_f64().max(1e-9);
        println!(
            "fsop: {} ops, {:.0} ops/s, size 0x{:x}",
            no,
            no as f64 / secs,
            self.model.size()
        );
    }

    fn step(&mut self, kind: OpKind) -> Res<()> {
        match kind {
            OpKind::Read => self.op_read(),
            OpKind::Write => self.op_write(),
            OpKind::MapRead => self.op_mapread(),
            OpKind::MapWrite => self.op_mapwrite(),
            OpKind::MapEof => self.op_mapeof(),
            OpKind::Truncate => self.op_truncate(),
            OpKind::DRead => self.op_dread(),
            OpKind::DWrite => self.op_dwrite(),
            OpKind::Fsync => self.op_fsync(),
            OpKind::Reopen => self.op_reopen(),
            OpKind::Remount => self.op_remount(),
        }
    }

    // ---- logging ----------------------------------------------------------

    fn log(&self, kind: OpKind, off: u64, len: u64, note: &str) {
        let size = self.model.size();
        report::push(Entry {
            no: self.op_no,
            kind,
            off,
            len,
            before: size,
            after: size,
            note: note.to_string(),
        });
    }

    fn done(&self, note: &str) {
        report::finish_last(self.model.size(), note);
        if self.opts.verbose {
            if let Some(e) = report::last() {
                println!("{e}");
            }
        }
    }

    fn skip(&mut self, kind: OpKind, why: &str) {
        self.log(kind, 0, 0, "");
        self.summary.skipped += 1;
        self.done(&format!("skip ({why})"));
    }

    // ---- files ------------------------------------------------------------

    fn fd(&self) -> Res<&Fd> {
        self.fd
            .as_ref()
            .ok_or_else(|| Failure::new("the file is not open"))
    }

    fn open(&mut self, create: bool) -> Res<()> {
        let mut flags = libc::O_RDWR;
        if create {
            flags |= libc::O_CREAT | libc::O_TRUNC;
        }
        let fd = Fd::open(&self.path, flags)
            .map_err(|e| io_fail(format!("open {}", self.opts.file.display()), e))?;
        self.fd = Some(fd);
        if self.direct {
            self.open_direct()?;
        }
        Ok(())
    }

    fn open_direct(&mut self) -> Res<()> {
        match Fd::open(&self.path, libc::O_RDWR | libc::O_DIRECT) {
            Ok(fd) => {
                self.dfd = Some(fd);
                Ok(())
            }
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => self.no_direct("open(O_DIRECT)", e),
            Err(e) => Err(io_fail("open(O_DIRECT)", e)),
        }
    }

    /// The filesystem refused O_DIRECT: skip direct ops from now on, or fail
    /// with `--require-direct`.
    fn no_direct(&mut self, what: &str, e: io::Error) -> Res<()> {
        if self.opts.require_direct || self.direct_seen {
            return Err(io_fail(what, e));
        }
        println!("fsop: notice: {what} failed ({e}); skipping direct I/O operations");
        self.direct = false;
        self.dfd = None;
        Ok(())
    }

    fn close(&mut self) {
        self.dfd = None;
        self.fd = None;
    }

    // ---- verification -----------------------------------------------------

    /// `got` must be what the model says a read of `len` at `off` returns.
    fn expect(&self, what: &str, off: u64, len: u64, got: &[u8]) -> Res<()> {
        let want = self.model.read(off, len);
        if let Some(diff) = report::compare(off, want, got) {
            return Err(Failure {
                msg: format!(
                    "{what}: data mismatch at 0x{:x} ({} bytes differ up to 0x{:x})",
                    diff.first, diff.count, diff.last
                ),
                diff: Some(diff),
            });
        }
        if got.len() != want.len() {
            return Err(Failure::new(format!(
                "{what} at 0x{off:x} len 0x{len:x}: got {} bytes, model has {} (size 0x{:x})",
                got.len(),
                want.len(),
                self.model.size()
            )));
        }
        Ok(())
    }

    /// Reads `start..end` (clamped to the model size) through the buffered
    /// descriptor and compares it with the model.
    fn check_range(&self, what: &str, start: u64, end: u64) -> Res<()> {
        let end = end.min(self.model.size());
        let mut off = start;
        while off < end {
            let len = (end - off).min(CHUNK);
            let mut buf = vec![0u8; len as usize];
            let n = self
                .fd()?
                .pread_full(&mut buf, off)
                .map_err(|e| io_fail(format!("{what}: verify pread 0x{off:x}+0x{len:x}"), e))?;
            self.expect(&format!("{what}: verify"), off, len, &buf[..n])?;
            off += len;
        }
        Ok(())
    }

    fn check_size(&self) -> Res<()> {
        let size = self.fd()?.size().map_err(|e| io_fail("fstat", e))?;
        if size != self.model.size() {
            return Err(Failure::new(format!(
                "st_size is 0x{size:x}, model size 0x{:x}",
                self.model.size()
            )));
        }
        Ok(())
    }

    fn check_all(&self) -> Res<()> {
        self.check_size()?;
        self.check_range("full check", 0, self.model.size())
    }

    /// Self-test: change one byte of the file behind the model's back.
    fn inject_mismatch(&mut self) -> Res<()> {
        let size = self.model.size();
        let off = size / 2;
        let mut b = [0u8; 1];
        if size > 0 {
            self.fd()?
                .pread_full(&mut b, off)
                .map_err(|e| io_fail("inject: pread", e))?;
        }
        b[0] ^= 0x5a;
        self.fd()?
            .pwrite_full(&b, off)
            .map_err(|e| io_fail("inject: pwrite", e))?;
        println!(
            "fsop: injected a mismatch at 0x{off:x} after op {}",
            self.op_no
        );
        self.check_all()
    }

    // ---- operations -------------------------------------------------------

    fn op_read(&mut self) -> Res<()> {
        let (off, len) = gen::read_range(&mut self.rng, &self.lim, self.model.size(), true);
        self.log(OpKind::Read, off, len, "");
        let mut buf = vec![0u8; len as usize];
        let n = self
            .fd()?
            .pread_full(&mut buf, off)
            .map_err(|e| io_fail(format!("read: pread 0x{off:x}+0x{len:x}"), e))?;
        self.done("");
        self.expect("read", off, len, &buf[..n])
    }

    fn op_write(&mut self) -> Res<()> {
        let size = self.model.size();
        let (off, len) = gen::write_range(&mut self.rng, &self.lim, size, false);
        let mut data = vec![0u8; len as usize];
        self.rng.fill(&mut data);
        self.log(OpKind::Write, off, len, "");
        self.relax_before_extend(off + len)?;
        self.fd()?
            .pwrite_full(&data, off)
            .map_err(|e| io_fail(format!("write: pwrite 0x{off:x}+0x{len:x}"), e))?;
        self.model.write(off, &data);
        self.summary.bytes_written += len;
        self.done(if off > size { "hole" } else { "" });
        self.check_range("write", off.min(size), off + len)
    }

    /// With `--relaxed-eof`: before growing the file to `new_end` while a
    /// `mapeof` store may still be dirty beyond EOF, fsync so that writeback
    /// zeroes it (for filesystems that do not discard it on extension).
    fn relax_before_extend(&self, new_end: u64) -> Res<()> {
        if !self.opts.relaxed_eof || !self.model.eof_tail_dirty() || new_end <= self.model.size() {
            return Ok(());
        }
        self.fd()?
            .sync(false)
            .map_err(|e| io_fail("relaxed-eof fsync", e))?;
        report::finish_last(self.model.size(), "relaxed-fsync");
        Ok(())
    }

    /// Maps the pages covering `off..off+len`; returns the mapping and the
    /// position of `off` in it.
    fn map(&self, off: u64, len: u64, write: bool) -> Res<(Mapping, usize)> {
        let pg = off / self.lim.page * self.lim.page;
        let m = Mapping::new(self.fd()?, pg, (off + len - pg) as usize, write)
            .map_err(|e| io_fail(format!("mmap 0x{pg:x}+0x{:x}", off + len - pg), e))?;
        Ok((m, (off - pg) as usize))
    }

    fn op_mapread(&mut self) -> Res<()> {
        let size = self.model.size();
        if size == 0 {
            self.skip(OpKind::MapRead, "empty file");
            return Ok(());
        }
        let (off, len) = gen::read_range(&mut self.rng, &self.lim, size, false);
        self.log(OpKind::MapRead, off, len, "");
        let (m, pos) = self.map(off, len, false)?;
        let mut buf = vec![0u8; len as usize];
        m.read(pos, &mut buf);
        self.done("");
        self.expect("mapread", off, len, &buf)?;
        self.check_eof_tail(&m, off, len)
    }

    /// If the mapping of `off..off+len` covers the EOF page and no store
    /// beyond EOF can linger there, the bytes past EOF must read zero.
    fn check_eof_tail(&self, m: &Mapping, off: u64, len: u64) -> Res<()> {
        let (size, page) = (self.model.size(), self.lim.page);
        if self.model.eof_tail_dirty() || size % page == 0 || (off + len - 1) / page != size / page
        {
            return Ok(());
        }
        let pg = off / page * page;
        let mut tail = vec![0u8; (page - size % page) as usize];
        m.read((size - pg) as usize, &mut tail);
        let zeros = vec![0u8; tail.len()];
        match report::compare(size, &zeros, &tail) {
            None => Ok(()),
            Some(diff) => Err(Failure {
                msg: format!(
                    "mapread: EOF page holds non-zero bytes beyond EOF 0x{size:x} (first at 0x{:x})",
                    diff.first
                ),
                diff: Some(diff),
            }),
        }
    }

    fn op_mapwrite(&mut self) -> Res<()> {
        let size = self.model.size();
        if size == 0 {
            self.skip(OpKind::MapWrite, "empty file");
            return Ok(());
        }
        let (off, len) = gen::write_range(&mut self.rng, &self.lim, size, true);
        let mut data = vec![0u8; len as usize];
        self.rng.fill(&mut data);
        let msync = self.rng.below(3);
        self.log(OpKind::MapWrite, off, len, "");
        let (mut m, pos) = self.map(off, len, true)?;
        m.write(pos, &data);
        let note = self.msync(&m, msync)?;
        drop(m);
        self.model.write(off, &data);
        self.summary.bytes_written += len;
        self.done(note);
        self.check_range("mapwrite", off, off + len)
    }

    /// msync per `choice`: 0 none, 1 MS_ASYNC, 2 MS_SYNC.
    fn msync(&self, m: &Mapping, choice: u64) -> Res<&'static str> {
        if choice == 0 {
            return Ok("");
        }
        m.sync(choice == 2).map_err(|e| io_fail("msync", e))?;
        Ok(if choice == 2 { "msync" } else { "msync-async" })
    }

    fn op_mapeof(&mut self) -> Res<()> {
        let (size, page) = (self.model.size(), self.lim.page);
        if size % page == 0 {
            self.skip(OpKind::MapEof, "EOF on a page boundary");
            return Ok(());
        }
        let pg = size / page * page;
        let start = size - pg + self.rng.below(page - (size - pg));
        let len = self.rng.between(1, page - start);
        let mut data = vec![0u8; len as usize];
        self.rng.fill(&mut data);
        data.iter_mut().for_each(|b| *b |= 1);
        let msync = if self.rng.chance(1, 4) { 2 } else { 0 };
        self.log(OpKind::MapEof, pg + start, len, "");
        let (mut m, _) = self.map(pg, page, true)?;
        m.write(start as usize, &data);
        let note = self.msync(&m, msync)?;
        drop(m);
        self.model.store_beyond_eof();
        self.done(note);
        self.check_range("mapeof", pg, size)
    }

    fn op_truncate(&mut self) -> Res<()> {
        let size = self.model.size();
        let new = gen::truncate_size(&mut self.rng, &self.lim, size);
        self.log(OpKind::Truncate, new, 0, "");
        self.relax_before_extend(new)?;
        self.fd()?
            .truncate(new)
            .map_err(|e| io_fail(format!("truncate: ftruncate 0x{size:x} -> 0x{new:x}"), e))?;
        self.model.truncate(new);
        let dir = match new.cmp(&size) {
            std::cmp::Ordering::Less => "down",
            std::cmp::Ordering::Equal => "same",
            std::cmp::Ordering::Greater => "up",
        };
        self.done(dir);
        let from = new.min(size).saturating_sub(2 * self.lim.page);
        self.check_range("truncate", from, new)
    }

    fn op_dread(&mut self) -> Res<()> {
        let (off, len) = gen::direct_range(&mut self.rng, &self.lim, self.model.size(), false);
        if !self.direct {
            self.skip(OpKind::DRead, "no O_DIRECT");
            return Ok(());
        }
        self.log(OpKind::DRead, off, len, "");
        let mut buf = AlignedBuf::new(len as usize);
        let Some(dfd) = self.dfd.as_ref() else {
            return Err(Failure::new("dread: the O_DIRECT descriptor is not open"));
        };
        let n = match dfd.pread_once(buf.as_mut_slice(), off) {
            Ok(n) => n,
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                self.done("EINVAL");
                return self.no_direct("dread: O_DIRECT pread", e);
            }
            Err(e) => return Err(io_fail(format!("dread: pread 0x{off:x}+0x{len:x}"), e)),
        };
        self.direct_seen = true;
        self.done("");
        self.expect("dread", off, len, &buf.as_slice()[..n])
    }

    fn op_dwrite(&mut self) -> Res<()> {
        let size = self.model.size();
        let (off, len) = gen::direct_range(&mut self.rng, &self.lim, size, true);
        let mut buf = AlignedBuf::new(len as usize);
        self.rng.fill(buf.as_mut_slice());
        if !self.direct {
            self.skip(OpKind::DWrite, "no O_DIRECT");
            return Ok(());
        }
        self.log(OpKind::DWrite, off, len, "");
        self.relax_before_extend(off + len)?;
        let Some(dfd) = self.dfd.as_ref() else {
            return Err(Failure::new("dwrite: the O_DIRECT descriptor is not open"));
        };
        match dfd.pwrite_full(buf.as_slice(), off) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                self.done("EINVAL");
                return self.no_direct("dwrite: O_DIRECT pwrite", e);
            }
            Err(e) => return Err(io_fail(format!("dwrite: pwrite 0x{off:x}+0x{len:x}"), e)),
        }
        self.direct_seen = true;
        self.model.write(off, buf.as_slice());
        self.summary.bytes_written += len;
        self.done(if off > size { "hole" } else { "" });
        self.check_range("dwrite", off.min(size), off + len)
    }

    fn op_fsync(&mut self) -> Res<()> {
        let choice = self.rng.below(4);
        let (data_only, direct_fd) = (choice == 2, choice == 3 && self.dfd.is_some());
        let note = match (data_only, direct_fd) {
            (true, _) => "fdatasync",
            (false, true) => "fsync(O_DIRECT fd)",
            (false, false) => "fsync",
        };
        self.log(OpKind::Fsync, 0, 0, note);
        let fd = if direct_fd {
            self.dfd.as_ref()
        } else {
            self.fd.as_ref()
        };
        let fd = fd.ok_or_else(|| Failure::new("fsync: the file is not open"))?;
        fd.sync(data_only).map_err(|e| io_fail(note, e))?;
        self.done("");
        Ok(())
    }

    fn op_reopen(&mut self) -> Res<()> {
        self.log(OpKind::Reopen, 0, 0, "");
        self.close();
        self.open(false)?;
        self.done("");
        let size = self.model.size();
        self.check_range("reopen", size.saturating_sub(2 * self.lim.page), size)
    }

    fn op_remount(&mut self) -> Res<()> {
        let Some(spec) = self.opts.remount.clone() else {
            self.skip(OpKind::Remount, "no --remount");
            return Ok(());
        };
        self.log(OpKind::Remount, 0, 0, "");
        self.close();
        let cstr = |s: &str| CString::new(s).map_err(|_| Failure::new("--remount: NUL byte"));
        let (dev, mnt) = (cstr(&spec.dev)?, cstr(&spec.mnt)?);
        let (fstype, opts) = (cstr(&spec.fstype)?, cstr(&spec.opts)?);
        umount_retrying(&mnt).map_err(|e| io_fail(format!("remount: umount {}", spec.mnt), e))?;
        sys::mount(&dev, &mnt, &fstype, &opts).map_err(|e| {
            io_fail(
                format!(
                    "remount: mount -t {} -o '{}' {} {}",
                    spec.fstype, spec.opts, spec.dev, spec.mnt
                ),
                e,
            )
        })?;
        self.open(false)?;
        self.done("");
        self.check_all()
    }

    // ---- failure ----------------------------------------------------------

    /// Prints the failure, the log, and writes PATH.fsopgood / PATH.fsopbad.
    fn post_mortem(&mut self, f: &Failure) {
        eprintln!(
            "fsop: FAILED at op {} (seed {}): {}",
            self.op_no, self.opts.seed, f.msg
        );
        if let Some(d) = &f.diff {
            eprint!("{}", d.dump);
        }
        eprint!("{}", report::dump_log());
        self.close();
        let file = self.opts.file.display().to_string();
        let good = format!("{file}.fsopgood");
        let bad = format!("{file}.fsopbad");
        match std::fs::write(&good, self.model.bytes()) {
            Ok(()) => eprintln!("fsop: model written to {good}"),
            Err(e) => eprintln!("fsop: cannot write {good}: {e}"),
        }
        match std::fs::read(&self.opts.file).and_then(|b| std::fs::write(&bad, b)) {
            Ok(()) => eprintln!("fsop: file copied to {bad}"),
            Err(e) => eprintln!("fsop: cannot copy the file to {bad}: {e}"),
        }
        let args: Vec<String> = std::env::args().collect();
        eprintln!("fsop: replay with: {}", args.join(" "));
    }
}

/// umount2, retried briefly while the mount point is busy.
fn umount_retrying(mnt: &CString) -> io::Result<()> {
    let mut tries = 0;
    loop {
        match sys::umount(mnt) {
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) && tries < 10 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

/// Prints the per-kind count table and the closing line.
pub fn print_summary(s: &Summary, seed: u64) {
    println!("fsop: operation counts:");
    for kind in ALL {
        let n = s.counts[kind.index()];
        if n > 0 {
            println!("  {:<9} {:>9}", kind.name(), n);
        }
    }
    println!("  {:<9} {:>9}", "(skipped)", s.skipped);
    let secs = s.elapsed.as_secs_f64().max(1e-9);
    println!(
        "fsop: {:.1} s, {:.0} ops/s",
        s.elapsed.as_secs_f64(),
        s.ops as f64 / secs
    );
    println!(
        "fsop: {} ops, seed {}, {} bytes written, ok",
        s.ops, seed, s.bytes_written
    );
}
