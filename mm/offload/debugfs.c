// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload debugfs: /sys/kernel/debug/offload/
 *
 * engines: one line per registered engine, in registration order: its
 *	placement, limits, rate, state (ok, disabled, quarantined,
 *	abandoned, dying, dead), users and counters.
 * classes: one line per copy class (migration reason, then "generic"):
 *	its route and counters; then the counters of probe copies.
 * parked: the number of requests kept for chunks abandoned on engines.
 *
 * Only for debugging: routes and engine tunables are set in configfs
 * (configfs.c), the administrator's interface.
 */

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/migrate.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/string_choices.h>

#include "internal.h"

static const char *engine_state(const struct offload_engine *eng)
{
	if (test_bit(OFFLOAD_ENGINE_DEAD, &eng->flags))
		return "dead";
	if (test_bit(OFFLOAD_ENGINE_DYING, &eng->flags))
		return "dying";
	if (test_bit(OFFLOAD_ENGINE_ABANDONED, &eng->flags))
		return "abandoned";
	if (test_bit(OFFLOAD_ENGINE_QUARANTINED, &eng->flags))
		return "quarantined";
	if (test_bit(OFFLOAD_ENGINE_DISABLED, &eng->flags))
		return "disabled";
	return "ok";
}

static int engines_show(struct seq_file *m, void *v)
{
	struct offload_engine *eng;
	struct offload_engine_stats *st;

	mutex_lock(&offload_engines_lock);
	list_for_each_entry(eng, &offload_engines, list) {
		st = &eng->stats;
		seq_printf(m, "%s node=%d large_folio=%s cpu=%s min_batch=%u max_seg_bytes=%zu max_chunk_bytes=%zu ",
			   eng->name, eng->nid,
			   str_yes_no(eng->caps & OFFLOAD_CAP_LARGE_FOLIO),
			   str_yes_no(eng->caps & OFFLOAD_CAP_CPU),
			   eng->min_batch, eng->max_seg_bytes,
			   eng->max_chunk_bytes);
		if (eng->max_inflight == UINT_MAX)
			seq_puts(m, "max_inflight=unlimited");
		else
			seq_printf(m, "max_inflight=%u", eng->max_inflight);
		seq_printf(m, " weight=%u rate_kBps=%llu timeout_ms=%u state=%s users=%u",
			   eng->weight, offload_engine_rate(eng),
			   eng->timeout_ms, engine_state(eng),
			   kref_read(&eng->ref) - 1);
		seq_printf(m, " inflight=%d submitted=%lld folios=%lld bytes=%lld errors=%lld timeouts=%lld fallbacks=%lld refused=%lld cancelled=%lld abandoned=%lld stale=%lld probes=%lld probe_failures=%lld busy_ns=%lld\n",
			   atomic_read(&eng->inflight),
			   atomic64_read(&st->submitted),
			   atomic64_read(&st->folios),
			   atomic64_read(&st->bytes),
			   atomic64_read(&st->errors),
			   atomic64_read(&st->timeouts),
			   atomic64_read(&st->fallbacks),
			   atomic64_read(&st->refused),
			   atomic64_read(&st->cancelled),
			   atomic64_read(&st->abandoned),
			   atomic64_read(&st->stale),
			   atomic64_read(&st->probes),
			   atomic64_read(&st->probe_failures),
			   atomic64_read(&st->busy_ns));
	}
	mutex_unlock(&offload_engines_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(engines);

static void class_stats_show(struct seq_file *m,
			     const struct offload_class_stats *cs)
{
	seq_printf(m, " submitted=%lld offloaded=%lld cpu=%lld failed=%lld declined=%lld nomem=%lld refused=%lld\n",
		   atomic64_read(&cs->submitted),
		   atomic64_read(&cs->offloaded),
		   atomic64_read(&cs->cpu),
		   atomic64_read(&cs->failed),
		   atomic64_read(&cs->declined),
		   atomic64_read(&cs->nomem),
		   atomic64_read(&cs->refused));
}

static int classes_show(struct seq_file *m, void *v)
{
	struct offload_route route;
	unsigned int class, i;

	for (class = 0; class < OFFLOAD_NR_CLASSES; class++) {
		offload_route_get(class, &route);
		seq_printf(m, "%s mode=%s min_batch=%u async_ms=%u engines=",
			   offload_class_name(class),
			   offload_mode_names[route.mode],
			   route.min_batch, route.async_ms);
		if (!route.nr_engines)
			seq_puts(m, "all");
		for (i = 0; i < route.nr_engines; i++)
			seq_printf(m, "%s%s", i ? "," : "", route.engines[i]);
		class_stats_show(m, &offload_class_stats[class]);
	}
	seq_puts(m, "probe");
	class_stats_show(m, &offload_class_stats[OFFLOAD_CLASS_PROBE]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(classes);

static int parked_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%u\n", offload_req_parked_count());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(parked);

static int __init offload_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("offload", NULL);

	debugfs_create_file("engines", 0444, dir, NULL, &engines_fops);
	debugfs_create_file("classes", 0444, dir, NULL, &classes_fops);
	debugfs_create_file("parked", 0444, dir, NULL, &parked_fops);
	return 0;
}
late_initcall(offload_debugfs_init);
