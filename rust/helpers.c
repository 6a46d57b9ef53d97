// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers of ext2rs: the static inlines and macros Rust cannot call.
 * Declared in helpers.h, which ext2rs's bindgen pass also reads, so the Rust
 * declarations are generated from the same prototypes.
 */
#include <linux/buffer_head.h>
#include <linux/fileattr.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/iomap.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
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

/*
 * Block @block if the buffer cache holds it up to date, else NULL without
 * reading it: for a walk that must not wait for a read under its lock.
 * __find_get_block_nonatomic takes the folio lock, so this may sleep.
 */
struct buffer_head *ext2rs_sb_find_uptodate(struct super_block *sb,
					    sector_t block)
{
	struct buffer_head *bh = sb_find_get_block_nonatomic(sb, block);

	if (bh && !buffer_uptodate(bh)) {
		brelse(bh);
		return NULL;
	}
	return bh;
}

/*
 * A buffer for a block whose old contents do not matter (a newly allocated
 * indirect or directory block): zero-filled and up to date without a read.
 */
struct buffer_head *ext2rs_sb_getblk_zeroed(struct super_block *sb,
					    sector_t block)
{
	struct buffer_head *bh = sb_getblk(sb, block);

	if (!bh)
		return NULL;
	lock_buffer(bh);
	memset(bh->b_data, 0, bh->b_size);
	set_buffer_uptodate(bh);
	unlock_buffer(bh);
	return bh;
}

void ext2rs_brelse(struct buffer_head *bh)
{
	brelse(bh);
}

void ext2rs_bforget(struct buffer_head *bh)
{
	bforget(bh);
}

void ext2rs_lock_buffer(struct buffer_head *bh)
{
	lock_buffer(bh);
}

u64 ext2rs_sb_bdev_nr_bytes(struct super_block *sb)
{
	return bdev_nr_bytes(sb->s_bdev);
}

struct block_device *ext2rs_sb_bdev(struct super_block *sb)
{
	return sb->s_bdev;
}

long ext2rs_sb_remove_count(struct super_block *sb)
{
	return atomic_long_read(&sb->s_remove_count);
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

void ext2rs_mapping_set_large_folios(struct address_space *mapping)
{
	mapping_set_large_folios(mapping);
}

void ext2rs_fileattr_fill_flags(struct file_kattr *fa, u32 flags)
{
	fileattr_fill_flags(fa, flags);
}

bool ext2rs_fileattr_has_fsx(const struct file_kattr *fa)
{
	return fileattr_has_fsx(fa);
}

u32 ext2rs_fileattr_flags(const struct file_kattr *fa)
{
	return fa->flags;
}

void ext2rs_inode_get_times(const struct inode *inode, time64_t *atime,
			    time64_t *mtime, time64_t *ctime)
{
	*atime = inode_get_atime_sec(inode);
	*mtime = inode_get_mtime_sec(inode);
	*ctime = inode_get_ctime_sec(inode);
}

uid_t ext2rs_i_uid_read(const struct inode *inode)
{
	return i_uid_read(inode);
}

gid_t ext2rs_i_gid_read(const struct inode *inode)
{
	return i_gid_read(inode);
}

void ext2rs_mark_inode_dirty(struct inode *inode)
{
	mark_inode_dirty(inode);
}

void ext2rs_inode_touch_cmtime(struct inode *inode)
{
	inode_set_mtime_to_ts(inode, inode_set_ctime_current(inode));
}

void ext2rs_inode_lock(struct inode *inode)
{
	inode_lock(inode);
}

void ext2rs_inode_unlock(struct inode *inode)
{
	inode_unlock(inode);
}

void ext2rs_inode_lock_shared(struct inode *inode)
{
	inode_lock_shared(inode);
}

void ext2rs_inode_unlock_shared(struct inode *inode)
{
	inode_unlock_shared(inode);
}

void ext2rs_invalidate_lock(struct inode *inode)
{
	filemap_invalidate_lock(inode->i_mapping);
}

void ext2rs_invalidate_unlock(struct inode *inode)
{
	filemap_invalidate_unlock(inode->i_mapping);
}

void ext2rs_invalidate_lock_shared(struct inode *inode)
{
	filemap_invalidate_lock_shared(inode->i_mapping);
}

void ext2rs_invalidate_unlock_shared(struct inode *inode)
{
	filemap_invalidate_unlock_shared(inode->i_mapping);
}

/* Regular files: generic_file_open, and direct I/O allowed. */
int ext2rs_file_open(struct inode *inode, struct file *file)
{
	file->f_mode |= FMODE_CAN_ODIRECT;
	return generic_file_open(inode, file);
}

size_t ext2rs_iov_iter_count(const struct iov_iter *iter)
{
	return iov_iter_count(iter);
}

ssize_t ext2rs_generic_write_sync(struct kiocb *iocb, ssize_t count)
{
	return generic_write_sync(iocb, count);
}

void ext2rs_file_accessed(struct file *file)
{
	file_accessed(file);
}

/* FMODE_WRITE is a __force cast bindgen cannot turn into a constant. */
bool ext2rs_file_writable(const struct file *file)
{
	return file->f_mode & FMODE_WRITE;
}

void ext2rs_sb_start_pagefault(struct super_block *sb)
{
	sb_start_pagefault(sb);
}

void ext2rs_sb_end_pagefault(struct super_block *sb)
{
	sb_end_pagefault(sb);
}

vm_fault_t ext2rs_vmf_fs_error(int err)
{
	return vmf_fs_error(err);
}

struct inode *ext2rs_vmf_inode(struct vm_fault *vmf)
{
	return file_inode(vmf->vma->vm_file);
}

struct file *ext2rs_vmf_file(struct vm_fault *vmf)
{
	return vmf->vma->vm_file;
}

void ext2rs_mmap_prepare(struct vm_area_desc *desc,
			 const struct vm_operations_struct *vm_ops)
{
	file_accessed(desc->file);
	desc->vm_ops = vm_ops;
}

/*
 * Large mappings of regular files start on a PMD boundary, as ext2's, ext4's
 * and XFS's do (thp_get_unmapped_area): a fault can then map a whole 2 MiB
 * folio with one PMD (do_set_pmd), where an unaligned mapping takes a fault,
 * and a page_mkwrite, per 4 KiB page. A macro (NULL) without THP, hence the
 * wrapper.
 */
unsigned long ext2rs_get_unmapped_area(struct file *file, unsigned long addr,
				       unsigned long len, unsigned long pgoff,
				       unsigned long flags)
{
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	return thp_get_unmapped_area(file, addr, len, pgoff, flags);
#else
	return mm_get_unmapped_area(file, addr, len, pgoff, flags);
#endif
}

/*
 * Writeback maps dirty ranges with the filesystem's own iomap_begin (no
 * IOMAP_WRITE: nothing is allocated here, blocks were allocated when the
 * folio was dirtied), as exfat_writeback_range does. The ops travel beside
 * the context (wb_ctx belongs to iomap's ioend code).
 *
 * With map_seq, a mapping is asked for up to EOF and kept for the folios
 * after this one while it is a run of blocks and the file's mapping
 * sequence still equals its validity_cookie: the filesystem bumps the
 * sequence before it frees blocks (truncate), so a kept run never points
 * at freed blocks. The folio being written is locked, which keeps a
 * truncate of its own range waiting. Without map_seq, each dirty range is
 * mapped by itself.
 */
struct ext2rs_writepage_ctx {
	struct iomap_writepage_ctx ctx;
	const struct iomap_ops *ops;
	u64 (*map_seq)(struct inode *inode);
};

static bool ext2rs_wb_map_valid(struct ext2rs_writepage_ctx *wpc, u64 offset)
{
	const struct iomap *map = &wpc->ctx.iomap;

	if (offset < map->offset || offset >= map->offset + map->length)
		return false;
	if (!wpc->map_seq)
		return true;
	return map->type == IOMAP_MAPPED &&
	       map->validity_cookie == wpc->map_seq(wpc->ctx.inode);
}

static ssize_t ext2rs_writeback_range(struct iomap_writepage_ctx *ctx,
				      struct folio *folio, u64 offset,
				      unsigned int len, u64 end_pos)
{
	struct ext2rs_writepage_ctx *wpc =
		container_of(ctx, struct ext2rs_writepage_ctx, ctx);

	if (!ext2rs_wb_map_valid(wpc, offset)) {
		struct iomap srcmap = { .type = IOMAP_HOLE };
		loff_t length = len;
		int error;

		if (wpc->map_seq) {
			loff_t eof = round_up(i_size_read(ctx->inode),
					      i_blocksize(ctx->inode));

			length = max_t(loff_t, len, eof - (loff_t)offset);
		}
		error = wpc->ops->iomap_begin(ctx->inode, offset, length, 0,
					      &ctx->iomap, &srcmap);
		if (error)
			return error;
	}
	return iomap_add_to_ioend(ctx, folio, offset, end_pos, len);
}

static const struct iomap_writeback_ops ext2rs_writeback_ops = {
	.writeback_range	= ext2rs_writeback_range,
	.writeback_submit	= iomap_ioend_writeback_submit,
};

int ext2rs_iomap_writepages(struct address_space *mapping,
			    struct writeback_control *wbc,
			    const struct iomap_ops *ops,
			    u64 (*map_seq)(struct inode *inode))
{
	struct ext2rs_writepage_ctx wpc = {
		.ctx = {
			.inode		= mapping->host,
			.wbc		= wbc,
			.ops		= &ext2rs_writeback_ops,
		},
		.ops = ops,
		.map_seq = map_seq,
	};

	return iomap_writepages(&wpc.ctx);
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

bool ext2rs_is_dirsync(const struct inode *inode)
{
	return IS_DIRSYNC(inode);
}

bool ext2rs_inode_needs_sync(struct inode *inode)
{
	return inode_needs_sync(inode);
}

int ext2rs_finish_open_simple(struct file *file)
{
	return finish_open_simple(file, 0);
}

struct posix_acl *ext2rs_posix_acl_alloc(unsigned int count)
{
	return posix_acl_alloc(count, GFP_KERNEL);
}

unsigned int ext2rs_posix_acl_count(const struct posix_acl *acl)
{
	return acl->a_count;
}

/* ids as ext2 stores them: in the initial user namespace (acl.c). */
void ext2rs_posix_acl_entry(const struct posix_acl *acl, unsigned int i,
			    u16 *tag, u16 *perm, u32 *id)
{
	const struct posix_acl_entry *e = &acl->a_entries[i];

	*tag = e->e_tag;
	*perm = e->e_perm;
	if (e->e_tag == ACL_USER)
		*id = from_kuid(&init_user_ns, e->e_uid);
	else if (e->e_tag == ACL_GROUP)
		*id = from_kgid(&init_user_ns, e->e_gid);
	else
		*id = 0;
}

void ext2rs_posix_acl_set_entry(struct posix_acl *acl, unsigned int i,
				u16 tag, u16 perm, u32 id)
{
	struct posix_acl_entry *e = &acl->a_entries[i];

	e->e_tag = tag;
	e->e_perm = perm;
	if (tag == ACL_USER)
		e->e_uid = make_kuid(&init_user_ns, id);
	else if (tag == ACL_GROUP)
		e->e_gid = make_kgid(&init_user_ns, id);
}

void ext2rs_posix_acl_release(struct posix_acl *acl)
{
	posix_acl_release(acl);
}

int ext2rs_posix_acl_create(struct inode *dir, umode_t *mode,
			    struct posix_acl **default_acl,
			    struct posix_acl **acl)
{
	return posix_acl_create(dir, mode, default_acl, acl);
}

int ext2rs_posix_acl_update_mode(struct mnt_idmap *idmap, struct inode *inode,
				 umode_t *mode, struct posix_acl **acl)
{
	return posix_acl_update_mode(idmap, inode, mode, acl);
}

int ext2rs_posix_acl_chmod(struct mnt_idmap *idmap, struct dentry *dentry,
			   umode_t mode)
{
	return posix_acl_chmod(idmap, dentry, mode);
}

void ext2rs_set_cached_acl(struct inode *inode, int type,
			   struct posix_acl *acl)
{
	set_cached_acl(inode, type, acl);
}

/*
 * Whether the current task's filesystem uid is @uid, a uid of the initial
 * user namespace (a kernel uid) as the superblock stores it (s_def_resuid)
 * or resuid= gives it: the user ext2 lets use the blocks reserved for root
 * (ext2_has_free_blocks).
 */
bool ext2rs_current_fsuid_is(u32 uid)
{
	return uid_eq(current_fsuid(), make_kuid(&init_user_ns, uid));
}

/*
 * Whether the current task is in group @gid of the initial user namespace
 * (in_group_p): resgid= or s_def_resgid, the group that may use the
 * reserved blocks.
 */
bool ext2rs_current_in_group(u32 gid)
{
	return in_group_p(make_kgid(&init_user_ns, gid));
}
