// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers of ext2rs: the static inlines and macros Rust cannot call.
 * Declared in helpers.h, which ext2rs's bindgen pass also reads, so the Rust
 * declarations are generated from the same prototypes.
 */
#include <linux/buffer_head.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/iomap.h>
#include <linux/slab.h>

#include "helpers.h"

void ext2rs_errorfc(struct fs_context *fc, const char *msg)
{
	errorfc(fc, "%s", msg);
}

struct buffer_head *ext2rs_sb_bread(struct super_block *sb, sector_t block)
{
	return sb_bread(sb, block);
}

void ext2rs_brelse(struct buffer_head *bh)
{
	brelse(bh);
}

u64 ext2rs_sb_bdev_nr_bytes(struct super_block *sb)
{
	return bdev_nr_bytes(sb->s_bdev);
}

struct block_device *ext2rs_sb_bdev(struct super_block *sb)
{
	return sb->s_bdev;
}

struct kmem_cache *ext2rs_inode_cache_create(const char *name, unsigned int size,
					     unsigned int align,
					     void (*ctor)(void *))
{
	struct kmem_cache_args args = { .align = align, .ctor = ctor };

	return kmem_cache_create(name, size, &args,
				 SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT);
}

/* Returns the start of the slab object, which embeds the inode. */
void *ext2rs_alloc_inode_sb(struct super_block *sb, struct kmem_cache *cache)
{
	return alloc_inode_sb(sb, cache, GFP_KERNEL);
}

bool ext2rs_inode_is_new(struct inode *inode)
{
	return inode_state_read_once(inode) & I_NEW;
}

loff_t ext2rs_i_size_read(const struct inode *inode)
{
	return i_size_read(inode);
}

void ext2rs_i_size_write(struct inode *inode, loff_t size)
{
	i_size_write(inode, size);
}

void ext2rs_i_uid_write(struct inode *inode, uid_t uid)
{
	i_uid_write(inode, uid);
}

void ext2rs_i_gid_write(struct inode *inode, gid_t gid)
{
	i_gid_write(inode, gid);
}

void ext2rs_inode_set_times(struct inode *inode, time64_t atime,
			    time64_t mtime, time64_t ctime)
{
	inode_set_atime(inode, atime, 0);
	inode_set_mtime(inode, mtime, 0);
	inode_set_ctime(inode, ctime, 0);
}

void ext2rs_inode_set_fop(struct inode *inode,
			  const struct file_operations *fop)
{
	inode->i_fop = fop;
}

void ext2rs_inode_set_link(struct inode *inode, char *link)
{
	inode->i_link = link;
}

const unsigned char *ext2rs_dentry_name(const struct dentry *dentry,
					unsigned int *len)
{
	*len = dentry->d_name.len;
	return dentry->d_name.name;
}

bool ext2rs_dir_emit(struct dir_context *ctx, const char *name, int len,
		     u64 ino, unsigned int type)
{
	return dir_emit(ctx, name, len, ino, type);
}

void ext2rs_iomap_bio_read_folio(struct folio *folio,
				 const struct iomap_ops *ops)
{
	iomap_bio_read_folio(folio, ops);
}

void ext2rs_iomap_bio_readahead(struct readahead_control *rac,
				const struct iomap_ops *ops)
{
	iomap_bio_readahead(rac, ops);
}
