/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers of ext2rs: static inlines and macros of the kernel's C API that
 * Rust cannot call directly, and field stores into anonymous unions that
 * bindgen names unstably. Each is a thin wrapper; keep logic in Rust.
 */
#ifndef EXT2RS_HELPERS_H
#define EXT2RS_HELPERS_H

#include <linux/buffer_head.h>
#include <linux/fileattr.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/iomap.h>
#include <linux/mm.h>
#include <linux/posix_acl.h>
#include <linux/slab.h>
#include <linux/writeback.h>

/* errorfc(): log a mount error to the fs_context log and the kernel log. */
void ext2rs_errorfc(struct fs_context *fc, const char *msg);

/* Superblocks, block devices and metadata buffers. */
struct buffer_head *ext2rs_sb_bread(struct super_block *sb, sector_t block);
struct buffer_head *ext2rs_sb_find_uptodate(struct super_block *sb,
					    sector_t block);
struct buffer_head *ext2rs_sb_getblk_zeroed(struct super_block *sb,
					    sector_t block);
void ext2rs_brelse(struct buffer_head *bh);
void ext2rs_bforget(struct buffer_head *bh);
void ext2rs_lock_buffer(struct buffer_head *bh);
u64 ext2rs_sb_bdev_nr_bytes(struct super_block *sb);
struct block_device *ext2rs_sb_bdev(struct super_block *sb);
long ext2rs_sb_remove_count(struct super_block *sb);

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
void ext2rs_mapping_set_large_folios(struct address_space *mapping);
void ext2rs_inode_get_times(const struct inode *inode, time64_t *atime,
			    time64_t *mtime, time64_t *ctime);
uid_t ext2rs_i_uid_read(const struct inode *inode);
gid_t ext2rs_i_gid_read(const struct inode *inode);
void ext2rs_mark_inode_dirty(struct inode *inode);
void ext2rs_inode_touch_cmtime(struct inode *inode);
void ext2rs_inode_lock(struct inode *inode);
void ext2rs_inode_unlock(struct inode *inode);
void ext2rs_inode_lock_shared(struct inode *inode);
void ext2rs_inode_unlock_shared(struct inode *inode);
void ext2rs_invalidate_lock(struct inode *inode);
void ext2rs_invalidate_unlock(struct inode *inode);
void ext2rs_invalidate_lock_shared(struct inode *inode);
void ext2rs_invalidate_unlock_shared(struct inode *inode);

/* Inode flags (FS_IOC_GETFLAGS/SETFLAGS). */
void ext2rs_fileattr_fill_flags(struct file_kattr *fa, u32 flags);
bool ext2rs_fileattr_has_fsx(const struct file_kattr *fa);
u32 ext2rs_fileattr_flags(const struct file_kattr *fa);

/* Files, page faults and writeback. */
int ext2rs_file_open(struct inode *inode, struct file *file);
size_t ext2rs_iov_iter_count(const struct iov_iter *iter);
ssize_t ext2rs_generic_write_sync(struct kiocb *iocb, ssize_t count);
void ext2rs_file_accessed(struct file *file);
bool ext2rs_file_writable(const struct file *file);
void ext2rs_sb_start_pagefault(struct super_block *sb);
void ext2rs_sb_end_pagefault(struct super_block *sb);
vm_fault_t ext2rs_vmf_fs_error(int err);
struct inode *ext2rs_vmf_inode(struct vm_fault *vmf);
struct file *ext2rs_vmf_file(struct vm_fault *vmf);
void ext2rs_mmap_prepare(struct vm_area_desc *desc,
			 const struct vm_operations_struct *vm_ops);
unsigned long ext2rs_get_unmapped_area(struct file *file, unsigned long addr,
				       unsigned long len, unsigned long pgoff,
				       unsigned long flags);
int ext2rs_iomap_writepages(struct address_space *mapping,
			    struct writeback_control *wbc,
			    const struct iomap_ops *ops,
			    u64 (*map_seq)(struct inode *inode));

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

/* Namespace changes: new inodes, O_TMPFILE, directory sync. */
bool ext2rs_is_dirsync(const struct inode *inode);
bool ext2rs_inode_needs_sync(struct inode *inode);
int ext2rs_finish_open_simple(struct file *file);

/* POSIX ACLs: allocation, entries (a union of kuid/kgid), release. */
struct posix_acl *ext2rs_posix_acl_alloc(unsigned int count);
unsigned int ext2rs_posix_acl_count(const struct posix_acl *acl);
void ext2rs_posix_acl_entry(const struct posix_acl *acl, unsigned int i,
			    u16 *tag, u16 *perm, u32 *id);
void ext2rs_posix_acl_set_entry(struct posix_acl *acl, unsigned int i,
				u16 tag, u16 perm, u32 id);
void ext2rs_posix_acl_release(struct posix_acl *acl);
/*
 * The exported ACL functions, wrapped so that they take the struct
 * posix_acl of kernel::bindings (a bindgen pass over posix_acl.h would make
 * a second, incompatible one).
 */
int ext2rs_posix_acl_create(struct inode *dir, umode_t *mode,
			    struct posix_acl **default_acl,
			    struct posix_acl **acl);
int ext2rs_posix_acl_update_mode(struct mnt_idmap *idmap, struct inode *inode,
				 umode_t *mode, struct posix_acl **acl);
int ext2rs_posix_acl_chmod(struct mnt_idmap *idmap, struct dentry *dentry,
			   umode_t mode);
void ext2rs_set_cached_acl(struct inode *inode, int type,
			   struct posix_acl *acl);

/* The owner and group of the blocks reserved for root (cred.rs). */
bool ext2rs_current_fsuid_is(u32 uid);
bool ext2rs_current_in_group(u32 gid);

#endif /* EXT2RS_HELPERS_H */
