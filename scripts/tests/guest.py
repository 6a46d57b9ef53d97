# SPDX-License-Identifier: GPL-2.0
"""Helpers the Python steps of the guest-side test scripts share
(write-guest.sh puts this directory on PYTHONPATH)."""

import fcntl
import struct

FS_IOC_FIEMAP = 0xC020660B
FIEMAP_FLAG_SYNC = 1
# struct fiemap: fm_start, fm_length, fm_flags, fm_mapped_extents,
# fm_extent_count, fm_reserved; then the extents.
FIEMAP_HEAD = "QQIIII"
FIEMAP_EXTENT = 56


def drop_caches():
    """Drops the page cache, dentries and inodes: what is read next comes
    from the disk."""
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3")


def fiemap(fd, count=4096):
    """FS_IOC_FIEMAP with FIEMAP_FLAG_SYNC over the whole file: up to
    count extents, as (logical, physical, length) in bytes."""
    head = struct.pack(FIEMAP_HEAD, 0, 1 << 62, FIEMAP_FLAG_SYNC, 0, count, 0)
    buf = bytearray(head + bytes(FIEMAP_EXTENT * count))
    fcntl.ioctl(fd, FS_IOC_FIEMAP, buf)
    got = struct.unpack_from("I", buf, 20)[0]
    size = struct.calcsize(FIEMAP_HEAD)
    return [struct.unpack_from("QQQ", buf, size + FIEMAP_EXTENT * i) for i in range(got)]
