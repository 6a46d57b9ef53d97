// SPDX-License-Identifier: GPL-2.0
//! Test result lines ("ok - NAME", "not ok - NAME: WHY") and the byte
//! comparison every scenario uses.

/// Counts and prints the results of one scenario's cases.
#[derive(Debug)]
pub struct Report {
    scenario: String,
    /// Cases that passed.
    pub passed: u32,
    /// Cases that failed.
    pub failed: u32,
}

impl Report {
    /// A report whose case names are prefixed with `scenario/`.
    pub fn new(scenario: &str) -> Report {
        Report {
            scenario: scenario.to_string(),
            passed: 0,
            failed: 0,
        }
    }

    /// Records one case: ok if `result` is Ok, else not ok with the reason.
    pub fn check(&mut self, case: &str, result: Result<(), String>) {
        match result {
            Ok(()) => {
                println!("ok - {}/{case}", self.scenario);
                self.passed += 1;
            }
            Err(why) => {
                println!("not ok - {}/{case}: {why}", self.scenario);
                self.failed += 1;
            }
        }
    }

    /// A diagnostic line (not a result).
    pub fn note(&self, msg: &str) {
        println!("# {}: {msg}", self.scenario);
    }
}

/// Compares `got` with `want`, both starting at file offset `base`:
/// lengths, then the first differing byte with a few bytes of context.
pub fn compare(what: &str, base: u64, want: &[u8], got: &[u8]) -> Result<(), String> {
    if let Some(i) = want.iter().zip(got).position(|(a, b)| a != b) {
        let lo = i.saturating_sub(4);
        let hi = (i + 12).min(want.len()).min(got.len());
        let ndiff = want.iter().zip(got).filter(|(a, b)| a != b).count();
        return Err(format!(
            "{what}: byte {} is {:#04x}, expected {:#04x} ({ndiff} bytes differ; at {}: got {} want {})",
            base + i as u64,
            got[i],
            want[i],
            base + lo as u64,
            hex(&got[lo..hi]),
            hex(&want[lo..hi]),
        ));
    }
    if want.len() != got.len() {
        return Err(format!(
            "{what}: {} bytes read at {base}, expected {}",
            got.len(),
            want.len()
        ));
    }
    Ok(())
}

/// `bytes` as space-separated hex.
fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Fails with `what` unless `cond`.
pub fn ensure(cond: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(what())
    }
}

#[cfg(test)]
mod tests {
    use super::{compare, ensure};

    #[test]
    fn compare_finds_first_difference_with_offset() {
        assert!(compare("x", 0, b"abc", b"abc").is_ok());
        let e = compare("x", 100, b"abcdef", b"abXdeY").unwrap_err();
        assert!(e.contains("byte 102 is 0x58, expected 0x63"), "{e}");
        assert!(e.contains("2 bytes differ"), "{e}");
    }

    #[test]
    fn compare_reports_length_mismatch() {
        let e = compare("x", 0, b"abc", b"ab").unwrap_err();
        assert!(e.contains("2 bytes read at 0, expected 3"), "{e}");
    }

    #[test]
    fn ensure_passes_and_fails() {
        assert!(ensure(true, || "no".into()).is_ok());
        assert_eq!(ensure(false, || "no".into()), Err("no".to_string()));
    }
}
