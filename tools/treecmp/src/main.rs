// SPDX-License-Identifier: GPL-2.0
//! treecmp: compares two directory trees entry by entry (names, type, mode,
//! owner, size, link count, times, symlink targets, device numbers, hard-link
//! groups, contents, SEEK_DATA/SEEK_HOLE maps and FIEMAP extents), and
//! offers `--map`, `--checksum` and `--mmap-read` debug modes.
//! Exit status: 0 identical, 1 differences, 2 usage or I/O errors.

mod checksum;
mod content;
mod map;
mod meta;
mod options;
mod report;
#[cfg(test)]
mod testutil;
mod walk;

use options::Command;
use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::Path;
use std::process::ExitCode;

/// Prints `--map FILE`: size, data ranges and raw fiemap extents.
fn print_map(path: &Path) -> io::Result<()> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    println!("size {size}");
    println!(
        "seek-data {}",
        map::format_ranges(&map::seek_map(&file, size)?)
    );
    match map::fiemap(&file) {
        Ok(extents) => {
            println!("fiemap {} extents", extents.len());
            for e in extents {
                println!("  {e}");
            }
        }
        Err(e) => println!("fiemap error: {e}"),
    }
    Ok(())
}

/// Prints `--checksum DIR`.
fn print_checksums(dir: &Path) -> io::Result<()> {
    for line in checksum::listing(dir)? {
        println!("{line}");
    }
    Ok(())
}

/// `--mmap-read FILE`: 0 if mmap and read() return the same bytes.
fn mmap_read(path: &Path) -> io::Result<u8> {
    let mut by_read = File::open(path)?;
    let mut by_mmap = content::MmapReader::new(File::open(path)?)?;
    match content::compare(&mut by_read, &mut by_mmap)? {
        None => Ok(0),
        Some(m) => {
            println!("{}: read and mmap differ: {m:?}", path.display());
            Ok(1)
        }
    }
}

/// Maps a debug mode's result to an exit status.
fn status(what: &Path, result: io::Result<u8>) -> u8 {
    result.unwrap_or_else(|e| {
        eprintln!("treecmp: {}: {e}", what.display());
        2
    })
}

/// Runs one command; returns the exit status.
fn run(cmd: Command) -> u8 {
    match cmd {
        Command::Help => {
            println!("{}", options::USAGE);
            0
        }
        Command::Map(p) => status(&p, print_map(&p).map(|_| 0)),
        Command::Checksum(p) => status(&p, print_checksums(&p).map(|_| 0)),
        Command::MmapRead(p) => status(&p, mmap_read(&p)),
        Command::Compare { a, b, opts } => {
            let report = walk::compare_trees(&a, &b, &opts);
            report.finish() as u8
        }
    }
}

/// Dies quietly on a closed pipe (`treecmp ... | head`) like other tools.
fn default_sigpipe() {
    // SAFETY: resetting a signal disposition to its default is harmless.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
}

fn main() -> ExitCode {
    default_sigpipe();
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match options::parse(&args) {
        Ok(cmd) => ExitCode::from(run(cmd)),
        Err(msg) => {
            eprintln!("treecmp: {msg}\n{}", options::USAGE);
            ExitCode::from(2)
        }
    }
}
