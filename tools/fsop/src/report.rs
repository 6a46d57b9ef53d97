// SPDX-License-Identifier: GPL-2.0
//! Failure reporting: the log of the last operations, the comparison with a
//! hex dump of the first difference, and a best-effort report when a mapped
//! access kills the process with SIGBUS or SIGSEGV.

use crate::mix::OpKind;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// One logged operation.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Operation number (1-based).
    pub no: u64,
    /// What it was.
    pub kind: OpKind,
    /// Offset (or new size for truncate).
    pub off: u64,
    /// Length.
    pub len: u64,
    /// File size before.
    pub before: u64,
    /// File size after (the model's).
    pub after: u64,
    /// Variant details: "msync", "fdatasync", "skip", ...
    pub note: String,
}

impl std::fmt::Display for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>8} {:<8} 0x{:06x} len 0x{:05x} size 0x{:06x} -> 0x{:06x} {}",
            self.no,
            self.kind.name(),
            self.off,
            self.len,
            self.before,
            self.after,
            self.note
        )
    }
}

/// The last operations, shared with the fatal-signal handler.
struct OpLog {
    entries: VecDeque<Entry>,
    cap: usize,
}

static LOG: Mutex<OpLog> = Mutex::new(OpLog {
    entries: VecDeque::new(),
    cap: 64,
});
static SEED: AtomicU64 = AtomicU64::new(0);
static CURRENT_OP: AtomicU64 = AtomicU64::new(0);

/// Sets the log capacity and the seed printed by the signal handler.
pub fn init(cap: usize, seed: u64) {
    SEED.store(seed, Ordering::Relaxed);
    if let Ok(mut log) = LOG.lock() {
        log.cap = cap;
        log.entries.clear();
    }
}

/// Appends `entry`, dropping the oldest beyond the capacity.
pub fn push(entry: Entry) {
    CURRENT_OP.store(entry.no, Ordering::Relaxed);
    if let Ok(mut log) = LOG.lock() {
        if log.entries.len() == log.cap {
            log.entries.pop_front();
        }
        log.entries.push_back(entry);
    }
}

/// Updates the newest entry once the operation is done.
pub fn finish_last(after: u64, note: &str) {
    if let Ok(mut log) = LOG.lock() {
        if let Some(e) = log.entries.back_mut() {
            e.after = after;
            if !note.is_empty() {
                if !e.note.is_empty() {
                    e.note.push(' ');
                }
                e.note.push_str(note);
            }
        }
    }
}

/// A copy of the newest entry.
pub fn last() -> Option<Entry> {
    LOG.lock().ok().and_then(|log| log.entries.back().cloned())
}

fn format_log(log: &OpLog) -> String {
    let mut s = format!("fsop: last {} operations:\n", log.entries.len());
    s.push_str("      op kind     offset   length       size before -> after\n");
    for e in &log.entries {
        let _ = writeln!(s, "{e}");
    }
    s
}

/// The log as printed on failure.
pub fn dump_log() -> String {
    match LOG.lock() {
        Ok(log) => format_log(&log),
        Err(_) => "fsop: operation log unavailable\n".into(),
    }
}

/// Where two buffers first differ, with a hex dump around it.
#[derive(Debug, PartialEq, Eq)]
pub struct Diff {
    /// File offset of the first differing byte.
    pub first: u64,
    /// File offset of the last differing byte.
    pub last: u64,
    /// Number of differing bytes.
    pub count: u64,
    /// Model vs file hex dump around `first`.
    pub dump: String,
}

/// Compares `file` with `model` (both starting at file offset `base`, same
/// length); `None` if equal.
pub fn compare(base: u64, model: &[u8], file: &[u8]) -> Option<Diff> {
    let n = model.len().min(file.len());
    let first = (0..n).find(|&i| model[i] != file[i])?;
    let last = (first..n)
        .rev()
        .find(|&i| model[i] != file[i])
        .unwrap_or(first);
    let count = (first..=last).filter(|&i| model[i] != file[i]).count() as u64;
    Some(Diff {
        first: base + first as u64,
        last: base + last as u64,
        count,
        dump: hexdump(base, model, file, first),
    })
}

/// Rows of 16 bytes from 16 bytes before `at` to 32 after, model then file,
/// with `^^` under the differing bytes.
pub fn hexdump(base: u64, model: &[u8], file: &[u8], at: usize) -> String {
    let n = model.len().min(file.len());
    let start = at.saturating_sub(16) & !15;
    let end = (at + 32).min(n);
    let mut s = String::new();
    let mut row = start;
    while row < end {
        let cols = row..(row + 16).min(end);
        let line = |buf: &[u8]| {
            cols.clone()
                .map(|i| format!("{:02x} ", buf[i]))
                .collect::<String>()
        };
        let marks: String = cols
            .clone()
            .map(|i| if model[i] != file[i] { "^^ " } else { "   " })
            .collect();
        let _ = writeln!(s, "  0x{:08x} model {}", base + row as u64, line(model));
        let _ = writeln!(s, "  0x{:08x} file  {}", base + row as u64, line(file));
        if marks.contains('^') {
            let _ = writeln!(s, "                   {}", marks.trim_end());
        }
        row += 16;
    }
    s
}

extern "C" fn fatal_signal(sig: libc::c_int) {
    let name = if sig == libc::SIGBUS {
        "SIGBUS"
    } else {
        "SIGSEGV"
    };
    // Best effort: the fault is synchronous, in fsop's own copy to or from a
    // mapping, where no lock of ours and no allocator lock is held.
    let mut msg = format!(
        "fsop: {name} during op {} (seed {}): a mapped access faulted\n",
        CURRENT_OP.load(Ordering::Relaxed),
        SEED.load(Ordering::Relaxed)
    );
    if let Ok(log) = LOG.try_lock() {
        msg.push_str(&format_log(&log));
    }
    // SAFETY: write(2) and _exit(2) are async-signal-safe; `msg` is valid.
    unsafe {
        libc::write(2, msg.as_ptr().cast(), msg.len());
        libc::_exit(1);
    }
}

/// Reports SIGBUS/SIGSEGV with the seed and the operation log, then exits 1.
pub fn install_signal_handlers() {
    for sig in [libc::SIGBUS, libc::SIGSEGV] {
        // SAFETY: an all-zero sigaction is valid; the handler has the
        // signature sa_handler expects and only exits.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = fatal_signal as *const () as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{compare, hexdump};

    #[test]
    fn equal_buffers_have_no_diff() {
        assert_eq!(compare(0, b"abc", b"abc"), None);
        assert_eq!(compare(0, b"", b""), None);
    }

    #[test]
    fn diff_finds_first_last_and_count() {
        let model = [0u8; 64];
        let mut file = [0u8; 64];
        file[20] = 1;
        file[22] = 2;
        file[40] = 3;
        let d = compare(0x1000, &model, &file).expect("differs");
        assert_eq!(d.first, 0x1014);
        assert_eq!(d.last, 0x1028);
        assert_eq!(d.count, 3);
        assert!(d.dump.contains("0x00001010 model 00"));
        assert!(d.dump.contains("0x00001010 file  00 00 00 00 01 00 02"));
        assert!(d.dump.contains("^^"));
    }

    #[test]
    fn hexdump_is_bounded() {
        let a = [0xaau8; 8];
        let b = [0xabu8; 8];
        let s = hexdump(0, &a, &b, 0);
        assert_eq!(s.lines().count(), 3);
    }
}
