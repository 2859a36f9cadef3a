// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload configfs: the administrator's interface.
 *
 *	/sys/kernel/config/offload/
 *	|-- locked		1: routes and tunables immutable until reboot
 *	|-- default_mode	mode of the reasons nobody configured
 *	|-- engines/
 *	|   `-- <engine>/	node kind state stats, and the tunables
 *	|			enabled weight min_batch max_inflight timeout_ms
 *	`-- routes/
 *	    `-- <reason>/	mode min_batch async_ms order stats
 *	        `-- engines/	links to ../../../engines/<engine>
 *
 * The ABI is in Documentation/ABI/testing/configfs-offload, the recipes in
 * Documentation/admin-guide/mm/offload.rst.
 *
 * Engine groups.  The kernel makes them: offload_cfs_engine_add() gives a
 * registering engine its &struct offload_cfs_engine (one per name; it also
 * refuses a name already registered), whose tunables, kept from an
 * earlier registration of that name, apply before the engine takes work.
 * A work item (offload_cfs_sync()) then makes the directory, outside every
 * lock of the broker.  When the engine unregisters its group stays while
 * route links point at it (state "gone"), so that no link ever dangles
 * (configfs_unregister_group() would not refuse), and goes once the last
 * of them is removed; a group on its way out (@dying) takes no new link.
 * Admins cannot make or remove engine groups.
 *
 * Routes.  Each reason's group edits that class's route through
 * offload_route_update(): one atomic read-modify-write of the published
 * route per write or link, refused with -EPERM once the routes are
 * locked.  The engines/ group of a reason holds its engines as links; a
 * new link is tried last, and the order attribute reorders.  A link
 * removal cannot be refused (configfs has no way to): once locked, or
 * for a process without CAP_SYS_ADMIN, it leaves the route as it was, and
 * order shows the route in force.  Privileges are those of the writer at
 * the time of the write (configfs passes no opener's credentials).
 *
 * Locking: offload_cfs_lock protects the list of engine groups and their
 * fields, and is taken before offload_routes_lock (links).  The engine an
 * &struct offload_cfs_engine points to is registered for as long as it
 * does: offload_cfs_engine_remove() clears the pointer, under the lock,
 * before the engine leaves the registry.  Directories are added and
 * removed only by offload_cfs_sync_work, which never runs twice at once.
 */

#define pr_fmt(fmt) "mm/offload: " fmt

#include <linux/capability.h>
#include <linux/configfs.h>
#include <linux/init.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "internal.h"

/* Longest value written to an attribute: an order of 8 names. */
#define OFFLOAD_CFS_VALUE_MAX		(OFFLOAD_ROUTE_MAX_ENGINES * \
					 OFFLOAD_ENGINE_NAME_LEN)

/* Bounds of route attributes. */
#define OFFLOAD_CFS_BATCH_MAX		1048576	/* 4 GiB of base pages */
#define OFFLOAD_CFS_ASYNC_MAX		60000

/* What an admin may set on an engine; 0 means "the engine's own". */
enum offload_cfs_tunable {
	OFFLOAD_CFS_WEIGHT,
	OFFLOAD_CFS_MIN_BATCH,
	OFFLOAD_CFS_MAX_INFLIGHT,
	OFFLOAD_CFS_TIMEOUT_MS,
	OFFLOAD_CFS_NR_TUNABLES,
};

static const unsigned int offload_cfs_tunable_max[OFFLOAD_CFS_NR_TUNABLES] = {
	[OFFLOAD_CFS_WEIGHT]		= 1000000,
	[OFFLOAD_CFS_MIN_BATCH]		= OFFLOAD_CFS_BATCH_MAX,
	[OFFLOAD_CFS_MAX_INFLIGHT]	= 1000000,
	[OFFLOAD_CFS_TIMEOUT_MS]	= 600000,
};

/* The field of @eng that tunable @t sets. */
static unsigned int *offload_cfs_field(struct offload_engine *eng,
				       enum offload_cfs_tunable t)
{
	switch (t) {
	case OFFLOAD_CFS_WEIGHT:
		return &eng->weight;
	case OFFLOAD_CFS_MIN_BATCH:
		return &eng->min_batch;
	case OFFLOAD_CFS_MAX_INFLIGHT:
		return &eng->max_inflight;
	default:
		return &eng->timeout_ms;
	}
}

/**
 * struct offload_cfs_engine - the configfs group of an engine name
 * @group: the group, engines/<name>.
 * @name: the engine name.
 * @node: entry in offload_cfs_engines.
 * @eng: the registered engine of that name, or NULL while gone.
 * @set: tunables an admin set, 0 for the engine's own.
 * @own: the engine's own tunables, from its registration.
 * @disabled: an admin wrote 0 to enabled.
 * @links: route links that point at the group.
 * @attached: the directory exists.
 * @dying: the directory is being removed: no new links.
 */
struct offload_cfs_engine {
	struct config_group		group;
	char				name[OFFLOAD_ENGINE_NAME_LEN];
	struct list_head		node;
	struct offload_engine		*eng;
	unsigned int			set[OFFLOAD_CFS_NR_TUNABLES];
	unsigned int			own[OFFLOAD_CFS_NR_TUNABLES];
	bool				disabled;
	unsigned int			links;
	bool				attached;
	bool				dying;
};

/**
 * struct offload_cfs_class - the configfs group of a copy class's route
 * @group: routes/<reason>.
 * @engines: routes/<reason>/engines, holding the links.
 * @class: the class.
 */
struct offload_cfs_class {
	struct config_group	group;
	struct config_group	engines;
	unsigned int		class;
};

static LIST_HEAD(offload_cfs_engines);
static DEFINE_MUTEX(offload_cfs_lock);	/* see above */
static bool offload_cfs_ready;		/* the subsystem is registered */

static struct offload_cfs_class offload_cfs_classes[OFFLOAD_NR_CLASSES];
static struct config_group offload_cfs_engines_group;
static struct config_group offload_cfs_routes_group;

static void offload_cfs_sync(struct work_struct *work);
static DECLARE_WORK(offload_cfs_sync_work, offload_cfs_sync);

static const struct config_item_type offload_cfs_engine_type;

static struct offload_cfs_engine *to_cfs_engine(struct config_item *item)
{
	return container_of(to_config_group(item), struct offload_cfs_engine,
			    group);
}

static struct offload_cfs_class *to_cfs_class(struct config_item *item)
{
	return container_of(to_config_group(item), struct offload_cfs_class,
			    group);
}

/* The live group of @name, not one on its way out. */
static struct offload_cfs_engine *offload_cfs_find(const char *name)
{
	struct offload_cfs_engine *ce;

	lockdep_assert_held(&offload_cfs_lock);
	list_for_each_entry(ce, &offload_cfs_engines, node)
		if (!ce->dying && !strcmp(ce->name, name))
			return ce;
	return NULL;
}

/*
 * Whether @val, set by an admin, may stand for tunable @t of @eng: not 0,
 * and a minimum batch the engine's largest chunk can hold (registration
 * checks the same of the engine's own).
 */
static bool offload_cfs_valid(const struct offload_engine *eng,
			      enum offload_cfs_tunable t, unsigned int val)
{
	if (!val)
		return false;
	return t != OFFLOAD_CFS_MIN_BATCH || !eng->max_chunk_bytes ||
	       (u64)val << PAGE_SHIFT <= eng->max_chunk_bytes;
}

/* Write @ce's tunables into its engine: an admin's, else the engine's. */
static void offload_cfs_apply(struct offload_cfs_engine *ce)
{
	struct offload_engine *eng = ce->eng;
	enum offload_cfs_tunable t;

	lockdep_assert_held(&offload_cfs_lock);
	for (t = 0; t < OFFLOAD_CFS_NR_TUNABLES; t++)
		WRITE_ONCE(*offload_cfs_field(eng, t),
			   offload_cfs_valid(eng, t, ce->set[t]) ?
			   ce->set[t] : ce->own[t]);
	if (ce->disabled)
		set_bit(OFFLOAD_ENGINE_DISABLED, &eng->flags);
	else
		clear_bit(OFFLOAD_ENGINE_DISABLED, &eng->flags);
}

/**
 * offload_cfs_engine_add - give a registering engine its configfs group
 * @eng: the engine, its defaults filled in, not in the registry yet
 *
 * Applies the tunables an admin set for its name before.
 *
 * Context: process context, sleeps.
 * Return: 0, -EEXIST if an engine of that name is registered, -ENOMEM.
 */
int offload_cfs_engine_add(struct offload_engine *eng)
{
	enum offload_cfs_tunable t;
	struct offload_cfs_engine *ce;
	int ret = 0;

	mutex_lock(&offload_cfs_lock);
	ce = offload_cfs_find(eng->name);
	if (ce && ce->eng) {
		ret = -EEXIST;
		goto unlock;
	}
	if (!ce) {
		ret = -ENOMEM;
		ce = kzalloc(sizeof(*ce), GFP_KERNEL);
		if (!ce)
			goto unlock;
		strscpy(ce->name, eng->name, sizeof(ce->name));
		config_group_init_type_name(&ce->group, ce->name,
					    &offload_cfs_engine_type);
		/* Names longer than a configfs item's buffer are allocated. */
		if (!config_item_name(&ce->group.cg_item)) {
			kfree(ce);
			goto unlock;
		}
		ret = 0;
		list_add_tail(&ce->node, &offload_cfs_engines);
	}
	ce->eng = eng;
	for (t = 0; t < OFFLOAD_CFS_NR_TUNABLES; t++)
		ce->own[t] = *offload_cfs_field(eng, t);
	offload_cfs_apply(ce);
	if (offload_cfs_ready)
		queue_work(system_unbound_wq, &offload_cfs_sync_work);
unlock:
	mutex_unlock(&offload_cfs_lock);
	return ret;
}

/**
 * offload_cfs_engine_remove - an engine is being unregistered
 * @eng: an engine offload_cfs_engine_add() accepted
 *
 * Its group shows it gone from now on, and goes once nothing links to it.
 *
 * Context: process context, sleeps.
 */
void offload_cfs_engine_remove(struct offload_engine *eng)
{
	enum offload_cfs_tunable t;
	struct offload_cfs_engine *ce;

	mutex_lock(&offload_cfs_lock);
	list_for_each_entry(ce, &offload_cfs_engines, node) {
		if (ce->eng != eng)
			continue;
		/* The driver may register the same structure again. */
		for (t = 0; t < OFFLOAD_CFS_NR_TUNABLES; t++)
			WRITE_ONCE(*offload_cfs_field(eng, t), ce->own[t]);
		ce->eng = NULL;
		break;
	}
	if (offload_cfs_ready)
		queue_work(system_unbound_wq, &offload_cfs_sync_work);
	mutex_unlock(&offload_cfs_lock);
}

enum offload_cfs_action {
	OFFLOAD_CFS_NONE,
	OFFLOAD_CFS_ATTACH,
	OFFLOAD_CFS_DETACH,
	OFFLOAD_CFS_FREE,
};

/* The next group to add or remove, and what to do with it. */
static struct offload_cfs_engine *
offload_cfs_next(enum offload_cfs_action *action)
{
	struct offload_cfs_engine *ce;

	lockdep_assert_held(&offload_cfs_lock);
	list_for_each_entry(ce, &offload_cfs_engines, node) {
		if (ce->eng || ce->links || ce->dying)
			continue;
		/* Gone and unlinked. */
		ce->dying = true;
		*action = ce->attached ? OFFLOAD_CFS_DETACH : OFFLOAD_CFS_FREE;
		return ce;
	}
	list_for_each_entry(ce, &offload_cfs_engines, node) {
		if (ce->attached || ce->dying || !ce->eng)
			continue;
		*action = OFFLOAD_CFS_ATTACH;
		return ce;
	}
	*action = OFFLOAD_CFS_NONE;
	return NULL;
}

/*
 * Make the directories of new engine groups, remove those of groups gone
 * and unlinked.  Removals come first, so that a name that went and came
 * back gets its new directory after the old one is gone.
 */
static void offload_cfs_sync(struct work_struct *work)
{
	enum offload_cfs_action action;
	struct offload_cfs_engine *ce;
	int ret;

	for (;;) {
		mutex_lock(&offload_cfs_lock);
		ce = offload_cfs_next(&action);
		if (action == OFFLOAD_CFS_FREE)
			list_del(&ce->node);
		mutex_unlock(&offload_cfs_lock);

		switch (action) {
		case OFFLOAD_CFS_NONE:
			return;
		case OFFLOAD_CFS_ATTACH:
			ret = configfs_register_group(&offload_cfs_engines_group,
						      &ce->group);
			mutex_lock(&offload_cfs_lock);
			ce->attached = true;	/* or never tried again */
			if (ret) {
				pr_warn("engines/%s: cannot add: %pe\n",
					ce->name, ERR_PTR(ret));
				ce->dying = true;
				list_del(&ce->node);
			}
			mutex_unlock(&offload_cfs_lock);
			if (ret)
				config_item_put(&ce->group.cg_item);
			break;
		case OFFLOAD_CFS_DETACH:
			configfs_unregister_group(&ce->group);
			mutex_lock(&offload_cfs_lock);
			list_del(&ce->node);
			mutex_unlock(&offload_cfs_lock);
			fallthrough;
		case OFFLOAD_CFS_FREE:
			config_item_put(&ce->group.cg_item);
			break;
		}
	}
}

static void offload_cfs_engine_release(struct config_item *item)
{
	kfree(to_cfs_engine(item));
}

/*
 * Writes need CAP_SYS_ADMIN, and are refused once locked.  A value of
 * @count bytes longer than any valid one is refused too: configfs would
 * have cut one of a page or more short.
 */
static int offload_cfs_may_write(size_t count)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (offload_routes_are_locked())
		return -EPERM;
	return count > OFFLOAD_CFS_VALUE_MAX ? -EINVAL : 0;
}

/* A whole number in [0, @max], from what userspace wrote. */
static int offload_cfs_uint(const char *page, unsigned int max,
			    unsigned int *val)
{
	int ret = kstrtouint(page, 0, val);

	if (ret)
		return ret;
	return *val > max ? -ERANGE : 0;
}

static const char *offload_cfs_state(const struct offload_engine *eng)
{
	if (!eng || test_bit(OFFLOAD_ENGINE_DYING, &eng->flags) ||
	    test_bit(OFFLOAD_ENGINE_DEAD, &eng->flags))
		return "gone";
	if (test_bit(OFFLOAD_ENGINE_ABANDONED, &eng->flags))
		return "abandoned";
	if (test_bit(OFFLOAD_ENGINE_QUARANTINED, &eng->flags))
		return "quarantined";
	return "ready";
}

static ssize_t engine_node_show(struct config_item *item, char *page)
{
	struct offload_cfs_engine *ce = to_cfs_engine(item);
	ssize_t ret;

	mutex_lock(&offload_cfs_lock);
	ret = sprintf(page, "%d\n", ce->eng ? ce->eng->nid : NUMA_NO_NODE);
	mutex_unlock(&offload_cfs_lock);
	return ret;
}

static ssize_t engine_kind_show(struct config_item *item, char *page)
{
	struct offload_cfs_engine *ce = to_cfs_engine(item);
	const char *kind = "-";

	mutex_lock(&offload_cfs_lock);
	if (ce->eng)
		kind = ce->eng->caps & OFFLOAD_CAP_CPU ? "cpu" : "device";
	mutex_unlock(&offload_cfs_lock);
	return sprintf(page, "%s\n", kind);
}

static ssize_t engine_state_show(struct config_item *item, char *page)
{
	struct offload_cfs_engine *ce = to_cfs_engine(item);
	ssize_t ret;

	mutex_lock(&offload_cfs_lock);
	ret = sprintf(page, "%s\n", offload_cfs_state(ce->eng));
	mutex_unlock(&offload_cfs_lock);
	return ret;
}

static ssize_t engine_stats_show(struct config_item *item, char *page)
{
	static const struct offload_engine_stats gone;
	struct offload_cfs_engine *ce = to_cfs_engine(item);
	const struct offload_engine_stats *st = &gone;
	struct offload_engine *eng;
	ssize_t len;

	mutex_lock(&offload_cfs_lock);
	eng = ce->eng;
	if (eng)
		st = &eng->stats;
	len = sprintf(page,
		      "submitted %lld\nfolios %lld\nbytes %lld\nerrors %lld\ntimeouts %lld\nfallbacks %lld\nrefused %lld\ncancelled %lld\nabandoned %lld\ninflight %d\nrate_kBps %llu\n",
		      atomic64_read(&st->submitted), atomic64_read(&st->folios),
		      atomic64_read(&st->bytes), atomic64_read(&st->errors),
		      atomic64_read(&st->timeouts),
		      atomic64_read(&st->fallbacks),
		      atomic64_read(&st->refused),
		      atomic64_read(&st->cancelled),
		      atomic64_read(&st->abandoned),
		      eng ? atomic_read(&eng->inflight) : 0,
		      eng ? offload_engine_rate(eng) : 0);
	mutex_unlock(&offload_cfs_lock);
	return len;
}

static ssize_t engine_enabled_show(struct config_item *item, char *page)
{
	struct offload_cfs_engine *ce = to_cfs_engine(item);
	bool enabled;

	mutex_lock(&offload_cfs_lock);
	enabled = !ce->disabled;
	mutex_unlock(&offload_cfs_lock);
	return sprintf(page, "%d\n", enabled);
}

static ssize_t engine_enabled_store(struct config_item *item,
				    const char *page, size_t count)
{
	struct offload_cfs_engine *ce = to_cfs_engine(item);
	bool enable;
	int ret;

	ret = offload_cfs_may_write(count) ?: kstrtobool(page, &enable);
	if (ret)
		return ret;
	mutex_lock(&offload_cfs_lock);
	/* Locked since the check: offload_cfs_lock orders against it. */
	if (offload_routes_are_locked()) {
		mutex_unlock(&offload_cfs_lock);
		return -EPERM;
	}
	ce->disabled = !enable;
	if (ce->eng) {
		offload_cfs_apply(ce);
		if (enable)
			offload_engine_enable(ce->eng);
	}
	mutex_unlock(&offload_cfs_lock);
	return count;
}

static ssize_t engine_tunable_show(struct config_item *item, char *page,
				   enum offload_cfs_tunable t)
{
	struct offload_cfs_engine *ce = to_cfs_engine(item);
	unsigned int val;

	mutex_lock(&offload_cfs_lock);
	val = ce->eng ? READ_ONCE(*offload_cfs_field(ce->eng, t)) : ce->set[t];
	mutex_unlock(&offload_cfs_lock);
	return sprintf(page, "%u\n", val);
}

static ssize_t engine_tunable_store(struct config_item *item,
				    const char *page, size_t count,
				    enum offload_cfs_tunable t)
{
	struct offload_cfs_engine *ce = to_cfs_engine(item);
	unsigned int val;
	int ret;

	ret = offload_cfs_may_write(count) ?:
	      offload_cfs_uint(page, offload_cfs_tunable_max[t], &val);
	if (ret)
		return ret;
	mutex_lock(&offload_cfs_lock);
	if (offload_routes_are_locked()) {
		mutex_unlock(&offload_cfs_lock);
		return -EPERM;
	}
	if (val && ce->eng && !offload_cfs_valid(ce->eng, t, val)) {
		mutex_unlock(&offload_cfs_lock);
		return -EINVAL;
	}
	ce->set[t] = val;
	if (ce->eng)
		offload_cfs_apply(ce);
	mutex_unlock(&offload_cfs_lock);
	return count;
}

static ssize_t engine_weight_show(struct config_item *item, char *page)
{
	return engine_tunable_show(item, page, OFFLOAD_CFS_WEIGHT);
}

static ssize_t engine_weight_store(struct config_item *item,
				   const char *page, size_t count)
{
	return engine_tunable_store(item, page, count, OFFLOAD_CFS_WEIGHT);
}

static ssize_t engine_min_batch_show(struct config_item *item, char *page)
{
	return engine_tunable_show(item, page, OFFLOAD_CFS_MIN_BATCH);
}

static ssize_t engine_min_batch_store(struct config_item *item,
				      const char *page, size_t count)
{
	return engine_tunable_store(item, page, count, OFFLOAD_CFS_MIN_BATCH);
}

static ssize_t engine_max_inflight_show(struct config_item *item, char *page)
{
	return engine_tunable_show(item, page, OFFLOAD_CFS_MAX_INFLIGHT);
}

static ssize_t engine_max_inflight_store(struct config_item *item,
					 const char *page, size_t count)
{
	return engine_tunable_store(item, page, count,
				    OFFLOAD_CFS_MAX_INFLIGHT);
}

static ssize_t engine_timeout_ms_show(struct config_item *item, char *page)
{
	return engine_tunable_show(item, page, OFFLOAD_CFS_TIMEOUT_MS);
}

static ssize_t engine_timeout_ms_store(struct config_item *item,
				       const char *page, size_t count)
{
	return engine_tunable_store(item, page, count, OFFLOAD_CFS_TIMEOUT_MS);
}

CONFIGFS_ATTR_RO(engine_, node);
CONFIGFS_ATTR_RO(engine_, kind);
CONFIGFS_ATTR_RO(engine_, state);
CONFIGFS_ATTR_RO(engine_, stats);
CONFIGFS_ATTR(engine_, enabled);
CONFIGFS_ATTR(engine_, weight);
CONFIGFS_ATTR(engine_, min_batch);
CONFIGFS_ATTR(engine_, max_inflight);
CONFIGFS_ATTR(engine_, timeout_ms);

static struct configfs_attribute *offload_cfs_engine_attrs[] = {
	&engine_attr_node,
	&engine_attr_kind,
	&engine_attr_state,
	&engine_attr_stats,
	&engine_attr_enabled,
	&engine_attr_weight,
	&engine_attr_min_batch,
	&engine_attr_max_inflight,
	&engine_attr_timeout_ms,
	NULL,
};

static struct configfs_item_operations offload_cfs_engine_item_ops = {
	.release	= offload_cfs_engine_release,
};

static const struct config_item_type offload_cfs_engine_type = {
	.ct_item_ops	= &offload_cfs_engine_item_ops,
	.ct_attrs	= offload_cfs_engine_attrs,
	.ct_owner	= THIS_MODULE,
};

static const struct config_item_type offload_cfs_engines_type = {
	.ct_owner	= THIS_MODULE,
};

/* Route attributes: each write is one offload_route_update(). */

static unsigned int offload_cfs_class_of(struct config_item *item)
{
	return to_cfs_class(item)->class;
}

static int offload_cfs_route(struct config_item *item,
			     struct offload_route *route)
{
	return offload_route_get(offload_cfs_class_of(item), route);
}

static int offload_cfs_set_mode(struct offload_route *route, void *arg)
{
	route->mode = *(enum offload_mode *)arg;
	return 0;
}

static ssize_t route_mode_show(struct config_item *item, char *page)
{
	struct offload_route route;

	offload_cfs_route(item, &route);
	return sprintf(page, "%s\n", offload_mode_names[route.mode]);
}

static ssize_t route_mode_store(struct config_item *item, const char *page,
				size_t count)
{
	enum offload_mode mode;
	int ret;

	ret = offload_cfs_may_write(count);
	if (ret)
		return ret;
	ret = sysfs_match_string(offload_mode_names, page);
	if (ret < 0)
		return ret;
	mode = ret;
	ret = offload_route_update(offload_cfs_class_of(item),
				   offload_cfs_set_mode, &mode, GFP_KERNEL);
	return ret ?: count;
}

static int offload_cfs_set_min_batch(struct offload_route *route, void *arg)
{
	route->min_batch = *(unsigned int *)arg;
	return 0;
}

static int offload_cfs_set_async_ms(struct offload_route *route, void *arg)
{
	route->async_ms = *(unsigned int *)arg;
	return 0;
}

/* Store a number of at most @max with @set, in one route update. */
static ssize_t route_uint_store(struct config_item *item, const char *page,
				size_t count, unsigned int max,
				int (*set)(struct offload_route *, void *))
{
	unsigned int val;
	int ret;

	ret = offload_cfs_may_write(count) ?:
	      offload_cfs_uint(page, max, &val) ?:
	      offload_route_update(offload_cfs_class_of(item), set, &val,
				   GFP_KERNEL);
	return ret ?: count;
}

static ssize_t route_min_batch_show(struct config_item *item, char *page)
{
	struct offload_route route;

	offload_cfs_route(item, &route);
	return sprintf(page, "%u\n", route.min_batch);
}

static ssize_t route_min_batch_store(struct config_item *item,
				     const char *page, size_t count)
{
	return route_uint_store(item, page, count, OFFLOAD_CFS_BATCH_MAX,
				offload_cfs_set_min_batch);
}

static ssize_t route_async_ms_show(struct config_item *item, char *page)
{
	struct offload_route route;

	offload_cfs_route(item, &route);
	return sprintf(page, "%u\n", route.async_ms);
}

static ssize_t route_async_ms_store(struct config_item *item,
				    const char *page, size_t count)
{
	return route_uint_store(item, page, count, OFFLOAD_CFS_ASYNC_MAX,
				offload_cfs_set_async_ms);
}

static ssize_t route_order_show(struct config_item *item, char *page)
{
	struct offload_route route;
	ssize_t len = 0;
	unsigned int i;

	offload_cfs_route(item, &route);
	for (i = 0; i < route.nr_engines; i++)
		len += sprintf(page + len, "%s%s", i ? " " : "",
			       route.engines[i]);
	page[len++] = '\n';
	return len;
}

/* The engine names written to order, in order. */
struct offload_cfs_order {
	unsigned int	nr;
	char		names[OFFLOAD_ROUTE_MAX_ENGINES][OFFLOAD_ENGINE_NAME_LEN];
};

/* Reorder: @arg must hold the route's engines, each once. */
static int offload_cfs_reorder(struct offload_route *route, void *arg)
{
	const struct offload_cfs_order *order = arg;
	unsigned int i, j;

	if (order->nr != route->nr_engines)
		return -EINVAL;
	for (i = 0; i < order->nr; i++) {
		for (j = 0; j < route->nr_engines; j++)
			if (!strcmp(order->names[i], route->engines[j]))
				break;
		if (j == route->nr_engines)
			return -EINVAL;
	}
	/* Each name once: offload_route_check() refuses duplicates. */
	memcpy(route->engines, order->names, sizeof(order->names));
	return 0;
}

static ssize_t route_order_store(struct config_item *item, const char *page,
				 size_t count)
{
	struct offload_cfs_order *order;
	const char *p = page;
	int ret;

	ret = offload_cfs_may_write(count);
	if (ret)
		return ret;
	order = kzalloc(sizeof(*order), GFP_KERNEL);
	if (!order)
		return -ENOMEM;
	for (;;) {
		size_t len;

		p = skip_spaces(p);
		if (!*p)
			break;
		len = strcspn(p, " \t\n");
		ret = -E2BIG;
		if (order->nr == OFFLOAD_ROUTE_MAX_ENGINES)
			goto out;
		ret = -EINVAL;
		if (len >= OFFLOAD_ENGINE_NAME_LEN)
			goto out;
		memcpy(order->names[order->nr++], p, len);
		p += len;
	}
	ret = offload_route_update(offload_cfs_class_of(item),
				   offload_cfs_reorder, order, GFP_KERNEL);
out:
	kfree(order);
	return ret ?: count;
}

static ssize_t route_stats_show(struct config_item *item, char *page)
{
	const struct offload_class_stats *cs =
		&offload_class_stats[offload_cfs_class_of(item)];

	return sprintf(page,
		       "submitted %lld\noffloaded %lld\ncpu %lld\nfailed %lld\ndeclined %lld\nnomem %lld\nrefused %lld\n",
		       atomic64_read(&cs->submitted),
		       atomic64_read(&cs->offloaded), atomic64_read(&cs->cpu),
		       atomic64_read(&cs->failed),
		       atomic64_read(&cs->declined), atomic64_read(&cs->nomem),
		       atomic64_read(&cs->refused));
}

CONFIGFS_ATTR(route_, mode);
CONFIGFS_ATTR(route_, min_batch);
CONFIGFS_ATTR(route_, async_ms);
CONFIGFS_ATTR(route_, order);
CONFIGFS_ATTR_RO(route_, stats);

static struct configfs_attribute *offload_cfs_route_attrs[] = {
	&route_attr_mode,
	&route_attr_min_batch,
	&route_attr_async_ms,
	&route_attr_order,
	&route_attr_stats,
	NULL,
};

static const struct config_item_type offload_cfs_route_type = {
	.ct_attrs	= offload_cfs_route_attrs,
	.ct_owner	= THIS_MODULE,
};

/* Links: routes/<reason>/engines/<any> -> engines/<engine>. */

static unsigned int offload_cfs_link_class(struct config_item *src)
{
	/* src is routes/<reason>/engines, its parent the reason. */
	return offload_cfs_class_of(src->ci_parent);
}

static int offload_cfs_link_add(struct offload_route *route, void *arg)
{
	const char *name = arg;
	unsigned int i;

	for (i = 0; i < route->nr_engines; i++)
		if (!strcmp(route->engines[i], name))
			return -EEXIST;
	if (route->nr_engines == OFFLOAD_ROUTE_MAX_ENGINES)
		return -E2BIG;
	strscpy(route->engines[route->nr_engines++], name,
		OFFLOAD_ENGINE_NAME_LEN);
	return 0;
}

static int offload_cfs_link_del(struct offload_route *route, void *arg)
{
	const char *name = arg;
	unsigned int i;

	for (i = 0; i < route->nr_engines; i++) {
		if (strcmp(route->engines[i], name))
			continue;
		route->nr_engines--;
		memmove(route->engines[i], route->engines[i + 1],
			(route->nr_engines - i) * sizeof(route->engines[0]));
		return 0;
	}
	return -ENOENT;
}

static int offload_cfs_allow_link(struct config_item *src,
				  struct config_item *target)
{
	struct offload_cfs_engine *ce;
	int ret;

	ret = offload_cfs_may_write(0);
	if (ret)
		return ret;
	if (target->ci_type != &offload_cfs_engine_type)
		return -EINVAL;
	ce = to_cfs_engine(target);
	mutex_lock(&offload_cfs_lock);
	ret = -ENOENT;
	if (ce->dying)
		goto unlock;
	ret = offload_route_update(offload_cfs_link_class(src),
				   offload_cfs_link_add, ce->name, GFP_KERNEL);
	if (!ret)
		ce->links++;
unlock:
	mutex_unlock(&offload_cfs_lock);
	return ret;
}

static void offload_cfs_drop_link(struct config_item *src,
				  struct config_item *target)
{
	struct offload_cfs_engine *ce = to_cfs_engine(target);

	mutex_lock(&offload_cfs_lock);
	/*
	 * configfs cannot refuse an unlink: once locked, or for a process
	 * without CAP_SYS_ADMIN, the route stays as it was.
	 */
	if (capable(CAP_SYS_ADMIN))
		offload_route_update(offload_cfs_link_class(src),
				     offload_cfs_link_del, ce->name,
				     GFP_KERNEL | __GFP_NOFAIL);
	if (!--ce->links && !ce->eng)
		queue_work(system_unbound_wq, &offload_cfs_sync_work);
	mutex_unlock(&offload_cfs_lock);
}

static struct configfs_item_operations offload_cfs_links_item_ops = {
	.allow_link	= offload_cfs_allow_link,
	.drop_link	= offload_cfs_drop_link,
};

static const struct config_item_type offload_cfs_links_type = {
	.ct_item_ops	= &offload_cfs_links_item_ops,
	.ct_owner	= THIS_MODULE,
};

static const struct config_item_type offload_cfs_routes_type = {
	.ct_owner	= THIS_MODULE,
};

/* The root: locked, default_mode. */

static ssize_t root_locked_show(struct config_item *item, char *page)
{
	return sprintf(page, "%d\n", offload_routes_are_locked());
}

static ssize_t root_locked_store(struct config_item *item, const char *page,
				 size_t count)
{
	bool lock;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = kstrtobool(page, &lock);
	if (ret)
		return ret;
	if (lock) {
		/* Engine writes re-check under offload_cfs_lock. */
		mutex_lock(&offload_cfs_lock);
		offload_routes_lock_down();
		mutex_unlock(&offload_cfs_lock);
	} else if (offload_routes_are_locked()) {
		return -EPERM;
	}
	return count;
}

static ssize_t root_default_mode_show(struct config_item *item, char *page)
{
	return sprintf(page, "%s\n", offload_mode_names[offload_default_mode]);
}

CONFIGFS_ATTR(root_, locked);
CONFIGFS_ATTR_RO(root_, default_mode);

static struct configfs_attribute *offload_cfs_root_attrs[] = {
	&root_attr_locked,
	&root_attr_default_mode,
	NULL,
};

static const struct config_item_type offload_cfs_root_type = {
	.ct_attrs	= offload_cfs_root_attrs,
	.ct_owner	= THIS_MODULE,
};

static struct configfs_subsystem offload_cfs_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf	= "offload",
			.ci_type	= &offload_cfs_root_type,
		},
	},
};

static int __init offload_cfs_init(void)
{
	struct config_group *root = &offload_cfs_subsys.su_group;
	unsigned int class;
	int ret;

	config_group_init(root);
	mutex_init(&offload_cfs_subsys.su_mutex);
	config_group_init_type_name(&offload_cfs_engines_group, "engines",
				    &offload_cfs_engines_type);
	configfs_add_default_group(&offload_cfs_engines_group, root);
	config_group_init_type_name(&offload_cfs_routes_group, "routes",
				    &offload_cfs_routes_type);
	configfs_add_default_group(&offload_cfs_routes_group, root);
	for (class = 0; class < OFFLOAD_NR_CLASSES; class++) {
		struct offload_cfs_class *cc = &offload_cfs_classes[class];

		cc->class = class;
		config_group_init_type_name(&cc->group,
					    offload_class_name(class),
					    &offload_cfs_route_type);
		configfs_add_default_group(&cc->group,
					   &offload_cfs_routes_group);
		config_group_init_type_name(&cc->engines, "engines",
					    &offload_cfs_links_type);
		configfs_add_default_group(&cc->engines, &cc->group);
	}

	ret = configfs_register_subsystem(&offload_cfs_subsys);
	if (ret) {
		pr_err("cannot register configfs: %pe\n", ERR_PTR(ret));
		return ret;
	}
	mutex_lock(&offload_cfs_lock);
	offload_cfs_ready = true;
	queue_work(system_unbound_wq, &offload_cfs_sync_work);
	mutex_unlock(&offload_cfs_lock);
	return 0;
}
late_initcall(offload_cfs_init);
