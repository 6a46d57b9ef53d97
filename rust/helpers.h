/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers of ext2rs: static inlines and macros of the kernel's C API that
 * Rust cannot call directly, and field stores into anonymous unions that
 * bindgen names unstably. Each is a thin wrapper; keep logic in Rust.
 */
#ifndef EXT2RS_HELPERS_H
#define EXT2RS_HELPERS_H

#include <linux/buffer_head.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/iomap.h>
#include <linux/slab.h>

/* errorfc(): log a mount error to the fs_context log and the kernel log. */
void ext2rs_errorfc(struct fs_context *fc, const char *msg);

/* Superblocks and block devices. */
struct buffer_head *ext2rs_sb_bread(struct super_block *sb, sector_t block);
void ext2rs_brelse(struct buffer_head *bh);
u64 ext2rs_sb_bdev_nr_bytes(struct super_block *sb);
struct block_device *ext2rs_sb_bdev(struct super_block *sb);

/* Inodes. */
struct kmem_cache *ext2rs_inode_cache_create(const char *name, unsigned int size,
					     unsigned int align,
					     void (*ctor)(void *));
void *ext2rs_alloc_inode_sb(struct super_block *sb,
			     struct kmem_cache *cache);
bool ext2rs_inode_is_new(struct inode *inode);
loff_t ext2rs_i_size_read(const struct inode *inode);
void ext2rs_i_size_write(struct inode *inode, loff_t size);
void ext2rs_i_uid_write(struct inode *inode, uid_t uid);
void ext2rs_i_gid_write(struct inode *inode, gid_t gid);
void ext2rs_inode_set_times(struct inode *inode, time64_t atime,
			    time64_t mtime, time64_t ctime);
void ext2rs_inode_set_fop(struct inode *inode,
			  const struct file_operations *fop);
void ext2rs_inode_set_link(struct inode *inode, char *link);

/* Dentries and directories. */
const unsigned char *ext2rs_dentry_name(const struct dentry *dentry,
					unsigned int *len);
bool ext2rs_dir_emit(struct dir_context *ctx, const char *name, int len,
		     u64 ino, unsigned int type);

/* iomap reads through the block layer. */
void ext2rs_iomap_bio_read_folio(struct folio *folio,
				 const struct iomap_ops *ops);
void ext2rs_iomap_bio_readahead(struct readahead_control *rac,
				const struct iomap_ops *ops);

#endif /* EXT2RS_HELPERS_H */
