// SPDX-License-Identifier: GPL-2.0
//! Collects differences and errors and prints them, at most
//! [`MAX_LINES`] difference lines, then a count.

use std::fmt::Display;
use std::io;

/// How many difference lines are printed before the rest are only counted.
pub const MAX_LINES: usize = 50;

/// The outcome of a comparison.
#[derive(Debug, Default)]
pub struct Report {
    /// The difference lines kept (the first [`MAX_LINES`]).
    pub lines: Vec<String>,
    /// All differences found.
    pub diffs: usize,
    /// I/O errors met (reported on stderr).
    pub errors: usize,
    /// Entries compared.
    pub entries: u64,
    quiet: bool,
}

impl Report {
    /// A report that prints as it goes unless `quiet`.
    pub fn new(quiet: bool) -> Self {
        Report {
            quiet,
            ..Default::default()
        }
    }

    /// Records one difference: `path`, what differs, A's and B's value.
    pub fn diff(&mut self, path: &str, what: &str, a: impl Display, b: impl Display) {
        self.diffs += 1;
        if self.lines.len() < MAX_LINES {
            let line = format!("{path}: {what}: A={a} B={b}");
            if !self.quiet {
                println!("{line}");
            }
            self.lines.push(line);
        }
    }

    /// Records an I/O error that stopped the comparison of `path`.
    pub fn error(&mut self, path: &str, what: &str, err: &io::Error) {
        self.errors += 1;
        if !self.quiet {
            eprintln!("treecmp: {path}: {what}: {err}");
        }
    }

    /// Prints the summary and returns the exit status (0, 1 or 2).
    pub fn finish(&self) -> i32 {
        if !self.quiet {
            if self.diffs > self.lines.len() {
                println!("... and {} more differences", self.diffs - self.lines.len());
            }
            println!(
                "treecmp: {} entries, {} differences, {} errors",
                self.entries, self.diffs, self.errors
            );
        }
        if self.errors > 0 {
            2
        } else if self.diffs > 0 {
            1
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_lines_and_sets_status() {
        let mut r = Report::new(true);
        assert_eq!(r.finish(), 0);
        for i in 0..(MAX_LINES + 5) {
            r.diff("/f", "size", i, i + 1);
        }
        assert_eq!(r.lines.len(), MAX_LINES);
        assert_eq!(r.diffs, MAX_LINES + 5);
        assert_eq!(r.lines[0], "/f: size: A=0 B=1");
        assert_eq!(r.finish(), 1);
        r.error("/f", "read", &io::Error::from_raw_os_error(libc::EIO));
        assert_eq!(r.finish(), 2);
    }
}
