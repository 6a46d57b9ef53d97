// SPDX-License-Identifier: GPL-2.0
//! The in-memory model of the file under test: its bytes (the length is the
//! file size) and whether the page cache may hold stores beyond EOF.
//!
//! Bytes beyond the size are never part of the model: whenever the file
//! grows (extending write, truncate up, direct write past EOF) the gap
//! between the old size and the new data is zero, whatever a mapped store
//! beyond EOF put into the page cache before.

/// The model of one file.
#[derive(Clone, Debug, Default)]
pub struct Model {
    data: Vec<u8>,
    eof_tail_dirty: bool,
    page_size: u64,
}

impl Model {
    /// An empty file on a system with `page_size`-byte pages.
    pub fn new(page_size: u64) -> Self {
        Model {
            data: Vec::new(),
            eof_tail_dirty: false,
            page_size,
        }
    }

    /// The file size.
    pub fn size(&self) -> u64 {
        self.data.len() as u64
    }

    /// The whole file.
    pub fn bytes(&self) -> &[u8] {
        &self.data
    }

    /// The bytes a read of `len` bytes at `off` must return (shorter at EOF,
    /// empty beyond it).
    pub fn read(&self, off: u64, len: u64) -> &[u8] {
        let size = self.size();
        let start = off.min(size) as usize;
        let end = off.saturating_add(len).min(size) as usize;
        &self.data[start..end]
    }

    /// A write of `buf` at `off`; the gap past the old size reads as zeros.
    pub fn write(&mut self, off: u64, buf: &[u8]) {
        let end = off as usize + buf.len();
        let old = self.size();
        if end > self.data.len() {
            self.data.resize(end, 0);
        }
        self.data[off as usize..end].copy_from_slice(buf);
        self.size_changed(old);
    }

    /// A truncate to `size`: shrinking drops the tail, growing appends zeros.
    pub fn truncate(&mut self, size: u64) {
        let old = self.size();
        self.data.resize(size as usize, 0);
        self.size_changed(old);
    }

    /// Records a store through a mapping into the EOF page beyond i_size:
    /// the file is unchanged, but the page cache now holds bytes there.
    pub fn store_beyond_eof(&mut self) {
        self.eof_tail_dirty = true;
    }

    /// Whether the bytes between EOF and the end of its page may hold stores
    /// made beyond EOF (then a mapped read cannot expect zeros there).
    pub fn eof_tail_dirty(&self) -> bool {
        self.eof_tail_dirty
    }

    /// Forgets pollution beyond EOF that the kernel has necessarily
    /// discarded: shrinking zeroes the tail of the new EOF page, and a size
    /// in another page leaves the old EOF page inside the file (where the
    /// exposed gap must read zero) or truncated away. Growth within the same
    /// page may leave stores beyond the new EOF, so the flag stays.
    fn size_changed(&mut self, old: u64) {
        let new = self.size();
        if new < old || new / self.page_size != old / self.page_size {
            self.eof_tail_dirty = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Model;

    #[test]
    fn write_past_eof_leaves_zero_gap() {
        let mut m = Model::new(4096);
        m.write(0, b"abc");
        m.write(10, b"xy");
        assert_eq!(m.size(), 12);
        assert_eq!(m.bytes(), b"abc\0\0\0\0\0\0\0xy");
    }

    #[test]
    fn overwrite_inside_keeps_size() {
        let mut m = Model::new(4096);
        m.write(0, b"hello world");
        m.write(6, b"WORLD");
        assert_eq!(m.bytes(), b"hello WORLD");
        m.write(9, b"LDS");
        assert_eq!(m.bytes(), b"hello WORLDS");
    }

    #[test]
    fn truncate_down_then_up_zeroes_tail() {
        let mut m = Model::new(4096);
        m.write(0, &[0xaa; 100]);
        m.truncate(37);
        assert_eq!(m.size(), 37);
        m.truncate(100);
        assert_eq!(&m.bytes()[..37], &[0xaa; 37][..]);
        assert_eq!(&m.bytes()[37..], &[0u8; 63][..]);
        m.truncate(0);
        assert_eq!(m.size(), 0);
        m.truncate(5);
        assert_eq!(m.bytes(), &[0u8; 5]);
    }

    #[test]
    fn read_is_clamped_at_eof() {
        let mut m = Model::new(4096);
        m.write(0, b"0123456789");
        assert_eq!(m.read(8, 5), b"89");
        assert_eq!(m.read(10, 5), b"");
        assert_eq!(m.read(50, 5), b"");
        assert_eq!(m.read(2, 3), b"234");
    }

    #[test]
    fn store_beyond_eof_is_not_file_data() {
        let mut m = Model::new(4096);
        m.write(0, &[1; 100]);
        m.store_beyond_eof();
        assert!(m.eof_tail_dirty());
        assert_eq!(m.size(), 100);
        // Growth inside the same page: the gap is zero, the flag stays.
        m.truncate(200);
        assert_eq!(&m.bytes()[100..], &[0u8; 100][..]);
        assert!(m.eof_tail_dirty());
        // Growth into the next page clears it.
        m.write(5000, &[2; 4]);
        assert!(!m.eof_tail_dirty());
        assert_eq!(&m.bytes()[200..5000], &vec![0u8; 4800][..]);
        // Shrinking clears it too.
        m.store_beyond_eof();
        m.truncate(4999);
        assert!(!m.eof_tail_dirty());
    }
}
