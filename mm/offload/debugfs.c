// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload debugfs: /sys/kernel/debug/offload/
 *
 * engines: one line per registered engine, in registration order, with its
 * placement, limits and the number of users holding it.
 */

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/seq_file.h>
#include <linux/string_choices.h>

#include "internal.h"

static int engines_show(struct seq_file *m, void *v)
{
	struct offload_engine *eng;

	mutex_lock(&offload_engines_lock);
	list_for_each_entry(eng, &offload_engines, list) {
		seq_printf(m, "%s node=%d large_folio=%s min_batch=%u ",
			   eng->name, eng->nid,
			   str_yes_no(eng->caps & OFFLOAD_CAP_LARGE_FOLIO),
			   eng->min_batch);
		if (eng->max_inflight == UINT_MAX)
			seq_puts(m, "max_inflight=unlimited");
		else
			seq_printf(m, "max_inflight=%u", eng->max_inflight);
		seq_printf(m, " weight=%u users=%u\n", eng->weight,
			   kref_read(&eng->ref) - 1);
	}
	mutex_unlock(&offload_engines_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(engines);

static int __init offload_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("offload", NULL);

	debugfs_create_file("engines", 0444, dir, NULL, &engines_fops);
	return 0;
}
late_initcall(offload_debugfs_init);
