// SPDX-License-Identifier: GPL-2.0
//! End-to-end runs of the fsop binary on a temporary file of the host's
//! filesystem: a short run passes, a seed replays the same operations, and
//! an injected mismatch is caught and reported with post-mortem files.
//!
//! These runs leave `mapeof` out: whether a filesystem discards mapped
//! stores beyond EOF on extension differs between host filesystems (tmpfs
//! and the kernel's ext2 do not), and these tests check fsop, not the host.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("fsop-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch directory");
    dir
}

fn fsop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fsop"))
        .args(args)
        .output()
        .expect("run fsop")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn short_buffered_run_passes() {
    let dir = scratch("short");
    let file = dir.join("f");
    let f = file.to_str().expect("utf-8 path");
    let out = fsop(&[
        "--seed",
        "1",
        "--ops",
        "2000",
        "--no-direct",
        "--ops-mix",
        "mapeof=0",
        "--file",
        f,
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.starts_with("fsop: seed 1,"), "{stdout}");
    assert!(
        stdout.contains("fsop: 2000 ops, seed 1, ") && stdout.trim_end().ends_with(", ok"),
        "{stdout}"
    );
    assert!(stdout.contains("  mapwrite "), "count table: {stdout}");
    assert!(
        !stdout.contains("  dwrite "),
        "--no-direct ran dwrite: {stdout}"
    );
}

#[test]
fn direct_run_passes_or_skips_with_notice() {
    let dir = scratch("direct");
    let file = dir.join("f");
    let f = file.to_str().expect("utf-8 path");
    let out = fsop(&[
        "--seed",
        "5",
        "--ops",
        "1000",
        "--ops-mix",
        "mapeof=0,dread=20,dwrite=20",
        "--file",
        f,
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    if stdout.contains("notice:") {
        assert!(stdout.contains("skipping direct I/O"), "{stdout}");
    } else {
        assert!(stdout.contains("  dwrite "), "{stdout}");
    }
}

/// The operation lines of a `--verbose` run (timing lines dropped).
fn ops_of(out: &Output) -> Vec<String> {
    text(&out.stdout)
        .lines()
        .filter(|l| !l.contains("ops/s"))
        .map(str::to_string)
        .collect()
}

#[test]
fn same_seed_replays_same_operations() {
    let dir = scratch("replay");
    let run = |seed: &str| {
        let file = dir.join(format!("f{seed}"));
        let f = file.to_str().expect("utf-8 path").to_string();
        let out = fsop(&[
            "--seed",
            seed,
            "--ops",
            "500",
            "--no-direct",
            "--ops-mix",
            "mapeof=0",
            "--verbose",
            "--file",
            &f,
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        ops_of(&out)
            .into_iter()
            .map(|l| l.replace(&f, "FILE"))
            .collect::<Vec<_>>()
    };
    let a = run("77");
    let b = run("77");
    assert!(a.len() > 500, "expected one line per op");
    assert_eq!(a, b);
    assert_ne!(a, run("78"));
}

#[test]
fn injected_mismatch_is_reported() {
    let dir = scratch("inject");
    let file = dir.join("f");
    let f = file.to_str().expect("utf-8 path");
    let out = fsop(&[
        "--seed",
        "3",
        "--ops",
        "1000",
        "--no-direct",
        "--ops-mix",
        "mapeof=0",
        "--log",
        "8",
        "--inject-mismatch",
        "300",
        "--file",
        f,
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("FAILED at op 300 (seed 3)"), "{stderr}");
    assert!(
        stderr.contains(" model ") && stderr.contains(" file  "),
        "{stderr}"
    );
    assert!(stderr.contains("last 8 operations"), "{stderr}");
    let good = std::fs::read(dir.join("f.fsopgood")).expect("model dump");
    let bad = std::fs::read(dir.join("f.fsopbad")).expect("file dump");
    assert!(good != bad, "the dumps should differ");
}

#[test]
fn usage_error_exits_2() {
    let out = fsop(&["--ops", "10"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--file PATH is required"));
}
