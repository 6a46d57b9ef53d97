/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Input of ext2rs's own bindgen pass (see Kbuild): the headers whose items
 * kernel::bindings lacks, and the module's C helpers.
 */
#include <linux/buffer_head.h>
#include <linux/exportfs.h>
#include <linux/filelock.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/iomap.h>
#include <linux/mpage.h>
#include <linux/pagemap.h>
#include <linux/statfs.h>
#include <linux/writeback.h>

#include "helpers.h"
