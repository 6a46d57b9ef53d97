// SPDX-License-Identifier: GPL-2.0

//! Capabilities and ids of the current task, for the limits a filesystem
//! applies.
//!
//! C headers: [`include/linux/capability.h`](srctree/include/linux/capability.h),
//! [`include/linux/cred.h`](srctree/include/linux/cred.h)

use crate::vfs::bindings;

/// Whether the current task may use the blocks reserved for root
/// (`capable(CAP_SYS_RESOURCE)`).
pub fn capable_sys_resource() -> bool {
    // CAST: capability numbers are small.
    // SAFETY: Checks the current task's credentials; callable in process context.
    unsafe { bindings::capable(bindings::CAP_SYS_RESOURCE as i32) }
}

/// Whether the current task's filesystem uid is `uid` of the initial user
/// namespace (a kernel uid), as an ext2 superblock (`s_def_resuid`) or the
/// `resuid=` option names the user who may use the blocks reserved for
/// root.
pub fn fsuid_is(uid: u32) -> bool {
    // SAFETY: Reads the current task's credentials; callable in process context.
    unsafe { bindings::ext2rs_current_fsuid_is(uid) }
}

/// Whether the current task is in group `gid` of the initial user namespace
/// (`in_group_p`): its filesystem gid or one of its supplementary groups,
/// as for `s_def_resgid` or `resgid=`.
pub fn in_group(gid: u32) -> bool {
    // SAFETY: Reads the current task's credentials; callable in process context.
    unsafe { bindings::ext2rs_current_in_group(gid) }
}
