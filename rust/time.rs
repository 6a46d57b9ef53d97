// SPDX-License-Identifier: GPL-2.0

//! Wall-clock time for on-disk timestamps.
//!
//! C headers: [`include/linux/timekeeping.h`](srctree/include/linux/timekeeping.h)

use crate::vfs::bindings;

/// Seconds since the epoch (`ktime_get_real_seconds`).
pub fn real_seconds() -> i64 {
    // SAFETY: Reads the clock; callable from any context.
    unsafe { bindings::ktime_get_real_seconds() }
}
