// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload routes: for each copy class, which engines copy and how.
 *
 * The table is published under RCU: offload_req_submit() reads it without
 * blocking, writers copy it, change the copy and publish it under
 * offload_routes_lock, then free the old table after a grace period.
 *
 * Default route of every class: %OFFLOAD_MODE_PREFER over every registered
 * engine, for requests of at least %OFFLOAD_ROUTE_MIN_BATCH_DEFAULT base
 * pages, asynchronous ones (NUMA hinting faults, kswapd) giving engines
 * %OFFLOAD_ROUTE_ASYNC_MS_DEFAULT ms.  Smaller requests, and every request
 * while no engine is registered, take the caller's own copy path
 * unchanged, so the default is never slower than the stock kernel where a
 * batch is too small to gain.
 *
 * A route in require mode keeps offload_copy_key enabled, like a
 * registered engine does: its copies must reach the broker (and fail)
 * even when no engine is there.
 */

#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"

/* Should match enum offload_mode. */
const char * const offload_mode_names[OFFLOAD_NR_MODES] = {
	[OFFLOAD_MODE_OFF]	= "off",
	[OFFLOAD_MODE_CPU]	= "cpu",
	[OFFLOAD_MODE_PREFER]	= "prefer",
	[OFFLOAD_MODE_REQUIRE]	= "require",
};

struct offload_routes {
	struct rcu_head		rcu;
	struct offload_route	route[OFFLOAD_NR_CLASSES];
};

static struct offload_routes offload_default_routes = {
	.route[0 ... OFFLOAD_NR_CLASSES - 1] = {
		.mode		= OFFLOAD_MODE_PREFER,
		.min_batch	= OFFLOAD_ROUTE_MIN_BATCH_DEFAULT,
		.async_ms	= OFFLOAD_ROUTE_ASYNC_MS_DEFAULT,
	},
};

static struct offload_routes __rcu *offload_routes =
	RCU_INITIALIZER(&offload_default_routes);

/* Serialises route updates. */
static DEFINE_MUTEX(offload_routes_lock);

static int offload_route_check(const struct offload_route *route)
{
	unsigned int i, j;

	if (route->mode >= OFFLOAD_NR_MODES)
		return -EINVAL;
	if (route->nr_engines > OFFLOAD_ROUTE_MAX_ENGINES)
		return -E2BIG;
	for (i = 0; i < route->nr_engines; i++) {
		const char *name = route->engines[i];
		size_t len = strnlen(name, OFFLOAD_ENGINE_NAME_LEN);

		if (!len || len == OFFLOAD_ENGINE_NAME_LEN)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (!strcmp(name, route->engines[j]))
				return -EEXIST;
	}
	return 0;
}

/**
 * offload_route_set - change the route of a copy class
 * @class: migration reason or %OFFLOAD_CLASS_GENERIC
 * @route: the new route; copied
 *
 * Requests submitted after this returns follow @route; requests already
 * submitted keep the route they started with.
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL for a bad class, mode or engine name, -E2BIG for too
 * many engines, -EEXIST for an engine listed twice, -ENOMEM.  On error
 * the route is unchanged.
 */
int offload_route_set(unsigned int class, const struct offload_route *route)
{
	struct offload_routes *old, *new;
	bool required, was_required;
	int ret;

	if (class >= OFFLOAD_NR_CLASSES)
		return -EINVAL;
	ret = offload_route_check(route);
	if (ret)
		return ret;

	mutex_lock(&offload_routes_lock);
	old = rcu_dereference_protected(offload_routes,
					lockdep_is_held(&offload_routes_lock));
	new = kmemdup(old, sizeof(*old), GFP_KERNEL);
	if (!new) {
		mutex_unlock(&offload_routes_lock);
		return -ENOMEM;
	}
	was_required = old->route[class].mode == OFFLOAD_MODE_REQUIRE;
	required = route->mode == OFFLOAD_MODE_REQUIRE;
	if (required && !was_required)
		static_branch_inc(&offload_copy_key);
	else if (was_required && !required)
		static_branch_dec(&offload_copy_key);
	new->route[class] = *route;
	memset(&new->route[class].engines[route->nr_engines], 0,
	       sizeof(route->engines[0]) *
	       (OFFLOAD_ROUTE_MAX_ENGINES - route->nr_engines));
	rcu_assign_pointer(offload_routes, new);
	mutex_unlock(&offload_routes_lock);

	if (old != &offload_default_routes)
		kfree_rcu(old, rcu);
	return 0;
}
EXPORT_SYMBOL_GPL(offload_route_set);

/**
 * offload_route_rcu - the route of a copy class, without a copy
 * @class: a valid class
 *
 * Context: under rcu_read_lock(), which keeps the route alive.
 * Return: the route.
 */
const struct offload_route *offload_route_rcu(unsigned int class)
{
	return &rcu_dereference(offload_routes)->route[class];
}

/**
 * offload_route_get - read the route of a copy class
 * @class: migration reason or %OFFLOAD_CLASS_GENERIC
 * @route: filled with a copy of the route
 *
 * Context: any context.
 * Return: 0, or -EINVAL for a bad class.
 */
int offload_route_get(unsigned int class, struct offload_route *route)
{
	if (class >= OFFLOAD_NR_CLASSES)
		return -EINVAL;
	rcu_read_lock();
	*route = rcu_dereference(offload_routes)->route[class];
	rcu_read_unlock();
	return 0;
}
EXPORT_SYMBOL_GPL(offload_route_get);

/**
 * offload_class_wants - whether a request would go to the broker
 * @class: migration reason or %OFFLOAD_CLASS_GENERIC
 * @nr_pages: base pages the request's folios would hold
 *
 * Lets a caller with its own copy path (page migration) skip building a
 * request that the route would decline: routes off and cpu, and batches
 * below the route's minimum in prefer mode.
 *
 * Context: any context.
 * Return: true if the caller should submit a request.
 */
bool offload_class_wants(unsigned int class, unsigned long nr_pages)
{
	const struct offload_route *route;
	bool wants;

	if (class >= OFFLOAD_NR_CLASSES)
		return false;
	rcu_read_lock();
	route = &rcu_dereference(offload_routes)->route[class];
	wants = route->mode == OFFLOAD_MODE_REQUIRE ||
		(route->mode == OFFLOAD_MODE_PREFER &&
		 nr_pages >= route->min_batch);
	rcu_read_unlock();
	return wants;
}
EXPORT_SYMBOL_GPL(offload_class_wants);

/**
 * offload_class_cpu_allowed - whether the CPU may copy for a class
 * @class: migration reason or %OFFLOAD_CLASS_GENERIC
 *
 * False while the class's route requires engines: then a caller with a
 * copy path of its own must fail what the broker did not copy rather than
 * copy it on the CPU.
 *
 * Context: any context.
 * Return: true if the CPU may copy.
 */
bool offload_class_cpu_allowed(unsigned int class)
{
	bool allowed;

	if (class >= OFFLOAD_NR_CLASSES)
		return true;
	rcu_read_lock();
	allowed = rcu_dereference(offload_routes)->route[class].mode !=
		  OFFLOAD_MODE_REQUIRE;
	rcu_read_unlock();
	return allowed;
}
EXPORT_SYMBOL_GPL(offload_class_cpu_allowed);
