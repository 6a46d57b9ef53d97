// SPDX-License-Identifier: GPL-2.0

//! Block map arithmetic: the direct / indirect / double / triple tree of
//! `i_block[]`, as `ext2_block_to_path` and `ext2_max_size` walk it.

use super::error::{FormatError, Result};

/// Number of direct block pointers.
pub const EXT2_NDIR_BLOCKS: usize = 12;
/// Index of the indirect block pointer in `i_block`.
pub const EXT2_IND_BLOCK: usize = EXT2_NDIR_BLOCKS;
/// Index of the double indirect block pointer.
pub const EXT2_DIND_BLOCK: usize = EXT2_IND_BLOCK + 1;
/// Index of the triple indirect block pointer.
pub const EXT2_TIND_BLOCK: usize = EXT2_DIND_BLOCK + 1;
/// Number of pointers in `i_block`.
pub const EXT2_N_BLOCKS: usize = EXT2_TIND_BLOCK + 1;

/// `MAX_LFS_FILESIZE` on 64-bit kernels.
// CAST: i64::MAX is positive, so it converts to u64 unchanged.
pub const MAX_LFS_FILESIZE: u64 = i64::MAX as u64;

/// [`EXT2_NDIR_BLOCKS`] for block arithmetic.
// CAST: 12 fits in any integer type.
const NDIR: u64 = EXT2_NDIR_BLOCKS as u64;

/// The route from `i_block[]` to the pointer of one logical block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockPath {
    /// Number of valid offsets: 1 (direct) to 4 (triple indirect).
    pub depth: usize,
    /// `offsets[0]` indexes `i_block[]`, the others index indirect blocks.
    pub offsets: [usize; 4],
    /// How many more pointers follow this one in the same array
    /// (`*boundary` of ext2_block_to_path): logical blocks up to
    /// `iblock + boundary` share the last indirect block of this path.
    pub boundary: u32,
}

impl BlockPath {
    /// The valid offsets, `offsets[..depth]`.
    pub fn offsets(&self) -> &[usize] {
        self.offsets.get(..self.depth).unwrap_or(&[])
    }
}

/// log2 of the number of pointers per block for `block_size`, checking the
/// block size is a power of two in 1024..=65536.
pub fn addr_per_block_bits(block_size: u32) -> Result<u32> {
    if !block_size.is_power_of_two() || !(1024..=65536).contains(&block_size) {
        return Err(FormatError::BadBlockSize(block_size));
    }
    Ok(block_size.trailing_zeros() - 2)
}

/// Pointers per indirect block (`EXT2_ADDR_PER_BLOCK`).
pub fn addr_per_block(block_size: u32) -> Result<u32> {
    Ok(1 << addr_per_block_bits(block_size)?)
}

/// Logical blocks mapped through `i_block[]` level `depth` (1: the direct
/// pointers, 2: the indirect block, 3: double, 4: triple).
pub fn blocks_at_level(block_size: u32, depth: usize) -> Result<u64> {
    let bits = addr_per_block_bits(block_size)?;
    match depth {
        1 => Ok(NDIR),
        2..=4 => {
            // CAST: depth is at most 4 here.
            let levels = (depth - 1) as u32;
            Ok(1u64 << (bits * levels))
        }
        _ => Err(FormatError::BlockTooBig(0)),
    }
}

/// First logical block mapped through level `depth` (see
/// [`blocks_at_level`]); `depth` 5 gives the number of mappable blocks.
pub fn level_start(block_size: u32, depth: usize) -> Result<u64> {
    let mut start = 0;
    for level in 1..depth {
        start += blocks_at_level(block_size, level)?;
    }
    Ok(start)
}

/// Number of logical blocks the block tree can map.
pub fn max_blocks(block_size: u32) -> Result<u64> {
    level_start(block_size, 5)
}

/// Splits logical block `iblock` into its path through the block tree
/// (`ext2_block_to_path`).
pub fn block_to_path(block_size: u32, iblock: u64) -> Result<BlockPath> {
    let bits = addr_per_block_bits(block_size)?;
    let mask = (1u64 << bits) - 1;
    let mut i = iblock;
    for depth in 1..=4 {
        let count = blocks_at_level(block_size, depth)?;
        if i < count {
            return Ok(make_path(depth, i, bits, mask));
        }
        i -= count;
    }
    Err(FormatError::BlockTooBig(iblock))
}

/// Builds the path for block `i` relative to the start of level `depth`.
fn make_path(depth: usize, i: u64, bits: u32, mask: u64) -> BlockPath {
    // CAST: masked to `bits` <= 14 bits.
    let low = (i & mask) as usize;
    // CAST: i is below the size of its level (checked by the caller), so
    // every shifted value is below 2^bits.
    let (offsets, final_) = match depth {
        1 => ([i as usize, 0, 0, 0], EXT2_NDIR_BLOCKS),
        2 => ([EXT2_IND_BLOCK, low, 0, 0], 1 << bits),
        3 => ([EXT2_DIND_BLOCK, (i >> bits) as usize, low, 0], 1 << bits),
        _ => {
            // CAST: as above, i < 2^(3 * bits).
            let top = (i >> (2 * bits)) as usize;
            // CAST: masked to `bits`.
            let mid = ((i >> bits) & mask) as usize;
            ([EXT2_TIND_BLOCK, top, mid, low], 1 << bits)
        }
    };
    // CAST: final_ - 1 - low < 2^14.
    let boundary = (final_ - 1 - low) as u32;
    BlockPath {
        depth,
        offsets,
        boundary,
    }
}

/// Logical block a path leads to: the inverse of [`block_to_path`].
pub fn path_to_block(block_size: u32, path: &BlockPath) -> Result<u64> {
    let bits = addr_per_block_bits(block_size)?;
    let (first, rest) = match path.offsets().split_first() {
        Some(split) if path.depth <= 4 => split,
        _ => return Err(FormatError::BlockTooBig(0)),
    };
    // Below level 1 the first offset only names the level's i_block slot.
    let mut rel = if rest.is_empty() { to_u64(*first) } else { 0 };
    for &off in rest {
        rel = rel.checked_shl(bits).unwrap_or(u64::MAX) | to_u64(off);
    }
    let block = level_start(block_size, path.depth)?.saturating_add(rel);
    // Out-of-range offsets make the round trip disagree.
    match block_to_path(block_size, block) {
        Ok(p) if p.offsets() == path.offsets() => Ok(block),
        _ => Err(FormatError::BlockTooBig(block)),
    }
}

fn to_u64(v: usize) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

/// First logical block after `iblock` whose pointer lives in a different
/// pointer array (`iblock + boundary + 1`): a contiguous run found by one
/// walk of the tree can extend up to, but not past, this block.
pub fn next_boundary(block_size: u32, iblock: u64) -> Result<u64> {
    let path = block_to_path(block_size, iblock)?;
    Ok(iblock + u64::from(path.boundary) + 1)
}

/// Logical blocks from one to the end of what a missing pointer above it
/// would map, given the block's `indices` in the indirect blocks below
/// that pointer, top first (a suffix of [`BlockPath::offsets`]): the
/// whole hole such a pointer leaves from that block on.
pub fn left_below(block_size: u32, indices: &[usize]) -> Result<u64> {
    let bits = addr_per_block_bits(block_size)?;
    let ptrs = 1u64 << bits;
    let mut span = 1u64;
    let mut offset = 0u64;
    for &i in indices.iter().rev() {
        if to_u64(i) >= ptrs || span > (1 << 60) >> bits {
            return Err(FormatError::BlockTooBig(to_u64(i)));
        }
        offset += to_u64(i) * span;
        span <<= bits;
    }
    Ok(span - offset)
}

/// Indirect blocks needed to map the first `nblocks` logical blocks of a
/// file without holes (what i_blocks counts besides the data).
pub fn indirect_blocks_for(block_size: u32, nblocks: u64) -> Result<u64> {
    let ptrs = u64::from(addr_per_block(block_size)?);
    let mut rest = nblocks.saturating_sub(NDIR);
    let mut meta = 0u64;
    // Level 2 needs one block, level 3 one plus one per `ptrs` data blocks,
    // level 4 one plus one per ptrs^2 plus one per ptrs data blocks.
    let mut span = ptrs;
    for level in 0..3u32 {
        if rest == 0 {
            break;
        }
        let here = rest.min(span);
        let mut per = 1u64;
        for _ in 0..level {
            meta += here.div_ceil(per * ptrs);
            per *= ptrs;
        }
        meta += 1;
        rest -= here;
        span *= ptrs;
    }
    if rest != 0 {
        return Err(FormatError::BlockTooBig(nblocks));
    }
    Ok(meta)
}

/// Largest file size for block size `1 << bits` (`ext2_max_size`): what the
/// block tree maps, further limited so that data plus indirect blocks fit
/// in the 32-bit `i_blocks` count of 512-byte sectors.
pub fn max_size(bits: u32) -> Result<u64> {
    let block_size = 1u32.checked_shl(bits).unwrap_or(0);
    let ppb = u64::from(addr_per_block(block_size)?);
    let mut res = max_blocks(block_size)?;
    let meta_blocks = 1 + (1 + ppb) + (1 + ppb + ppb * ppb);
    let upper_limit = ((1u64 << 32) - 1) >> (bits - 9);
    if res + meta_blocks > upper_limit {
        res = upper_limit - meta_for_limit(upper_limit, ppb);
    }
    Ok((res << bits).min(MAX_LFS_FILESIZE))
}

/// Indirect blocks needed to address `upper_limit` blocks (the second half
/// of ext2_max_size).
fn meta_for_limit(upper_limit: u64, ppb: u64) -> u64 {
    let mut limit = upper_limit - NDIR - ppb;
    let mut meta = 1;
    if limit < ppb * ppb {
        return meta + 1 + limit.div_ceil(ppb);
    }
    meta += 1 + ppb;
    limit -= ppb * ppb;
    meta + 1 + limit.div_ceil(ppb) + limit.div_ceil(ppb * ppb)
}
