// SPDX-License-Identifier: GPL-2.0

//! O_DIRECT buffers and the page size, shared by fsop and wtest (wtest
//! includes this file with `#[path]`).

use std::alloc::{self, Layout};
use std::ptr::NonNull;

/// The system page size.
pub fn page_size() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let ps = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if ps > 0 {
        ps as u64
    } else {
        4096
    }
}

/// Buffer alignment for O_DIRECT.
pub const DIO_ALIGN: usize = 4096;

/// A zeroed heap buffer aligned to [`DIO_ALIGN`] for O_DIRECT.
#[derive(Debug)]
pub struct AlignedBuf {
    ptr: NonNull<u8>,
    layout: Layout,
}

impl AlignedBuf {
    /// A zeroed buffer of `len` bytes (at least one).
    pub fn new(len: usize) -> AlignedBuf {
        let layout = match Layout::from_size_align(len.max(1), DIO_ALIGN) {
            Ok(l) => l,
            Err(_) => alloc::handle_alloc_error(Layout::new::<u8>()),
        };
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { alloc::alloc_zeroed(layout) };
        let ptr = NonNull::new(raw).unwrap_or_else(|| alloc::handle_alloc_error(layout));
        AlignedBuf { ptr, layout }
    }

    /// The buffer.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `ptr` owns `layout.size()` initialised (zeroed) bytes.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.layout.size()) }
    }

    /// The buffer, writable.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`, and `&mut self` makes this unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.layout.size()) }
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout, freed once.
        unsafe { alloc::dealloc(self.ptr.as_ptr(), self.layout) };
    }
}

#[cfg(test)]
mod tests {
    use super::{AlignedBuf, DIO_ALIGN};

    #[test]
    fn aligned_buf_is_aligned_and_zeroed() {
        let mut b = AlignedBuf::new(3 * 512);
        assert_eq!(b.as_slice().as_ptr() as usize % DIO_ALIGN, 0);
        assert_eq!(b.as_slice().len(), 1536);
        assert!(b.as_slice().iter().all(|&x| x == 0));
        b.as_mut_slice()[7] = 1;
        assert_eq!(b.as_slice()[7], 1);
    }
}
