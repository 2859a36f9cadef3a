// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload routes: for each copy class, which engines copy and how.
 *
 * The table is published under RCU: offload_req_submit() reads it without
 * blocking, writers copy it, change the copy and publish it under
 * offload_routes_lock, then free the old table after a grace period.
 *
 * A route names its engines; the table also holds what each name resolves
 * to, so that requests do not look engines up by name.  Names are resolved
 * when a route is published, and again, in place, when an engine
 * registers (it fills in the slots of its name) or unregisters (it clears
 * them before its RCU grace period, after which no request can still find
 * it through the table).
 *
 * Default route of every class: the mode CONFIG_MIGRATION_OFFLOAD_DEFAULT_*
 * chose (or offload.default_mode= on the command line), over every
 * registered engine, for requests of at least
 * %OFFLOAD_ROUTE_MIN_BATCH_DEFAULT base pages, asynchronous ones (NUMA
 * hinting faults, kswapd) giving engines %OFFLOAD_ROUTE_ASYNC_MS_DEFAULT
 * ms.  Smaller requests, and every request while no engine is registered,
 * take the caller's own copy path unchanged, so that the default is never
 * slower than the stock kernel where a batch is too small to gain.
 * Routes given on the command line (boot.c) are written into the default
 * table before anything reads it.
 *
 * A route in require mode keeps offload_copy_key enabled, like a
 * registered engine does: its copies must reach the broker (and fail)
 * even when no engine is there.
 *
 * Once locked (offload_routes_lock_down()) the routes never change again
 * until reboot: every update fails with -EPERM.
 */

#define pr_fmt(fmt) "mm/offload: " fmt

#include <kunit/visibility.h>
#include <linux/init.h>
#include <linux/migrate.h>
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
	struct rcu_head			rcu;
	struct offload_class_route	class[OFFLOAD_NR_CLASSES];
};

#if IS_ENABLED(CONFIG_MIGRATION_OFFLOAD_DEFAULT_PREFER)
#define OFFLOAD_MODE_DEFAULT	OFFLOAD_MODE_PREFER
#elif IS_ENABLED(CONFIG_MIGRATION_OFFLOAD_DEFAULT_CPU)
#define OFFLOAD_MODE_DEFAULT	OFFLOAD_MODE_CPU
#else
#define OFFLOAD_MODE_DEFAULT	OFFLOAD_MODE_OFF
#endif

/* The mode of classes nobody configured; see offload_route_set_early(). */
enum offload_mode offload_default_mode __ro_after_init = OFFLOAD_MODE_DEFAULT;
EXPORT_SYMBOL_IF_KUNIT(offload_default_mode);

static struct offload_routes offload_default_routes = {
	.class[0 ... OFFLOAD_NR_CLASSES - 1].route = {
		.mode		= OFFLOAD_MODE_DEFAULT,
		.min_batch	= OFFLOAD_ROUTE_MIN_BATCH_DEFAULT,
		.async_ms	= OFFLOAD_ROUTE_ASYNC_MS_DEFAULT,
	},
};

static struct offload_routes __rcu *offload_routes =
	RCU_INITIALIZER(&offload_default_routes);

/* Serialises route updates; protects offload_routes_locked. */
static DEFINE_MUTEX(offload_routes_lock);
static bool offload_routes_locked;

/**
 * offload_class_name - the name of a copy class
 * @class: a valid class
 *
 * Return: the kernel's migration reason string, or "generic".
 */
const char *offload_class_name(unsigned int class)
{
	return class < MR_TYPES ? migrate_reason_names[class] : "generic";
}

/**
 * offload_class_parse - the copy class of a name
 * @name: a migration reason string or "generic"
 *
 * Return: the class, or -EINVAL.
 */
int offload_class_parse(const char *name)
{
	int class;

	if (!strcmp(name, "generic"))
		return OFFLOAD_CLASS_GENERIC;
	class = match_string(migrate_reason_names, MR_TYPES, name);
	return class < 0 ? -EINVAL : class;
}

/**
 * offload_route_add_engines - append engine names to a route
 * @route: the route
 * @list: names separated by commas; consumed
 *
 * Return: 0, -E2BIG for too many, -EINVAL for an overlong or empty name.
 */
int offload_route_add_engines(struct offload_route *route, char *list)
{
	char *name;

	while (list && (name = strsep(&list, ","))) {
		if (route->nr_engines == OFFLOAD_ROUTE_MAX_ENGINES)
			return -E2BIG;
		if (!*name || strscpy(route->engines[route->nr_engines++], name,
				      OFFLOAD_ENGINE_NAME_LEN) < 0)
			return -EINVAL;
	}
	return 0;
}

/* Resolve the names of @cr's route to registered engines. */
static void offload_route_resolve(struct offload_class_route *cr)
{
	unsigned int i;

	lockdep_assert_held(&offload_routes_lock);
	/*
	 * Not under offload_engines_lock, which registration holds while it
	 * takes locks taken before offload_routes_lock (configfs).  An engine
	 * added or removed meanwhile updates the table itself after this,
	 * see offload_routes_engine_changed().
	 */
	rcu_read_lock();
	for (i = 0; i < OFFLOAD_ROUTE_MAX_ENGINES; i++) {
		struct offload_engine *eng = NULL;

		if (i < cr->route.nr_engines)
			eng = offload_engine_find(cr->route.engines[i]);
		if (eng && test_bit(OFFLOAD_ENGINE_DYING, &eng->flags))
			eng = NULL;
		cr->engines[i] = eng;
	}
	rcu_read_unlock();
}

/**
 * offload_route_check - whether a route is well formed
 * @route: the route
 *
 * Return: 0, -EINVAL for a bad mode or engine name, -E2BIG for too many
 * engines, -EEXIST for an engine named twice.
 */
int offload_route_check(const struct offload_route *route)
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
 * offload_route_update - change the route of a copy class in one step
 * @class: migration reason or %OFFLOAD_CLASS_GENERIC
 * @update: changes the route it is given, a copy of the one in force,
 *	and returns 0, or an error to leave the route as it is; called with
 *	the routes lock held, so that reading and changing the route are
 *	one atomic step
 * @arg: passed to @update
 * @gfp: GFP_KERNEL, or with __GFP_NOFAIL for a change that must happen
 *
 * Requests submitted after this returns follow the new route; requests
 * already submitted keep the route they started with.
 *
 * Context: process context, may sleep.
 * Return: 0; -EPERM once the routes are locked; what @update returned;
 * -EINVAL for a bad class, or a route with a bad mode or engine name,
 * -E2BIG for too many engines, -EEXIST for an engine listed twice,
 * -ENOMEM.  On error the route is unchanged.
 */
int offload_route_update(unsigned int class,
			 int (*update)(struct offload_route *route, void *arg),
			 void *arg, gfp_t gfp)
{
	struct offload_routes *old, *new;
	bool required, was_required;
	struct offload_route *route;
	int ret;

	if (class >= OFFLOAD_NR_CLASSES)
		return -EINVAL;
	mutex_lock(&offload_routes_lock);
	ret = -EPERM;
	if (offload_routes_locked)
		goto unlock;
	old = rcu_dereference_protected(offload_routes,
					lockdep_is_held(&offload_routes_lock));
	ret = -ENOMEM;
	new = kmemdup(old, sizeof(*old), gfp);
	if (!new)
		goto unlock;
	route = &new->class[class].route;
	ret = update(route, arg);
	if (!ret)
		ret = offload_route_check(route);
	if (ret) {
		kfree(new);
		goto unlock;
	}

	was_required = old->class[class].route.mode == OFFLOAD_MODE_REQUIRE;
	required = route->mode == OFFLOAD_MODE_REQUIRE;
	if (required && !was_required)
		static_branch_inc(&offload_copy_key);
	else if (was_required && !required)
		static_branch_dec(&offload_copy_key);
	memset(&route->engines[route->nr_engines], 0,
	       sizeof(route->engines[0]) *
	       (OFFLOAD_ROUTE_MAX_ENGINES - route->nr_engines));
	offload_route_resolve(&new->class[class]);
	rcu_assign_pointer(offload_routes, new);
	mutex_unlock(&offload_routes_lock);

	if (old != &offload_default_routes)
		kfree_rcu(old, rcu);
	return 0;

unlock:
	mutex_unlock(&offload_routes_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(offload_route_update);

static int offload_route_copy(struct offload_route *route, void *arg)
{
	*route = *(const struct offload_route *)arg;
	return 0;
}

/**
 * offload_route_set - change the route of a copy class
 * @class: migration reason or %OFFLOAD_CLASS_GENERIC
 * @route: the new route; copied
 *
 * As offload_route_update(), replacing the route whole.
 *
 * Context: process context, may sleep.
 * Return: as offload_route_update().
 */
int offload_route_set(unsigned int class, const struct offload_route *route)
{
	return offload_route_update(class, offload_route_copy, (void *)route,
				    GFP_KERNEL);
}
EXPORT_SYMBOL_GPL(offload_route_set);

/**
 * offload_routes_lock_down - make the routes immutable until reboot
 *
 * Context: process context, may sleep.
 */
void offload_routes_lock_down(void)
{
	mutex_lock(&offload_routes_lock);
	if (!offload_routes_locked)
		pr_notice("routes locked until reboot\n");
	offload_routes_locked = true;
	mutex_unlock(&offload_routes_lock);
}
EXPORT_SYMBOL_GPL(offload_routes_lock_down);

/**
 * offload_routes_are_locked - whether offload_routes_lock_down() was called
 *
 * Context: any context.
 * Return: true once the routes are locked.
 */
bool offload_routes_are_locked(void)
{
	return READ_ONCE(offload_routes_locked);
}
EXPORT_SYMBOL_GPL(offload_routes_are_locked);

/**
 * offload_route_set_early - set a route from the kernel command line
 * @class: a valid class
 * @route: the route, checked
 *
 * Writes the default table, which is in force from the first request on.
 * offload_copy_key is enabled for require routes by offload_routes_init().
 *
 * Context: boot, before any request (command line parsing).
 */
void __init offload_route_set_early(unsigned int class,
				    const struct offload_route *route)
{
	offload_default_routes.class[class].route = *route;
}

/**
 * offload_route_set_default_mode - the mode of classes nobody configured
 * @mode: a valid mode
 * @configured: classes the command line set a route for, which keep it
 *
 * Context: boot, before any request (command line parsing).
 */
void __init offload_route_set_default_mode(enum offload_mode mode,
					   const unsigned long *configured)
{
	unsigned int class;

	offload_default_mode = mode;
	for (class = 0; class < OFFLOAD_NR_CLASSES; class++)
		if (!test_bit(class, configured))
			offload_default_routes.class[class].route.mode = mode;
}

/* Before the first migration: the static key for boot-time require routes. */
static int __init offload_routes_init(void)
{
	unsigned int class;

	for (class = 0; class < OFFLOAD_NR_CLASSES; class++)
		if (offload_default_routes.class[class].route.mode ==
		    OFFLOAD_MODE_REQUIRE)
			static_branch_inc(&offload_copy_key);
	return 0;
}
early_initcall(offload_routes_init);

/**
 * offload_route_rcu - the route of a copy class, without a copy
 * @class: a valid class
 *
 * Context: under rcu_read_lock(), which keeps the route and the engines it
 * resolves to alive (read those with READ_ONCE()).
 * Return: the route.
 */
const struct offload_class_route *offload_route_rcu(unsigned int class)
{
	return &rcu_dereference(offload_routes)->class[class];
}

/**
 * offload_routes_engine_changed - resolve route names after a registry change
 * @eng: an engine just added to the registry, or just removed from it
 * @added: which of the two
 *
 * Fills in, or clears, the slots of the published routes that name @eng.
 * In place: a request reads either the engine or NULL, and an engine
 * being unregistered waits for an RCU grace period after this, so no
 * request can reach it through the table afterwards.
 *
 * Context: process context; not under offload_engines_lock.
 */
void offload_routes_engine_changed(struct offload_engine *eng, bool added)
{
	struct offload_routes *routes;
	unsigned int class, i;

	mutex_lock(&offload_routes_lock);
	routes = rcu_dereference_protected(offload_routes,
					   lockdep_is_held(&offload_routes_lock));
	for (class = 0; class < OFFLOAD_NR_CLASSES; class++) {
		struct offload_class_route *cr = &routes->class[class];

		for (i = 0; i < cr->route.nr_engines; i++) {
			/* A namesake may have registered meanwhile. */
			if (added && !strcmp(cr->route.engines[i], eng->name))
				WRITE_ONCE(cr->engines[i], eng);
			else if (!added && cr->engines[i] == eng)
				WRITE_ONCE(cr->engines[i], NULL);
		}
	}
	mutex_unlock(&offload_routes_lock);
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
	*route = rcu_dereference(offload_routes)->class[class].route;
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
	route = &rcu_dereference(offload_routes)->class[class].route;
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
	allowed = rcu_dereference(offload_routes)->class[class].route.mode !=
		  OFFLOAD_MODE_REQUIRE;
	rcu_read_unlock();
	return allowed;
}
EXPORT_SYMBOL_GPL(offload_class_cpu_allowed);
