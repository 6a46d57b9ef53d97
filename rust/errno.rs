// SPDX-License-Identifier: GPL-2.0

//! Error codes a filesystem returns that `kernel::error::code` lacks.
//!
//! C headers: [`include/uapi/asm-generic/errno.h`](srctree/include/uapi/asm-generic/errno.h)

use crate::vfs::bindings;
use kernel::error::Error;
use kernel::error::Result;

/// Makes an [`Error`] from a positive errno constant of the bindings.
fn from_positive(errno: u32) -> Error {
    // CAST: errno constants are small positive numbers.
    Error::from_errno(-(errno as i32))
}

/// `-EFSCORRUPTED` (`-EUCLEAN`): the filesystem's metadata is corrupt.
pub fn efscorrupted() -> Error {
    from_positive(bindings::EUCLEAN)
}

/// `-ESTALE`: the inode is gone.
pub fn estale() -> Error {
    from_positive(bindings::ESTALE)
}

/// `-ENOTBLK`: direct I/O cannot be done here, fall back to buffered.
pub fn enotblk() -> Error {
    from_positive(bindings::ENOTBLK)
}

/// `-ENAMETOOLONG`: a name longer than the filesystem allows.
pub fn enametoolong() -> Error {
    from_positive(bindings::ENAMETOOLONG)
}

/// `-ENOTEMPTY`: a directory to remove or replace still has entries.
pub fn enotempty() -> Error {
    from_positive(bindings::ENOTEMPTY)
}

/// `-ENODATA`: no such extended attribute.
pub fn enodata() -> Error {
    from_positive(bindings::ENODATA)
}

/// `-EOPNOTSUPP`: not supported here (an attribute namespace turned off
/// by `nouser_xattr`, XFS-only inode attributes).
pub fn eopnotsupp() -> Error {
    from_positive(bindings::EOPNOTSUPP)
}

/// Converts the `loff_t` result of a C function (an offset, or a negative
/// errno) to a result.
pub(crate) fn from_loff(ret: i64) -> Result<i64> {
    if ret < 0 {
        // CAST: negative returns are errnos, which fit in an int.
        return Err(Error::from_errno(ret as i32));
    }
    Ok(ret)
}
