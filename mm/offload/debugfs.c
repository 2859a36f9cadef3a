// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload debugfs: /sys/kernel/debug/offload/
 *
 * engines: one line per registered engine, in registration order: its
 *	placement, limits, state (ok or quarantined), users and counters.
 * classes: one line per copy class (migration reason, then "generic"):
 *	its route and counters.
 * enable: write an engine's name to take it out of quarantine.
 * route: write "CLASS MODE MIN_BATCH [ENGINE,...]" to set a class's route,
 *	e.g. "syscall_or_cpuset require 1 dma0chan0,mtcopy"; no engine list
 *	means every engine.  (configfs is the admin interface; this one is
 *	for tests and debugging.)
 */

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/migrate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/string_choices.h>
#include <linux/uaccess.h>

#include "internal.h"

static int engines_show(struct seq_file *m, void *v)
{
	struct offload_engine *eng;
	struct offload_engine_stats *st;

	mutex_lock(&offload_engines_lock);
	list_for_each_entry(eng, &offload_engines, list) {
		st = &eng->stats;
		seq_printf(m, "%s node=%d large_folio=%s min_batch=%u ",
			   eng->name, eng->nid,
			   str_yes_no(eng->caps & OFFLOAD_CAP_LARGE_FOLIO),
			   eng->min_batch);
		if (eng->max_inflight == UINT_MAX)
			seq_puts(m, "max_inflight=unlimited");
		else
			seq_printf(m, "max_inflight=%u", eng->max_inflight);
		seq_printf(m, " weight=%u timeout_ms=%u state=%s users=%u",
			   eng->weight, eng->timeout_ms,
			   test_bit(OFFLOAD_ENGINE_QUARANTINED, &eng->flags) ?
			   "quarantined" : "ok", kref_read(&eng->ref) - 1);
		seq_printf(m, " inflight=%d submitted=%lld folios=%lld bytes=%lld errors=%lld timeouts=%lld fallbacks=%lld busy_ns=%lld\n",
			   atomic_read(&eng->inflight),
			   atomic64_read(&st->submitted),
			   atomic64_read(&st->folios),
			   atomic64_read(&st->bytes),
			   atomic64_read(&st->errors),
			   atomic64_read(&st->timeouts),
			   atomic64_read(&st->fallbacks),
			   atomic64_read(&st->busy_ns));
	}
	mutex_unlock(&offload_engines_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(engines);

static int classes_show(struct seq_file *m, void *v)
{
	struct offload_route route;
	unsigned int class, i;

	for (class = 0; class < OFFLOAD_NR_CLASSES; class++) {
		struct offload_class_stats *cs = &offload_class_stats[class];

		offload_route_get(class, &route);
		seq_printf(m, "%s mode=%s min_batch=%u engines=",
			   class < MR_TYPES ? migrate_reason_names[class] :
			   "generic", offload_mode_names[route.mode],
			   route.min_batch);
		if (!route.nr_engines)
			seq_puts(m, "all");
		for (i = 0; i < route.nr_engines; i++)
			seq_printf(m, "%s%s", i ? "," : "", route.engines[i]);
		seq_printf(m, " submitted=%lld offloaded=%lld cpu=%lld failed=%lld declined=%lld\n",
			   atomic64_read(&cs->submitted),
			   atomic64_read(&cs->offloaded),
			   atomic64_read(&cs->cpu),
			   atomic64_read(&cs->failed),
			   atomic64_read(&cs->declined));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(classes);

static ssize_t enable_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	char name[OFFLOAD_ENGINE_NAME_LEN];
	struct offload_engine *eng;

	if (count >= sizeof(name))
		return -EINVAL;
	if (copy_from_user(name, ubuf, count))
		return -EFAULT;
	name[count] = '\0';

	eng = offload_engine_get(strim(name));
	if (!eng)
		return -ENODEV;
	offload_engine_enable(eng);
	offload_engine_put(eng);
	return count;
}

static const struct file_operations enable_fops = {
	.owner	= THIS_MODULE,
	.write	= enable_write,
};

static int route_class(const char *name)
{
	int class;

	if (!strcmp(name, "generic"))
		return OFFLOAD_CLASS_GENERIC;
	class = match_string(migrate_reason_names, MR_TYPES, name);
	return class < 0 ? -EINVAL : class;
}

static int route_parse(char *buf, struct offload_route *route)
{
	char *class_name = strsep(&buf, " "), *mode = strsep(&buf, " ");
	char *min_batch = strsep(&buf, " "), *engines = strsep(&buf, " ");
	char *name;
	int class, ret;

	if (!class_name || !mode || !min_batch || buf)
		return -EINVAL;
	class = route_class(class_name);
	if (class < 0)
		return class;
	ret = match_string(offload_mode_names, OFFLOAD_NR_MODES, mode);
	if (ret < 0)
		return ret;
	route->mode = ret;
	ret = kstrtouint(min_batch, 0, &route->min_batch);
	if (ret)
		return ret;
	while (engines && (name = strsep(&engines, ","))) {
		if (route->nr_engines == OFFLOAD_ROUTE_MAX_ENGINES)
			return -E2BIG;
		if (strscpy(route->engines[route->nr_engines++], name,
			    OFFLOAD_ENGINE_NAME_LEN) < 0)
			return -EINVAL;
	}
	return offload_route_set(class, route);
}

static ssize_t route_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	struct offload_route *route;
	char *buf;
	int ret;

	if (count > PAGE_SIZE)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	route = kzalloc(sizeof(*route), GFP_KERNEL);
	ret = route ? route_parse(strim(buf), route) : -ENOMEM;
	kfree(route);
	kfree(buf);
	return ret ? ret : count;
}

static const struct file_operations route_fops = {
	.owner	= THIS_MODULE,
	.write	= route_write,
};

static int __init offload_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("offload", NULL);

	debugfs_create_file("engines", 0444, dir, NULL, &engines_fops);
	debugfs_create_file("classes", 0444, dir, NULL, &classes_fops);
	debugfs_create_file("enable", 0200, dir, NULL, &enable_fops);
	debugfs_create_file("route", 0200, dir, NULL, &route_fops);
	return 0;
}
late_initcall(offload_debugfs_init);
