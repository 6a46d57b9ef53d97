// SPDX-License-Identifier: GPL-2.0

//! Capabilities of the current task, for the limits a filesystem applies.
//!
//! C headers: [`include/linux/capability.h`](srctree/include/linux/capability.h)

use crate::vfs::bindings;

/// Whether the current task may use the blocks reserved for root
/// (`capable(CAP_SYS_RESOURCE)`).
pub fn capable_sys_resource() -> bool {
    // CAST: capability numbers are small.
    // SAFETY: Checks the current task's credentials; callable in process context.
    unsafe { bindings::capable(bindings::CAP_SYS_RESOURCE as i32) }
}
