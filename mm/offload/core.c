// SPDX-License-Identifier: GPL-2.0
/*
 * mm/offload core: the registry of copy engines.
 *
 * Locking and lifetime
 * --------------------
 * offload_engines holds every registered engine.  Writers (register and
 * unregister) hold offload_engines_lock.  Readers either hold that mutex or
 * walk the list under rcu_read_lock(), which is what the copy path does since
 * it must not sleep.
 *
 * Each engine carries a kref.  The registry owns one reference from
 * offload_engine_register() to offload_engine_unregister(); every user owns
 * one more, together with a reference on the engine's module, from
 * offload_engine_tryget() or offload_engine_get() to offload_engine_put().
 *
 * offload_engine_unregister() unlinks the engine, waits for an RCU grace
 * period so that no reader can still be looking at it without a reference,
 * drops the registry's reference and sleeps until the last user has dropped
 * its own.  When it returns the engine is unused and its driver may free it.
 *
 * Engine state used by the copy path (in-flight counts, faults, stats) is
 * atomic and needs no lock; see request.c for the request's own rules.
 */

#define pr_fmt(fmt) "mm/offload: " fmt

#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/offload_copy.h>
#include <linux/rculist.h>
#include <linux/string.h>

#include "internal.h"

/* Enabled while an engine is registered, and by require routes. */
DEFINE_STATIC_KEY_FALSE(offload_copy_key);
EXPORT_SYMBOL_GPL(offload_copy_key);

LIST_HEAD(offload_engines);
/* Serialises changes to offload_engines and lookups by name. */
DEFINE_MUTEX(offload_engines_lock);

/*
 * The registered engine called @name, or NULL.  Under offload_engines_lock,
 * or rcu_read_lock() (an engine being unregistered may still be found).
 */
struct offload_engine *offload_engine_find(const char *name)
{
	struct offload_engine *eng;

	list_for_each_entry_rcu(eng, &offload_engines, list,
				lockdep_is_held(&offload_engines_lock))
		if (!strcmp(eng->name, name))
			return eng;
	return NULL;
}

/*
 * Engine names become directory names in configfs: they must be printable,
 * without '/' or white space, and neither "." nor "..".
 */
static bool offload_engine_name_valid(const char *name)
{
	size_t len = strnlen(name, OFFLOAD_ENGINE_NAME_LEN);
	size_t i;

	if (!len || len == OFFLOAD_ENGINE_NAME_LEN)
		return false;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (i = 0; i < len; i++)
		if (!isgraph(name[i]) || name[i] == '/')
			return false;
	return true;
}

static int offload_engine_check(const struct offload_engine *eng)
{
	if (!offload_engine_name_valid(eng->name)) {
		pr_err("invalid engine name\n");
		return -EINVAL;
	}
	if (!eng->ops || !eng->ops->submit || !eng->ops->issue_pending ||
	    !eng->ops->abort) {
		pr_err("engine %s: submit, issue_pending and abort are required\n",
		       eng->name);
		return -EINVAL;
	}
	if (eng->nid != NUMA_NO_NODE &&
	    (eng->nid < 0 || eng->nid >= MAX_NUMNODES ||
	     !node_possible(eng->nid))) {
		pr_err("engine %s: invalid NUMA node %d\n", eng->name,
		       eng->nid);
		return -EINVAL;
	}
	if (eng->caps & ~OFFLOAD_CAP_ALL) {
		pr_err("engine %s: unknown capabilities %#x\n", eng->name,
		       eng->caps & ~OFFLOAD_CAP_ALL);
		return -EINVAL;
	}
	if ((eng->caps & OFFLOAD_CAP_MERGE_SEGS) &&
	    !(eng->caps & OFFLOAD_CAP_LARGE_FOLIO)) {
		pr_err("engine %s: merging segments needs large folios\n",
		       eng->name);
		return -EINVAL;
	}
	if (eng->chunk_priv_size > OFFLOAD_CHUNK_PRIV_MAX) {
		pr_err("engine %s: chunk_priv_size %u above %u\n", eng->name,
		       eng->chunk_priv_size, OFFLOAD_CHUNK_PRIV_MAX);
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(eng->max_seg_bytes)) {
		pr_err("engine %s: max_seg_bytes %zu is not a multiple of the page size\n",
		       eng->name, eng->max_seg_bytes);
		return -EINVAL;
	}
	if (eng->max_chunk_bytes &&
	    eng->max_chunk_bytes < (size_t)max(eng->min_batch, 1U) << PAGE_SHIFT) {
		pr_err("engine %s: max_chunk_bytes below min_batch\n",
		       eng->name);
		return -EINVAL;
	}
	return 0;
}

/**
 * offload_engine_register - make a copy engine available to the broker
 * @eng: the engine, with its public fields filled in
 *
 * Validates @eng, replaces the zero defaults of @min_batch, @max_inflight
 * and @timeout_ms by their documented values, and adds it to the
 * registry.  Requests allocated from then on have room for its private
 * chunk area.
 * Many engines may be registered at once; names must be unique.
 *
 * Context: process context, may sleep.
 * Return: 0 on success, -EINVAL if a field is invalid or a required
 * callback is missing, -EEXIST if an engine of that name is registered.
 */
int offload_engine_register(struct offload_engine *eng)
{
	int ret;

	ret = offload_engine_check(eng);
	if (ret)
		return ret;

	if (!eng->min_batch)
		eng->min_batch = 1;
	if (!eng->max_inflight)
		eng->max_inflight = UINT_MAX;
	if (!eng->timeout_ms)
		eng->timeout_ms = OFFLOAD_ENGINE_TIMEOUT_DEFAULT_MS;

	mutex_lock(&offload_engines_lock);
	/* Before touching any state: @eng itself may be the registered one. */
	if (offload_engine_find(eng->name)) {
		mutex_unlock(&offload_engines_lock);
		pr_err("engine %s is already registered\n", eng->name);
		return -EEXIST;
	}
	eng->flags = 0;
	kref_init(&eng->ref);
	init_completion(&eng->released);
	atomic_set(&eng->inflight, 0);
	atomic64_set(&eng->outstanding, 0);
	atomic64_set(&eng->rate, 0);
	atomic64_set(&eng->meas_bytes, 0);
	atomic64_set(&eng->meas_ns, 0);
	atomic64_set(&eng->last_done, 0);
	memset(&eng->stats, 0, sizeof(eng->stats));
	offload_engine_health_init(eng);
	/* The admin's tunables for the name apply before any work does. */
	ret = offload_cfs_engine_add(eng);
	if (ret) {
		mutex_unlock(&offload_engines_lock);
		return ret;
	}
	offload_req_note_priv(eng->chunk_priv_size);
	list_add_tail_rcu(&eng->list, &offload_engines);
	mutex_unlock(&offload_engines_lock);
	offload_routes_engine_changed(eng, true);
	static_branch_inc(&offload_copy_key);

	if (eng->weight)
		pr_info("engine %s registered (node %d, weight %u)\n",
			eng->name, eng->nid, eng->weight);
	else
		pr_info("engine %s registered (node %d, measured rate)\n",
			eng->name, eng->nid);
	return 0;
}
EXPORT_SYMBOL_GPL(offload_engine_register);

static void offload_engine_release(struct kref *ref)
{
	struct offload_engine *eng = container_of(ref, struct offload_engine,
						  ref);

	complete(&eng->released);
}

/**
 * offload_engine_unregister - withdraw a copy engine
 * @eng: an engine registered with offload_engine_register()
 *
 * Stops new work from reaching @eng, from new requests and from those that
 * already hold it, and waits until every user has dropped its reference.
 * Work already handed to the engine keeps completing while this waits, so
 * call it before tearing down the hardware behind @eng (or, for a device
 * that is already gone, call offload_engine_kill() first).  A chunk the
 * broker abandoned on @eng keeps its reference until the engine completes
 * it.  The last offload_chunk_complete() may still be returning in the
 * engine's completion context (interrupt, tasklet, work item) when this
 * returns: the driver quiesces that context before freeing @eng.
 *
 * Context: process context, sleeps.
 */
void offload_engine_unregister(struct offload_engine *eng)
{
	set_bit(OFFLOAD_ENGINE_DYING, &eng->flags);
	offload_cfs_engine_remove(eng);
	mutex_lock(&offload_engines_lock);
	list_del_rcu(&eng->list);
	mutex_unlock(&offload_engines_lock);
	offload_routes_engine_changed(eng, false);

	/*
	 * No RCU reader, of the registry or of the routes, may still be
	 * looking at @eng without a reference.
	 */
	synchronize_rcu();
	kref_put(&eng->ref, offload_engine_release);
	wait_for_completion(&eng->released);
	/*
	 * Only now: a user could queue a probe until its last fault.  A probe
	 * that runs from here on cannot take a reference and does nothing.
	 */
	offload_engine_health_stop(eng);
	static_branch_dec(&offload_copy_key);

	pr_info("engine %s unregistered\n", eng->name);
}
EXPORT_SYMBOL_GPL(offload_engine_unregister);

/**
 * offload_engine_kill - a copy engine's device is gone
 * @eng: a registered engine
 *
 * For surprise removal: from now on nothing new reaches @eng, and chunks it
 * completes with an error are retried elsewhere (or on the CPU) without
 * counting a fault.  The driver then completes every chunk it holds, with
 * -ENODEV, at once (those it cannot are abandoned after their abort
 * grace), and unregisters the engine.
 *
 * Context: any context.
 */
void offload_engine_kill(struct offload_engine *eng)
{
	if (!test_and_set_bit(OFFLOAD_ENGINE_DEAD, &eng->flags))
		pr_warn("engine %s is gone\n", eng->name);
}
EXPORT_SYMBOL_GPL(offload_engine_kill);

static void offload_engine_unregister_action(void *eng)
{
	offload_engine_unregister(eng);
}

/**
 * devm_offload_engine_register - resource-managed offload_engine_register()
 * @dev: device whose unbinding unregisters the engine
 * @eng: the engine, see offload_engine_register()
 *
 * Context: process context, may sleep.
 * Return: as offload_engine_register(), or -ENOMEM.
 */
int devm_offload_engine_register(struct device *dev,
				 struct offload_engine *eng)
{
	int ret;

	ret = offload_engine_register(eng);
	if (ret)
		return ret;
	return devm_add_action_or_reset(dev, offload_engine_unregister_action,
					eng);
}
EXPORT_SYMBOL_GPL(devm_offload_engine_register);

/**
 * offload_engine_tryget - take a reference on an engine found in the registry
 * @eng: an engine seen on offload_engines under rcu_read_lock() or
 *	offload_engines_lock
 *
 * Pins the engine and its module.  Fails once unregistering has begun or
 * while the module is going away.
 *
 * Context: any context.
 * Return: true if a reference was taken.
 */
bool offload_engine_tryget(struct offload_engine *eng)
{
	if (!try_module_get(eng->owner))
		return false;
	if (!kref_get_unless_zero(&eng->ref)) {
		module_put(eng->owner);
		return false;
	}
	return true;
}

/**
 * offload_engine_hold - take one more reference on an engine
 * @eng: an engine the caller holds a reference on
 *
 * Context: any context.
 */
void offload_engine_hold(struct offload_engine *eng)
{
	__module_get(eng->owner);
	kref_get(&eng->ref);
}

/**
 * offload_engine_get - look up a registered engine by name
 * @name: the engine's name
 *
 * Context: process context, may sleep.
 * Return: the engine with a reference held, to be dropped with
 * offload_engine_put(), or NULL if no usable engine has that name.
 */
struct offload_engine *offload_engine_get(const char *name)
{
	struct offload_engine *eng;

	mutex_lock(&offload_engines_lock);
	eng = offload_engine_find(name);
	if (eng && !offload_engine_tryget(eng))
		eng = NULL;
	mutex_unlock(&offload_engines_lock);
	return eng;
}
EXPORT_SYMBOL_GPL(offload_engine_get);

/**
 * offload_engine_put - drop a reference taken on an engine
 * @eng: the engine
 *
 * The engine may be freed by its driver as soon as this returns.
 *
 * Context: any context.
 */
void offload_engine_put(struct offload_engine *eng)
{
	struct module *owner = eng->owner;

	kref_put(&eng->ref, offload_engine_release);
	module_put(owner);
}
EXPORT_SYMBOL_GPL(offload_engine_put);
